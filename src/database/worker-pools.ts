// Gives back the jobs of graphile-worker pools that died. graphile-worker
// locks each job it runs with its pool's id (graphile_worker jobs' locked_by)
// and only takes a locked job again after 4 hours: a kill -9 during a CSV
// normalisation would leave the import at "processing" that long.
//
// Which pools are alive, across processes and machines: each running pool has
// a row in leadgraph_private.worker_pools and holds a session advisory lock on
// its lock_id, on a connection of its own. PostgreSQL frees a session lock
// when its connection ends, so a free lock says its holder's process is gone
// (or lost its database). To tell "gone" from "reconnecting after a database
// restart", a pool is dead only when its lock is free and either its process
// is on this machine and no longer exists, or it has not said it is alive for
// STALE_MS. Then its jobs are unlocked (graphile_worker.force_unlock_workers)
// and run again by a live worker. Jobs of pools not in the table (a leadgraph
// from before this, another application's worker) are never touched.
import os from "node:os";
import pg from "pg";
import { WORKER_POOL_LOCK_CLASS } from "./locks.ts";

/** How often a live pool says so. */
const HEARTBEAT_MS = 5_000;
/** A pool silent this long (and with its lock free) is dead, wherever it ran. */
export const STALE_MS = 60_000;
/** How often each worker looks for dead pools (besides at its start). */
export const SWEEP_MS = 60_000;
const RECONNECT_MS = 1_000;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface RegisteredPool {
  /** Unregisters the pool (after it stopped: its jobs are finished or returned). */
  stop(): Promise<void>;
}

/**
 * Registers the running pool `poolId` and holds its lock until stop(),
 * reconnecting when the database goes away. `onLost` is called if another
 * worker declared this pool dead meanwhile (it was silent past STALE_MS): its
 * jobs may then run twice, so the caller should stop the pool.
 */
export async function registerWorkerPool(
  databaseUrl: string,
  poolId: string,
  log: (message: string) => void,
  onLost: () => void,
): Promise<RegisteredPool> {
  let client: pg.Client | undefined;
  let stopped = false;
  let lockId: number | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<pg.Client> => {
    const next = new pg.Client({ connectionString: databaseUrl, application_name: `leadgraph worker pool ${poolId}` });
    next.on("error", () => {}); // seen by the heartbeat's failing query
    await next.connect();
    return next;
  };
  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(() => void beat(), ms);
    timer?.unref();
  };
  /** Keeps the lock held and last_seen_at fresh; reconnects and takes the lock again after a lost connection. */
  const beat = async () => {
    try {
      if (!client) {
        client = await connect();
        const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1, $2) as locked", [
          WORKER_POOL_LOCK_CLASS,
          lockId,
        ]);
        // Held by a worker looking whether we are alive: ask again shortly.
        if (!rows[0]!.locked) throw new Error("lock busy");
        log(`worker pool ${poolId} is connected again`);
      }
      const { rowCount } = await client.query("update leadgraph_private.worker_pools set last_seen_at = now() where pool_id = $1", [
        poolId,
      ]);
      if (!rowCount) {
        stopped = true;
        log(
          `worker pool ${poolId} was declared dead by another worker while it could not reach the database; its jobs were given back to the queue`,
        );
        onLost();
        return;
      }
      schedule(HEARTBEAT_MS);
    } catch {
      const lost = client;
      client = undefined;
      await lost?.end().catch(() => {});
      schedule(RECONNECT_MS);
    }
  };

  client = await connect();
  try {
    // One transaction: the row becomes visible only with the lock already held.
    await client.query("begin");
    const { rows } = await client.query<{ lock_id: number }>(
      "insert into leadgraph_private.worker_pools (pool_id, hostname, pid) values ($1, $2, $3) returning lock_id",
      [poolId, os.hostname(), process.pid],
    );
    lockId = rows[0]!.lock_id;
    await client.query("select pg_advisory_lock($1, $2)", [WORKER_POOL_LOCK_CLASS, lockId]);
    await client.query("commit");
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  schedule(HEARTBEAT_MS);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const last = client ?? (await connect().catch(() => undefined));
      if (!last) return; // the database is gone: the next sweep removes the row
      await last.query("delete from leadgraph_private.worker_pools where pool_id = $1", [poolId]).catch(() => {});
      await last.end().catch(() => {});
    },
  };
}

interface PoolRow {
  pool_id: string;
  lock_id: number;
  hostname: string;
  pid: number;
  silent_ms: number;
}

/**
 * Unlocks the jobs of every registered pool that is dead (see the top of this
 * file) and forgets the pool. Returns how many jobs went back to the queue.
 * Safe to run from many workers at once: each dead pool is handled by the one
 * that takes its lock.
 */
export async function recoverDeadWorkerPools(pool: pg.Pool, log: (message: string) => void): Promise<number> {
  const { rows } = await pool.query<PoolRow>(
    "select pool_id, lock_id, hostname, pid, (extract(epoch from now() - last_seen_at) * 1000)::float8 as silent_ms from leadgraph_private.worker_pools",
  );
  const here = os.hostname();
  const candidates = rows.filter((row) => (row.hostname === here && !processExists(row.pid)) || row.silent_ms > STALE_MS);
  let recovered = 0;
  for (const row of candidates) {
    const client = await pool.connect();
    try {
      const { rows: locked } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1, $2) as locked", [
        WORKER_POOL_LOCK_CLASS,
        row.lock_id,
      ]);
      if (!locked[0]!.locked) continue; // alive after all
      try {
        await client.query("begin");
        const { rows: jobs } = await client.query<{ n: number }>(
          "select count(*)::int as n from graphile_worker._private_jobs where locked_by = $1",
          [row.pool_id],
        );
        await client.query("select graphile_worker.force_unlock_workers(array[$1::text])", [row.pool_id]);
        await client.query("delete from leadgraph_private.worker_pools where pool_id = $1", [row.pool_id]);
        await client.query("commit");
        const count = jobs[0]!.n;
        recovered += count;
        const where = row.hostname === here ? `process ${row.pid}` : `process ${row.pid} on ${row.hostname}`;
        log(
          count
            ? `gave back ${count} job${count === 1 ? "" : "s"} of worker pool ${row.pool_id} (${where}, which died) to the queue`
            : `forgot worker pool ${row.pool_id} (${where}, which died; it held no job)`,
        );
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        await client.query("select pg_advisory_unlock($1, $2)", [WORKER_POOL_LOCK_CLASS, row.lock_id]).catch(() => {});
      }
    } finally {
      client.release();
    }
  }
  return recovered;
}

/**
 * Gives back the jobs of `poolId`, a pool of this process whose runner has
 * ended (so none of its jobs runs any more), and forgets it. A runner that
 * ended because the database went away could record neither its jobs'
 * outcomes nor its end: its jobs stay locked, and recoverDeadWorkerPools
 * would take them back only once the pool is STALE_MS silent (its process is
 * alive). Returns how many jobs went back to the queue.
 */
export async function releaseEndedPool(pool: pg.Pool, poolId: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from graphile_worker._private_jobs where locked_by = $1",
      [poolId],
    );
    await client.query("select graphile_worker.force_unlock_workers(array[$1::text])", [poolId]);
    await client.query("delete from leadgraph_private.worker_pools where pool_id = $1", [poolId]);
    await client.query("commit");
    return rows[0]!.n;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
