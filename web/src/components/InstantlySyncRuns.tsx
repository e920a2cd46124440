// Instantly sync runs, newest first, each with its parts (resources):
// status, requests, 429s, rows received / stored / rejected and errors
// (instantly_sync_runs and instantly_sync_run_resources, docs/sources/instantly.md).
import { Code, Table, Text, Tooltip } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { useState } from "react";
import { formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { runDuration as duration, SYNC_TRIGGER as TRIGGER, SyncStatusBadge } from "./SyncStatus.tsx";

export const SyncRunFields = graphql(`
  fragment SyncRunFields on InstantlySyncRun {
    rowId
    status
    triggeredBy
    startedAt
    finishedAt
    requestsMade
    rateLimited
    error
    rejects {
      totalCount
    }
    resources {
      nodes {
        resource
        status
        requestsMade
        rateLimited
        rowsReceived
        rowsStored
        rowsRejected
        error
        startedAt
        finishedAt
      }
    }
  }
`);

export type SyncRun = ResultOf<typeof SyncRunFields>;

const RESOURCE_ORDER = ["campaigns", "accounts", "daily_analytics", "emails", "leads"];

const sum = (run: SyncRun, key: "rowsStored" | "rowsRejected" | "rowsReceived") =>
  present(run.resources.nodes).reduce((total, r) => total + r[key], 0);

function Resources({ run }: { run: SyncRun }) {
  const resources = present(run.resources.nodes).sort(
    (a, b) => (RESOURCE_ORDER.indexOf(a.resource) + 1 || 99) - (RESOURCE_ORDER.indexOf(b.resource) + 1 || 99),
  );
  if (resources.length === 0)
    return (
      <Text size="sm" c="dimmed" p="sm">
        {run.error ? "No part of this run started." : "No part has started yet."}
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={720} p="xs">
      <Table verticalSpacing={4} fz="sm" aria-label={`Parts of the run started ${formatDateTime(run.startedAt)}`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Part</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th ta="right">Requests</Table.Th>
            <Table.Th ta="right">429s</Table.Th>
            <Table.Th ta="right">Received</Table.Th>
            <Table.Th ta="right">Stored</Table.Th>
            <Table.Th ta="right">Rejected</Table.Th>
            <Table.Th>Took</Table.Th>
            <Table.Th>Error</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {resources.map((r) => (
            <Table.Tr key={r.resource} data-testid={`sync-resource-${r.resource}`}>
              <Table.Td>
                <Code>{r.resource}</Code>
              </Table.Td>
              <Table.Td>
                <SyncStatusBadge status={r.status} />
              </Table.Td>
              <Table.Td ta="right">{formatNumber(r.requestsMade)}</Table.Td>
              <Table.Td ta="right" c={r.rateLimited ? "orange" : undefined}>
                {formatNumber(r.rateLimited)}
              </Table.Td>
              <Table.Td ta="right">{formatNumber(r.rowsReceived)}</Table.Td>
              <Table.Td ta="right">{formatNumber(r.rowsStored)}</Table.Td>
              <Table.Td ta="right" c={r.rowsRejected ? "red" : undefined}>
                {formatNumber(r.rowsRejected)}
              </Table.Td>
              <Table.Td>{duration(r.startedAt, r.finishedAt)}</Table.Td>
              <Table.Td>
                {r.error && (
                  <Text size="sm" c="red" miw={200} style={{ overflowWrap: "anywhere" }}>
                    {r.error}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function InstantlySyncRuns({
  runs,
  total,
  page,
  pageSize,
  onPageChange,
  fetching,
}: {
  runs: readonly SyncRun[];
  total: number;
  page: number;
  pageSize: number;
  onPageChange: (page: number) => void;
  fetching: boolean;
}) {
  // The newest run opens by itself; the others on a click.
  const [expanded, setExpanded] = useState<string[] | null>(null);
  const open = expanded ?? (runs[0] ? [runs[0].rowId] : []);
  return (
    <DataTable<SyncRun>
      aria-label="Sync runs"
      withTableBorder
      borderRadius="md"
      horizontalSpacing="xs"
      highlightOnHover
      minHeight={runs.length ? undefined : 150}
      fetching={fetching}
      records={[...runs]}
      idAccessor="rowId"
      totalRecords={total}
      recordsPerPage={pageSize}
      page={page}
      onPageChange={onPageChange}
      noRecordsText="No sync has run yet"
      rowExpansion={{
        allowMultiple: true,
        expanded: { recordIds: open, onRecordIdsChange: (ids: unknown[]) => setExpanded(ids.map(String)) },
        content: ({ record }) => <Resources run={record} />,
      }}
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
        { accessor: "triggeredBy", title: "Started by", noWrap: true, render: (run) => TRIGGER[run.triggeredBy] ?? run.triggeredBy },
        { accessor: "duration", title: "Took", noWrap: true, render: (run) => duration(run.startedAt, run.finishedAt) },
        { accessor: "requestsMade", title: "Requests", textAlign: "right", render: (run) => formatNumber(run.requestsMade) },
        {
          accessor: "rateLimited",
          title: "429s",
          textAlign: "right",
          render: (run) => (
            <Text span size="sm" c={run.rateLimited ? "orange" : undefined}>
              {formatNumber(run.rateLimited)}
            </Text>
          ),
        },
        { accessor: "stored", title: "Stored", textAlign: "right", render: (run) => formatNumber(sum(run, "rowsStored")) },
        {
          accessor: "rejected",
          title: "Rejected",
          textAlign: "right",
          render: (run) => (
            <Text span size="sm" c={sum(run, "rowsRejected") ? "red" : undefined}>
              {formatNumber(sum(run, "rowsRejected"))}
            </Text>
          ),
        },
        {
          accessor: "setAside",
          title: (
            <Tooltip
              label="Records of this run kept in instantly_rejects (failed validation, or could not be normalised)"
              multiline
              w={260}
            >
              <span>Set aside</span>
            </Tooltip>
          ),
          textAlign: "right",
          render: (run) => formatNumber(run.rejects.totalCount),
        },
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
