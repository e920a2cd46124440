// `leadgraph sync instantly [--wait]`: asks for a sync (a row in
// instantly_sync_requests, whose trigger enqueues it) and, with --wait, shows
// each resource's progress until the run and the normalisation of what it
// fetched are done, then a summary.
import pg from "pg";
import type { Config } from "../../config.ts";
import type { Database } from "../../database/index.ts";
import { pollUntil } from "../../progress.ts";
import { RESOURCES } from "./sync/run.ts";

interface RunRecord {
  id: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  requests_made: number;
  rate_limited: number;
  error: string | null;
}

interface ResourceRecord {
  resource: string;
  status: string;
  requests_made: number;
  rate_limited: number;
  rows_received: number;
  rows_stored: number;
  rows_rejected: number;
  error: string | null;
}

const FINISHED = ["completed", "completed_with_errors", "failed", "interrupted"];

function resourceLine(r: ResourceRecord): string {
  const rows = `${r.rows_stored} stored${r.rows_rejected ? `, ${r.rows_rejected} rejected` : ""}`;
  return `  ${r.resource.padEnd(16)} ${r.status.padEnd(22)} ${String(r.requests_made).padStart(6)} requests  ${rows}${r.error ? `  (${r.error})` : ""}`;
}

export async function runSync(options: { wait?: boolean }, db: Database, config: Config): Promise<number> {
  // The worker syncs with its own settings; only a worker run here needs ours.
  if (!config.instantly.apiKey && options.wait && db.embedded?.owned) {
    throw new Error(
      "INSTANTLY_API_KEY is not set: create a key in Instantly (Settings -> Integrations -> API Keys, scopes all:read) and set it for the worker (and here)",
    );
  }
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on("error", (error) => console.error("leadgraph: database error:", error.message));
  let stopWorker: (() => Promise<void>) | undefined;
  try {
    const { rows } = await pool.query<{ id: string }>(
      "insert into instantly_sync_requests (triggered_by, requested_by) values ('cli', null) returning id",
    );
    const requestId = rows[0]!.id;
    if (!options.wait) {
      console.error(
        `leadgraph: Instantly sync requested; the worker runs it (follow it with instantlySyncRequest(rowId:) { run { status } } in GraphQL)`,
      );
      console.log(requestId);
      return 0;
    }
    const { startLocalWorker } = await import("../../worker.ts");
    stopWorker = await startLocalWorker(db, { config, concurrency: config.workerConcurrency, shutdownTimeoutMs: config.shutdownTimeoutMs });
    const runId = await pollUntil(
      async () =>
        (await pool.query<{ run_id: string | null }>("select run_id from instantly_sync_requests where id = $1", [requestId])).rows[0]
          ?.run_id ?? undefined,
      { intervalMs: 250, worker: { task: "start the sync" } },
    );
    const tty = process.stderr.isTTY;
    let shown = "";
    const run = await pollUntil(
      async () => {
        const run = (await pool.query<RunRecord>("select * from instantly_sync_runs where id = $1", [runId])).rows[0]!;
        const resources = (
          await pool.query<ResourceRecord>(
            "select * from instantly_sync_run_resources where run_id = $1 order by array_position($2::text[], resource)",
            [runId, RESOURCES],
          )
        ).rows;
        const pending = Number(
          (await pool.query<{ n: string }>("select count(*) as n from leadgraph_private.instantly_pending")).rows[0]!.n,
        );
        const status = [
          `Instantly sync ${run.id}: ${run.status}`,
          ...resources.map(resourceLine),
          `  waiting for normalisation: ${pending} raw rows`,
        ].join("\n");
        if (status !== shown) {
          if (tty && shown) process.stderr.write(`\x1b[${shown.split("\n").length}A\x1b[J`);
          if (tty || !shown || FINISHED.includes(run.status)) process.stderr.write(status + "\n");
          shown = status;
        }
        return FINISHED.includes(run.status) && pending === 0 ? run : undefined;
      },
      { intervalMs: 500 },
    );
    const summary = (
      await pool.query<{ campaigns: string; leads: string; events: string; rejects: string }>(
        `select (select count(*) from campaigns where instantly_campaign_id is not null) as campaigns,
                (select count(*) from leads where lead_source = 'instantly') as leads,
                (select count(*) from events where event_source = 'instantly') as events,
                (select count(*) from instantly_rejects) as rejects`,
      )
    ).rows[0]!;
    const seconds = ((run.finished_at ?? new Date()).getTime() - new Date(run.started_at).getTime()) / 1000;
    console.error(
      [
        `leadgraph: sync ${run.status} in ${seconds.toFixed(1)} s, ${run.requests_made} requests to Instantly (${run.rate_limited} answered 429)`,
        `  now in leadgraph: ${summary.campaigns} Instantly campaigns, ${summary.leads} leads found through Instantly, ${summary.events} Instantly events, ${summary.rejects} records kept aside (instantly_rejects)`,
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
