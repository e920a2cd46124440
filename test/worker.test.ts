// The graphile-worker runner runs real jobs, and stopping it lets a running job finish.
import type { TaskList } from "graphile-worker";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { startWorker } from "../src/worker.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

let db: TestDatabase;

/** A slow job: it records its start, works for a while, then records its end. */
const taskList: TaskList = {
  slow_job: async (payload, helpers) => {
    const { name } = payload as { name: string };
    await helpers.query("insert into job_log (job, step) values ($1, 'started')", [name]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await helpers.query("insert into job_log (job, step) values ($1, 'finished')", [name]);
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query("create table job_log (job text, step text, at timestamptz default clock_timestamp())");
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("worker", () => {
  it("runs jobs added from SQL and, when stopped, lets the running job finish", async () => {
    const worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 2, shutdownTimeoutMs: 10_000, taskList });
    try {
      await db.pool.query(`select graphile_worker.add_job('slow_job', json_build_object('name', 'first'))`);
      await waitFor(async () => (await db.pool.query("select 1 from job_log where step = 'started'")).rowCount === 1);
    } finally {
      await worker.stop();
    }
    const { rows } = await db.pool.query("select job, step from job_log order by at");
    expect(rows).toEqual([
      { job: "first", step: "started" },
      { job: "first", step: "finished" },
    ]);
    // Completed jobs leave the queue; nothing failed or waits for a retry.
    const queue = await db.pool.query("select count(*)::int as n from graphile_worker.jobs");
    expect(queue.rows[0].n).toBe(0);
  });
});
