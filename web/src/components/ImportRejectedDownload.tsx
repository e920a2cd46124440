// Downloads an import's rejected rows as CSV: the file's own columns as read,
// then the reason and the row number. Built in the browser from paged GraphQL
// (500 rows a request, the API's most), so a large import never needs one huge answer.
import { Button } from "@mantine/core";
import { IconDownload } from "@tabler/icons-react";
import { useState } from "react";
import { useClient, type OperationResult } from "urql";
import { errorText } from "../client.ts";
import { formatNumber } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { cellText } from "./ImportRowsTable.tsx";

const RejectedRowsQuery = graphql(`
  query ImportRejectedRows($importId: UUID!, $after: Cursor) {
    csvImport: csvImportsRaw(rowId: $importId) {
      rowId
      rows(first: 500, after: $after, filter: { outcome: { equalTo: "rejected" } }, orderBy: [ROW_NUMBER_ASC]) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          rowNumber
          outcomeReason
          rawRow
        }
      }
    }
  }
`);

/** RFC 4180: quote a field when it holds a quote, a separator or a line break. */
const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export function ImportRejectedDownload({
  importId,
  fileName,
  headers,
  rejected,
  onError,
}: {
  importId: string;
  fileName: string;
  headers: string[];
  rejected: number;
  onError: (message: string) => void;
}) {
  const client = useClient();
  const [done, setDone] = useState<number | null>(null);

  const download = async () => {
    setDone(0);
    try {
      const lines: string[] = [];
      let columns = headers;
      let after: string | null = null;
      for (;;) {
        const result: OperationResult<ResultOf<typeof RejectedRowsQuery>> = await client
          .query(RejectedRowsQuery, { importId, after }, { requestPolicy: "network-only" })
          .toPromise();
        if (result.error) throw new Error(errorText(result.error));
        const rows = result.data?.csvImport?.rows;
        if (!rows) break;
        for (const row of present(rows.nodes)) {
          const raw = (row.rawRow ?? {}) as Record<string, unknown>;
          if (!columns.length) columns = Object.keys(raw);
          lines.push([...columns.map((c) => cellText(raw[c])), row.outcomeReason ?? "", String(row.rowNumber)].map(field).join(","));
        }
        setDone(lines.length);
        if (!rows.pageInfo.hasNextPage || !rows.pageInfo.endCursor) break;
        after = rows.pageInfo.endCursor;
      }
      const header = [...columns, "Rejection reason", "Row number"].map(field).join(",");
      // A BOM so that spreadsheet programs read the file as UTF-8.
      const blob = new Blob(["\uFEFF", [header, ...lines].join("\r\n"), "\r\n"], { type: "text/csv;charset=utf-8" });
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `${fileName.replace(/\.(csv|tsv|txt)$/i, "")}-rejected.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      onError(`The download failed: ${(error as Error).message}`);
    } finally {
      setDone(null);
    }
  };

  return (
    <Button
      variant="default"
      leftSection={<IconDownload size={16} />}
      onClick={() => void download()}
      disabled={rejected === 0}
      loading={done != null}
      loaderProps={{ type: "dots" }}
    >
      {done != null ? `Preparing… ${formatNumber(done)} / ${formatNumber(rejected)}` : `Download rejected rows (${formatNumber(rejected)})`}
    </Button>
  );
}
