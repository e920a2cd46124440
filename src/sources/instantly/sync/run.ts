// The Instantly sync: one run (tasks/instantly_sync.ts) fans out to one
// graphile-worker job per resource (tasks/instantly_sync__<resource>.ts):
// campaigns and accounts first; when the campaigns are in, daily analytics,
// emails and leads per campaign. Each job writes what Instantly sent into the
// raw layer (../raw.ts) and, in the same transaction, where it got to
// (./state.ts), so a job killed anywhere resumes where it stopped. The raw
// tables' triggers queue the rows for normalisation (../normalize/).
//
// This file: a run's life (start or join, interrupted, failed, finished) and
// how a run is known to be alive.
import type { JobHelpers } from "graphile-worker";
import type { PoolClient, QueryResult, QueryResultRow } from "pg";
import { LOCK_CLASS, LOCKS } from "../../../database/locks.ts";
import { inTransaction } from "../../../database/transaction.ts";

export const RESOURCES = ["campaigns", "accounts", "daily_analytics", "emails", "leads"] as const;
export type SyncResource = (typeof RESOURCES)[number];
export type TriggeredBy = "cron" | "cli" | "request";

/** Fetched first; the other resources are queued when the campaigns are in. */
const FIRST_RESOURCES = ["campaigns", "accounts"] as const;
export const AFTER_CAMPAIGNS = ["daily_analytics", "emails", "leads"] as const;

const RESOURCE_JOB_ATTEMPTS = 5;

/** The database as the sync uses it (graphile-worker's helpers in a job). */
export interface Db {
  query<R extends QueryResultRow = any>(sql: string, values?: unknown[]): Promise<QueryResult<R>>;
  withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
}

export function jobDb(helpers: JobHelpers): Db {
  return { query: (sql, values) => helpers.query(sql, values), withClient: (work) => helpers.withPgClient(work) };
}

export function withTransaction<T>(db: Db, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return db.withClient((client) => inTransaction(client, () => work(client)));
}

/** The job_key of a resource's job in a run: graphile-worker's jobs view shows it (its payload it does not). */
export function resourceJobKey(resource: SyncResource, runId: string): string {
  return `instantly_sync__${resource}:${runId}`;
}

// A run is alive while one of its parts is: running under its session
// advisory lock (held by a live connection of this database: see
// src/database/locks.ts for how pg_locks shows it), or waiting as a queued job
// that no worker holds. A part finishing and queueing the next parts does
// both in one transaction, so there is no gap between them.
const RUN_IS_ALIVE_SQL = `
select exists (
  select 1 from instantly_sync_run_resources r
  join unnest($2::text[], $3::int[], $4::text[]) as part (resource, lock_id, job_key) on part.resource = r.resource
  where r.run_id = $1 and (
    (r.status = 'running' and exists (
      select 1 from pg_locks l
      where l.locktype = 'advisory' and l.granted and l.classid = ${LOCK_CLASS} and l.objid = part.lock_id and l.objsubid = 2
        and l.database = (select oid from pg_database where datname = current_database())))
    or (r.status = 'pending' and exists (
      select 1 from graphile_worker.jobs j
      where j.key = part.job_key and j.attempts < j.max_attempts and j.locked_at is null))
  )
) as alive`;

async function runIsAlive(client: PoolClient, runId: string): Promise<boolean> {
  const { rows } = await client.query<{ alive: boolean }>(RUN_IS_ALIVE_SQL, [
    runId,
    RESOURCES,
    RESOURCES.map((resource) => LOCKS.instantlySyncResource[resource]),
    RESOURCES.map((resource) => resourceJobKey(resource, runId)),
  ]);
  return rows[0]!.alive;
}

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
    await client.query("select pg_advisory_xact_lock($1, $2)", [LOCK_CLASS, LOCKS.instantlySyncStart]);
    const { rows: running } = await client.query<{ id: string }>(
      "select id from instantly_sync_runs where status = 'running' order by started_at",
    );
    let runId: string | undefined;
    for (const run of running) {
      if (await runIsAlive(client, run.id)) {
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
      for (const resource of FIRST_RESOURCES) await addResourceJob(client, runId, resource);
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

export async function addResourceJob(client: PoolClient, runId: string, resource: SyncResource): Promise<void> {
  await client.query(`select graphile_worker.add_job($1, json_build_object('runId', $2::text), max_attempts => $3, job_key => $4)`, [
    `instantly_sync__${resource}`,
    runId,
    RESOURCE_JOB_ATTEMPTS,
    resourceJobKey(resource, runId),
  ]);
}

/** Closes the run once every resource has finished. */
export async function finishRunIfDone(db: Db, runId: string): Promise<void> {
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

/** A resource that cannot finish; the ones waiting for the campaigns fail with them. */
export async function failResource(db: Db, runId: string, resource: SyncResource, message: string): Promise<void> {
  await db.query(
    "update instantly_sync_run_resources set status = 'failed', finished_at = now(), error = $3 where run_id = $1 and resource = $2",
    [runId, resource, message],
  );
  if (resource === "campaigns") {
    await db.query(
      `update instantly_sync_run_resources set status = 'failed', finished_at = now(), error = 'the campaigns could not be fetched'
       where run_id = $1 and resource = any($2::text[]) and status = 'pending'`,
      [runId, AFTER_CAMPAIGNS],
    );
  }
  await finishRunIfDone(db, runId);
}

/** Stops the whole run (a key Instantly refuses): every resource still waiting fails with `message`. */
export async function failRun(db: Db, runId: string, message: string): Promise<void> {
  await db.query(
    `update instantly_sync_run_resources set status = 'failed', finished_at = now(), error = $2
     where run_id = $1 and status = 'pending'`,
    [runId, message],
  );
  await finishRunIfDone(db, runId);
}
