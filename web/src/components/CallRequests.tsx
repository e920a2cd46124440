// The call outbox (vapiCallRequests, docs/sources/vapi-calls.md): each call
// leadgraph places through VAPI, newest first, with its state, attempts and
// error; a queued one can be canceled (cancelCallRequest). Polls while a
// request is queued or being placed.
import { Anchor, Badge, Box, Button, Group, SegmentedControl, Text, Tooltip, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { DataTable } from "mantine-datatable";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { errorText } from "../client.ts";
import { formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf, type VariablesOf } from "../graphql.ts";
import { NO_ELLIPSIS } from "./CampaignBadges.tsx";
import { ErrorNotice } from "./States.tsx";

const STATE_COLOR: Record<string, string> = { queued: "cyan", placing: "blue", placed: "green", failed: "red", canceled: "gray" };
const STATE_LABEL: Record<string, string> = {
  queued: "Queued",
  placing: "Placing",
  placed: "Placed",
  failed: "Failed",
  canceled: "Canceled",
};
export const CALL_REQUEST_STATES = ["queued", "placing", "placed", "failed", "canceled"] as const;

export function CallRequestStateBadge({ state }: { state: string }) {
  return (
    <Badge
      color={STATE_COLOR[state] ?? "gray"}
      variant="light"
      radius="sm"
      tt="none"
      styles={NO_ELLIPSIS}
      data-testid="call-request-state"
      data-value={state}
    >
      {STATE_LABEL[state] ?? state}
    </Badge>
  );
}

const CallOutboxQuery = graphql(`
  query CallOutbox($first: Int!, $offset: Int!, $filter: VapiCallRequestFilter, $countFilter: VapiCallRequestFilter) {
    vapiCallRequests(first: $first, offset: $offset, filter: $filter, orderBy: [REQUESTED_AT_DESC, PRIMARY_KEY_DESC]) {
      totalCount
      nodes {
        rowId
        state
        reason
        customerNumber
        notBefore
        requestedAt
        placedAt
        attempts
        error
        vapiCallId
        lead {
          rowId
          fullName
          email
        }
        campaign {
          rowId
          campaignName
        }
        requester {
          rowId
          fullName
          email
        }
      }
    }
    byState: vapiCallRequests(filter: $countFilter) {
      groupedAggregates(groupBy: [STATE]) {
        keys
        distinctCount {
          rowId
        }
      }
    }
  }
`);

const CancelCallRequestMutation = graphql(`
  mutation CancelCallRequest($requestId: UUID!) {
    cancelCallRequest(input: { requestId: $requestId }) {
      vapiCallRequest {
        rowId
        state
      }
    }
  }
`);

type Row = NonNullable<NonNullable<ResultOf<typeof CallOutboxQuery>["vapiCallRequests"]>["nodes"][number]>;
type Filter = NonNullable<VariablesOf<typeof CallOutboxQuery>["filter"]>;
const PAGE_SIZE = 15;
const POLL_MS = 3000;

export function CallOutbox({ leadId, refreshKey = 0, onChanged }: { leadId?: string | null; refreshKey?: number; onChanged?: () => void }) {
  const [page, setPage] = useState(1);
  const [state, setState] = useState("all");
  const base: Filter | undefined = leadId ? { leadId: { equalTo: leadId } } : undefined;
  const filter: Filter | undefined = state === "all" ? base : { ...base, state: { equalTo: state } };
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: CallOutboxQuery,
    variables: { first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, filter, countFilter: base },
  });
  const rows = present(data?.vapiCallRequests?.nodes);
  const total = data?.vapiCallRequests?.totalCount ?? 0;
  const counts = new Map((data?.byState?.groupedAggregates ?? []).map((g) => [g.keys?.[0] ?? "", Number(g.distinctCount?.rowId ?? 0)]));
  const all = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const open = (counts.get("queued") ?? 0) + (counts.get("placing") ?? 0) > 0;

  useEffect(() => {
    if (refreshKey) reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") reexecute({ requestPolicy: "network-only" });
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [open, reexecute]);

  const [{ fetching: canceling }, cancel] = useMutation(CancelCallRequestMutation);
  const [cancelingId, setCancelingId] = useState<string | null>(null);
  const cancelRequest = async (row: Row) => {
    setCancelingId(row.rowId);
    const result = await cancel({ requestId: row.rowId });
    setCancelingId(null);
    if (result.error) {
      notifications.show({ color: "red", title: "The call was not canceled", message: errorText(result.error) });
      return;
    }
    notifications.show({ color: "green", message: "Call canceled." });
    reexecute({ requestPolicy: "network-only" });
    onChanged?.();
  };

  const person = (r: { fullName: string | null; email: string | null } | null | undefined) => r?.fullName || r?.email || null;

  return (
    <>
      <Group justify="space-between" align="flex-end" mb="xs" gap="xs">
        <Text size="sm" c="dimmed" maw={640}>
          Every call leadgraph places through VAPI: queued by the workflow (emailed, no reply after the campaign&apos;s delay) or by
          &quot;Call now&quot;. The worker places each once, inside the campaign&apos;s call hours.
        </Text>
        <Box maw="100%" style={{ overflowX: "auto" }}>
          <SegmentedControl
            size="xs"
            aria-label="Filter by state"
            value={state}
            onChange={(value) => {
              setState(value);
              setPage(1);
            }}
            data={[
              { value: "all", label: `All ${formatNumber(all)}` },
              ...CALL_REQUEST_STATES.map((s) => ({ value: s, label: `${STATE_LABEL[s]} ${formatNumber(counts.get(s) ?? 0)}` })),
            ]}
          />
        </Box>
      </Group>
      {error && <ErrorNotice error={error} title="Could not load the call outbox" />}
      <DataTable<Row>
        aria-label="Call outbox"
        withTableBorder
        borderRadius="md"
        horizontalSpacing="xs"
        highlightOnHover
        minHeight={rows.length ? undefined : 140}
        fetching={fetching && !data}
        records={rows}
        idAccessor="rowId"
        totalRecords={total}
        recordsPerPage={PAGE_SIZE}
        page={page}
        onPageChange={setPage}
        noRecordsText={state === "all" ? "No call has been queued yet" : `No ${STATE_LABEL[state]?.toLowerCase()} calls`}
        columns={[
          {
            accessor: "requestedAt",
            title: "Queued",
            noWrap: true,
            render: (row) => <span title={formatDateTime(row.requestedAt)}>{formatRelative(row.requestedAt)}</span>,
          },
          { accessor: "state", title: "State", noWrap: true, render: (row) => <CallRequestStateBadge state={row.state} /> },
          {
            accessor: "lead",
            title: "Lead",
            render: (row) =>
              row.lead ? (
                <Anchor component={Link} to={`/leads/${row.lead.rowId}`} size="sm">
                  {person(row.lead) ?? "Unnamed lead"}
                </Anchor>
              ) : (
                "—"
              ),
          },
          {
            accessor: "campaign",
            title: "Campaign",
            render: (row) =>
              row.campaign ? (
                <Anchor component={Link} to={`/campaigns/${row.campaign.rowId}`} size="sm" title={row.campaign.campaignName}>
                  <Text span size="sm" inherit truncate="end" maw={200} display="inline-block" style={{ verticalAlign: "bottom" }}>
                    {row.campaign.campaignName}
                  </Text>
                </Anchor>
              ) : (
                "—"
              ),
          },
          {
            accessor: "customerNumber",
            title: "Number",
            noWrap: true,
            render: (row) => (
              <Text size="sm" ff="monospace">
                {row.customerNumber}
              </Text>
            ),
          },
          {
            accessor: "reason",
            title: "Why",
            noWrap: true,
            render: (row) =>
              row.reason === "manual" ? `Call now${person(row.requester) ? ` (${person(row.requester)})` : ""}` : "Workflow",
          },
          {
            accessor: "notBefore",
            title: "Not before",
            noWrap: true,
            render: (row) =>
              row.state === "queued" || row.state === "placing" ? (
                <span title={formatDateTime(row.notBefore)}>{formatRelative(row.notBefore)}</span>
              ) : row.placedAt ? (
                <Tooltip label={`Placed ${formatDateTime(row.placedAt)}`}>
                  <span>placed {formatRelative(row.placedAt)}</span>
                </Tooltip>
              ) : (
                "—"
              ),
          },
          { accessor: "attempts", title: "Attempts", textAlign: "right", render: (row) => formatNumber(row.attempts) },
          {
            accessor: "error",
            title: "Error",
            render: (row) =>
              row.error ? (
                <Text size="sm" c="red.8" lineClamp={2} maw={320} title={row.error} data-testid="call-request-error">
                  {row.error}
                </Text>
              ) : (
                ""
              ),
          },
          {
            accessor: "actions",
            title: <VisuallyHidden>Actions</VisuallyHidden>,
            textAlign: "right",
            render: (row) =>
              row.state === "queued" ? (
                <Button
                  size="compact-xs"
                  variant="light"
                  color="red"
                  loading={canceling && cancelingId === row.rowId}
                  onClick={() => void cancelRequest(row)}
                  aria-label={`Cancel the call to ${person(row.lead) ?? row.customerNumber}`}
                >
                  Cancel
                </Button>
              ) : null,
          },
        ]}
      />
    </>
  );
}
