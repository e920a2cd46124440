// An import's rows as they were read, with what the normaliser made of each:
// outcome, reason, the lead, and for a duplicate the row that won (expand to
// compare). Paged on the server; "Only errors" shows the rejected rows.
import { Anchor, Badge, Button, Chip, Group, Paper, Switch, Table, Text } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { formatNumber } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { NO_ELLIPSIS } from "./CampaignBadges.tsx";
import { ErrorNotice } from "./States.tsx";

const ImportRowsQuery = graphql(`
  query ImportRows($importId: UUID!, $first: Int!, $offset: Int!, $filter: CsvImportRowFilter) {
    csvImport: csvImportsRaw(rowId: $importId) {
      rowId
      rows(first: $first, offset: $offset, filter: $filter, orderBy: [ROW_NUMBER_ASC]) {
        totalCount
        nodes {
          rowId
          rowNumber
          outcome
          outcomeReason
          duplicateOfRowNumber
          rawRow
          leadId
        }
      }
    }
  }
`);

const WinningRowQuery = graphql(`
  query ImportWinningRow($importId: UUID!, $rowNumber: Int!) {
    csvImportRowByCsvImportIdAndRowNumber(csvImportId: $importId, rowNumber: $rowNumber) {
      rowId
      rowNumber
      outcome
      outcomeReason
      rawRow
      lead {
        rowId
        fullName
        email
      }
    }
  }
`);

type Row = NonNullable<NonNullable<NonNullable<ResultOf<typeof ImportRowsQuery>["csvImport"]>["rows"]["nodes"][number]>>;

export const OUTCOME_COLOR: Record<string, string> = {
  inserted: "green",
  updated: "blue",
  unchanged: "gray",
  duplicate: "yellow",
  rejected: "red",
};
const OUTCOMES = ["inserted", "updated", "unchanged", "duplicate", "rejected"];
const PAGE_SIZE = 25;

export const cellText = (value: unknown) => (value == null ? "" : typeof value === "string" ? value : JSON.stringify(value));
const rawOf = (row: { rawRow: unknown }) => (row.rawRow ?? {}) as Record<string, unknown>;

export function OutcomeBadge({ outcome }: { outcome: string | null }) {
  return (
    <Badge color={outcome ? (OUTCOME_COLOR[outcome] ?? "gray") : "gray"} variant="light" radius="sm" styles={NO_ELLIPSIS}>
      {outcome ?? "not processed"}
    </Badge>
  );
}

export function ImportRowsTable({
  importId,
  headers,
  outcomeCounts,
}: {
  importId: string;
  /** The file's columns, in order. */
  headers: string[];
  outcomeCounts: Map<string, number>;
}) {
  const rejected = outcomeCounts.get("rejected") ?? 0;
  const [onlyErrors, setOnlyErrors] = useState(rejected > 0);
  const [outcome, setOutcome] = useState("all");
  const [page, setPage] = useState(1);
  const [expanded, setExpanded] = useState<string[]>([]);
  const chosen = onlyErrors ? "rejected" : outcome;
  const [{ data, fetching, error }] = useQuery({
    query: ImportRowsQuery,
    variables: {
      importId,
      first: PAGE_SIZE,
      offset: (page - 1) * PAGE_SIZE,
      filter: chosen === "all" ? undefined : { outcome: { equalTo: chosen } },
    },
  });
  const rows = present(data?.csvImport?.rows.nodes);
  const columns = headers.length ? headers : Object.keys(rows[0] ? rawOf(rows[0]) : {});
  const total = [...outcomeCounts.values()].reduce((a, b) => a + b, 0);
  const toggle = (id: string) => setExpanded((ids) => (ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]));

  return (
    <>
      <Group justify="space-between" align="flex-end" mb="xs" gap="sm">
        <Switch
          label={`Only errors (${formatNumber(rejected)} rejected)`}
          checked={onlyErrors}
          onChange={(event) => {
            setOnlyErrors(event.currentTarget.checked);
            setPage(1);
          }}
        />
        {!onlyErrors && (
          <Chip.Group
            value={outcome}
            onChange={(value) => {
              setOutcome(value);
              setPage(1);
            }}
          >
            <Group gap={6} role="radiogroup" aria-label="Outcome">
              {[
                ["all", total] as const,
                ...OUTCOMES.filter((o) => outcomeCounts.get(o)).map((o) => [o, outcomeCounts.get(o) ?? 0] as const),
              ].map(([value, count]) => (
                <Chip key={value} value={value} size="xs" radius="sm" type="radio">
                  {value === "all" ? "All" : `${value.charAt(0).toUpperCase()}${value.slice(1)}`} ({formatNumber(count)})
                </Chip>
              ))}
            </Group>
          </Chip.Group>
        )}
      </Group>
      {error && <ErrorNotice error={error} title="Could not load the rows" />}
      <DataTable<Row>
        aria-label={onlyErrors ? "Rejected rows" : "Rows of the import"}
        withTableBorder
        withColumnBorders
        borderRadius="md"
        minHeight={rows.length ? undefined : 160}
        fetching={fetching}
        records={rows}
        idAccessor={(row) => String(row.rowId)}
        totalRecords={data?.csvImport?.rows.totalCount ?? 0}
        recordsPerPage={PAGE_SIZE}
        page={page}
        onPageChange={(next) => {
          setPage(next);
          setExpanded([]);
        }}
        noRecordsText={onlyErrors ? "No rejected rows" : "No rows with this outcome"}
        pinFirstColumn
        rowExpansion={{
          trigger: "never",
          allowMultiple: true,
          expanded: { recordIds: expanded, onRecordIdsChange: (ids: unknown[]) => setExpanded(ids.map(String)) },
          content: ({ record }) => <WinningRow importId={importId} row={record} columns={columns} />,
        }}
        columns={[
          { accessor: "rowNumber", title: "Row", textAlign: "right", render: (row) => formatNumber(row.rowNumber) },
          { accessor: "outcome", title: "Outcome", noWrap: true, render: (row) => <OutcomeBadge outcome={row.outcome} /> },
          {
            accessor: "outcomeReason",
            title: "Reason",
            render: (row) => (
              <div style={{ minWidth: 180 }}>
                <Text size="sm" c={row.outcome === "rejected" ? "red.8" : undefined} data-testid="row-reason">
                  {row.outcomeReason ?? ""}
                </Text>
                {row.duplicateOfRowNumber != null && (
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    px={0}
                    aria-expanded={expanded.includes(String(row.rowId))}
                    onClick={() => toggle(String(row.rowId))}
                  >
                    {expanded.includes(String(row.rowId)) ? "Hide" : "Compare with"} row {row.duplicateOfRowNumber}
                  </Button>
                )}
              </div>
            ),
          },
          {
            accessor: "leadId",
            title: "Lead",
            noWrap: true,
            hidden: onlyErrors,
            render: (row) =>
              row.leadId ? (
                <Anchor component={Link} to={`/leads/${row.leadId}`} size="sm" aria-label={`Open the lead of row ${row.rowNumber}`}>
                  Open lead
                </Anchor>
              ) : (
                "—"
              ),
          },
          ...columns.map((column) => ({
            accessor: `raw:${column}`,
            title: column,
            render: (row: Row) => {
              const text = cellText(rawOf(row)[column]);
              return (
                <Text size="sm" truncate maw={240} title={text}>
                  {text}
                </Text>
              );
            },
          })),
        ]}
      />
    </>
  );
}

/** A duplicate next to the row that won: the winner's values are the ones used. */
function WinningRow({ importId, row, columns }: { importId: string; row: Row; columns: string[] }) {
  const rowNumber = row.duplicateOfRowNumber;
  const [{ data, fetching, error }] = useQuery({
    query: WinningRowQuery,
    variables: { importId, rowNumber: rowNumber ?? 0 },
    pause: rowNumber == null,
  });
  if (rowNumber == null) return null;
  const winner = data?.csvImportRowByCsvImportIdAndRowNumber;
  const mine = rawOf(row);
  const theirs = winner ? rawOf(winner) : {};
  return (
    <Paper
      p="sm"
      m="xs"
      withBorder
      radius="sm"
      aria-label={`Row ${row.rowNumber} and row ${rowNumber}`}
      // The expansion spans every column of a wide table: keep it in view, as wide as the page.
      style={{ position: "sticky", left: 8, maxWidth: "calc(100vw - var(--app-shell-navbar-offset, 0rem) - 3.5rem)" }}
    >
      {error && <ErrorNotice error={error} />}
      {fetching && !winner && <Text size="sm">Loading row {rowNumber}…</Text>}
      {winner && (
        <>
          <Text size="sm" mb="xs">
            Row {row.rowNumber} is the same person as row {rowNumber} ({winner.outcome}), whose values were used
            {winner.lead && (
              <>
                {": "}
                <Anchor component={Link} to={`/leads/${winner.lead.rowId}`}>
                  {winner.lead.fullName || winner.lead.email || "the lead"}
                </Anchor>
              </>
            )}
            .
          </Text>
          <Table.ScrollContainer minWidth={420}>
            <Table verticalSpacing={2} fz="sm" withColumnBorders layout="fixed">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Column</Table.Th>
                  <Table.Th>Row {rowNumber} (kept)</Table.Th>
                  <Table.Th>Row {row.rowNumber} (duplicate)</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {columns.map((column) => {
                  const a = cellText(theirs[column]);
                  const b = cellText(mine[column]);
                  return (
                    <Table.Tr
                      key={column}
                      bg={a !== b ? "var(--mantine-color-yellow-light)" : undefined}
                      style={{ overflowWrap: "anywhere" }}
                    >
                      <Table.Td fw={500}>{column}</Table.Td>
                      <Table.Td>{a}</Table.Td>
                      <Table.Td>{b}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
    </Paper>
  );
}
