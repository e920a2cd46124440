// `leadgraph sync <source> [--wait]`, the part every source shares: insert a
// row in the source's request table (its trigger enqueues the sync), print
// the request id, or with --wait run a local worker if this process owns the
// embedded PostgreSQL, show the run's progress until it and the
// normalisation of what it fetched are done, then a summary. The source
// says which tables, how a run reads and what the summary counts
// (src/sources/<source>/cli.ts).
import pg from "pg";
import type { Config } from "./config.ts";
import type { Database } from "./database/index.ts";
import { pollUntil } from "./progress.ts";

export interface SyncRun {
  id: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  requests_made: number;
  rate_limited: number;
  error: string | null;
}

/** What a source's normaliser has left to do and what the source has in leadgraph (for `sync --wait` and `renormalize --wait`). */
export interface NormalizedSource {
  /** "Instantly", "VAPI". */
  name: string;
  /** What the normaliser has still to do (a table or view, a row each): the raw rows waiting, and for Instantly what its drains do last. */
  pending: string;
  /** What is in leadgraph from this source now. */
  summary(pool: pg.Pool): Promise<string>;
}

export interface SyncSource<Run extends SyncRun> extends NormalizedSource {
  /** The request and run tables, e.g. instantly_sync_requests and instantly_sync_runs. */
  requests: string;
  runs: string;
  /** Why --wait cannot work here (no API key for the local worker), or undefined. */
  missingKey: string | undefined;
  /** The GraphQL field to follow a request with. */
  requestField: string;
  /** The progress lines of a run (without the waiting count). */
  progress(pool: pg.Pool, run: Run): Promise<string[]>;
}

const FINISHED = ["completed", "completed_with_errors", "failed", "interrupted"];

export async function runSyncCommand<Run extends SyncRun>(
  source: SyncSource<Run>,
  options: { wait?: boolean },
  db: Database,
  config: Config,
): Promise<number> {
  // The worker syncs with its own settings; only a worker run here needs ours.
  if (source.missingKey && options.wait && db.embedded?.owned) throw new Error(source.missingKey);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on("error", (error) => console.error("leadgraph: database error:", error.message));
  let stopWorker: (() => Promise<void>) | undefined;
  try {
    const { rows } = await pool.query<{ id: string }>(
      `insert into ${source.requests} (triggered_by, requested_by) values ('cli', null) returning id`,
    );
    const requestId = rows[0]!.id;
    if (!options.wait) {
      console.error(
        `leadgraph: ${source.name} sync requested; the worker runs it (follow it with ${source.requestField}(rowId:) { run { status } } in GraphQL)`,
      );
      console.log(requestId);
      return 0;
    }
    const { startLocalWorker } = await import("./worker.ts");
    stopWorker = await startLocalWorker(db, { config, concurrency: config.workerConcurrency, shutdownTimeoutMs: config.shutdownTimeoutMs });
    const runId = await pollUntil(
      async () =>
        (await pool.query<{ run_id: string | null }>(`select run_id from ${source.requests} where id = $1`, [requestId])).rows[0]?.run_id ??
        undefined,
      { intervalMs: 250, worker: { task: "start the sync" } },
    );
    const tty = process.stderr.isTTY;
    let shown = "";
    const run = await pollUntil(
      async () => {
        const run = (await pool.query<Run>(`select * from ${source.runs} where id = $1`, [runId])).rows[0]!;
        const pending = Number((await pool.query<{ n: string }>(`select count(*) as n from ${source.pending}`)).rows[0]!.n);
        const status = [...(await source.progress(pool, run)), `  waiting for normalisation: ${pending} rows`].join("\n");
        if (status !== shown) {
          if (tty && shown) process.stderr.write(`\x1b[${shown.split("\n").length}A\x1b[J`);
          if (tty || !shown || FINISHED.includes(run.status)) process.stderr.write(status + "\n");
          shown = status;
        }
        return FINISHED.includes(run.status) && pending === 0 ? run : undefined;
      },
      { intervalMs: 500 },
    );
    const seconds = ((run.finished_at ?? new Date()).getTime() - new Date(run.started_at).getTime()) / 1000;
    console.error(
      [
        `leadgraph: ${source.name} sync ${run.status} in ${seconds.toFixed(1)} s, ${run.requests_made} requests (${run.rate_limited} answered 429)`,
        `  now in leadgraph: ${await source.summary(pool)}`,
        ...(run.error ? [`  error: ${run.error}`] : []),
      ].join("\n"),
    );
    console.log(run.id);
    return run.status === "failed" || run.status === "interrupted" ? 1 : 0;
  } finally {
    await stopWorker?.();
    await pool.end();
  }
}
