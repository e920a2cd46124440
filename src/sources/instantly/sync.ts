// The Instantly sync: one run (tasks/instantly_sync.ts) fans out to one
// graphile-worker job per resource (tasks/instantly_sync__<resource>.ts):
// campaigns and accounts first; when the campaigns are in, daily analytics,
// emails and leads per campaign. Each job writes what Instantly sent into the
// raw layer (upserts by Instantly's ids, raw_json as received) and, in the
// same transaction, where it got to (instantly_sync_state), so a job killed
// anywhere resumes where it stopped. The raw layer is written through
// ./raw.ts; its insert triggers queue the rows for normalisation
// (src/sources/instantly/normalize.ts).
import { createHash } from "node:crypto";
import type { JobHelpers } from "graphile-worker";
import type { PoolClient, QueryResult, QueryResultRow } from "pg";
import { loadConfig } from "../../config.ts";
import { inTransaction } from "../../database/transaction.ts";
import { InstantlyAuthError, InstantlyClient, type Page } from "./api/client.ts";
import { INSTANTLY_RATE_LIMITS, sharedRateLimiter } from "./api/rate-limiter.ts";
import { validateRecords, type InstantlyResource } from "./api/schemas.ts";
import { sanitized, unstorable } from "./api/storable.ts";
import { upsertAccounts, upsertCampaigns, upsertDailyAnalytics, upsertEmails, upsertLeads, type CampaignRow } from "./raw.ts";

export const RESOURCES = ["campaigns", "accounts", "daily_analytics", "emails", "leads"] as const;
export type SyncResource = (typeof RESOURCES)[number];
export type TriggeredBy = "cron" | "cli" | "request";

/** Campaigns fetched at once per resource job (the rate limiter paces them). */
const CAMPAIGN_CONCURRENCY = 4;
/** Emails are asked for from a little before the newest one stored: Instantly stores timestamps to the second and not always in order. */
const EMAIL_OVERLAP_MS = 60_000;
/** Days of daily analytics fetched again on each run (late opens and replies change recent days). */
const ANALYTICS_REFETCH_DAYS = 7;
// Session advisory locks: one job per resource at a time; released by
// PostgreSQL when the process dies, which is how a run is known to be dead.
// (LOCK_CLASS, 0): starting runs; (LOCK_CLASS, 1..5): the resources;
// (LOCK_CLASS, 100): the normaliser.
export const LOCK_CLASS = 0x1ead;
export const NORMALIZER_LOCK = 100;

const RESOURCE_JOB_ATTEMPTS = 5;

/** The database as the sync uses it (graphile-worker's helpers in a job). */
export interface Db {
  query<R extends QueryResultRow = any>(sql: string, values?: unknown[]): Promise<QueryResult<R>>;
  withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
}

export function jobDb(helpers: JobHelpers): Db {
  return { query: (sql, values) => helpers.query(sql, values), withClient: (work) => helpers.withPgClient(work) };
}

export function instantlyClient(options: { onRequest?: (status: number | string) => void; signal?: AbortSignal } = {}): InstantlyClient {
  const config = loadConfig();
  const { apiUrl, apiKey, rateLimits, rateLimitTimeScale, requestTimeoutMs, maxRetries, retryBaseMs } = config.instantly;
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

// ---------------------------------------------------------------------------
// Runs

// A run is alive while one of its parts is: running under its advisory lock
// (held by a live connection of this database), or waiting as a queued job
// that no worker holds. (graphile-worker's public jobs view has no payload:
// its private tables do.) A part finishing and queueing the next parts does
// both in one transaction, so there is no gap between them.
const RUN_IS_ALIVE_SQL = `
select exists (
  select 1 from instantly_sync_run_resources r
  where r.run_id = $1 and (
    (r.status = 'running' and exists (
      select 1 from pg_locks l
      where l.locktype = 'advisory' and l.granted and l.classid = ${LOCK_CLASS} and l.objsubid = 2
        and l.database = (select oid from pg_database where datname = current_database())
        and l.objid = array_position($2::text[], r.resource)))
    or (r.status = 'pending' and exists (
      select 1 from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'instantly_sync__' || r.resource and j.payload ->> 'runId' = $1::text
        and j.attempts < j.max_attempts and j.locked_at is null))
  )
) as alive`;

export interface StartedRun {
  runId: string;
  /** A run was already under way; the request joined it. */
  joined: boolean;
}

/**
 * Starts a run, or joins the one under way (one sync of the workspace at a
 * time). A run whose jobs died with their process is marked interrupted; the
 * new run resumes from the saved cursors.
 */
export async function startRun(db: Db, triggeredBy: TriggeredBy, requestId?: string): Promise<StartedRun> {
  return withTransaction(db, async (client) => {
    await client.query("select pg_advisory_xact_lock($1, 0)", [LOCK_CLASS]);
    const { rows: running } = await client.query<{ id: string }>(
      "select id from instantly_sync_runs where status = 'running' order by started_at",
    );
    let runId: string | undefined;
    for (const run of running) {
      // A resource's lock is (LOCK_CLASS, its 1-based place in RESOURCES).
      const { rows } = await client.query<{ alive: boolean }>(RUN_IS_ALIVE_SQL, [run.id, RESOURCES]);
      if (rows[0]!.alive) {
        runId = run.id;
      } else {
        await client.query(
          `update instantly_sync_run_resources set status = 'interrupted', finished_at = now(), error = coalesce(error, 'its worker stopped before it finished')
           where run_id = $1 and status in ('pending', 'running')`,
          [run.id],
        );
        await client.query(
          `update instantly_sync_runs set status = 'interrupted', finished_at = now(), error = coalesce(error, 'its worker stopped before it finished; the next run resumed from where it got to') where id = $1`,
          [run.id],
        );
      }
    }
    const joined = runId !== undefined;
    if (!runId) {
      const { rows } = await client.query<{ id: string }>("insert into instantly_sync_runs (triggered_by) values ($1) returning id", [
        triggeredBy,
      ]);
      runId = rows[0]!.id;
      await client.query("insert into instantly_sync_run_resources (run_id, resource) select $1, unnest($2::text[])", [runId, RESOURCES]);
      for (const resource of ["campaigns", "accounts"] as const) await addResourceJob(client, runId, resource);
    }
    // Every request waiting is served by this run (job_key folds the jobs of
    // requests made while one was waiting into one job, with the last payload).
    await client.query("update instantly_sync_requests set run_id = $2 where run_id is null or id = $1", [requestId ?? null, runId]);
    return { runId, joined };
  });
}

/** Records a run that could not start (e.g. no API key), so whoever asked sees why. */
export async function recordFailedRun(db: Db, triggeredBy: TriggeredBy, error: string, requestId?: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into instantly_sync_runs (triggered_by, status, finished_at, error) values ($1, 'failed', now(), $2) returning id`,
    [triggeredBy, error],
  );
  await db.query("update instantly_sync_requests set run_id = $2 where run_id is null or id = $1", [requestId ?? null, rows[0]!.id]);
  return rows[0]!.id;
}

async function addResourceJob(client: PoolClient, runId: string, resource: SyncResource): Promise<void> {
  await client.query(`select graphile_worker.add_job($1, json_build_object('runId', $2::text), max_attempts => $3)`, [
    `instantly_sync__${resource}`,
    runId,
    RESOURCE_JOB_ATTEMPTS,
  ]);
}

/** Closes the run once every resource has finished. */
async function finishRunIfDone(db: Db, runId: string): Promise<void> {
  await db.query(
    `with r as (
       select count(*) filter (where status in ('pending', 'running')) as open,
              count(*) filter (where status = 'failed') as failed,
              count(*) filter (where status = 'completed_with_errors') as with_errors,
              coalesce(sum(requests_made), 0) as requests, coalesce(sum(rate_limited), 0) as rate_limited,
              string_agg(resource || ': ' || error, '; ') filter (where status = 'failed') as errors
       from instantly_sync_run_resources where run_id = $1
     )
     update instantly_sync_runs run set
       requests_made = r.requests, rate_limited = r.rate_limited,
       status = case when r.open > 0 then run.status when r.failed > 0 then 'failed'
                     when r.with_errors > 0 then 'completed_with_errors' else 'completed' end,
       finished_at = case when r.open > 0 then null else now() end,
       error = case when r.open > 0 then run.error else r.errors end
     from r where run.id = $1 and run.status = 'running'`,
    [runId],
  );
}

// ---------------------------------------------------------------------------
// Resource jobs

interface ResourceContext {
  db: Db;
  runId: string;
  client: InstantlyClient;
  counts: { received: number; stored: number; rejected: number };
  /** Writes the request and row counts so far (called after every page). */
  flush(): Promise<void>;
}

type ResourceWork = (context: ResourceContext) => Promise<void>;

const WORK: Record<SyncResource, ResourceWork> = {
  campaigns: syncCampaigns,
  accounts: syncAccounts,
  daily_analytics: syncDailyAnalytics,
  emails: syncEmails,
  leads: syncLeads,
};

/** The body of tasks/instantly_sync__<resource>.ts. */
export async function runResourceJob(resource: SyncResource, payload: unknown, helpers: JobHelpers): Promise<void> {
  const runId = (payload as { runId?: unknown } | null)?.runId;
  if (typeof runId !== "string") throw new Error(`instantly_sync__${resource}: payload.runId is required, got ${JSON.stringify(payload)}`);
  const db = jobDb(helpers);
  // The lock's connection is held for the whole job: the lock goes with it.
  await db.withClient(async (lock) => {
    const { rows } = await lock.query<{ locked: boolean }>("select pg_try_advisory_lock($1, $2) as locked", [
      LOCK_CLASS,
      RESOURCES.indexOf(resource) + 1,
    ]);
    if (!rows[0]!.locked) {
      const message = `another ${resource} sync is running`;
      if (helpers.job.attempts >= helpers.job.max_attempts) {
        await failResource(db, runId, resource, message);
        return;
      }
      throw new Error(`${message}; this job will be retried`);
    }
    try {
      const { rows: state } = await db.query<{ status: string }>(
        "select r.status from instantly_sync_run_resources r join instantly_sync_runs run on run.id = r.run_id where r.run_id = $1 and r.resource = $2 and run.status = 'running'",
        [runId, resource],
      );
      // The run was interrupted or finished meanwhile (e.g. a job of a killed worker run again hours later): nothing to do.
      if (!state[0] || !["pending", "running"].includes(state[0].status)) return;
      await runResource(db, runId, resource, helpers);
    } finally {
      await lock.query("select pg_advisory_unlock($1, $2)", [LOCK_CLASS, RESOURCES.indexOf(resource) + 1]).catch(() => {});
    }
  });
}

async function runResource(db: Db, runId: string, resource: SyncResource, helpers: JobHelpers): Promise<void> {
  let requests = 0;
  let rateLimited = 0;
  let flushed = { requests: 0, rateLimited: 0 };
  const counts = { received: 0, stored: 0, rejected: 0 };
  let client: InstantlyClient;
  try {
    client = instantlyClient({
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
    await WORK[resource]({ db, runId, client, counts, flush });
    await flush();
    await withTransaction(db, async (tx) => {
      await tx.query(
        `update instantly_sync_run_resources set status = case when rows_rejected > 0 then 'completed_with_errors' else 'completed' end,
           finished_at = now(), error = null where run_id = $1 and resource = $2`,
        [runId, resource],
      );
      if (resource === "campaigns") {
        for (const next of ["daily_analytics", "emails", "leads"] as const) await addResourceJob(tx, runId, next);
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

async function failResource(db: Db, runId: string, resource: SyncResource, message: string): Promise<void> {
  await db.query(
    "update instantly_sync_run_resources set status = 'failed', finished_at = now(), error = $3 where run_id = $1 and resource = $2",
    [runId, resource, message],
  );
  // Resources that wait for the campaigns cannot run without them.
  if (resource === "campaigns") {
    await db.query(
      `update instantly_sync_run_resources set status = 'failed', finished_at = now(), error = 'the campaigns could not be fetched'
       where run_id = $1 and resource in ('daily_analytics', 'emails', 'leads') and status = 'pending'`,
      [runId],
    );
  }
  await finishRunIfDone(db, runId);
}

async function failRun(db: Db, runId: string, message: string): Promise<void> {
  await db.query(
    `update instantly_sync_run_resources set status = 'failed', finished_at = now(), error = $2
     where run_id = $1 and status = 'pending'`,
    [runId, message],
  );
  await finishRunIfDone(db, runId);
}

function withTransaction<T>(db: Db, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return db.withClient((client) => inTransaction(client, () => work(client)));
}

/** Splits a page into valid records and rejects; the rejects are stored with their reason. */
async function validate<T>(
  db: PoolClient,
  context: ResourceContext,
  resource: InstantlyResource,
  items: unknown[],
  idOf: (raw: unknown) => unknown,
): Promise<{ record: T; raw: unknown }[]> {
  const checked = validateRecords<T>(resource, items);
  const rejected = checked.rejected;
  const valid: { record: T; raw: unknown }[] = [];
  for (const item of checked.valid) {
    const reason = unstorable(item.raw);
    if (reason) rejected.push({ raw: sanitized(item.raw), reason: `${resource}: ${reason}` });
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

const field = (key: string) => (raw: unknown) => (raw && typeof raw === "object" ? (raw as Record<string, unknown>)[key] : undefined);

/**
 * Runs work for each item with at most `limit` at once. After a failure no
 * new item starts, and the ones under way finish before the failure is
 * thrown (so nothing of this job still writes while its retry runs).
 */
async function eachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
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

// ---------------------------------------------------------------------------
// campaigns: GET /campaigns (settings, sequences) + GET /campaigns/analytics
// (counters), one raw row per campaign holding both objects as received.

async function syncCampaigns(context: ResourceContext): Promise<void> {
  const analyticsItems = await context.client.campaignAnalytics();
  const analytics = new Map<string, unknown>();
  await withTransaction(context.db, async (db) => {
    const valid = await validate<{ campaign_id: string }>(db, context, "campaign_analytics", analyticsItems, field("campaign_id"));
    for (const { record, raw } of valid) analytics.set(record.campaign_id, raw);
  });
  const seen = new Set<string>();
  for await (const page of context.client.listCampaigns()) {
    await withTransaction(context.db, async (db) => {
      const valid = await validate<{ id: string }>(db, context, "campaign", page.items, field("id"));
      const rows = valid.map(({ record, raw }): CampaignRow => {
        seen.add(record.id);
        return { id: record.id, raw: { campaign: raw, analytics: analytics.get(record.id) ?? null } };
      });
      await upsertCampaigns(db, rows);
      context.counts.stored += rows.length;
    });
    await context.flush();
  }
  // Campaigns the analytics know of but the list did not return (deleted since?): keep their counters too.
  const rest = [...analytics.entries()]
    .filter(([id]) => !seen.has(id))
    .map(([id, raw]): CampaignRow => ({ id, raw: { campaign: null, analytics: raw } }));
  if (rest.length) {
    await withTransaction(context.db, async (db) => {
      await upsertCampaigns(db, rest, { analyticsOnly: true });
      context.counts.stored += rest.length;
    });
  }
}

// ---------------------------------------------------------------------------
// accounts: GET /accounts, one raw row per sending mailbox.

async function syncAccounts(context: ResourceContext): Promise<void> {
  for await (const page of context.client.listAccounts()) {
    await withTransaction(context.db, async (db) => {
      const valid = await validate<{ email: string }>(db, context, "account", page.items, field("email"));
      await upsertAccounts(
        db,
        valid.map((v) => v.raw),
      );
      context.counts.stored += valid.length;
    });
    await context.flush();
  }
}

// ---------------------------------------------------------------------------
// Per campaign: the campaigns the campaigns job stored, with a fingerprint of
// their counters. A campaign whose counters have not moved since the last
// complete pass has no new emails or lead changes and is not fetched again.

interface StoredCampaign {
  id: string;
  createdDate: string | null;
  fingerprint: string;
}

async function storedCampaigns(db: Db): Promise<StoredCampaign[]> {
  const { rows } = await db.query<{ id: string; created: string | null; analytics: unknown; status: number | null }>(
    `select instantly_campaign_id as id, raw_json #>> '{campaign,timestamp_created}' as created,
            raw_json -> 'analytics' as analytics, campaign_status as status
     from instantly_campaigns_raw order by instantly_campaign_id`,
  );
  return rows.map((row) => ({
    id: row.id,
    createdDate: row.created && /^\d{4}-\d{2}-\d{2}/.test(row.created) ? row.created.slice(0, 10) : null,
    fingerprint: createHash("sha256")
      .update(JSON.stringify([row.status, row.analytics]))
      .digest("hex")
      .slice(0, 32),
  }));
}

// Not every change moves a counter (an interest status set by hand, a manual
// email), so an unchanged campaign is still passed over again after a while.
const FULL_PASS_AFTER = { emails: "6 hours", leads: "24 hours" } as const;

async function unchanged(db: Db, resource: "emails" | "leads", campaign: StoredCampaign): Promise<boolean> {
  const { rows } = await db.query<{ fresh: boolean }>(
    `select fingerprint = $3 and cursor is null and updated_at > now() - $4::interval as fresh
     from instantly_sync_state where resource = $1 and scope = $2`,
    [resource, campaign.id, campaign.fingerprint, FULL_PASS_AFTER[resource]],
  );
  return rows[0]?.fresh === true;
}

// daily_analytics: GET /campaigns/analytics/daily per campaign (its rows carry
// no campaign id: it comes from the request) and once without campaign_id
// for the workspace totals.

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

async function syncDailyAnalytics(context: ResourceContext): Promise<void> {
  const campaigns = await storedCampaigns(context.db);
  // End is exclusive-ish and must be after the start ("Start Date must be earlier than End Date").
  const endDate = isoDate(new Date(Date.now() + 86_400_000));
  const yearAgo = isoDate(new Date(Date.now() - 365 * 86_400_000));
  const scopes: { campaignId: string | null; createdDate: string | null }[] = [
    { campaignId: null, createdDate: null },
    ...campaigns.map((c) => ({ campaignId: c.id, createdDate: c.createdDate })),
  ];
  await eachConcurrently(scopes, CAMPAIGN_CONCURRENCY, async ({ campaignId, createdDate }) => {
    const { rows } = await context.db.query<{ last: string | null }>(
      "select max(analytics_date)::text as last from instantly_daily_analytics_raw where instantly_campaign_id is not distinct from $1",
      [campaignId],
    );
    const last = rows[0]?.last;
    const startDate = last ? isoDate(new Date(Date.parse(last) - ANALYTICS_REFETCH_DAYS * 86_400_000)) : (createdDate ?? yearAgo);
    const items = await context.client.dailyAnalytics({ campaignId: campaignId ?? undefined, startDate, endDate });
    await withTransaction(context.db, async (db) => {
      const valid = await validate<{ date: string }>(
        db,
        context,
        "daily_analytics",
        items,
        (raw) => `${campaignId ?? "workspace"}:${String(field("date")(raw))}`,
      );
      await upsertDailyAnalytics(
        db,
        valid.map((v) => v.raw),
        campaignId,
      );
      context.counts.stored += valid.length;
    });
    await context.flush();
  });
}

// emails: GET /emails per campaign, newest first, from a little before the
// newest timestamp_created of the last complete pass. The cursor of each page
// is saved with the page's rows, so a killed pass continues where it stopped;
// the watermark moves only when a pass completes (newest first means an
// unfinished pass has gaps below its newest email).

interface PassState {
  cursor: string | null;
  watermark: string | null;
  pass_newest: string | null;
}

async function passState(db: Db, resource: string, scope: string): Promise<PassState> {
  const { rows } = await db.query<PassState>(
    `insert into instantly_sync_state (resource, scope) values ($1, $2)
     on conflict (resource, scope) do update set resource = excluded.resource
     returning cursor, watermark, pass_newest`,
    [resource, scope],
  );
  return rows[0]!;
}

async function syncEmails(context: ResourceContext): Promise<void> {
  const campaigns = await storedCampaigns(context.db);
  await eachConcurrently(campaigns, CAMPAIGN_CONCURRENCY, async (campaign) => {
    if (await unchanged(context.db, "emails", campaign)) return;
    const state = await passState(context.db, "emails", campaign.id);
    const since = state.watermark ? new Date(Date.parse(state.watermark) - EMAIL_OVERLAP_MS).toISOString() : undefined;
    const pages = context.client.listEmails({
      campaignId: campaign.id,
      minTimestampCreated: since,
      startingAfter: state.cursor ?? undefined,
    });
    for await (const page of pages) {
      await withTransaction(context.db, async (db) => {
        const valid = await validate<{ id: string; timestamp_created?: string | null }>(db, context, "email", page.items, field("id"));
        await upsertEmails(
          db,
          valid.map((v) => v.raw),
          campaign.id,
        );
        context.counts.stored += valid.length;
        const newest = valid.reduce<string | null>((max, { record }) => {
          const created = record.timestamp_created;
          return typeof created === "string" && (max === null || created > max) ? created : max;
        }, null);
        await db.query(
          `update instantly_sync_state set cursor = $3, pass_started_at = coalesce(pass_started_at, now()),
             pass_newest = greatest(pass_newest, $4), updated_at = now()
           where resource = 'emails' and scope = $1 and cursor is not distinct from $2`,
          [campaign.id, page.cursor ?? null, page.nextCursor ?? null, newest],
        );
      });
      await context.flush();
    }
    await completePass(context.db, "emails", campaign);
  });
}

async function completePass(db: Db, resource: string, campaign: StoredCampaign): Promise<void> {
  await db.query(
    `update instantly_sync_state set watermark = coalesce(greatest(watermark, pass_newest), watermark), pass_newest = null,
       cursor = null, pass_started_at = null, fingerprint = $3, updated_at = now()
     where resource = $1 and scope = $2`,
    [resource, campaign.id, campaign.fingerprint],
  );
}

// leads: POST /leads/list per campaign (cursor in the body), for names,
// companies and interest statuses of the people the emails go to.

async function syncLeads(context: ResourceContext): Promise<void> {
  const campaigns = await storedCampaigns(context.db);
  await eachConcurrently(campaigns, CAMPAIGN_CONCURRENCY, async (campaign) => {
    if (await unchanged(context.db, "leads", campaign)) return;
    const state = await passState(context.db, "leads", campaign.id);
    for await (const page of context.client.listLeads({ campaignId: campaign.id, startingAfter: state.cursor ?? undefined })) {
      await storeLeadsPage(context, campaign.id, page);
      await context.flush();
    }
    await completePass(context.db, "leads", campaign);
  });
}

async function storeLeadsPage(context: ResourceContext, campaignId: string, page: Page): Promise<void> {
  await withTransaction(context.db, async (db) => {
    const valid = await validate<{ id: string }>(db, context, "lead", page.items, field("id"));
    await upsertLeads(
      db,
      valid.map((v) => v.raw),
      campaignId,
    );
    context.counts.stored += valid.length;
    await db.query(
      `update instantly_sync_state set cursor = $3, pass_started_at = coalesce(pass_started_at, now()), updated_at = now()
       where resource = 'leads' and scope = $1 and cursor is not distinct from $2`,
      [campaignId, page.cursor ?? null, page.nextCursor ?? null],
    );
  });
}
