// The campaigns a lead is in, each with its workflow state: where the lead
// stands overall, per channel, the sequence step and the next follow-up.
import { Anchor, Card, DataList, Group, Stack, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import { formatDateTime, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { Field } from "./LeadProfile.tsx";
import { CALL_STATUS_LABEL, humanize, LINKEDIN_STATUS_LABEL, StatusBadge } from "./LeadStatus.tsx";

export const LeadCampaignsFields = graphql(`
  fragment LeadCampaignsFields on Lead @_unmask {
    campaignLeads(first: 50, orderBy: [LAST_ACTIVITY_AT_DESC]) {
      totalCount
      nodes {
        rowId
        campaign {
          rowId
          campaignName
          campaignStatus
          usesEmail
          usesCalls
          usesLinkedin
        }
        overallStatus
        emailStatus
        callStatus
        callScheduledAt
        callCompletedAt
        linkedinStatus
        sequenceStep
        emailSentAt
        emailRepliedAt
        nextFollowupAt
        lastActivityAt
        addedAt
      }
    }
  }
`);

type Membership = NonNullable<ResultOf<typeof LeadCampaignsFields>["campaignLeads"]["nodes"][number]>;

function When({ at }: { at: string | null }) {
  if (!at) return null;
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {formatRelative(at)}
    </time>
  );
}

function MembershipCard({ membership }: { membership: Membership }) {
  const campaign = membership.campaign;
  // A channel's status shows when the campaign uses it, or when something happened on it anyway.
  const showCall = campaign?.usesCalls || membership.callStatus !== "not_scheduled";
  const showLinkedin = campaign?.usesLinkedin || membership.linkedinStatus !== "not_started";
  const title = campaign?.campaignName ?? "Campaign";
  return (
    <Card withBorder padding="sm" component="article" aria-label={title}>
      <Group justify="space-between" gap="xs" mb="xs" wrap="nowrap" align="flex-start">
        {campaign ? (
          <Anchor component={Link} to={`/campaigns/${campaign.rowId}`} fw={600} size="sm">
            {title}
          </Anchor>
        ) : (
          <Text fw={600} size="sm">
            {title}
          </Text>
        )}
        <StatusBadge status={membership.overallStatus} />
      </Group>
      <DataList size="xs" labelWidth={100} gap={4}>
        {(campaign?.usesEmail ?? true) && (
          <Field label="Email">
            <StatusBadge status={membership.emailStatus} size="sm" />
          </Field>
        )}
        {showCall && (
          <Field label="Call">
            <StatusBadge status={membership.callStatus} label={CALL_STATUS_LABEL[membership.callStatus]} size="sm" />
          </Field>
        )}
        {showCall && membership.callStatus === "scheduled" && membership.callScheduledAt && (
          <Field label="Call at">
            <When at={membership.callScheduledAt} />
          </Field>
        )}
        {showCall && membership.callCompletedAt && (
          <Field label="Called">
            <When at={membership.callCompletedAt} />
          </Field>
        )}
        {showLinkedin && (
          <Field label="LinkedIn">
            <StatusBadge status={membership.linkedinStatus} label={LINKEDIN_STATUS_LABEL[membership.linkedinStatus]} size="sm" />
          </Field>
        )}
        <Field label="Sequence step">{membership.sequenceStep != null ? String(membership.sequenceStep) : null}</Field>
        <Field label="Next follow-up">{membership.nextFollowupAt && <When at={membership.nextFollowupAt} />}</Field>
        <Field label="Last activity">{membership.lastActivityAt && <When at={membership.lastActivityAt} />}</Field>
        <Field label="Added">
          <When at={membership.addedAt} />
        </Field>
        {campaign && campaign.campaignStatus !== "active" && <Field label="Campaign">{humanize(campaign.campaignStatus)}</Field>}
      </DataList>
    </Card>
  );
}

export function LeadCampaigns({ lead }: { lead: ResultOf<typeof LeadCampaignsFields> }) {
  const memberships = present(lead.campaignLeads.nodes);
  return (
    <Stack gap="xs" component="section" aria-label="Campaigns">
      <Title order={3} size="h5">
        Campaigns{lead.campaignLeads.totalCount > 0 && ` (${lead.campaignLeads.totalCount})`}
      </Title>
      {memberships.length === 0 ? (
        <Text size="sm" c="dimmed">
          Not in any campaign.
        </Text>
      ) : (
        memberships.map((membership) => <MembershipCard key={membership.rowId} membership={membership} />)
      )}
    </Stack>
  );
}
