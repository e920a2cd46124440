// Uploading a CSV file into the raw layer: the import record and every row,
// exactly as read, in one transaction. Committing it is what enqueues the
// normalisation (the insert triggers); nothing here normalises.
import type { Readable } from "node:stream";
import type pg from "pg";
import { VISITOR_ROLE } from "../../database/roles.ts";
import { inTransaction } from "../../database/transaction.ts";
import { openCsv, type CsvLimits } from "./reader.ts";
import { detectImportKind, type ImportKind } from "./linkedin/columns.ts";

const ROWS_PER_STATEMENT = 2000;

export interface UploadOptions {
  fileName: string;
  fileSizeBytes?: number;
  campaignId?: string;
  /** The uploader, for a privileged (owner) connection. */
  uploadedBy?: string;
  /** Upload as this user through the visitor role: grants and RLS apply, the uploader is them. */
  asUser?: string;
  limits?: CsvLimits;
  /** What the file holds; detected from its header when not given (see detectImportKind). */
  kind?: ImportKind;
}

export interface UploadResult {
  importId: string;
  totalRows: number;
  columns: string[];
  renamedColumns: string[];
  kind: ImportKind;
  /** Why this kind: "given" or what the detection saw. */
  kindReason: string;
}

export async function uploadCsv(pool: pg.Pool, input: Readable, options: UploadOptions): Promise<UploadResult> {
  const { header, records } = await openCsv(input, options.limits);
  const { kind, reason: kindReason } = options.kind ? { kind: options.kind, reason: "given" } : detectImportKind(header.columns);
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      if (options.asUser) {
        await client.query("select set_config('role', $1, true), set_config('jwt.claims.user_id', $2, true)", [
          VISITOR_ROLE,
          options.asUser,
        ]);
      }
      const { rows } = await client.query<{ id: string }>(
        options.uploadedBy
          ? `insert into csv_imports_raw (file_name, file_size_bytes, headers, campaign_id, import_kind, uploaded_by) values ($1, $2, $3, $4, $5, $6) returning id`
          : `insert into csv_imports_raw (file_name, file_size_bytes, headers, campaign_id, import_kind) values ($1, $2, $3, $4, $5) returning id`,
        [
          options.fileName,
          options.fileSizeBytes ?? null,
          header.columns,
          options.campaignId ?? null,
          kind,
          ...(options.uploadedBy ? [options.uploadedBy] : []),
        ],
      );
      const importId = rows[0].id;
      let numbers: number[] = [];
      let raws: string[] = [];
      let total = 0;
      const flush = async () => {
        if (!numbers.length) return;
        await client.query(
          `insert into csv_import_rows (csv_import_id, row_number, raw_row)
           select $1, n, r::jsonb from unnest($2::int[], $3::text[]) as t(n, r)`,
          [importId, numbers, raws],
        );
        numbers = [];
        raws = [];
      };
      for await (const record of records) {
        const row: Record<string, unknown> = { ...record.row };
        // Cells beyond the header are kept too (a ragged row loses nothing).
        if (record.extraCells.length) row["(extra cells)"] = record.extraCells;
        numbers.push(record.rowNumber);
        raws.push(JSON.stringify(row));
        total = record.rowNumber;
        if (numbers.length >= ROWS_PER_STATEMENT) await flush();
      }
      await flush();
      // (the normaliser counts the rows itself; a visitor may not update the record)
      if (!options.asUser) await client.query("update csv_imports_raw set total_rows = $2 where id = $1", [importId, total]);
      return { importId, totalRows: total, columns: header.columns, renamedColumns: header.renamed, kind, kindReason };
    });
  } finally {
    client.release();
  }
}
