// Normalising a CSV import: its stored rows -> de-duplicated companies and
// leads, an outcome for every row, counts on the import. Set-based SQL, one
// statement per step (the NN-name.sql files beside this one), one
// transaction per batch of rows; safe to run again from the start at any
// moment (a killed job is retried): every step is an upsert or a
// recomputation, and "inserted" means "this import created the lead".
//
// The cells are parsed out of the stored JSON once for the whole file
// (15-stage-import), and who is who is decided for the whole file first
// (17-key-rows), so any batch size gives the same result. When imports
// disagree about a person or a company, the newer one wins: imports are
// ordered by upload time (csv_imports_raw.uploaded_at, then id), not by when
// they were processed, so reprocessing an old export never undoes a newer
// one. A newer import's non-empty values replace what a lead has; an older
// one only fills empty fields. Every value any import gave stays in its raw
// rows.
import type { PoolClient } from "pg";
import { sqlStepRunner } from "../../../database/sql-steps.ts";
import { mapColumns, missingIdentityColumns } from "../columns.ts";
import { normalizeLinkedinImport } from "../linkedin/normalize/index.ts";
import { forEachBatch } from "./batches.ts";

export const DEFAULT_BATCH_SIZE = 5000;

export type NormalizeOutcome = "gone" | "failed" | "completed" | "completed_with_errors";

const run = sqlStepRunner(import.meta.dirname);

/** Each batch, in order. */
const BATCH_STEPS = [
  "stage-rows",
  "index-staged",
  "insert-companies",
  "update-companies",
  "insert-companies-by-account",
  "match-companies",
  "match-leads",
  "give-email-to-linkedin-leads",
  "insert-leads",
  // Again, for the rows whose lead another writer created meanwhile.
  "match-leads",
  "mark-same-lead",
  "update-leads",
  "record-outcomes",
  "remember-leads",
];

async function fail(client: PoolClient, importId: string, message: string): Promise<"failed"> {
  await run(client, "fail-import", { import_id: importId, message });
  return "failed";
}

/** Normalises import `importId` from its stored rows. `client` is a dedicated connection (it holds temp tables). */
export async function normalizeImport(
  client: PoolClient,
  importId: string,
  options: {
    batchSize?: number;
    /** The worker's request to stop (helpers.abortSignal): honoured between batches. */
    signal?: AbortSignal;
  } = {},
): Promise<NormalizeOutcome> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const signal = options.signal;
  const found = await run<{ headers: string[] | null; campaign_id: string | null; import_kind: "leads" | "linkedin" }>(
    client,
    "read-import",
    { import_id: importId },
  );
  if (!found.rowCount) return "gone";
  const { campaign_id: campaignId, import_kind: kind } = found.rows[0];
  let headers = found.rows[0].headers;
  if (!headers?.length) {
    headers = (await run<{ header: string }>(client, "headers-of-rows", { import_id: importId })).rows.map((r) => r.header);
  }
  const started = await run<{ total_rows: number; last_row_number: number | null }>(client, "start-import", { import_id: importId });
  const { total_rows: totalRows } = started.rows[0];
  if (totalRows === 0) {
    return fail(client, importId, headers.length ? "The file has a header but no data rows." : "The file has no rows.");
  }
  // A LinkedIn activity import: the same start and record, its own steps.
  if (kind === "linkedin") {
    const result = await normalizeLinkedinImport(client, {
      importId,
      headers,
      campaignId,
      batchSize,
      signal,
    });
    if (result === "gone") return "gone";
    return "failed" in result ? fail(client, importId, result.failed) : result.status;
  }
  const mapping = mapColumns(headers);
  const missing = missingIdentityColumns(mapping.fields);
  if (missing) return fail(client, importId, missing);

  await run(client, "create-import-keys");
  await run(client, "index-import-keys-by-batch");
  await run(client, "index-import-keys-by-lead");
  await run(client, "clear-import-keys");
  await run(client, "drop-import-cells");
  await run(client, "stage-import", { import_id: importId, mapping: mapping.fields, phone_headers: mapping.phones });
  await run(client, "index-import-cells");
  await run(client, "key-rows");
  await run(client, "analyze-import-keys");

  const batches = await forEachBatch(client, { importId, batchSize, signal }, async (range) => {
    const values = { import_id: importId, ...range, campaign_id: campaignId };
    for (const name of BATCH_STEPS) await run(client, name, values);
    if (campaignId) await run(client, "enrol-in-campaign", values);
  });
  if (batches === "gone") return "gone";
  await run(client, "drop-import-cells");
  const { rows } = await run<{ import_status: NormalizeOutcome }>(client, "finish-import", { import_id: importId });
  // (deleted after the last batch)
  return rows[0]?.import_status ?? "gone";
}
