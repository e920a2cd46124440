// The VAPI sync (tasks/vapi_sync.ts): one run at a time, holding a session
// lock for its whole life (a run whose lock is gone was interrupted).
//
// GET /call has no cursor, answers a bare array of at most 1000 calls in no
// documented order, and filters on createdAt/updatedAt. So the sync pages by
// time windows on updatedAt, oldest first, from the watermark (minus an
// overlap, for clocks and calls written while we read) onwards, the last
// window open above (VAPI's clock may run ahead of ours). A window whose page
// comes back full may hold more calls than it returned: it is split in two
// and both parts fetched. A window that comes back not full holds no more: it
// is stored and the resume point moves to its end, in one transaction, so a
// killed sync resumes there (updatedAt only grows, so nothing behind it can
// change unseen). Then calls not ended yet, or ended in the last hour (VAPI
// adds the analysis after the end), are fetched again one by one. A webhook
// that never arrived is repaired here: its call lands in vapi_calls_raw like
// any other (docs/sources/vapi.md). The windows and the refresh are in
// ./calls.ts, the resume points in ./state.ts.
import type { PoolClient } from "pg";
import { LOCKS, withSessionLock } from "../../../database/locks.ts";
import { VapiRequestError, type VapiClient } from "../api/client.ts";
import { pass, refresh, type Counts, type RunContext, type SyncSettings } from "./calls.ts";
import { scopes } from "./state.ts";

export { PAGE_LIMIT } from "./calls.ts";

export type TriggeredBy = "cron" | "cli" | "request";

export interface SyncOptions {
  triggeredBy: TriggeredBy;
  requestId?: string;
  settings: SyncSettings;
  logger: { info(message: string): void; warn(message: string): void };
  /** GET /call's page size (tests make it small). */
  pageLimit?: number;
}

export interface SyncResult {
  runId: string;
  joined: boolean;
  status: string;
}

async function progress(client: PoolClient, runId: string, api: VapiClient, counts: Counts): Promise<void> {
  await client.query(
    `update vapi_sync_runs set requests_made = $2, rate_limited = $3, windows = $4, calls_received = $5, calls_stored = $6,
            calls_rejected = $7, calls_refreshed = $8 where id = $1`,
    [runId, api.requestsMade, api.rateLimited, counts.windows, counts.received, counts.stored, counts.rejected, counts.refreshed],
  );
}

/** Runs a sync, or joins the one under way. `client` stays this run's connection (it holds the lock). */
export async function runVapiSync(client: PoolClient, api: VapiClient, options: SyncOptions): Promise<SyncResult> {
  let result: SyncResult | undefined;
  const ran = await withSessionLock(client, LOCKS.vapiSync, async () => {
    // Runs still marked running lost their process: we hold the lock.
    await client.query(
      `update vapi_sync_runs set status = 'interrupted', finished_at = now(),
              error = coalesce(error, 'its worker stopped before it finished; the next run resumed from where it got to')
        where status = 'running'`,
    );
    const { rows } = await client.query<{ id: string }>("insert into vapi_sync_runs (triggered_by) values ($1) returning id", [
      options.triggeredBy,
    ]);
    const runId = rows[0]!.id;
    if (options.requestId) await client.query("update vapi_sync_requests set run_id = $2 where id = $1", [options.requestId, runId]);
    const counts: Counts = { windows: 0, received: 0, stored: 0, rejected: 0, refreshed: 0 };
    try {
      const run: RunContext = { client, api, runId, counts, options, progress: () => progress(client, runId, api, counts) };
      for (const { scope, filter } of scopes(options.settings)) await pass(run, scope, filter);
      await refresh(run);
      const status = counts.rejected ? "completed_with_errors" : "completed";
      await client.query("update vapi_sync_runs set status = $2, finished_at = now() where id = $1", [runId, status]);
      result = { runId, joined: false, status };
    } catch (error) {
      const message =
        error instanceof VapiRequestError && error.refusedKey
          ? `${error.message}; the sync stopped`
          : `${(error as Error).message} (the next run resumes from where this one got to)`;
      await progress(client, runId, api, counts).catch(() => {});
      await client.query("update vapi_sync_runs set status = 'failed', finished_at = now(), error = $2 where id = $1", [runId, message]);
      // A refused key stays refused: no retry of the job. Anything else is retried with backoff.
      if (!(error instanceof VapiRequestError && error.refusedKey)) throw error;
      options.logger.warn(`VAPI sync: ${message}`);
      result = { runId, joined: false, status: "failed" };
    }
  });
  if (ran) return result!;
  // Another run is under way: the request joins it.
  const { rows } = await client.query<{ id: string; status: string }>(
    "select id, status from vapi_sync_runs where status = 'running' order by started_at desc limit 1",
  );
  const running = rows[0];
  if (running && options.requestId)
    await client.query("update vapi_sync_requests set run_id = $2 where id = $1", [options.requestId, running.id]);
  return { runId: running?.id ?? "", joined: true, status: running?.status ?? "running" };
}

/** A run that could not start (no key): recorded so whoever asked sees why. */
export async function recordFailedRun(client: PoolClient, triggeredBy: TriggeredBy, error: string, requestId?: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    "insert into vapi_sync_runs (triggered_by, status, finished_at, error) values ($1, 'failed', now(), $2) returning id",
    [triggeredBy, error],
  );
  if (requestId) await client.query("update vapi_sync_requests set run_id = $2 where id = $1", [requestId, rows[0]!.id]);
  return rows[0]!.id;
}
