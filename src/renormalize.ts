// `leadgraph renormalize csv|instantly|vapi|all [--wait]`: rebuild what each
// source put in the normalised layer from its raw layer, after a change of
// logic or schema. The raw rows go back through the source's own normaliser
// (the worker runs it, as after a sync or an upload); the SQL side, and what
// is kept, is in leadgraph_private.renormalize_*() (docs/renormalize.md).
// With --wait: a local worker when this process owns the embedded
// PostgreSQL, progress until every source is done, then a summary.
import pg from "pg";
import type { Config } from "./config.ts";
import type { Database } from "./database/index.ts";
import { LOCK_CLASS, LOCKS } from "./database/locks.ts";
import { inTransaction } from "./database/transaction.ts";
import { pollUntil } from "./progress.ts";
import { INSTANTLY } from "./sources/instantly/cli.ts";
import { VAPI } from "./sources/vapi/cli.ts";
import type { NormalizedSource } from "./sync-command.ts";

// For "all": the order lists usually arrive in (bought, then emailed, then called); where two
// sources disagree about a field of a lead, the later one wins, as it did when they came in.
export const RENORMALIZE_SOURCES = ["csv", "instantly", "vapi"] as const;
export type RenormalizeSource = (typeof RENORMALIZE_SOURCES)[number];

const IMPORT_FINISHED = ["completed", "completed_with_errors", "failed"];

/** What one source queued, and how to tell how far its normaliser is. */
interface Queued {
  source: RenormalizeSource;
  /** Raw rows (instantly, vapi) or import rows (csv) to go through the normaliser. */
  total: number;
  /** The CSV imports queued, oldest first. */
  importIds: string[];
  /** Of those, the ones that had failed before (a file without the columns a lead needs fails every time). */
  failedBefore: string[];
}

interface Progress {
  done: number;
  finished: boolean;
  failedImports: number;
}

/** The sources `target` names, in the order they are rebuilt. */
export function parseRenormalizeTarget(target: string): RenormalizeSource[] {
  if (target === "all") return [...RENORMALIZE_SOURCES];
  if ((RENORMALIZE_SOURCES as readonly string[]).includes(target)) return [target as RenormalizeSource];
  throw new Error(`unknown source "${target}": leadgraph renormalizes csv, instantly, vapi or all`);
}

/**
 * The sources whose raw rows are queued for their normaliser: its lock
 * (holding it keeps a drain from running between the delete and the
 * queueing), the queue, and what the normaliser has left and made (shared
 * with `leadgraph sync`).
 */
const QUEUED_SOURCES: Record<"instantly" | "vapi", NormalizedSource & { lock: number; queue: string }> = {
  instantly: { ...INSTANTLY, lock: LOCKS.instantlyNormalizer, queue: "leadgraph_private.instantly_pending" },
  vapi: { ...VAPI, lock: LOCKS.vapiNormalizer, queue: "leadgraph_private.vapi_pending" },
};

async function queue(pool: pg.Pool, source: RenormalizeSource): Promise<Queued> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      if (source === "csv") {
        const { rows: failed } = await client.query<{ id: string }>("select id from csv_imports_raw where import_status = 'failed'");
        const { rows } = await client.query<{ id: string; total_rows: number }>(
          `select i.id, i.total_rows from leadgraph_private.renormalize_csv() q(id) join csv_imports_raw i using (id)`,
        );
        return {
          source,
          total: rows.reduce((n, r) => n + r.total_rows, 0),
          importIds: rows.map((r) => r.id),
          failedBefore: failed.map((r) => r.id),
        };
      }
      const lock = [LOCK_CLASS, QUEUED_SOURCES[source].lock];
      const { rows: got } = await client.query<{ locked: boolean }>("select pg_try_advisory_xact_lock($1, $2) as locked", lock);
      if (!got[0]!.locked) {
        console.error(`leadgraph: ${source}: waiting for the normaliser that is running to finish its drain`);
        await client.query("select pg_advisory_xact_lock($1, $2)", lock);
      }
      const { rows } = await client.query<{ queued: string }>(`select leadgraph_private.renormalize_${source}() as queued`);
      return { source, total: Number(rows[0]!.queued), importIds: [], failedBefore: [] };
    });
  } finally {
    client.release();
  }
}

async function progressOf(pool: pg.Pool, queued: Queued): Promise<Progress> {
  if (queued.source === "csv") {
    const { rows } = await pool.query<{ done: string; unfinished: string; failed: string }>(
      `select coalesce(sum(case when import_status = any($2) then total_rows else processed_rows end), 0) as done,
              count(*) filter (where import_status <> all($2)) as unfinished,
              count(*) filter (where import_status = 'failed' and id <> all($3)) as failed
       from csv_imports_raw where id = any($1)`,
      [queued.importIds, IMPORT_FINISHED, queued.failedBefore],
    );
    const r = rows[0]!;
    return { done: Number(r.done), finished: Number(r.unfinished) === 0, failedImports: Number(r.failed) };
  }
  // The raw rows still queued; and what the normaliser has still to do, which
  // for Instantly includes the work a drain does last (its workflow).
  const { queue, pending } = QUEUED_SOURCES[queued.source];
  const { rows } = await pool.query<{ queued: string; left: boolean }>(
    `select (select count(*) from ${queue}) as queued, exists (select 1 from ${pending}) as left`,
  );
  const stillQueued = Number(rows[0]!.queued);
  return { done: Math.max(queued.total - stillQueued, 0), finished: !rows[0]!.left, failedImports: 0 };
}

function what(queued: Queued): string {
  return queued.source === "csv"
    ? `${queued.importIds.length} CSV imports (${queued.total} rows)`
    : `${queued.total} ${QUEUED_SOURCES[queued.source].name} raw rows`;
}

/** What the source has in the normalised layer now. */
async function summaryOf(pool: pg.Pool, source: RenormalizeSource): Promise<string> {
  if (source !== "csv") return QUEUED_SOURCES[source].summary(pool);
  const { rows } = await pool.query<Record<string, string>>(
    `select coalesce(sum(leads_inserted + leads_updated + leads_unchanged), 0) as leads,
            coalesce(sum(events_inserted + events_unchanged), 0) as touches,
            coalesce(sum(duplicate_rows), 0) as duplicates, coalesce(sum(failed_rows), 0) as rejected
     from csv_imports_raw`,
  );
  const s = rows[0]!;
  return `rows giving leads ${s.leads}, LinkedIn touches ${s.touches}, duplicates in files ${s.duplicates}, rejected ${s.rejected} (with their reasons)`;
}

/** Runs the command; returns the process exit code. */
export async function runRenormalize(
  target: string,
  options: { wait?: boolean },
  db: Pick<Database, "url" | "embedded">,
  config: Config,
): Promise<number> {
  const sources = parseRenormalizeTarget(target);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on("error", (error) => console.error("leadgraph: database error:", error.message));
  let stopWorker: (() => Promise<void>) | undefined;
  try {
    if (!options.wait) {
      for (const source of sources) {
        const queued = await queue(pool, source);
        console.error(`leadgraph: ${source}: ${what(queued)} queued for normalisation again; the worker runs it`);
      }
      return 0;
    }
    const { startLocalWorker } = await import("./worker.ts");
    stopWorker = await startLocalWorker(db, { config, concurrency: config.workerConcurrency, shutdownTimeoutMs: config.shutdownTimeoutMs });
    let failed = 0;
    // One source after another, so each one's time is its own.
    for (const source of sources) {
      const started = Date.now();
      const queued = await queue(pool, source);
      console.error(`leadgraph: ${source}: ${what(queued)} queued for normalisation again`);
      const tty = process.stderr.isTTY;
      let shown = "";
      let moved = false;
      const progress = await pollUntil(
        async () => {
          const p = await progressOf(pool, queued);
          moved ||= p.done > 0 || p.finished;
          const seconds = (Date.now() - started) / 1000;
          const line = `  ${source}: ${p.done} of ${queued.total} normalised (${Math.round(p.done / Math.max(seconds, 0.001))}/s)`;
          if (line !== shown && (tty || p.finished)) process.stderr.write(`${tty && shown ? "\x1b[1A\x1b[J" : ""}${line}\n`);
          shown = line;
          return p.finished ? p : undefined;
        },
        // The hint only while no row has moved: a long drain is not a missing worker.
        { intervalMs: 500, worker: { task: `normalise ${source} again`, waiting: () => !moved } },
      );
      const seconds = (Date.now() - started) / 1000;
      console.error(
        `leadgraph: ${source} renormalized in ${seconds.toFixed(1)} s (${Math.round(queued.total / Math.max(seconds, 0.001))} rows/s); now: ${await summaryOf(pool, source)}`,
      );
      if (queued.failedBefore.length)
        console.error(`leadgraph: ${queued.failedBefore.length} CSV imports had failed before (see their errors)`);
      if (progress.failedImports)
        console.error(`leadgraph: ${progress.failedImports} CSV imports that had not failed before failed now (see their errors)`);
      failed += progress.failedImports;
    }
    return failed ? 1 : 0;
  } finally {
    await stopWorker?.();
    await pool.end();
  }
}
