// Every campaign with its status, channels, offer, size and key rates; each
// opens its dashboard. Rates come from `campaign.funnel` (the rollups).
import { Alert, Anchor, Text } from "@mantine/core";
import { DataTable, type DataTableSortStatus } from "mantine-datatable";
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { CampaignChannels, CampaignStatusBadge } from "../components/CampaignBadges.tsx";
import { Empty, EmptyWorkspaceHint, ErrorNotice, PageTitle } from "../components/States.tsx";
import { formatNumber, formatPercent } from "../format.ts";
import { graphql, present, type ResultOf, type VariablesOf } from "../graphql.ts";

const CampaignsQuery = graphql(`
  query Campaigns($first: Int!, $offset: Int!, $orderBy: [CampaignOrderBy!]) {
    campaigns(first: $first, offset: $offset, orderBy: $orderBy) {
      totalCount
      nodes {
        rowId
        campaignName
        campaignStatus
        usesEmail
        usesCalls
        usesLinkedin
        offer {
          rowId
          offerName
        }
        funnel {
          leads
          contacted
          replied
          openRate
          replyRate
          bounceRate
        }
      }
    }
  }
`);

type CampaignRow = NonNullable<NonNullable<ResultOf<typeof CampaignsQuery>["campaigns"]>["nodes"][number]>;

type OrderBy = NonNullable<VariablesOf<typeof CampaignsQuery>["orderBy"]>[number];

const PAGE_SIZE = 25;
const SORTS: Record<string, [OrderBy, OrderBy]> = {
  campaignName: ["CAMPAIGN_NAME_ASC", "CAMPAIGN_NAME_DESC"],
  campaignStatus: ["CAMPAIGN_STATUS_ASC", "CAMPAIGN_STATUS_DESC"],
  leads: ["CAMPAIGN_LEADS_COUNT_ASC", "CAMPAIGN_LEADS_COUNT_DESC"],
};

export function CampaignsPage() {
  const [page, setPage] = useState(1);
  const [sortStatus, setSortStatus] = useState<DataTableSortStatus<CampaignRow>>({ columnAccessor: "leads", direction: "desc" });
  const [ascending, descending] = SORTS[sortStatus.columnAccessor as string] ?? SORTS.leads;
  const orderBy: OrderBy[] = [sortStatus.direction === "asc" ? ascending : descending, "PRIMARY_KEY_ASC"];
  const [{ data, fetching, error }] = useQuery({
    query: CampaignsQuery,
    variables: { first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, orderBy },
  });
  const campaigns = present(data?.campaigns?.nodes);
  const total = data?.campaigns?.totalCount ?? 0;

  return (
    <>
      <PageTitle>Campaigns</PageTitle>
      {error && <ErrorNotice error={error} title="Could not load the campaigns" />}
      {data && total > 0 && page === 1 && campaigns.every((c) => !c.funnel?.leads) && (
        <Alert color="blue" mb="md" title="No campaign has leads yet">
          <EmptyWorkspaceHint /> An import can enrol its leads into a campaign.
        </Alert>
      )}
      {data && total === 0 ? (
        <Empty title="No campaigns yet">
          Campaigns come from Instantly (each Instantly campaign becomes one) or are created in GraphQL (
          <Text span ff="monospace" size="sm">
            createCampaign
          </Text>
          ). <EmptyWorkspaceHint />
        </Empty>
      ) : (
        <DataTable<CampaignRow>
          aria-label="Campaigns"
          withTableBorder
          borderRadius="md"
          highlightOnHover
          minHeight={campaigns.length ? undefined : 160}
          fetching={fetching && !data}
          records={campaigns}
          idAccessor="rowId"
          totalRecords={total}
          recordsPerPage={PAGE_SIZE}
          page={page}
          onPageChange={setPage}
          sortStatus={sortStatus}
          onSortStatusChange={(status) => {
            setSortStatus(status);
            setPage(1);
          }}
          noRecordsText="No campaigns"
          columns={[
            {
              accessor: "campaignName",
              title: "Campaign",
              sortable: true,
              render: (c) => (
                <Anchor component={Link} to={`/campaigns/${c.rowId}`} fw={500} miw={160} display="inline-block">
                  {c.campaignName}
                </Anchor>
              ),
            },
            {
              accessor: "campaignStatus",
              title: "Status",
              sortable: true,
              noWrap: true,
              render: (c) => <CampaignStatusBadge status={c.campaignStatus} />,
            },
            {
              accessor: "channels",
              title: "Channels",
              noWrap: true,
              render: (c) => <CampaignChannels usesEmail={c.usesEmail} usesCalls={c.usesCalls} usesLinkedin={c.usesLinkedin} />,
            },
            { accessor: "offer", title: "Offer", render: (c) => c.offer?.offerName ?? "—" },
            {
              accessor: "leads",
              title: "Leads",
              textAlign: "right",
              sortable: true,
              render: (c) =>
                c.funnel?.leads ? (
                  <Anchor component={Link} to={`/leads?campaign=${c.rowId}`} aria-label={`${c.funnel.leads} leads in ${c.campaignName}`}>
                    {formatNumber(c.funnel.leads)}
                  </Anchor>
                ) : (
                  "0"
                ),
            },
            { accessor: "contacted", title: "Contacted", textAlign: "right", render: (c) => formatNumber(c.funnel?.contacted) },
            { accessor: "openRate", title: "Open rate", textAlign: "right", render: (c) => formatPercent(c.funnel?.openRate) },
            { accessor: "replyRate", title: "Reply rate", textAlign: "right", render: (c) => formatPercent(c.funnel?.replyRate) },
            { accessor: "bounceRate", title: "Bounce rate", textAlign: "right", render: (c) => formatPercent(c.funnel?.bounceRate) },
          ]}
        />
      )}
    </>
  );
}
