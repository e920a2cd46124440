// Every PostgreSQL advisory lock leadgraph takes, in one registry, so no two
// uses share a key by accident. A lock is the pair (LOCK_CLASS, id): the
// two-integer form of pg_advisory_lock, which pg_locks shows as
// classid = LOCK_CLASS, objid = id, objsubid = 2.
//
// Session locks (pg_try_advisory_lock) are released by PostgreSQL when their
// connection ends, so a killed worker never leaves one behind: holding one is
// how a job shows it is alive (src/sources/instantly/sync/run.ts).
import type { ClientBase } from "pg";

export const LOCK_CLASS = 0x1ead;

/**
 * Second class, one lock per running graphile-worker pool: (WORKER_POOL_LOCK_CLASS,
 * leadgraph_private.worker_pools.lock_id), held by the pool's process while it
 * runs (src/database/worker-pools.ts).
 */
export const WORKER_POOL_LOCK_CLASS = 0x1eae;

export const LOCKS = {
  /** Transaction lock: one Instantly sync run starts (or is joined) at a time. */
  instantlySyncStart: 0,
  /** One job per resource of the Instantly sync at a time (held for the whole job). */
  instantlySyncResource: { campaigns: 1, accounts: 2, daily_analytics: 3, emails: 4, leads: 5 },
  /** One Instantly normaliser at a time (tasks/instantly_raw__normalize.ts). */
  instantlyNormalizer: 100,
  /** One VAPI normaliser at a time (tasks/vapi_raw__normalize.ts). */
  vapiNormalizer: 110,
  /** One placer of VAPI calls at a time (tasks/vapi_call_requests__place.ts). */
  vapiCallPlacer: 200,
  /** One VAPI sync at a time (tasks/vapi_sync.ts, held for the whole run: how a run shows it is alive). */
  vapiSync: 201,
  /**
   * Migrations, one process at a time; the others wait, then find nothing to
   * do (graphile-migrate's own lock fails at once, "Failed to get exclusive lock").
   */
  migrations: 300,
} as const;

/**
 * Runs `work` holding the session lock (LOCK_CLASS, id) on `client`, released
 * afterwards; when another session holds it, does not run `work` and answers
 * false. `client` must stay the same connection for the whole call.
 */
export async function withSessionLock(client: ClientBase, id: number, work: () => Promise<void>): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1, $2) as locked", [LOCK_CLASS, id]);
  if (!rows[0]!.locked) return false;
  try {
    await work();
  } finally {
    // A broken connection has released the lock already.
    await client.query("select pg_advisory_unlock($1, $2)", [LOCK_CLASS, id]).catch(() => {});
  }
  return true;
}
