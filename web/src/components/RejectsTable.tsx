// Records a source set aside (instantly_rejects, vapi_rejects): kind, stage,
// the source's id, the reason, when; a row opens the record as received.
import { Code, Text } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { formatDateTime, formatRelative } from "../format.ts";

export interface RejectRow {
  rowId: string;
  stage: string;
  resource: string;
  sourceId: string;
  reason: string;
  rawJson: unknown;
  updatedAt: string;
}

export function RejectsTable(props: {
  label: string;
  idTitle: string;
  rows: RejectRow[];
  total: number;
  page: number;
  pageSize: number;
  onPageChange: (page: number) => void;
  fetching: boolean;
  noRecordsText: string;
  minHeight: number;
}) {
  return (
    <DataTable<RejectRow>
      aria-label={props.label}
      withTableBorder
      borderRadius="md"
      horizontalSpacing="xs"
      minHeight={props.rows.length ? undefined : props.minHeight}
      fetching={props.fetching}
      records={props.rows}
      idAccessor="rowId"
      totalRecords={props.total}
      recordsPerPage={props.pageSize}
      page={props.page}
      onPageChange={props.onPageChange}
      noRecordsText={props.noRecordsText}
      rowExpansion={{
        content: ({ record }) => (
          <Code block m="xs" style={{ maxHeight: 320, overflow: "auto" }}>
            {JSON.stringify(record.rawJson, null, 2) ?? "(no record kept)"}
          </Code>
        ),
      }}
      columns={[
        { accessor: "resource", title: "Kind", noWrap: true, render: (row) => <Code>{row.resource}</Code> },
        { accessor: "stage", title: "Stage", noWrap: true },
        {
          accessor: "sourceId",
          title: props.idTitle,
          render: (row) => (
            <Text size="sm" ff="monospace" truncate maw={220} title={row.sourceId}>
              {row.sourceId}
            </Text>
          ),
        },
        {
          accessor: "reason",
          title: "Reason",
          render: (row) => (
            <Text size="sm" c="red.8" data-testid="reject-reason" miw={220} style={{ overflowWrap: "anywhere" }}>
              {row.reason}
            </Text>
          ),
        },
        {
          accessor: "updatedAt",
          title: "Seen",
          noWrap: true,
          render: (row) => <span title={formatDateTime(row.updatedAt)}>{formatRelative(row.updatedAt)}</span>,
        },
      ]}
    />
  );
}
