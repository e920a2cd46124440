// The lead page (/leads/:leadId, by Lead.rowId): the profile and company, the
// campaigns with their workflow state, a note composer, the lead status, and
// the timeline across sources.
import { Anchor, Grid, Group, Select, Stack, Text, Title } from "@mantine/core";
import { useDocumentTitle, useInterval } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useCallback, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { errorText } from "../client.ts";
import { LeadCall } from "../components/LeadCall.tsx";
import { LeadCampaigns, LeadCampaignsFields } from "../components/LeadCampaigns.tsx";
import { LeadNoteComposer } from "../components/LeadNote.tsx";
import { LeadCompanyCard, LeadProfileCard, LeadProfileFields } from "../components/LeadProfile.tsx";
import { LEAD_STATUSES } from "../components/LeadStatus.tsx";
import { Empty, ErrorNotice, Loading, PageTitle } from "../components/States.tsx";
import { Timeline } from "../components/Timeline.tsx";
import { graphql } from "../graphql.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string | undefined): value is string => Boolean(value && UUID.test(value));

const LeadPageQuery = graphql(
  `
    query LeadPage($rowId: UUID!) {
      lead(rowId: $rowId) {
        rowId
        fullName
        email
        jobTitle
        leadStatus
        ...LeadProfileFields
        ...LeadCampaignsFields
      }
    }
  `,
  [LeadProfileFields, LeadCampaignsFields],
);

// Sets the status and adds the manual status_changed event (the old and new
// status in its rawData) in one transaction.
const SetLeadStatusMutation = graphql(`
  mutation SetLeadStatus($leadId: UUID!, $status: String!) {
    setLeadStatus(input: { leadId: $leadId, status: $status }) {
      lead {
        rowId
        leadStatus
        updatedAt
        lastEventAt
      }
    }
  }
`);

const POLL_MS = 30_000;

export function LeadPage() {
  const { leadId } = useParams();
  if (!isUuid(leadId)) return <LeadNotFound />;
  return <LeadView key={leadId} leadId={leadId} />;
}

function LeadNotFound() {
  useDocumentTitle("Lead not found · leadgraph");
  return (
    <>
      <PageTitle>Lead not found</PageTitle>
      <Empty title="No lead with this id">
        It may have been merged into another lead or deleted.{" "}
        <Anchor component={Link} to="/leads">
          Back to the leads
        </Anchor>
        .
      </Empty>
    </>
  );
}

function LeadView({ leadId }: { leadId: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery({ query: LeadPageQuery, variables: { rowId: leadId } });
  // Statuses change as syncs and webhooks arrive: ask again now and then.
  useInterval(
    () => {
      if (document.visibilityState === "visible") reexecute({ requestPolicy: "network-only" });
    },
    POLL_MS,
    { autoInvoke: true },
  );

  const [timelineVersion, setTimelineVersion] = useState(0);
  const reloadTimeline = () => setTimelineVersion((version) => version + 1);
  // A call queued or logged changes the memberships' call status and the timeline.
  const callChanged = useCallback(() => {
    setTimelineVersion((version) => version + 1);
    reexecute({ requestPolicy: "network-only" });
  }, [reexecute]);

  const lead = data?.lead;
  const name = lead ? lead.fullName || lead.email || "Unnamed lead" : "Lead";
  useDocumentTitle(`${name} · leadgraph`);

  if (!data && fetching) return <Loading label="Loading the lead…" />;
  if (error && !data) return <ErrorNotice error={error} title="The lead could not be loaded" />;
  if (!lead) return <LeadNotFound />;

  return (
    <>
      <Group justify="space-between" align="flex-end" gap="sm" mb="md">
        <Stack gap={2} style={{ minWidth: 0 }}>
          <Title order={2} style={{ overflowWrap: "anywhere" }}>
            {name}
          </Title>
          {(lead.jobTitle || lead.company) && (
            <Text c="dimmed">
              {lead.jobTitle}
              {lead.jobTitle && lead.company && " at "}
              {lead.company && (
                <Anchor component={Link} to={`/companies/${lead.company.rowId}`}>
                  {lead.company.companyName || lead.company.companyDomain}
                </Anchor>
              )}
            </Text>
          )}
        </Stack>
        <LeadStatusSelect leadId={lead.rowId} status={lead.leadStatus} onChanged={reloadTimeline} />
      </Group>
      {error && <ErrorNotice error={error} title="The lead could not be refreshed" />}
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack gap="md">
            <LeadProfileCard lead={lead} />
            <LeadCompanyCard company={lead.company} />
            <LeadCampaigns lead={lead} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Stack gap="md">
            <LeadCall leadId={lead.rowId} onChanged={callChanged} />
            <LeadNoteComposer leadId={lead.rowId} onAdded={reloadTimeline} />
            <Timeline
              filter={{ leadId: { equalTo: lead.rowId } }}
              reloadSignal={timelineVersion}
              emptyText="Add a note above, or sync a source."
            />
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}

function LeadStatusSelect({ leadId, status, onChanged }: { leadId: string; status: string; onChanged: () => void }) {
  // Shown at once; put back if the server refuses.
  const [shown, setShown] = useState(status);
  useEffect(() => setShown(status), [status]);
  const [{ fetching }, setLeadStatus] = useMutation(SetLeadStatusMutation);

  const change = async (next: string | null) => {
    if (!next || next === shown) return;
    const previous = shown;
    setShown(next);
    const result = await setLeadStatus({ leadId, status: next });
    if (result.error) {
      setShown(previous);
      notifications.show({ color: "red", title: "The status was not changed", message: errorText(result.error) });
      return;
    }
    onChanged();
  };

  return (
    <Select
      label="Lead status"
      data={LEAD_STATUSES}
      value={shown}
      onChange={(next) => void change(next)}
      allowDeselect={false}
      disabled={fetching}
      w={200}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
