// Normalising a LinkedIn activity import: its stored rows -> one event per
// touch (event_source linkedin), the leads they happened to (matched by
// profile, then email; made when the rows give a profile and a name), the
// campaigns and memberships they belong to, linkedin_status moving forward,
// an outcome for every row. The leads import's pipeline and guarantees
// (../../normalize/index.ts runs it; the NN-name.sql steps beside this file):
// who and which touch each row is is decided for the whole file first, so
// any batch size gives the same result; every step is an upsert or a
// recomputation, so running it again (a retried job, a reprocess) is safe.
import type { PoolClient } from "pg";
import { sqlStepRunner } from "../../../../database/sql-steps.ts";
import { forEachBatch } from "../../normalize/batches.ts";
import { EVENT_WORD_MAP, mapLinkedinColumns, missingLinkedinColumns } from "../columns.ts";

const run = sqlStepRunner(import.meta.dirname);

/** Each batch, in order. */
const BATCH_STEPS = [
  "resolve-people",
  "insert-people",
  "link-new-people",
  // Again, for the people whose lead another writer made meanwhile.
  "resolve-people",
  "fill-known-leads",
  "stage-rows",
  "index-staged",
  "insert-campaigns",
  "campaign-ids",
  "campaigns-use-linkedin",
  "memberships",
  "membership-ids",
  "insert-events",
  "event-ids",
  "record-outcomes",
  "workflow",
];

export interface LinkedinImport {
  importId: string;
  headers: string[];
  campaignId: string | null;
  batchSize: number;
  /** The worker's request to stop: honoured between batches. */
  signal?: AbortSignal;
}

export type LinkedinOutcome = { failed: string } | { status: "completed" | "completed_with_errors" };

export async function normalizeLinkedinImport(client: PoolClient, options: LinkedinImport): Promise<LinkedinOutcome | "gone"> {
  const { importId, batchSize, signal } = options;
  const { fields } = mapLinkedinColumns(options.headers);
  const missing = missingLinkedinColumns(fields);
  if (missing) return { failed: missing };

  await run(client, "create-touch-keys");
  await run(client, "create-touch-people");
  await run(client, "index-touch-people");
  await run(client, "clear-touch-keys");
  const order = await run<{ date_order: "dmy" | "mdy" | null; conflicting: boolean | null }>(client, "date-order", {
    import_id: importId,
    timestamp_header: fields.timestamp,
  });
  await run(client, "key-rows", {
    import_id: importId,
    mapping: fields,
    event_words: EVENT_WORD_MAP,
    date_order: order.rows[0]?.date_order ?? null,
    dates_conflict: order.rows[0]?.conflicting ?? false,
  });
  await run(client, "key-people");
  await run(client, "analyze-touch-keys");

  const batches = await forEachBatch(client, { importId, batchSize, signal }, async (range) => {
    const values = { import_id: importId, ...range, mapping: fields, campaign_id: options.campaignId };
    for (const name of BATCH_STEPS) await run(client, name, values);
  });
  if (batches === "gone") return "gone";
  const { rows } = await run<{ import_status: "completed" | "completed_with_errors" }>(client, "finish-import", { import_id: importId });
  return rows.length ? { status: rows[0].import_status } : "gone";
}
