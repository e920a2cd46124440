// The batches of an import, for both kinds (leads, LinkedIn): consecutive
// ranges of row numbers that hold `batchSize` stored rows each, found by
// keyset on the rows that exist, so the work is bounded by the rows stored
// whatever their numbers. Between batches the normaliser stops when the
// import is gone (deleted while it ran) or when the worker asks it to (a
// shutdown: the job fails and is retried, the next run starts again from
// the first row; every step is idempotent).
import type { PoolClient } from "pg";
import { sqlStepRunner } from "../../../database/sql-steps.ts";
import { inTransaction } from "../../../database/transaction.ts";

const run = sqlStepRunner(import.meta.dirname);

/** The largest row number PostgreSQL's integer holds (csv_import_rows.row_number). */
const MAX_ROW_NUMBER = 2 ** 31 - 1;

/** Thrown between batches when the worker asked the job to stop. */
export class NormalizationStopped extends Error {
  constructor(importId: string, reason: unknown) {
    super(`normalisation of CSV import ${importId} stopped between batches (${String(reason ?? "asked to stop")}): the retry starts again`);
  }
}

export interface BatchRange {
  from_row: number;
  to_row: number;
}

/**
 * Runs `batch` for each batch of import `importId`, each in its own
 * transaction, then counts its rows into processed_rows. Returns "gone" when
 * the import was deleted meanwhile, else how many batches ran.
 */
export async function forEachBatch(
  client: PoolClient,
  options: { importId: string; batchSize: number; signal?: AbortSignal },
  batch: (range: BatchRange) => Promise<void>,
): Promise<{ batches: number } | "gone"> {
  const { importId, batchSize, signal } = options;
  let batches = 0;
  for (let from = -MAX_ROW_NUMBER - 1; from <= MAX_ROW_NUMBER;) {
    if (signal?.aborted) throw new NormalizationStopped(importId, signal.reason);
    const next = await run<{ from_row: number | null; to_row: number | null }>(client, "next-batch", {
      import_id: importId,
      from_row: from,
      batch_size: batchSize,
    });
    const { from_row: fromRow, to_row: toRow } = next.rows[0];
    if (fromRow === null || toRow === null) break;
    const range = { from_row: fromRow, to_row: toRow };
    const counted = await inTransaction(client, async () => {
      await batch(range);
      return run(client, "count-progress", { import_id: importId });
    });
    batches++;
    if (!counted.rowCount) return "gone";
    from = toRow + 1;
  }
  return { batches };
}
