// A campaign's dashboard (docs/queries/campaign-dashboard.graphql): KPIs and
// funnel, calls and LinkedIn (when the campaign uses them), activity per day,
// replies by step, leads by status and the leads.
// Everything but the leads table reads the rollups (campaign_lead_counts,
// campaign_event_counts), which cost the same for 100 or 100,000 leads, or
// one count of the memberships by status (leadsByOverallStatus, migration
// 000031: tens of milliseconds for 100,000); the charts load in their own chunk.
import { Anchor, Breadcrumbs, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { CampaignChannels, CampaignStatusBadge, EMAIL_STATUSES, OVERALL_STATUSES } from "../components/CampaignBadges.tsx";
import { CampaignChannelsSections } from "../components/CampaignCalls.tsx";
import { CampaignDaily } from "../components/CampaignDaily.tsx";
import { CampaignKpis } from "../components/CampaignKpis.tsx";
import { CampaignLeadsTable } from "../components/CampaignLeadsTable.tsx";
import { CampaignStatusBreakdown } from "../components/CampaignStatusBreakdown.tsx";
import { CampaignSteps } from "../components/CampaignSteps.tsx";
import { Empty, ErrorNotice, Loading, PageTitle } from "../components/States.tsx";
import { formatDate } from "../format.ts";
import { graphql } from "../graphql.ts";

const CampaignDashboardQuery = graphql(`
  query CampaignDashboard($campaignId: UUID!) {
    campaign(rowId: $campaignId) {
      rowId
      campaignName
      campaignStatus
      campaignType
      campaignDescription
      usesEmail
      usesCalls
      usesLinkedin
      startsAt
      endsAt
      instantlyCampaignName
      offer {
        rowId
        offerName
      }
      funnel {
        leads
        contacted
        opened
        replied
        bounced
        unsubscribed
        openRate
        replyRate
        bounceRate
      }
      leadsByOverallStatus {
        overallStatus
        leadCount
      }
      leadsByEmailStatus: campaignLeadCounts {
        groupedAggregates(groupBy: EMAIL_STATUS) {
          keys
          sum {
            leadCount
          }
        }
      }
      leadsByStep: campaignLeadCounts {
        groupedAggregates(groupBy: SEQUENCE_STEP) {
          keys
          sum {
            leadCount
          }
        }
      }
      repliesByStep: campaignLeadCounts(condition: { emailStatus: "replied" }) {
        groupedAggregates(groupBy: SEQUENCE_STEP) {
          keys
          sum {
            leadCount
          }
        }
      }
    }
  }
`);

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

type GroupedRow = { keys: readonly (string | null)[] | null };
/** groupedAggregates -> Map(key -> count). */
function countsBy<G extends GroupedRow, K>(groups: readonly G[] | undefined, count: (group: G) => unknown, key: (k: string) => K) {
  const counts = new Map<K, number>();
  for (const group of groups ?? []) {
    const k = group.keys?.[0];
    if (k != null) counts.set(key(k), (counts.get(key(k)) ?? 0) + Number(count(group) ?? 0));
  }
  return counts;
}

export function CampaignPage() {
  const { campaignId = "" } = useParams();
  const valid = isUuid(campaignId);
  const [{ data, fetching, error }] = useQuery({ query: CampaignDashboardQuery, variables: { campaignId }, pause: !valid });
  const campaign = data?.campaign;

  if (!valid || (data && !campaign))
    return (
      <Empty title="No such campaign">
        <Anchor component={Link} to="/campaigns">
          See all campaigns
        </Anchor>
      </Empty>
    );
  if (error && !data) return <ErrorNotice error={error} title="Could not load the campaign" />;
  if (fetching && !campaign) return <Loading label="Loading the campaign…" />;
  if (!campaign) return null;

  const byOverallStatus = new Map<string, number>();
  for (const row of campaign.leadsByOverallStatus ?? []) if (row?.overallStatus) byOverallStatus.set(row.overallStatus, row.leadCount ?? 0);
  const byEmailStatus = countsBy(campaign.leadsByEmailStatus.groupedAggregates ?? [], (g) => g.sum?.leadCount, String);
  const leadsByStep = countsBy(campaign.leadsByStep.groupedAggregates ?? [], (g) => g.sum?.leadCount, Number);
  const repliesByStep = countsBy(campaign.repliesByStep.groupedAggregates ?? [], (g) => g.sum?.leadCount, Number);
  const funnel = campaign.funnel ?? {
    leads: 0,
    contacted: 0,
    opened: 0,
    replied: 0,
    bounced: 0,
    unsubscribed: 0,
    openRate: null,
    replyRate: null,
    bounceRate: null,
  };

  return (
    <Stack gap="md">
      <div>
        <Breadcrumbs mb={4}>
          <Anchor component={Link} to="/campaigns" size="sm">
            Campaigns
          </Anchor>
          <Text size="sm" c="dimmed" truncate maw={260}>
            {campaign.campaignName}
          </Text>
        </Breadcrumbs>
        <PageTitle right={<CampaignStatusBadge status={campaign.campaignStatus} />}>{campaign.campaignName}</PageTitle>
        <Group gap="md" mt={-8} wrap="wrap">
          <CampaignChannels usesEmail={campaign.usesEmail} usesCalls={campaign.usesCalls} usesLinkedin={campaign.usesLinkedin} />
          {campaign.offer && (
            <Text size="sm" c="dimmed">
              Offer: {campaign.offer.offerName}
            </Text>
          )}
          {(campaign.startsAt || campaign.endsAt) && (
            <Text size="sm" c="dimmed">
              {formatDate(campaign.startsAt)} – {formatDate(campaign.endsAt)}
            </Text>
          )}
          {campaign.instantlyCampaignName && (
            <Text size="sm" c="dimmed">
              Instantly: {campaign.instantlyCampaignName}
            </Text>
          )}
        </Group>
        {campaign.campaignDescription && (
          <Text size="sm" mt="xs" maw={800}>
            {campaign.campaignDescription}
          </Text>
        )}
      </div>
      {error && <ErrorNotice error={error} />}
      <CampaignKpis campaignId={campaign.rowId} funnel={funnel} byOverallStatus={byOverallStatus} />
      <CampaignChannelsSections campaignId={campaign.rowId} funnel={funnel} />
      <CampaignDaily campaignId={campaign.rowId} />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <CampaignStatusBreakdown
          title="Leads by workflow status"
          campaignId={campaign.rowId}
          counts={byOverallStatus}
          order={OVERALL_STATUSES}
          param="workflowStatus"
          testId="leads-by-workflow-status"
        />
        <CampaignStatusBreakdown
          title="Leads by email status"
          campaignId={campaign.rowId}
          counts={byEmailStatus}
          order={EMAIL_STATUSES}
          param="emailStatus"
          testId="leads-by-email-status"
        />
      </SimpleGrid>
      <CampaignSteps leadsByStep={leadsByStep} repliesByStep={repliesByStep} />
      <CampaignLeadsTable
        campaignId={campaign.rowId}
        usesCalls={campaign.usesCalls}
        usesLinkedin={campaign.usesLinkedin}
        statuses={[...byOverallStatus.keys()]}
      />
    </Stack>
  );
}
