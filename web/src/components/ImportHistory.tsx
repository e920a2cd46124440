// Past imports, newest first: file, uploader, status, counts, date. Polls
// while one of those shown is still being processed.
import { Anchor, Text } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { formatBytes, formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { ImportStatusBadge, isFinished } from "./ImportSummary.tsx";
import { ErrorNotice } from "./States.tsx";

const ImportHistoryQuery = graphql(`
  query ImportHistory($first: Int!, $offset: Int!) {
    csvImportsRaws(first: $first, offset: $offset, orderBy: [UPLOADED_AT_DESC, PRIMARY_KEY_DESC]) {
      totalCount
      nodes {
        rowId
        fileName
        fileSizeBytes
        importStatus
        totalRows
        processedRows
        leadsInserted
        leadsUpdated
        leadsUnchanged
        duplicateRows
        failedRows
        uploadedAt
        uploader {
          rowId
          fullName
          email
        }
        campaign {
          rowId
          campaignName
        }
      }
    }
  }
`);

type Row = NonNullable<NonNullable<ResultOf<typeof ImportHistoryQuery>["csvImportsRaws"]>["nodes"][number]>;
const PAGE_SIZE = 15;

export function ImportHistory({ refreshKey }: { refreshKey: number }) {
  const [page, setPage] = useState(1);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: ImportHistoryQuery,
    variables: { first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE },
  });
  const rows = present(data?.csvImportsRaws?.nodes);
  const running = rows.some((row) => !isFinished(row.importStatus));
  useEffect(() => {
    if (refreshKey) reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => reexecute({ requestPolicy: "network-only" }), 2000);
    return () => clearInterval(timer);
  }, [running, reexecute]);

  return (
    <>
      {error && <ErrorNotice error={error} title="Could not load the imports" />}
      <DataTable<Row>
        aria-label="Import history"
        withTableBorder
        horizontalSpacing="xs"
        borderRadius="md"
        highlightOnHover
        minHeight={rows.length ? undefined : 160}
        fetching={fetching && !data}
        records={rows}
        idAccessor="rowId"
        totalRecords={data?.csvImportsRaws?.totalCount ?? 0}
        recordsPerPage={PAGE_SIZE}
        page={page}
        onPageChange={setPage}
        noRecordsText="No imports yet: drop a CSV above"
        columns={[
          {
            accessor: "fileName",
            title: "File",
            render: (row) => (
              <div style={{ minWidth: 200 }}>
                <Anchor component={Link} to={`/imports/${row.rowId}`} fw={500}>
                  {row.fileName}
                </Anchor>
                {row.fileSizeBytes != null && (
                  <Text size="xs" c="dimmed">
                    {formatBytes(Number(row.fileSizeBytes))}
                    {row.campaign ? ` · enrolled into ${row.campaign.campaignName}` : ""}
                  </Text>
                )}
              </div>
            ),
          },
          { accessor: "uploader", title: "Uploaded by", render: (row) => row.uploader?.fullName ?? row.uploader?.email ?? "—" },
          {
            accessor: "importStatus",
            title: "Status",
            noWrap: true,
            render: (row) =>
              isFinished(row.importStatus) ? (
                <ImportStatusBadge status={row.importStatus} />
              ) : (
                <Text size="sm" component="div">
                  <ImportStatusBadge status={row.importStatus} /> {formatNumber(row.processedRows)} / {formatNumber(row.totalRows)}
                </Text>
              ),
          },
          { accessor: "totalRows", title: "Rows", textAlign: "right", render: (row) => formatNumber(row.totalRows) },
          { accessor: "leadsInserted", title: "Inserted", textAlign: "right", render: (row) => formatNumber(row.leadsInserted) },
          { accessor: "leadsUpdated", title: "Updated", textAlign: "right", render: (row) => formatNumber(row.leadsUpdated) },
          { accessor: "leadsUnchanged", title: "Unchanged", textAlign: "right", render: (row) => formatNumber(row.leadsUnchanged) },
          { accessor: "duplicateRows", title: "Duplicates", textAlign: "right", render: (row) => formatNumber(row.duplicateRows) },
          {
            accessor: "failedRows",
            title: "Rejected",
            textAlign: "right",
            render: (row) => (
              <Text size="sm" c={row.failedRows ? "red" : undefined} span>
                {formatNumber(row.failedRows)}
              </Text>
            ),
          },
          {
            accessor: "uploadedAt",
            title: "Uploaded",
            noWrap: true,
            render: (row) => <span title={formatDateTime(row.uploadedAt)}>{formatRelative(row.uploadedAt)}</span>,
          },
        ]}
      />
    </>
  );
}
