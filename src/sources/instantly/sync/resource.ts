// One resource's job of a sync run (tasks/instantly_sync__<resource>.ts): one
// job per resource at a time (a session advisory lock), the request and row
// counts written after every page, validation with the rejects kept in
// instantly_rejects, and what a failure does to the run. The resource's own
// work (./campaigns.ts, ./emails.ts, ...) fetches and stores its pages.
import { createHash } from "node:crypto";
import type { JobHelpers } from "graphile-worker";
import type { PoolClient } from "pg";
import type { Config } from "../../../config.ts";
import { LOCKS, withSessionLock } from "../../../database/locks.ts";
import { InstantlyAuthError, InstantlyClient } from "../api/client.ts";
import { INSTANTLY_RATE_LIMITS, sharedRateLimiter } from "../api/rate-limiter.ts";
import { validateRecords, type InstantlyRecord, type InstantlyResource } from "../api/schemas.ts";
import { unstorableJson } from "../../../database/jsonb.ts";
import { sanitized, unstorable } from "../api/storable.ts";
import {
  AFTER_CAMPAIGNS,
  addResourceJob,
  failResource,
  failRun,
  finishRunIfDone,
  jobDb,
  withTransaction,
  type Db,
  type SyncResource,
} from "./run.ts";

export type InstantlySettings = Config["instantly"];

/** Campaigns fetched at once per resource job (the rate limiter paces them). */
export const CAMPAIGN_CONCURRENCY = 4;

export interface ResourceContext {
  db: Db;
  runId: string;
  client: InstantlyClient;
  counts: { received: number; stored: number; rejected: number };
  /** Writes the request and row counts so far (called after every page). */
  flush(): Promise<void>;
}

/** Fetches one resource and stores it, page by page. */
export type ResourceWork = (context: ResourceContext) => Promise<void>;

/**
 * A client for the workspace of `settings`. Every client of one workspace in
 * this process shares one rate limiter (with the same limits), so the jobs
 * of a run together stay under Instantly's limits.
 */
function instantlyClient(
  settings: InstantlySettings,
  options: { onRequest?: (status: number | string) => void; signal?: AbortSignal } = {},
): InstantlyClient {
  const { apiUrl, apiKey, rateLimits, rateLimitTimeScale, requestTimeoutMs, maxRetries, retryBaseMs } = settings;
  if (!apiKey)
    throw new Error("INSTANTLY_API_KEY is not set: the Instantly sync needs an API key (Instantly: Settings -> Integrations -> API Keys)");
  const workspace = createHash("sha256").update(`${apiUrl}\n${apiKey}`).digest("hex").slice(0, 16);
  const limits = rateLimits ? { ...INSTANTLY_RATE_LIMITS, timeScale: rateLimitTimeScale } : null;
  return new InstantlyClient({
    baseUrl: apiUrl,
    apiKey,
    limiter: sharedRateLimiter(`${workspace}:${rateLimits ? rateLimitTimeScale : "off"}`, limits),
    timeoutMs: requestTimeoutMs,
    maxRetries,
    retryBaseMs,
    ...(options.signal ? { signal: options.signal } : {}),
    onRequest: (info) => options.onRequest?.(info.status),
  });
}

/** The body of tasks/instantly_sync__<resource>.ts. */
export async function runResourceJob(
  resource: SyncResource,
  work: ResourceWork,
  settings: InstantlySettings,
  payload: unknown,
  helpers: JobHelpers,
): Promise<void> {
  const runId = (payload as { runId?: unknown } | null)?.runId;
  if (typeof runId !== "string") throw new Error(`instantly_sync__${resource}: payload.runId is required, got ${JSON.stringify(payload)}`);
  const db = jobDb(helpers);
  // The lock's connection is held for the whole job: the lock goes with it.
  await db.withClient(async (lock) => {
    const locked = await withSessionLock(lock, LOCKS.instantlySyncResource[resource], async () => {
      const { rows: state } = await db.query<{ status: string }>(
        "select r.status from instantly_sync_run_resources r join instantly_sync_runs run on run.id = r.run_id where r.run_id = $1 and r.resource = $2 and run.status = 'running'",
        [runId, resource],
      );
      // The run was interrupted or finished meanwhile (e.g. a job of a killed worker run again hours later): nothing to do.
      if (!state[0] || !["pending", "running"].includes(state[0].status)) return;
      await runResource(db, runId, resource, work, settings, helpers);
    });
    if (locked) return;
    const message = `another ${resource} sync is running`;
    if (helpers.job.attempts >= helpers.job.max_attempts) {
      await failResource(db, runId, resource, message);
      return;
    }
    throw new Error(`${message}; this job will be retried`);
  });
}

async function runResource(
  db: Db,
  runId: string,
  resource: SyncResource,
  work: ResourceWork,
  settings: InstantlySettings,
  helpers: JobHelpers,
): Promise<void> {
  let requests = 0;
  let rateLimited = 0;
  let flushed = { requests: 0, rateLimited: 0 };
  const counts = { received: 0, stored: 0, rejected: 0 };
  let client: InstantlyClient;
  try {
    client = instantlyClient(settings, {
      // A worker shutting down aborts waits and backoff (the job is retried later).
      signal: helpers.abortSignal,
      onRequest: (status) => {
        requests++;
        if (status === 429) rateLimited++;
      },
    });
  } catch (error) {
    await failResource(db, runId, resource, (error as Error).message);
    return;
  }
  const started = await db.query(
    `update instantly_sync_run_resources r set status = 'running', started_at = coalesce(r.started_at, now()), error = null
     from instantly_sync_runs run
     where r.run_id = $1 and r.resource = $2 and r.status in ('pending', 'running') and run.id = r.run_id and run.status = 'running'`,
    [runId, resource],
  );
  // Marked interrupted meanwhile (a new run took over): nothing to do.
  if (!started.rowCount) return;
  // Requests are counted per attempt; rows are counted by what this attempt
  // did (a retried job counts its pages again, as it fetches them again).
  const flush = async () => {
    const delta = { requests: requests - flushed.requests, rateLimited: rateLimited - flushed.rateLimited };
    flushed = { requests, rateLimited };
    await db.query(
      `update instantly_sync_run_resources set requests_made = requests_made + $3, rate_limited = rate_limited + $4,
         rows_received = $5, rows_stored = $6, rows_rejected = $7
       where run_id = $1 and resource = $2`,
      [runId, resource, delta.requests, delta.rateLimited, counts.received, counts.stored, counts.rejected],
    );
  };
  try {
    await work({ db, runId, client, counts, flush });
    await flush();
    await withTransaction(db, async (tx) => {
      await tx.query(
        `update instantly_sync_run_resources set status = case when rows_rejected > 0 then 'completed_with_errors' else 'completed' end,
           finished_at = now(), error = null where run_id = $1 and resource = $2`,
        [runId, resource],
      );
      if (resource === "campaigns") {
        for (const next of AFTER_CAMPAIGNS) await addResourceJob(tx, runId, next);
      }
    });
  } catch (error) {
    await flush().catch(() => {});
    const message = (error as Error).message;
    const lastAttempt = helpers.job.attempts >= helpers.job.max_attempts;
    // A key Instantly refuses will not get better by retrying: the run stops at once.
    if (error instanceof InstantlyAuthError || lastAttempt) {
      await failResource(db, runId, resource, message);
      if (error instanceof InstantlyAuthError) await failRun(db, runId, message);
      helpers.logger.error(`Instantly sync ${resource} failed: ${message}`);
      return;
    }
    await db.query("update instantly_sync_run_resources set status = 'pending', error = $3 where run_id = $1 and resource = $2", [
      runId,
      resource,
      `attempt ${helpers.job.attempts} of ${helpers.job.max_attempts}: ${message}`,
    ]);
    throw error;
  }
  await finishRunIfDone(db, runId);
}

/** Splits a page into valid records and rejects; the rejects are stored with their reason. */
export async function validate<R extends InstantlyResource>(
  db: PoolClient,
  context: ResourceContext,
  resource: R,
  items: unknown[],
  idOf: (raw: unknown) => unknown,
): Promise<{ record: InstantlyRecord<R>; raw: unknown }[]> {
  const checked = validateRecords(resource, items);
  const rejected = checked.rejected;
  const valid: { record: InstantlyRecord<R>; raw: unknown }[] = [];
  for (const item of checked.valid) {
    const reason = unstorable(item.raw);
    // Too deeply nested to walk (sanitized() would overflow): its id and the reason are kept.
    const kept = () => (unstorableJson(item.raw) ? { id: idOf(item.raw) ?? null } : sanitized(item.raw));
    if (reason) rejected.push({ raw: kept(), reason: `${resource}: ${reason}` });
    else valid.push(item);
  }
  context.counts.received += items.length;
  context.counts.rejected += rejected.length;
  if (rejected.length) {
    await db.query(
      `insert into instantly_rejects (run_id, stage, resource, source_id, reason, raw_json)
       select $1, 'fetch', $2, x ->> 'id', x ->> 'reason', x -> 'raw' from jsonb_array_elements($3::jsonb) x
       on conflict (stage, resource, source_id) do update set run_id = excluded.run_id, reason = excluded.reason, raw_json = excluded.raw_json`,
      [
        context.runId,
        resource,
        JSON.stringify(
          rejected.map(({ raw, reason }) => {
            const id = idOf(raw);
            return {
              id:
                typeof id === "string" && id
                  ? id
                  : createHash("sha256")
                      .update(JSON.stringify(raw) ?? "")
                      .digest("hex"),
              reason,
              raw: raw ?? null,
            };
          }),
        ),
      ],
    );
  }
  return valid;
}

/** A key of a record that may not be an object (a rejected one), for naming it. */
export const field = (key: string) => (raw: unknown) =>
  raw && typeof raw === "object" ? (raw as Record<string, unknown>)[key] : undefined;

/**
 * Runs work for each item with at most `limit` at once. After a failure no
 * new item starts, and the ones under way finish before the failure is
 * thrown (so nothing of this job still writes while its retry runs).
 */
export async function eachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failure && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.error;
}
