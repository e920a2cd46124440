// `leadgraph sync vapi [--wait]`: asks for a VAPI sync (a row in
// vapi_sync_requests, whose trigger enqueues tasks/vapi_sync.ts) and, with
// --wait, shows its progress until the run and the normalisation of what it
// fetched are done, then a summary.
import pg from "pg";
import type { Config } from "../../config.ts";
import type { Database } from "../../database/index.ts";
import { pollUntil } from "../../progress.ts";

interface RunRecord {
  id: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  requests_made: number;
  rate_limited: number;
  windows: number;
  calls_received: number;
  calls_stored: number;
  calls_rejected: number;
  calls_refreshed: number;
  error: string | null;
}

const FINISHED = ["completed", "completed_with_errors", "failed", "interrupted"];

export async function runVapiSyncCommand(options: { wait?: boolean }, db: Database, config: Config): Promise<number> {
  // The worker syncs with its own settings; only a worker run here needs ours.
  if (!config.vapi.apiKey && options.wait && db.embedded?.owned) {
    throw new Error(
      "VAPI_API_KEY is not set: copy the private API key from the VAPI dashboard (Organization -> API Keys) and set it for the worker (and here)",
    );
  }
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on("error", (error) => console.error("leadgraph: database error:", error.message));
  let stopWorker: (() => Promise<void>) | undefined;
  try {
    const { rows } = await pool.query<{ id: string }>(
      "insert into vapi_sync_requests (triggered_by, requested_by) values ('cli', null) returning id",
    );
    const requestId = rows[0]!.id;
    if (!options.wait) {
      console.error(
        "leadgraph: VAPI sync requested; the worker runs it (follow it with vapiSyncRequest(rowId:) { run { status } } in GraphQL)",
      );
      console.log(requestId);
      return 0;
    }
    const { startLocalWorker } = await import("../../worker.ts");
    stopWorker = await startLocalWorker(db, { config, concurrency: config.workerConcurrency, shutdownTimeoutMs: config.shutdownTimeoutMs });
    const runId = await pollUntil(
      async () =>
        (await pool.query<{ run_id: string | null }>("select run_id from vapi_sync_requests where id = $1", [requestId])).rows[0]?.run_id ??
        undefined,
      { intervalMs: 250, worker: { task: "start the sync" } },
    );
    const tty = process.stderr.isTTY;
    let shown = "";
    const run = await pollUntil(
      async () => {
        const run = (await pool.query<RunRecord>("select * from vapi_sync_runs where id = $1", [runId])).rows[0]!;
        const pending = Number((await pool.query<{ n: string }>("select count(*) as n from leadgraph_private.vapi_pending")).rows[0]!.n);
        const status =
          `VAPI sync ${run.id}: ${run.status}  ${run.windows} windows, ${run.calls_received} calls received, ` +
          `${run.calls_stored} stored, ${run.calls_rejected} rejected, ${run.calls_refreshed} refreshed; ${pending} raw rows waiting for normalisation`;
        if (status !== shown) {
          if (tty && shown) process.stderr.write("\x1b[1A\x1b[J");
          if (tty || !shown || FINISHED.includes(run.status)) process.stderr.write(status + "\n");
          shown = status;
        }
        return FINISHED.includes(run.status) && pending === 0 ? run : undefined;
      },
      { intervalMs: 500 },
    );
    const summary = (
      await pool.query<{ calls: string; events: string; rejects: string }>(
        `select (select count(*) from vapi_calls_raw) as calls,
                (select count(*) from events where event_source = 'vapi') as events,
                (select count(*) from vapi_rejects) as rejects`,
      )
    ).rows[0]!;
    const seconds = ((run.finished_at ?? new Date()).getTime() - new Date(run.started_at).getTime()) / 1000;
    console.error(
      [
        `leadgraph: VAPI sync ${run.status} in ${seconds.toFixed(1)} s, ${run.requests_made} requests (${run.rate_limited} answered 429)`,
        `  now in leadgraph: ${summary.calls} VAPI calls, ${summary.events} call events, ${summary.rejects} records kept aside (vapi_rejects)`,
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
