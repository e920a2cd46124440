// Uploading a CSV file into the raw layer: the import record and every row,
// exactly as read, in one transaction, the rows streamed by COPY while the
// file is parsed. Committing it is what enqueues the
// normalisation (the insert triggers); nothing here normalises.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { from as copyFrom } from "pg-copy-streams";
import type pg from "pg";
import { VISITOR_ROLE } from "../../database/roles.ts";
import { inTransaction } from "../../database/transaction.ts";
import { openCsv, type CsvLimits, type SourceEncoding } from "./reader.ts";
import { detectImportKind, type ImportKind } from "./linkedin/columns.ts";

/** Where the rows as read are kept (csv_import_rows is the API's view of them with their outcomes). */
const RAW_ROWS = "leadgraph_private.csv_import_raw_rows";

// Rows per write to the COPY stream (each a few hundred bytes).
const ROWS_PER_CHUNK = 200;

export interface UploadOptions {
  fileName: string;
  fileSizeBytes?: number;
  campaignId?: string;
  /** The uploader, for a privileged (owner) connection. */
  uploadedBy?: string;
  /** Upload as this user through the visitor role: grants and RLS apply, the uploader is them. */
  asUser?: string;
  limits?: Partial<CsvLimits>;
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
  /** The encoding the file was read in (converted to UTF-8 if another). */
  encoding: SourceEncoding;
}

export async function uploadCsv(pool: pg.Pool, input: Readable, options: UploadOptions): Promise<UploadResult> {
  const { header, records, encoding } = await openCsv(input, options.limits);
  const { kind, reason: kindReason } = options.kind ? { kind: options.kind, reason: "given" } : detectImportKind(header.columns);
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      if (options.asUser) {
        // The visitor fills it; store_csv_upload_rows(), which runs as the
        // tables' owner, reads it.
        await client.query("create temp table csv_upload_rows (row_number integer not null, raw_row jsonb not null) on commit drop");
        await client.query(`grant insert on csv_upload_rows to ${VISITOR_ROLE}`);
        await client.query(
          `do $$ begin execute format('grant select on pg_temp.csv_upload_rows to %I',
             (select pg_get_userbyid(relowner) from pg_class where oid = 'public.csv_imports_raw'::regclass)); end $$`,
        );
        await client.query("select set_config('role', $1, true), set_config('jwt.claims.user_id', $2, true)", [
          VISITOR_ROLE,
          options.asUser,
        ]);
      }
      const insertImport = async (sourceEncoding: string | null) => {
        const { rows } = await client.query<{ id: string }>(
          `insert into csv_imports_raw (file_name, file_size_bytes, headers, campaign_id, import_kind, source_encoding${options.uploadedBy ? ", uploaded_by" : ""})
           values ($1, $2, $3, $4, $5, $6${options.uploadedBy ? ", $7" : ""}) returning id`,
          [
            options.fileName,
            options.fileSizeBytes ?? null,
            header.columns,
            options.campaignId ?? null,
            kind,
            sourceEncoding,
            ...(options.uploadedBy ? [options.uploadedBy] : []),
          ],
        );
        return rows[0].id;
      };
      // A visitor's rows go through a temp table (PostgreSQL refuses COPY
      // under row-level security, and the raw table is not theirs): their
      // import record is written as the visitor once the whole file is read
      // (with the encoding it was read in; a visitor may not update it),
      // then the rows, by store_csv_upload_rows().
      let importId = options.asUser ? undefined : await insertImport(null);
      const target = options.asUser ? "csv_upload_rows (row_number, raw_row)" : `${RAW_ROWS} (csv_import_id, row_number, raw_row)`;
      let total = 0;
      const prefix = options.asUser ? "" : `${importId}\t`;
      async function* copyLines() {
        let chunk = "";
        let inChunk = 0;
        for await (const record of records) {
          const row: Record<string, unknown> = { ...record.row };
          // Cells beyond the header are kept too (a ragged row loses nothing).
          if (record.extraCells.length) row["(extra cells)"] = record.extraCells;
          // COPY's text format: JSON text has no raw tab or newline, only backslashes to double.
          chunk += `${prefix}${record.rowNumber}\t${JSON.stringify(row).replaceAll("\\", "\\\\")}\n`;
          total = record.rowNumber;
          if (++inChunk === ROWS_PER_CHUNK) {
            yield chunk;
            chunk = "";
            inChunk = 0;
          }
        }
        if (chunk) yield chunk;
      }
      // The parser (this process) and PostgreSQL's parsing of the rows run side by side.
      await pipeline(Readable.from(copyLines()), client.query(copyFrom(`copy ${target} from stdin`)));
      if (!importId) {
        importId = await insertImport(encoding());
        // (one insert into the raw table; the API's view of it, csv_import_rows,
        // would take them one trigger call per row)
        await client.query("select store_csv_upload_rows($1)", [importId]);
      } else {
        // (the normaliser counts the rows itself; this is for the record until it runs)
        await client.query("update csv_imports_raw set total_rows = $2, source_encoding = $3 where id = $1", [importId, total, encoding()]);
      }
      return {
        importId,
        totalRows: total,
        columns: header.columns,
        renamedColumns: header.renamed,
        kind,
        kindReason,
        encoding: encoding(),
      };
    });
  } finally {
    client.release();
  }
}
