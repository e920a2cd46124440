// What an import did: its status, progress and outcome counts (the counts of
// csv_imports_raw, kept from its rows' outcomes by the normaliser), and the
// top rejection reasons of its error_log. Shared by the upload and the import page.
import { Badge, Group, List, Paper, Progress, SimpleGrid, Stack, Text } from "@mantine/core";
import { useEffect } from "react";
import { useQuery } from "urql";
import { formatNumber } from "../format.ts";
import { NO_ELLIPSIS } from "./CampaignBadges.tsx";
import { graphql, readFragment, type ResultOf } from "../graphql.ts";

export const ImportSummaryFields = graphql(`
  fragment ImportSummaryFields on CsvImportsRaw {
    rowId
    fileName
    importStatus
    totalRows
    processedRows
    leadsInserted
    leadsUpdated
    leadsUnchanged
    duplicateRows
    failedRows
    companiesInserted
    companiesMatched
    errorLog
  }
`);

export type ImportSummaryData = ResultOf<typeof ImportSummaryFields>;

export const FINISHED_STATUSES = ["completed", "completed_with_errors", "failed"];
export const isFinished = (status: string | undefined) => status != null && FINISHED_STATUSES.includes(status);

const STATUS: Record<string, { color: string; label: string }> = {
  uploaded: { color: "gray", label: "Waiting for the worker" },
  processing: { color: "blue", label: "Processing" },
  completed: { color: "green", label: "Completed" },
  completed_with_errors: { color: "orange", label: "Completed with errors" },
  failed: { color: "red", label: "Failed" },
};

export function ImportStatusBadge({ status }: { status: string }) {
  const { color, label } = STATUS[status] ?? { color: "gray", label: status };
  return (
    <Badge color={color} variant="light" styles={NO_ELLIPSIS} data-testid="import-status" data-value={status}>
      {label}
    </Badge>
  );
}

/** error_log: {"rejected": {reason: count}} or {"error": message}. */
export function errorLogOf(errorLog: unknown): { error?: string; reasons: [string, number][] } {
  const log = (errorLog ?? {}) as { error?: unknown; rejected?: Record<string, unknown> };
  const reasons = Object.entries(log.rejected ?? {})
    .map(([reason, count]) => [reason, Number(count)] as [string, number])
    .sort((a, b) => b[1] - a[1]);
  return { error: typeof log.error === "string" ? log.error : undefined, reasons };
}

const COUNTS: { key: keyof ImportSummaryData; name: string; label: string; color?: string }[] = [
  { key: "totalRows", name: "rows", label: "Rows read" },
  { key: "leadsInserted", name: "inserted", label: "Leads inserted", color: "green" },
  { key: "leadsUpdated", name: "updated", label: "Leads updated", color: "blue" },
  { key: "leadsUnchanged", name: "unchanged", label: "Leads unchanged" },
  { key: "duplicateRows", name: "duplicate", label: "Duplicates in file", color: "yellow" },
  { key: "failedRows", name: "rejected", label: "Rejected", color: "red" },
  { key: "companiesInserted", name: "companies-inserted", label: "Companies inserted" },
  { key: "companiesMatched", name: "companies-matched", label: "Companies matched" },
];

/** Processing progress: processed rows of total rows. */
export function ImportProgressBar({ summary }: { summary: ImportSummaryData }) {
  const share = summary.totalRows ? (summary.processedRows / summary.totalRows) * 100 : 0;
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm">{summary.importStatus === "uploaded" ? "Waiting for the worker to start…" : "Normalising rows…"}</Text>
        <Text size="sm" c="dimmed" data-testid="import-progress">
          {formatNumber(summary.processedRows)} / {formatNumber(summary.totalRows)} rows
        </Text>
      </Group>
      <Progress value={share} animated striped aria-label="Rows normalised" />
    </div>
  );
}

export function ImportSummary({ summary }: { summary: ImportSummaryData }) {
  const { error, reasons } = errorLogOf(summary.errorLog);
  return (
    <Paper withBorder p="md" radius="md" data-testid="import-summary" aria-label="Import summary" component="section">
      <Stack gap="sm">
        <Group justify="space-between" gap="xs">
          <Text fw={600}>{summary.fileName}</Text>
          <ImportStatusBadge status={summary.importStatus} />
        </Group>
        {!isFinished(summary.importStatus) && <ImportProgressBar summary={summary} />}
        {error && (
          <Text c="red" size="sm" role="alert">
            {error}
          </Text>
        )}
        <SimpleGrid cols={{ base: 2, xs: 4 }} spacing="xs">
          {/* The counts are made when processing finishes: until then only the rows read mean something. */}
          {COUNTS.filter(({ name }) => isFinished(summary.importStatus) || name === "rows").map(({ key, name, label, color }) => (
            <div key={name}>
              <Text size="xs" c="dimmed">
                {label}
              </Text>
              <Text fw={700} fz="lg" c={color && Number(summary[key]) > 0 ? color : undefined} data-testid={`import-count-${name}`}>
                {formatNumber(summary[key] as number)}
              </Text>
            </div>
          ))}
        </SimpleGrid>
        {reasons.length > 0 && (
          <div>
            <Text size="sm" fw={600}>
              Top rejection reasons
            </Text>
            <List size="sm" spacing={2} data-testid="import-top-reasons">
              {reasons.slice(0, 5).map(([reason, count]) => (
                <List.Item key={reason}>
                  {formatNumber(count)} × {reason}
                </List.Item>
              ))}
            </List>
          </div>
        )}
      </Stack>
    </Paper>
  );
}

const ImportProgressQuery = graphql(
  `
    query ImportProgress($importId: UUID!) {
      csvImport: csvImportsRaw(rowId: $importId) {
        ...ImportSummaryFields
      }
    }
  `,
  [ImportSummaryFields],
);

/** An import's summary, polled every second until it is finished. */
export function useImportSummary(importId: string | null, { pollMs = 1000 } = {}) {
  const [{ data, error }, reexecute] = useQuery({
    query: ImportProgressQuery,
    variables: { importId: importId ?? "" },
    pause: !importId,
    requestPolicy: "network-only",
  });
  const summary = data?.csvImport ? readFragment(ImportSummaryFields, data.csvImport) : null;
  const finished = isFinished(summary?.importStatus);
  useEffect(() => {
    if (!importId || finished) return;
    const timer = setInterval(() => reexecute({ requestPolicy: "network-only" }), pollMs);
    return () => clearInterval(timer);
  }, [importId, finished, pollMs, reexecute]);
  return { summary, error, finished, refresh: () => reexecute({ requestPolicy: "network-only" }) };
}
