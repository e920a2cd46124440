// Memberships due a call now (callsDue: emailed, no reply after the campaign's
// callAfter, a phone with its country code, not called yet): what the
// workflow's next schedule run queues. "Call now" queues one at once.
import { Anchor, Button, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconPhoneCall } from "@tabler/icons-react";
import { DataTable } from "mantine-datatable";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { errorText } from "../client.ts";
import { formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { StatusBadge } from "./LeadStatus.tsx";
import { ErrorNotice } from "./States.tsx";

const CallsDueQuery = graphql(`
  query CallsDue($first: Int!, $offset: Int!, $filter: CampaignLeadFilter) {
    callsDue(first: $first, offset: $offset, filter: $filter, orderBy: [LAST_ACTIVITY_AT_ASC, PRIMARY_KEY_ASC]) {
      totalCount
      nodes {
        rowId
        emailStatus
        emailSentAt
        lastActivityAt
        sequenceStep
        lead {
          rowId
          fullName
          email
          phone
          mobilePhone
        }
        campaign {
          rowId
          campaignName
          callAfter {
            days
            hours
            minutes
          }
        }
      }
    }
  }
`);

const QueueDueCallMutation = graphql(`
  mutation QueueDueCall($leadId: UUID!, $campaignId: UUID!) {
    queueCall(input: { leadId: $leadId, campaignId: $campaignId }) {
      vapiCallRequest {
        rowId
        state
      }
    }
  }
`);

type Row = NonNullable<NonNullable<ResultOf<typeof CallsDueQuery>["callsDue"]>["nodes"][number]>;
const PAGE_SIZE = 10;

export function CallsDue({ refreshKey = 0, onQueued }: { refreshKey?: number; onQueued?: () => void }) {
  const [page, setPage] = useState(1);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: CallsDueQuery,
    variables: { first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE },
  });
  useEffect(() => {
    if (refreshKey) reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  const rows = present(data?.callsDue?.nodes);
  const total = data?.callsDue?.totalCount ?? 0;

  const [, queueCall] = useMutation(QueueDueCallMutation);
  const [queueing, setQueueing] = useState<string | null>(null);
  const callNow = async (row: Row) => {
    if (!row.lead || !row.campaign) return;
    setQueueing(row.rowId);
    const result = await queueCall({ leadId: row.lead.rowId, campaignId: row.campaign.rowId });
    setQueueing(null);
    if (result.error) {
      notifications.show({ color: "red", title: "The call was not queued", message: errorText(result.error) });
      return;
    }
    notifications.show({ color: "green", message: `Call to ${row.lead.fullName || row.lead.email || "the lead"} queued.` });
    reexecute({ requestPolicy: "network-only" });
    onQueued?.();
  };

  return (
    <>
      <Text size="sm" c="dimmed" mb="xs" maw={720}>
        Leads emailed in a campaign that makes calls, without a reply for longer than the campaign&apos;s &quot;call after&quot;, with a
        phone number in international form and not called yet. The worker queues them on its next schedule run (every minute, when{" "}
        <code>VAPI_API_KEY</code> is set), inside the campaign&apos;s call hours.
      </Text>
      {error && <ErrorNotice error={error} title="Could not load the calls due" />}
      <DataTable<Row>
        aria-label="Calls due"
        withTableBorder
        borderRadius="md"
        horizontalSpacing="xs"
        highlightOnHover
        minHeight={rows.length ? undefined : 120}
        fetching={fetching && !data}
        records={rows}
        idAccessor="rowId"
        totalRecords={total}
        recordsPerPage={PAGE_SIZE}
        page={page}
        onPageChange={setPage}
        noRecordsText="No call is due"
        columns={[
          {
            accessor: "lead",
            title: "Lead",
            render: (row) =>
              row.lead ? (
                <Anchor component={Link} to={`/leads/${row.lead.rowId}`} size="sm">
                  {row.lead.fullName || row.lead.email || "Unnamed lead"}
                </Anchor>
              ) : (
                "—"
              ),
          },
          {
            accessor: "phone",
            title: "Phone",
            noWrap: true,
            render: (row) => (
              <Text size="sm" ff="monospace">
                {row.lead?.phone || row.lead?.mobilePhone || "—"}
              </Text>
            ),
          },
          {
            accessor: "campaign",
            title: "Campaign",
            render: (row) =>
              row.campaign ? (
                <Anchor component={Link} to={`/campaigns/${row.campaign.rowId}`} size="sm">
                  {row.campaign.campaignName}
                </Anchor>
              ) : (
                "—"
              ),
          },
          { accessor: "emailStatus", title: "Email", noWrap: true, render: (row) => <StatusBadge status={row.emailStatus} size="sm" /> },
          {
            accessor: "emailSentAt",
            title: "First emailed",
            noWrap: true,
            render: (row) => <span title={formatDateTime(row.emailSentAt)}>{formatRelative(row.emailSentAt)}</span>,
          },
          {
            accessor: "lastActivityAt",
            title: "Last activity",
            noWrap: true,
            render: (row) => <span title={formatDateTime(row.lastActivityAt)}>{formatRelative(row.lastActivityAt)}</span>,
          },
          {
            accessor: "actions",
            title: "",
            textAlign: "right",
            render: (row) => (
              <Button
                size="compact-xs"
                variant="light"
                leftSection={<IconPhoneCall size={14} aria-hidden />}
                loading={queueing === row.rowId}
                onClick={() => void callNow(row)}
                aria-label={`Call ${row.lead?.fullName || row.lead?.email || "the lead"} now`}
              >
                Call now
              </Button>
            ),
          },
        ]}
      />
      {total > 0 && (
        <Text size="xs" c="dimmed" mt={4} role="status">
          {formatNumber(total)} due now
        </Text>
      )}
    </>
  );
}
