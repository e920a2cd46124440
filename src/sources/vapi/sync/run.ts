// The VAPI sync (tasks/vapi_sync.ts): one run at a time, holding a session
// lock for its whole life (a run whose lock is gone was interrupted).
//
// GET /call has no cursor, answers a bare array of at most 1000 calls in no
// documented order, and filters on createdAt/updatedAt. So the sync pages by
// time windows on updatedAt, oldest first, from the watermark (minus an
// overlap, for clocks and calls written while we read) to the moment the pass
// started. A window whose page comes back full may hold more calls than it
// returned: it is split in two and both halves fetched. A window that comes
// back not full holds no more: it is stored and the watermark moves to its
// end, in one transaction, so a killed sync resumes there (updatedAt only
// grows, so nothing behind the watermark can change unseen). Then calls not
// ended yet, or ended in the last hour (VAPI adds the analysis after the
// end), are fetched again one by one. A webhook that never arrived is
// repaired here: its call lands in vapi_calls_raw like any other.
import type { PoolClient } from "pg";
import type { Config } from "../../../config.ts";
import { LOCKS, withSessionLock } from "../../../database/locks.ts";
import { inTransaction } from "../../../database/transaction.ts";
import { VapiRequestError, type ListCallsFilters, type VapiClient, type VapiCall } from "../api/client.ts";
import { storeCalls } from "../raw.ts";

export type TriggeredBy = "cron" | "cli" | "request";

/** GET /call's largest page. */
export const PAGE_LIMIT = 1000;
/** How far behind the watermark each pass starts again. */
const OVERLAP_MS = 5 * 60_000;
/** Calls refreshed one by one per run, at most. */
const MAX_REFRESH = 200;

export interface SyncOptions {
  triggeredBy: TriggeredBy;
  requestId?: string;
  settings: Pick<Config["vapi"], "syncSinceDays" | "assistantIds" | "phoneNumberIds">;
  logger: { info(message: string): void; warn(message: string): void };
  /** GET /call's page size (tests make it small). */
  pageLimit?: number;
}

export interface SyncResult {
  runId: string;
  joined: boolean;
  status: string;
}

interface Counts {
  windows: number;
  received: number;
  stored: number;
  rejected: number;
  refreshed: number;
}

/** Why a Call cannot be stored, or undefined. */
function invalid(call: unknown): string | undefined {
  if (!call || typeof call !== "object" || Array.isArray(call)) return "not a JSON object";
  const c = call as VapiCall;
  if (typeof c.id !== "string" || !c.id) return "no id";
  for (const key of ["createdAt", "updatedAt"] as const) {
    if (typeof c[key] !== "string" || Number.isNaN(Date.parse(c[key]!))) return `${key} is not a timestamp: ${JSON.stringify(c[key])}`;
  }
  return undefined;
}

/** Stores the valid calls, sets the others aside with the reason. */
async function storePage(client: PoolClient, runId: string, calls: unknown[], counts: Counts): Promise<void> {
  const valid: unknown[] = [];
  for (const call of calls) {
    const reason = invalid(call);
    if (!reason) {
      valid.push(call);
      continue;
    }
    counts.rejected++;
    const id = typeof (call as VapiCall | null)?.id === "string" ? (call as VapiCall).id : `md5:${JSON.stringify(call).length}`;
    await client.query(
      `insert into vapi_rejects (run_id, stage, resource, source_id, reason, raw_json) values ($1, 'fetch', 'call', $2, $3, $4)
       on conflict (stage, resource, source_id) do update set run_id = excluded.run_id, reason = excluded.reason, raw_json = excluded.raw_json`,
      [runId, id, reason, JSON.stringify(call ?? null)],
    );
  }
  const { stored } = await storeCalls(client, valid, "api");
  counts.stored += stored;
}

/** The filters a pass runs once each: every call, or each configured assistant (else phone number). */
function scopes(settings: SyncOptions["settings"]): { scope: string; filter: ListCallsFilters }[] {
  if (settings.assistantIds.length) return settings.assistantIds.map((id) => ({ scope: `assistant:${id}`, filter: { assistantId: id } }));
  if (settings.phoneNumberIds.length) return settings.phoneNumberIds.map((id) => ({ scope: `phone:${id}`, filter: { phoneNumberId: id } }));
  return [{ scope: "", filter: {} }];
}

async function progress(client: PoolClient, runId: string, api: VapiClient, counts: Counts): Promise<void> {
  await client.query(
    `update vapi_sync_runs set requests_made = $2, rate_limited = $3, windows = $4, calls_received = $5, calls_stored = $6,
            calls_rejected = $7, calls_refreshed = $8 where id = $1`,
    [runId, api.requestsMade, api.rateLimited, counts.windows, counts.received, counts.stored, counts.rejected, counts.refreshed],
  );
}

/** One pass over one scope's windows, from its watermark to the pass's end. */
async function pass(
  client: PoolClient,
  api: VapiClient,
  runId: string,
  scope: string,
  filter: ListCallsFilters,
  options: SyncOptions,
  counts: Counts,
) {
  const limit = options.pageLimit ?? PAGE_LIMIT;
  await client.query("insert into leadgraph_private.vapi_sync_state (scope) values ($1) on conflict (scope) do nothing", [scope]);
  const { rows } = await client.query<{ watermark: Date | null; pass_upper: Date | null }>(
    `update leadgraph_private.vapi_sync_state
        set pass_started_at = coalesce(pass_started_at, now()), pass_upper = coalesce(pass_upper, now()),
            backfill_before = coalesce(backfill_before, now() - make_interval(days => $2)), updated_at = now()
      where scope = $1 returning watermark, pass_upper`,
    [scope, options.settings.syncSinceDays],
  );
  const upper = rows[0]!.pass_upper!.getTime();
  const lower = rows[0]!.watermark ? rows[0]!.watermark.getTime() - OVERLAP_MS : upper - options.settings.syncSinceDays * 86_400_000;
  // Windows still to fetch, oldest first: (from, to].
  const windows: [number, number][] = [[lower, upper]];
  while (windows.length) {
    const [from, to] = windows.shift()!;
    const page = await api.listCalls({
      ...filter,
      limit,
      updatedAtGt: new Date(from).toISOString(),
      updatedAtLe: new Date(to).toISOString(),
    });
    counts.windows++;
    if (page.length >= limit && to - from > 1) {
      const middle = Math.floor((from + to) / 2);
      windows.unshift([from, middle], [middle, to]);
      continue;
    }
    if (page.length >= limit)
      options.logger.warn(`VAPI sync: more than ${limit} calls updated in the millisecond ${new Date(to).toISOString()}`);
    counts.received += page.length;
    await inTransaction(client, async () => {
      await storePage(client, runId, page, counts);
      await client.query(
        "update leadgraph_private.vapi_sync_state set watermark = greatest(watermark, $2), updated_at = now() where scope = $1",
        [scope, new Date(to)],
      );
      await progress(client, runId, api, counts);
    });
  }
  await client.query(
    `update leadgraph_private.vapi_sync_state set pass_started_at = null, pass_upper = null, backfill_done = true, updated_at = now() where scope = $1`,
    [scope],
  );
}

/** Calls whose state may still change: fetched again one by one. */
async function refresh(client: PoolClient, api: VapiClient, runId: string, counts: Counts): Promise<void> {
  const { rows } = await client.query<{ vapi_call_id: string }>(
    `select vapi_call_id from vapi_calls_raw
      where fetched_at < (select started_at from vapi_sync_runs where id = $1)
        and ((status is distinct from 'ended' and vapi_created_at > now() - interval '7 days')
             or (status = 'ended' and vapi_updated_at > now() - interval '1 hour'))
      order by vapi_updated_at desc limit $2`,
    [runId, MAX_REFRESH],
  );
  for (const { vapi_call_id: id } of rows) {
    const call = await api.getCall(id);
    counts.refreshed++;
    if (call) await inTransaction(client, () => storePage(client, runId, [call], counts));
  }
  await progress(client, runId, api, counts);
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
      for (const { scope, filter } of scopes(options.settings)) await pass(client, api, runId, scope, filter, options, counts);
      await refresh(client, api, runId, counts);
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
