// The VAPI raw layer on the Calls page: sync runs (vapi_sync_runs: GET /call
// by time windows), the records set aside (vapi_rejects) with the reason, and
// the webhook deliveries (vapi_webhooks_raw). docs/sources/vapi-calls.md.
import { Code, Group, Paper, SimpleGrid, Text, Tooltip } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { useEffect, useState } from "react";
import { useQuery } from "urql";
import { formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { RejectsTable } from "./RejectsTable.tsx";
import { ErrorNotice } from "./States.tsx";
import { runDuration, SYNC_TRIGGER, SyncStatusBadge } from "./SyncStatus.tsx";

export const VapiSyncRunFields = graphql(`
  fragment VapiSyncRunFields on VapiSyncRun @_unmask {
    rowId
    status
    triggeredBy
    startedAt
    finishedAt
    requestsMade
    rateLimited
    windows
    callsReceived
    callsStored
    callsRefreshed
    callsRejected
    error
  }
`);

export type VapiSyncRun = ResultOf<typeof VapiSyncRunFields>;

const number = (value: number, color?: string) => (
  <Text span size="sm" c={value && color ? color : undefined}>
    {formatNumber(value)}
  </Text>
);

export function VapiSyncRuns({
  runs,
  total,
  page,
  pageSize,
  onPageChange,
  fetching,
}: {
  runs: readonly VapiSyncRun[];
  total: number;
  page: number;
  pageSize: number;
  onPageChange: (page: number) => void;
  fetching: boolean;
}) {
  return (
    <DataTable<VapiSyncRun>
      aria-label="VAPI sync runs"
      withTableBorder
      borderRadius="md"
      horizontalSpacing="xs"
      highlightOnHover
      minHeight={runs.length ? undefined : 120}
      fetching={fetching}
      records={[...runs]}
      idAccessor="rowId"
      totalRecords={total}
      recordsPerPage={pageSize}
      page={page}
      onPageChange={onPageChange}
      noRecordsText="No sync has run yet"
      columns={[
        {
          accessor: "startedAt",
          title: "Started",
          noWrap: true,
          render: (run) => (
            <Tooltip label={formatDateTime(run.startedAt)}>
              <span>{formatRelative(run.startedAt)}</span>
            </Tooltip>
          ),
        },
        { accessor: "status", title: "Status", noWrap: true, render: (run) => <SyncStatusBadge status={run.status} /> },
        { accessor: "triggeredBy", title: "Started by", noWrap: true, render: (run) => SYNC_TRIGGER[run.triggeredBy] ?? run.triggeredBy },
        { accessor: "duration", title: "Took", noWrap: true, render: (run) => runDuration(run.startedAt, run.finishedAt) },
        { accessor: "requestsMade", title: "Requests", textAlign: "right", render: (run) => number(run.requestsMade) },
        { accessor: "rateLimited", title: "429s", textAlign: "right", render: (run) => number(run.rateLimited, "orange") },
        {
          accessor: "windows",
          title: (
            <Tooltip label="GET /call has no cursor: the sync reads time windows, and narrows one that comes back full" multiline w={260}>
              <span>Windows</span>
            </Tooltip>
          ),
          textAlign: "right",
          render: (run) => number(run.windows),
        },
        { accessor: "callsReceived", title: "Received", textAlign: "right", render: (run) => number(run.callsReceived) },
        { accessor: "callsStored", title: "Stored", textAlign: "right", render: (run) => number(run.callsStored) },
        {
          accessor: "callsRefreshed",
          title: (
            <Tooltip label="Calls not ended yet, or ended recently, read again: their analysis arrives after the call" multiline w={260}>
              <span>Refreshed</span>
            </Tooltip>
          ),
          textAlign: "right",
          render: (run) => number(run.callsRefreshed),
        },
        { accessor: "callsRejected", title: "Rejected", textAlign: "right", render: (run) => number(run.callsRejected, "red") },
        {
          accessor: "error",
          title: "Error",
          render: (run) =>
            run.error ? (
              <Text size="sm" c="red" lineClamp={2} maw={360} title={run.error}>
                {run.error}
              </Text>
            ) : (
              ""
            ),
        },
      ]}
    />
  );
}

const VapiRejectsQuery = graphql(`
  query VapiRejects($first: Int!, $offset: Int!) {
    vapiRejects(first: $first, offset: $offset, orderBy: [RESOURCE_ASC, SOURCE_ID_ASC]) {
      totalCount
      nodes {
        rowId
        stage
        resource
        sourceId
        reason
        rawJson
        updatedAt
      }
    }
  }
`);

const REJECTS_PAGE = 10;

export function VapiRejects({ refreshKey }: { refreshKey: number }) {
  const [page, setPage] = useState(1);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: VapiRejectsQuery,
    variables: { first: REJECTS_PAGE, offset: (page - 1) * REJECTS_PAGE },
  });
  useEffect(() => {
    if (refreshKey) reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  const rows = present(data?.vapiRejects?.nodes);
  const total = data?.vapiRejects?.totalCount ?? 0;
  return (
    <>
      <Text size="sm" c="dimmed" mb="xs" maw={720}>
        Calls and webhook messages leadgraph could not use: they failed validation when fetched, or the call could not be matched to a lead
        (no lead has its number, and its externalId is not a membership). A later version that can be used removes them.
      </Text>
      {error && <ErrorNotice error={error} title="Could not load the records set aside" />}
      <RejectsTable
        label="VAPI records set aside"
        idTitle="VAPI id"
        rows={rows}
        total={total}
        page={page}
        pageSize={REJECTS_PAGE}
        onPageChange={setPage}
        fetching={fetching && !data}
        noRecordsText="Nothing set aside"
        minHeight={120}
      />
    </>
  );
}

const VapiWebhooksQuery = graphql(`
  query VapiWebhooks {
    vapiWebhooksRaws(first: 1, orderBy: [RECEIVED_AT_DESC, PRIMARY_KEY_DESC]) {
      totalCount
      aggregates {
        sum {
          deliveries
        }
      }
      nodes {
        rowId
        messageType
        receivedAt
        lastReceivedAt
      }
    }
  }
`);

/** How many webhook messages arrived (and deliveries, with VAPI's duplicates), and the last one. */
export function VapiWebhooks({ refreshKey }: { refreshKey: number }) {
  const [{ data, error }, reexecute] = useQuery({ query: VapiWebhooksQuery });
  useEffect(() => {
    if (refreshKey) reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  const webhooks = data?.vapiWebhooksRaws;
  const last = present(webhooks?.nodes)[0];
  const card = (label: string, value: string, testId?: string) => (
    <Paper withBorder p="sm" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fz="lg" fw={700} data-testid={testId}>
        {value}
      </Text>
    </Paper>
  );
  return (
    <>
      {error && <ErrorNotice error={error} title="Could not load the webhook deliveries" />}
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
        {card("Messages received", webhooks ? formatNumber(webhooks.totalCount) : "…", "vapi-webhook-count")}
        {card("Deliveries (with duplicates)", webhooks ? formatNumber(webhooks.aggregates?.sum?.deliveries ?? 0) : "…")}
        {card("Last message", last ? `${last.messageType ?? "message"} · ${formatRelative(last.lastReceivedAt)}` : "none yet")}
      </SimpleGrid>
      <Group mt={4}>
        <Text size="xs" c="dimmed">
          VAPI posts <Code>status-update</Code> and <Code>end-of-call-report</Code> messages to <Code>/webhooks/vapi</Code>; a lost one is
          repaired by the next sync.
        </Text>
      </Group>
    </>
  );
}
