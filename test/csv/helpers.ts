// What the CSV tests share: the real upload, the normaliser run directly (any
// batch size) or by the worker, and what a user sees of an import.
import { Readable } from "node:stream";
import { normalizeImport } from "../../src/sources/csv/normalize/index.ts";
import { uploadCsv, type UploadOptions } from "../../src/sources/csv/upload.ts";
import { loadConfig } from "../../src/config.ts";
import { startWorker } from "../../src/worker.ts";
import type { TestDatabase } from "../helpers/db.ts";

export function upload(db: TestDatabase, content: string, options: Partial<UploadOptions> = {}) {
  return uploadCsv(db.pool, Readable.from([Buffer.from(content)]), { fileName: "apollo-contacts-export.csv", ...options });
}

/** Normalises an import on a connection of its own, as the worker task does. */
export async function normalize(db: TestDatabase, importId: string, batchSize = 3) {
  const client = await db.pool.connect();
  try {
    return await normalizeImport(client, importId, { batchSize });
  } finally {
    client.release();
  }
}

/** Uploads `content` and waits until the worker has normalised it. */
export async function importThroughWorker(db: TestDatabase, content: string): Promise<string> {
  const worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 5000 });
  try {
    const { importId } = await upload(db, content);
    for (let i = 0; i < 400; i++) {
      const { rows } = await db.pool.query("select import_status from csv_imports_raw where id = $1", [importId]);
      if (["completed", "completed_with_errors", "failed"].includes(rows[0].import_status)) return importId;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`import ${importId} was not normalised in 20 s`);
  } finally {
    await worker.stop();
  }
}

/** Each row as [row number, outcome, reason, duplicate of, the lead's email or LinkedIn URL]. */
export async function outcomes(db: TestDatabase, importId: string) {
  const { rows } = await db.pool.query(
    `select r.row_number, r.outcome, r.outcome_reason, r.duplicate_of_row_number, l.email, l.linkedin_url
       from csv_import_rows r left join leads l on l.id = r.lead_id where r.csv_import_id = $1 order by r.row_number`,
    [importId],
  );
  return rows.map((r) => [r.row_number, r.outcome, r.outcome_reason, r.duplicate_of_row_number, r.email ?? r.linkedin_url]);
}

/** The import's counts, as its record shows them. */
export async function counts(db: TestDatabase, importId: string) {
  const { rows } = await db.pool.query(
    `select import_status as status, total_rows as total, leads_inserted as inserted, leads_updated as updated,
            duplicate_rows as duplicates, failed_rows as rejected
       from csv_imports_raw where id = $1`,
    [importId],
  );
  return rows[0];
}
