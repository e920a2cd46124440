// The VAPI sync against the fake VAPI over real HTTP, into a real PostgreSQL:
// GET /call has no cursor, so the sync pages by updatedAt windows (a full
// page is split), resumes after a failure from the last complete window,
// stores nothing for a call whose only change is its presigned URLs, stops
// on a refused key, retries 429s, and runs from a request row through a real
// worker, the normaliser making events of what it fetched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { VapiClient } from "../../src/sources/vapi/api/client.ts";
import { runVapiSync, type SyncOptions } from "../../src/sources/vapi/sync/run.ts";
import { startWorker } from "../../src/worker.ts";
import { startFakeVapi, type FakeVapi } from "../../tools/fake-vapi/server.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

const KEY = "vapi-sync-key";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = { info() {}, warn() {} };

let db: TestDatabase;
let fake: FakeVapi;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeVapi({ apiKey: KEY, calls: 2500, timeScale: 0, seed: 7 });
  afterAll(() => fake.close());
});

function client(key = KEY) {
  return new VapiClient({ baseUrl: fake.url, apiKey: key, timeoutMs: 2000, maxRetries: 3, retryBaseMs: 10, requestsPerSecond: 0 });
}

function options(extra: Partial<SyncOptions> = {}): SyncOptions {
  return { triggeredBy: "cli", settings: { syncSinceDays: 90, assistantIds: [], phoneNumberIds: [] }, logger: quiet, ...extra };
}

async function sync(api = client(), extra: Partial<SyncOptions> = {}) {
  const connection = await db.pool.connect();
  try {
    const result = await runVapiSync(connection, api, options(extra));
    const { rows } = await db.pool.query("select * from vapi_sync_runs where id = $1", [result.runId]);
    return rows[0];
  } finally {
    connection.release();
  }
}

const count = async (sql: string) => Number((await db.pool.query(sql)).rows[0].n);

describe("the VAPI sync", () => {
  it("refuses a wrong key at once, with a message, without retrying", async () => {
    const before = fake.stats().unauthorized;
    const run = await sync(client("wrong"));
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/401.*VAPI_API_KEY/);
    expect(fake.stats().unauthorized - before).toBe(1);
  });

  it("fetches every call by time windows, splitting full pages, and resumes after a failure", async () => {
    // The third GET /call fails for good: the first pass stops part-way.
    fake.setFaults([{ endpoint: "GET /call", kind: "status", status: 503, after: 2, times: 100 }]);
    await expect(sync(client(), { pageLimit: 400 })).rejects.toThrow(/503/);
    fake.clearFaults();
    const partial = await count("select count(*) as n from vapi_calls_raw");
    expect(partial).toBeLessThan(2500);
    const failed = (await db.pool.query("select status, error from vapi_sync_runs order by started_at desc limit 1")).rows[0];
    expect(failed).toMatchObject({ status: "failed", error: expect.stringMatching(/resumes/) });

    const run = await sync(client(), { pageLimit: 400 });
    expect(run.status).toBe("completed");
    expect(await count("select count(*) as n from vapi_calls_raw")).toBe(2500);
    expect(run.windows).toBeGreaterThan(2500 / 400);
    const state = (await db.pool.query("select watermark, pass_upper, backfill_done from leadgraph_private.vapi_sync_state")).rows;
    expect(state).toEqual([{ watermark: expect.any(Date), pass_upper: null, backfill_done: true }]);
  });

  it("stores nothing the next time: presigned URLs changed, the calls did not", async () => {
    const before = await count("select max(extract(epoch from updated_at) * 1e6)::bigint as n from vapi_calls_raw");
    const run = await sync();
    expect(run).toMatchObject({ status: "completed", calls_stored: 0 });
    expect(await count("select max(extract(epoch from updated_at) * 1e6)::bigint as n from vapi_calls_raw")).toBe(before);
  });

  it("retries a 429, honouring Retry-After", async () => {
    fake.setFaults([{ endpoint: "GET /call", kind: "rate_limit", retryAfter: 0.05, times: 2 }]);
    const run = await sync();
    fake.clearFaults();
    expect(run).toMatchObject({ status: "completed", rate_limited: 2 });
  });

  it("runs from a request row through the worker; the normaliser turns the calls it fetched into events", async () => {
    // A lead with the number of one of the fake's historical calls: its
    // webhooks never reached us (there were none), the sync repairs that.
    const call = fake.calls().find((c) => c.endedReason === "customer-ended-call")!;
    const number = call.customer!.number!;
    const national = `(${number.slice(2, 5)}) ${number.slice(5, 8)}-${number.slice(8)}`;
    const { rows: lead } = await db.pool.query(
      "insert into leads (email, first_name, phone, country) values ('caller@example.com', 'Casey', $1, 'United States') returning id",
      [national],
    );
    const worker = await startWorker({
      databaseUrl: db.url,
      config: loadConfig({ ...process.env, VAPI_API_URL: fake.url, VAPI_API_KEY: KEY, VAPI_REQUESTS_PER_SECOND: "0" }),
      concurrency: 2,
      shutdownTimeoutMs: 5000,
      quiet: true,
    });
    afterAll(() => worker.stop());
    // The normaliser starts from the raw rows already stored too.
    await db.pool.query(
      "insert into leadgraph_private.vapi_pending (resource, source_id) select 'call', vapi_call_id from vapi_calls_raw on conflict do nothing",
    );
    await db.pool.query("select leadgraph_private.enqueue_vapi_normalization()");
    const { rows } = await db.pool.query("insert into vapi_sync_requests default values returning id");
    let run;
    for (let i = 0; i < 400 && !run; i++) {
      const { rows: found } = await db.pool.query(
        "select r.* from vapi_sync_requests q join vapi_sync_runs r on r.id = q.run_id where q.id = $1 and r.status <> 'running'",
        [rows[0].id],
      );
      run = found[0];
      if (!run) await sleep(50);
    }
    expect(run).toMatchObject({ triggered_by: "request", status: "completed" });
    for (let i = 0; i < 400 && (await count("select count(*) as n from leadgraph_private.vapi_pending")) > 0; i++) await sleep(50);
    const events = await db.pool.query("select event_type, vapi_call_id from events where lead_id = $1 and event_source = 'vapi'", [
      lead[0].id,
    ]);
    expect(events.rows).toEqual(expect.arrayContaining([{ event_type: "call_completed", vapi_call_id: call.id }]));
    // Every other call is either an event or set aside with its reason.
    const accounted = await count(
      `select count(*) as n from vapi_calls_raw c
        where exists (select 1 from events e where e.vapi_call_id = c.vapi_call_id)
           or exists (select 1 from vapi_rejects r where r.source_id = c.vapi_call_id)`,
    );
    expect(accounted).toBe(2500);
  });
});
