// The campaign's leads with their workflow state, paged on the server.
// Sorting "newest activity first" keeps leads without activity (null) last:
// PostgreSQL puts nulls first in a descending order, so that order reads the
// leads with a value, then those without, and joins the two pages.
import { Anchor, Group, Select, Stack, Text } from "@mantine/core";
import { DataTable, type DataTableSortStatus } from "mantine-datatable";
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { formatDateTime, formatRelative } from "../format.ts";
import { graphql, present, readFragment, type ResultOf, type VariablesOf } from "../graphql.ts";
import { OVERALL_STATUSES, WorkflowStatusBadge, statusLabel } from "./CampaignBadges.tsx";
import { ErrorNotice } from "./States.tsx";
import { CALL_STATUS_LABEL, LINKEDIN_STATUS_LABEL, StatusBadge } from "./LeadStatus.tsx";

const CampaignLeadFields = graphql(`
  fragment CampaignLeadRow on CampaignLead {
    rowId
    overallStatus
    emailStatus
    callStatus
    linkedinStatus
    sequenceStep
    lastActivityAt
    nextFollowupAt
    lead {
      rowId
      fullName
      email
      linkedinUrl
      jobTitle
      company {
        rowId
        companyName
      }
    }
  }
`);

const CampaignLeadsQuery = graphql(
  `
    query CampaignLeads(
      $campaignId: UUID!
      $baseFilter: CampaignLeadFilter
      $filter: CampaignLeadFilter
      $nullFilter: CampaignLeadFilter
      $orderBy: [CampaignLeadOrderBy!]!
      $first: Int!
      $offset: Int!
      $nullsFirst: Int!
      $nullsOffset: Int!
    ) {
      campaign(rowId: $campaignId) {
        rowId
        all: campaignLeads(filter: $baseFilter) {
          totalCount
        }
        page: campaignLeads(filter: $filter, orderBy: $orderBy, first: $first, offset: $offset) {
          totalCount
          nodes {
            ...CampaignLeadRow
          }
        }
        nulls: campaignLeads(filter: $nullFilter, orderBy: [PRIMARY_KEY_ASC], first: $nullsFirst, offset: $nullsOffset) {
          nodes {
            ...CampaignLeadRow
          }
        }
      }
    }
  `,
  [CampaignLeadFields],
);

type Row = ResultOf<typeof CampaignLeadFields>;
type OrderBy = VariablesOf<typeof CampaignLeadsQuery>["orderBy"][number];
type Filter = NonNullable<VariablesOf<typeof CampaignLeadsQuery>["filter"]>;
/** connection-filter refuses `{}` and null: an empty filter is left out. */
const orNothing = (filter: Filter) => (Object.keys(filter).length ? filter : undefined);

const PAGE_SIZE = 20;
/** Sortable columns: [ascending, descending], and the nullable field a descending order must put last. */
const SORTS: Record<string, { asc: OrderBy; desc: OrderBy; nullable?: "lastActivityAt" | "sequenceStep" }> = {
  lastActivityAt: { asc: "LAST_ACTIVITY_AT_ASC", desc: "LAST_ACTIVITY_AT_DESC", nullable: "lastActivityAt" },
  overallStatus: { asc: "OVERALL_STATUS_ASC", desc: "OVERALL_STATUS_DESC" },
  emailStatus: { asc: "EMAIL_STATUS_ASC", desc: "EMAIL_STATUS_DESC" },
  sequenceStep: { asc: "SEQUENCE_STEP_ASC", desc: "SEQUENCE_STEP_DESC", nullable: "sequenceStep" },
};

export function CampaignLeadsTable({
  campaignId,
  usesCalls,
  usesLinkedin,
  statuses,
}: {
  campaignId: string;
  usesCalls: boolean;
  usesLinkedin: boolean;
  /** Overall statuses present in the campaign, for the filter. */
  statuses: string[];
}) {
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<string | null>(null);
  const [sortStatus, setSortStatus] = useState<DataTableSortStatus<Row>>({ columnAccessor: "lastActivityAt", direction: "desc" });
  // How many rows have a value in the sorted nullable column (from the last answer).
  const [withValue, setWithValue] = useState<number | null>(null);

  const sort = SORTS[sortStatus.columnAccessor as string] ?? SORTS.lastActivityAt;
  const base: Filter = status ? { overallStatus: { equalTo: status } } : {};
  const splitNulls = sortStatus.direction === "desc" && sort.nullable != null;
  const offset = (page - 1) * PAGE_SIZE;
  const filter: Filter = splitNulls ? { ...base, [sort.nullable!]: { isNull: false } } : base;
  const nullFilter: Filter = splitNulls ? { ...base, [sort.nullable!]: { isNull: true } } : base;
  const [{ data, fetching, error }] = useQuery({
    query: CampaignLeadsQuery,
    variables: {
      campaignId,
      baseFilter: orNothing(base),
      filter: orNothing(filter),
      nullFilter: orNothing(nullFilter),
      orderBy: [sortStatus.direction === "asc" ? sort.asc : sort.desc, "PRIMARY_KEY_ASC"],
      first: PAGE_SIZE,
      offset,
      nullsFirst: splitNulls ? PAGE_SIZE : 0,
      nullsOffset: splitNulls ? Math.max(0, offset - (withValue ?? offset)) : 0,
    },
  });
  const campaign = data?.campaign;
  const valued = campaign?.page.totalCount;
  if (splitNulls && valued != null && valued !== withValue) setWithValue(valued);

  const records = campaign
    ? readFragment(CampaignLeadFields, [...present(campaign.page.nodes), ...(splitNulls ? present(campaign.nulls.nodes) : [])]).slice(
        0,
        PAGE_SIZE,
      )
    : [];
  const total = splitNulls ? (campaign ? campaign.all.totalCount : 0) : (campaign?.page.totalCount ?? 0);

  return (
    <Stack gap="xs">
      <Group justify="space-between" align="flex-end">
        <Text fw={600} id="campaign-leads-title">
          Leads in this campaign
        </Text>
        <Select
          size="xs"
          label="Workflow status"
          placeholder="All statuses"
          clearable
          data={[
            ...OVERALL_STATUSES.filter((s) => statuses.includes(s)),
            ...statuses.filter((s) => !OVERALL_STATUSES.includes(s as never)),
          ].map((value) => ({ value, label: statusLabel(value) }))}
          value={status}
          onChange={(value) => {
            setStatus(value);
            setPage(1);
            setWithValue(null);
          }}
          w={200}
        />
      </Group>
      {error && <ErrorNotice error={error} title="Could not load the campaign's leads" />}
      <DataTable<Row>
        aria-labelledby="campaign-leads-title"
        withTableBorder
        borderRadius="md"
        highlightOnHover
        minHeight={records.length ? undefined : 180}
        fetching={fetching}
        records={records}
        idAccessor="rowId"
        totalRecords={total}
        recordsPerPage={PAGE_SIZE}
        page={page}
        onPageChange={setPage}
        sortStatus={sortStatus}
        onSortStatusChange={(next) => {
          setSortStatus(next);
          setPage(1);
          setWithValue(null);
        }}
        noRecordsText={status ? "No lead of this campaign has this status" : "No leads in this campaign yet"}
        columns={[
          {
            accessor: "lead",
            title: "Lead",
            render: (row) =>
              row.lead ? (
                <div>
                  <Anchor component={Link} to={`/leads/${row.lead.rowId}`} fw={500}>
                    {row.lead.fullName || row.lead.email || row.lead.linkedinUrl || "Unnamed lead"}
                  </Anchor>
                  {row.lead.email && row.lead.fullName && (
                    <Text size="xs" c="dimmed">
                      {row.lead.email}
                    </Text>
                  )}
                </div>
              ) : (
                "—"
              ),
          },
          {
            accessor: "company",
            title: "Company",
            render: (row) =>
              row.lead?.company ? (
                <Anchor component={Link} to={`/companies/${row.lead.company.rowId}`} size="sm">
                  {row.lead.company.companyName}
                </Anchor>
              ) : (
                "—"
              ),
          },
          {
            accessor: "overallStatus",
            title: "Workflow",
            sortable: true,
            render: (row) => <WorkflowStatusBadge status={row.overallStatus} />,
          },
          {
            accessor: "emailStatus",
            title: "Email",
            sortable: true,
            render: (row) => <WorkflowStatusBadge status={row.emailStatus} />,
          },
          ...(usesCalls
            ? [
                {
                  accessor: "callStatus",
                  title: "Call",
                  render: (row: Row) => <StatusBadge status={row.callStatus} label={CALL_STATUS_LABEL[row.callStatus]} />,
                },
              ]
            : []),
          ...(usesLinkedin
            ? [
                {
                  accessor: "linkedinStatus",
                  title: "LinkedIn",
                  render: (row: Row) => <StatusBadge status={row.linkedinStatus} label={LINKEDIN_STATUS_LABEL[row.linkedinStatus]} />,
                },
              ]
            : []),
          { accessor: "sequenceStep", title: "Step", sortable: true, textAlign: "right", render: (row) => row.sequenceStep ?? "—" },
          {
            accessor: "lastActivityAt",
            title: "Last activity",
            sortable: true,
            render: (row) => <span title={formatDateTime(row.lastActivityAt)}>{formatRelative(row.lastActivityAt)}</span>,
          },
          {
            accessor: "nextFollowupAt",
            title: "Next follow-up",
            render: (row) => (row.nextFollowupAt ? formatDateTime(row.nextFollowupAt) : "—"),
          },
        ]}
      />
    </Stack>
  );
}
