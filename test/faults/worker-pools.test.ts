// A worker that dies (kill -9, a crash) leaves its jobs locked; graphile-worker
// would take them again only after 4 hours. The next worker to start (or any
// running one, once a minute) gives back the jobs of pools that are really
// dead, and never those of a live one (src/database/worker-pools.ts).
import { spawnSync } from "node:child_process";
import os from "node:os";
import type { TaskList } from "graphile-worker";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { WORKER_POOL_LOCK_CLASS } from "../../src/database/locks.ts";
import { recoverDeadWorkerPools } from "../../src/database/worker-pools.ts";
import { startWorker } from "../../src/worker.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

let db: TestDatabase;
const taskList: TaskList = {
  fault_job: async (payload, helpers) => {
    await helpers.query("insert into fault_job_log (name) values ($1)", [(payload as { name: string }).name]);
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query("create table fault_job_log (name text)");
});

/** The pid of a process that has exited (so that no process has it, for a while). */
function deadPid(): number {
  return spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim() as unknown as number;
}

/** A job locked by `poolId` as graphile-worker locks the ones it runs; returns its id. */
async function lockedJob(name: string, poolId: string): Promise<string> {
  const { rows } = await db.pool.query("select id from graphile_worker.add_job('fault_job', json_build_object('name', $1::text))", [name]);
  await db.pool.query("update graphile_worker._private_jobs set locked_by = $2, locked_at = now() where id = $1", [rows[0].id, poolId]);
  return rows[0].id;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("dead worker pools", () => {
  it("a starting worker runs the jobs a dead worker left locked, and leaves those of live or unknown pools alone", async () => {
    // Dead: its process on this machine is gone (its lock is free: no session holds it).
    await db.pool.query("insert into leadgraph_private.worker_pools (pool_id, hostname, pid) values ('pool-dead', $1, $2)", [
      os.hostname(),
      Number(deadPid()),
    ]);
    await lockedJob("of the dead pool", "pool-dead");
    // Alive, on another machine, silent for 10 minutes (its database connection was away) but holding its lock.
    const { rows } = await db.pool.query<{ lock_id: number }>(
      "insert into leadgraph_private.worker_pools (pool_id, hostname, pid, last_seen_at) values ('pool-alive', 'elsewhere', 1, now() - interval '10 minutes') returning lock_id",
    );
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query("select pg_advisory_lock($1, $2)", [WORKER_POOL_LOCK_CLASS, rows[0]!.lock_id]);
    const aliveJob = await lockedJob("of the live pool", "pool-alive");
    // Unknown: not registered (a worker of another application, or of a leadgraph before this).
    const unknownJob = await lockedJob("of an unknown pool", "pool-unknown");

    const messages: string[] = [];
    // Warnings go through src/log.ts, which writes to stderr.
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (messages.push(String(chunk)), true)) as typeof process.stderr.write;
    const worker = await startWorker({
      databaseUrl: db.url,
      config: loadConfig(),
      concurrency: 1,
      shutdownTimeoutMs: 5000,
      taskList,
      quiet: true,
    });
    try {
      await waitFor(async () => (await db.pool.query("select 1 from fault_job_log")).rowCount === 1);
      // The running worker registered itself and holds its lock.
      const registered = await db.pool.query(
        `select p.pool_id from leadgraph_private.worker_pools p
         join pg_locks l on l.locktype = 'advisory' and l.classid = $1 and l.objid = p.lock_id and l.objsubid = 2 and l.granted
         where p.pool_id like 'pool-%' and p.pool_id not in ('pool-alive')`,
        [WORKER_POOL_LOCK_CLASS],
      );
      expect(registered.rows).toHaveLength(1);
      // Another sweep (what each worker does once a minute) finds nothing more to give back.
      expect(await recoverDeadWorkerPools(db.pool, () => {})).toBe(0);
    } finally {
      await worker.stop();
      process.stderr.write = write;
      await holder.end();
    }
    expect((await db.pool.query("select name from fault_job_log")).rows).toEqual([{ name: "of the dead pool" }]);
    expect(messages.join("\n")).toMatch(/gave back 1 job of worker pool pool-dead \(process \d+, which died\) to the queue/);
    const still = await db.pool.query("select id::text, locked_by from graphile_worker._private_jobs order by id");
    expect(still.rows).toEqual([
      { id: String(aliveJob), locked_by: "pool-alive" },
      { id: String(unknownJob), locked_by: "pool-unknown" },
    ]);
    // A stopped worker unregisters; the dead pool was forgotten; the live one stays.
    const pools = await db.pool.query("select pool_id from leadgraph_private.worker_pools order by pool_id");
    expect(pools.rows).toEqual([{ pool_id: "pool-alive" }]);
  });

  it("a live pool whose lock is free but which spoke recently is not declared dead", async () => {
    await db.pool.query("delete from leadgraph_private.worker_pools");
    await db.pool.query("insert into leadgraph_private.worker_pools (pool_id, hostname, pid) values ('pool-reconnecting', 'elsewhere', 1)");
    await lockedJob("of the reconnecting pool", "pool-reconnecting");
    expect(await recoverDeadWorkerPools(db.pool, () => {})).toBe(0);
    // Silent past the limit: now it is dead.
    await db.pool.query("update leadgraph_private.worker_pools set last_seen_at = now() - interval '2 minutes'");
    expect(await recoverDeadWorkerPools(db.pool, () => {})).toBe(1);
    const { rows } = await db.pool.query(
      "select count(*)::int as n from graphile_worker._private_jobs where locked_by = 'pool-reconnecting'",
    );
    expect(rows[0].n).toBe(0);
  });
});
