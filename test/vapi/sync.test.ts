// The VAPI sync against the fake VAPI over real HTTP and real PostgreSQL:
// the backfill by updatedAt windows (narrowed when a page is full, whatever
// order GET /call answers in), a second pass that stores nothing when only
// presigned URLs changed, resume after the run's connection is killed between
// pages, 429s, the refresh of calls not ended, rejects, a refused key, one run
// at a time, filters, windows ahead of our clock (an in-memory GET /call),
// and a request row starting a sync through a real worker that repairs a
// dropped webhook (the normaliser making the event).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { LOCK_CLASS, LOCKS } from "../../src/database/locks.ts";
import { VapiClient, type ListCallsFilters, type VapiCall } from "../../src/sources/vapi/api/client.ts";
import { storeCalls } from "../../src/sources/vapi/raw.ts";
import { runVapiSync, type SyncOptions } from "../../src/sources/vapi/sync/run.ts";
import { crontab, startWorker } from "../../src/worker.ts";
import { DEFAULT_ASSISTANT_ID, DEFAULT_PHONE_NUMBER_ID, startFakeVapi, type FakeVapi } from "../../tools/fake-vapi/server.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

const KEY = "vapi-sync-test-key";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = { info() {}, warn() {} };
const settings: SyncOptions["settings"] = { syncSinceDays: 90, assistantIds: [], phoneNumberIds: [] };

function apiFor(fake: FakeVapi, key = KEY) {
  return new VapiClient({ baseUrl: fake.url, apiKey: key, timeoutMs: 2000, maxRetries: 4, retryBaseMs: 5, requestsPerSecond: 0 });
}

/** Records every GET /call it makes; `beforeList` runs before each. */
class WatchedClient extends VapiClient {
  lists: ListCallsFilters[] = [];
  beforeList?: (n: number) => Promise<void>;
  override async listCalls(filters: ListCallsFilters): Promise<VapiCall[]> {
    this.lists.push(filters);
    await this.beforeList?.(this.lists.length);
    return super.listCalls(filters);
  }
}

function watched(fake: FakeVapi) {
  return new WatchedClient({ baseUrl: fake.url, apiKey: KEY, timeoutMs: 2000, maxRetries: 4, retryBaseMs: 5, requestsPerSecond: 0 });
}

async function sync(db: TestDatabase, api: VapiClient, options: Partial<SyncOptions> = {}) {
  const client = await db.pool.connect();
  client.on("error", () => {});
  try {
    return await runVapiSync(client, api, { triggeredBy: "cli", settings, logger: quiet, ...options });
  } finally {
    client.release();
  }
}

async function run(db: TestDatabase, id: string) {
  const { rows } = await db.pool.query("select * from vapi_sync_runs where id = $1", [id]);
  return rows[0];
}

/** What leadgraph holds of each call: id and updatedAt, sorted. */
async function stored(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.pool.query<{ v: string }>(
    `select vapi_call_id || ' ' || to_char(vapi_updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ' ' || coalesce(status, '-') as v
       from vapi_calls_raw order by 1`,
  );
  return rows.map((r) => r.v);
}

const expected = (fake: FakeVapi, filter: (c: VapiCall) => boolean = () => true) =>
  fake
    .calls()
    .filter((c) => filter(c as unknown as VapiCall))
    .map((c) => `${c.id} ${c.updatedAt} ${c.status ?? "-"}`)
    .sort();

describe("a backfill with more calls than a page", () => {
  let db: TestDatabase;
  let fake: FakeVapi;
  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeVapi({ apiKey: KEY, seed: 11, calls: 2500, timeScale: 0 });
  });
  afterAll(() => fake?.close());

  it("narrows full windows until every call is stored, in any order VAPI answers", async () => {
    const api = watched(fake);
    const result = await sync(db, api);
    expect(result).toMatchObject({ joined: false, status: "completed" });
    expect(await stored(db)).toEqual(expected(fake));
    const record = await run(db, result.runId);
    expect(record).toMatchObject({ status: "completed", calls_received: 2500, calls_stored: 2500, calls_rejected: 0 });
    expect(record.windows).toBe(api.lists.length);
    // At least three pages of 1000, and every page asked for the maximum.
    expect(record.windows).toBeGreaterThanOrEqual(4);
    expect(api.lists.every((f) => f.limit === 1000 && f.updatedAtGt)).toBe(true);
    expect(record.requests_made).toBe(api.lists.length);
    const { rows } = await db.pool.query("select watermark, pass_upper, backfill_done from leadgraph_private.vapi_sync_state");
    expect(rows).toMatchObject([{ pass_upper: null, backfill_done: true }]);
  });

  it("stores nothing on the next pass: the overlap re-reads calls whose only change is their presigned URLs", async () => {
    const before = (await db.pool.query("select vapi_call_id, updated_at from vapi_calls_raw order by 1")).rows;
    const api = watched(fake);
    const result = await sync(db, api);
    const record = await run(db, result.runId);
    expect(record).toMatchObject({ status: "completed", calls_stored: 0, calls_rejected: 0 });
    // The pass starts 5 minutes behind the watermark, and asks once.
    expect(api.lists).toHaveLength(1);
    const { rows } = await db.pool.query<{ watermark: Date }>("select watermark from leadgraph_private.vapi_sync_state");
    expect(Date.parse(api.lists[0]!.updatedAtGt!)).toBeLessThanOrEqual(rows[0]!.watermark.getTime());
    expect((await db.pool.query("select vapi_call_id, updated_at from vapi_calls_raw order by 1")).rows).toEqual(before);
  });
});

describe("small pages", () => {
  let db: TestDatabase;
  let fake: FakeVapi;
  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeVapi({ apiKey: KEY, seed: 12, calls: 300, timeScale: 0 });
  });
  afterAll(() => fake?.close());

  it("resumes where a killed run got to, and ends with what a clean run stores", async () => {
    const api = watched(fake);
    const killer = await db.pool.connect();
    const pid = { value: 0 };
    api.beforeList = async (n) => {
      if (n === 12) await killer.query("select pg_terminate_backend($1)", [pid.value]);
    };
    const client = await db.pool.connect();
    client.on("error", () => {});
    pid.value = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    await expect(
      runVapiSync(client, api, { triggeredBy: "cli", settings, logger: quiet, pageLimit: 40 }).finally(() => client.release(true)),
    ).rejects.toThrow();
    killer.release();
    const partly = await stored(db);
    expect(partly.length).toBeGreaterThan(0);
    expect(partly.length).toBeLessThan(300);
    const state = (await db.pool.query("select watermark, pass_upper from leadgraph_private.vapi_sync_state")).rows[0];
    expect(state.pass_upper).not.toBeNull();

    const again = watched(fake);
    const result = await sync(db, again, { pageLimit: 40 });
    expect(result.status).toBe("completed");
    // It started again 5 minutes before where the killed run got to, not from the beginning.
    expect(Date.parse(again.lists[0]!.updatedAtGt!)).toBe(state.watermark.getTime() - 5 * 60_000);
    expect(again.lists.length).toBeLessThan(api.lists.length + 20);
    expect(await stored(db)).toEqual(expected(fake));
    const { rows } = await db.pool.query("select status, error from vapi_sync_runs order by started_at");
    expect(rows.map((r) => r.status)).toEqual(["interrupted", "completed"]);
    expect(rows[0].error).toMatch(/stopped before it finished/);
  });

  it("retries 429s, honouring Retry-After, and counts them on the run", async () => {
    fake.setFaults([{ endpoint: "GET /call", kind: "rate_limit", retryAfter: 0.05, times: 2 }]);
    try {
      const result = await sync(db, apiFor(fake), { pageLimit: 40 });
      expect(await run(db, result.runId)).toMatchObject({ status: "completed", rate_limited: 2 });
    } finally {
      fake.clearFaults();
    }
  });

  it("refreshes calls that have not ended, one by one", async () => {
    // A stale copy, as a lost webhook would leave it: in progress, older than the watermark.
    const newest = fake.calls().at(-1)!;
    await db.pool.query(
      `update vapi_calls_raw set status = 'in-progress', vapi_updated_at = vapi_created_at,
              raw_json = raw_json || jsonb_build_object('status', 'in-progress', 'updatedAt', raw_json ->> 'createdAt'),
              fetched_at = now() - interval '1 day'
        where vapi_call_id = $1`,
      [newest.id],
    );
    const result = await sync(db, apiFor(fake), { pageLimit: 40 });
    const record = await run(db, result.runId);
    expect(record.calls_refreshed).toBeGreaterThanOrEqual(1);
    expect(record.calls_stored).toBeGreaterThanOrEqual(1);
    const { rows } = await db.pool.query("select status from vapi_calls_raw where vapi_call_id = $1", [newest.id]);
    expect(rows[0].status).toBe("ended");
  });
});

describe("rejects, a refused key, one run at a time, filters", () => {
  let db: TestDatabase;
  let fake: FakeVapi;
  const OTHER_ASSISTANT = "0a7d2c1e-9b8f-4e3d-a2c1-b0e9f8d7c6a5";
  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeVapi({ apiKey: KEY, seed: 13, calls: 30, timeScale: 0, assistantIds: [DEFAULT_ASSISTANT_ID, OTHER_ASSISTANT] });
  });
  afterAll(() => fake?.close());

  it("touches only the configured assistants' calls", async () => {
    const result = await sync(db, apiFor(fake), { settings: { ...settings, assistantIds: [DEFAULT_ASSISTANT_ID] } });
    expect(result.status).toBe("completed");
    const mine = expected(fake, (c) => c.assistantId === DEFAULT_ASSISTANT_ID);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(30);
    expect(await stored(db)).toEqual(mine);
    const { rows } = await db.pool.query("select scope from leadgraph_private.vapi_sync_state");
    expect(rows).toEqual([{ scope: `assistant:${DEFAULT_ASSISTANT_ID}` }]);
    await db.pool.query("truncate vapi_calls_raw, leadgraph_private.vapi_sync_state cascade");
  });

  it("sets aside a call without updatedAt with the reason, and stores the rest of its page", async () => {
    class Broken extends VapiClient {
      override async listCalls(filters: ListCallsFilters): Promise<VapiCall[]> {
        const calls = await super.listCalls(filters);
        return calls.map((c, i) => (i === 0 ? { ...c, updatedAt: undefined } : c));
      }
    }
    const api = new Broken({ baseUrl: fake.url, apiKey: KEY, timeoutMs: 2000, maxRetries: 1, retryBaseMs: 5, requestsPerSecond: 0 });
    const result = await sync(db, api);
    expect(result.status).toBe("completed_with_errors");
    const record = await run(db, result.runId);
    expect(record).toMatchObject({ calls_received: 30, calls_stored: 29, calls_rejected: 1 });
    const { rows } = await db.pool.query("select stage, resource, reason, run_id from vapi_rejects");
    expect(rows).toEqual([{ stage: "fetch", resource: "call", reason: "call.updatedAt: missing, expected string", run_id: result.runId }]);
    // Fetched whole again: the reject is forgotten.
    await db.pool.query("truncate leadgraph_private.vapi_sync_state");
    await sync(db, apiFor(fake));
    expect((await db.pool.query("select * from vapi_rejects")).rows).toEqual([]);
    expect(await stored(db)).toEqual(expected(fake));
  });

  it("stops on a refused key with a message, without retrying", async () => {
    const api = apiFor(fake, "wrong-key");
    const result = await sync(db, api);
    expect(result.status).toBe("failed");
    const record = await run(db, result.runId);
    expect(record.error).toMatch(/401.*check VAPI_API_KEY.*the sync stopped/);
    expect(record.requests_made).toBe(1);
  });

  it("joins the run under way instead of starting a second one", async () => {
    const holder = await db.pool.connect();
    try {
      await holder.query("select pg_advisory_lock($1, $2)", [LOCK_CLASS, LOCKS.vapiSync]);
      const { rows } = await holder.query<{ id: string }>("insert into vapi_sync_runs (triggered_by) values ('cron') returning id");
      const request = (await db.pool.query<{ id: string }>("insert into vapi_sync_requests (triggered_by) values ('cli') returning id"))
        .rows[0]!.id;
      const result = await sync(db, apiFor(fake), { requestId: request });
      expect(result).toEqual({ runId: rows[0]!.id, joined: true, status: "running" });
      expect((await db.pool.query("select run_id from vapi_sync_requests where id = $1", [request])).rows[0].run_id).toBe(rows[0]!.id);
      await holder.query("update vapi_sync_runs set status = 'completed', finished_at = now() where id = $1", [rows[0]!.id]);
    } finally {
      await holder.query("select pg_advisory_unlock_all()");
      holder.release();
    }
  });
});

describe("windows ahead of our clock", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });

  /** VAPI as GET /call behaves, in memory: filters, any `limit` of the matches, shuffled. */
  class InMemory extends VapiClient {
    readonly all: VapiCall[];
    constructor(all: VapiCall[]) {
      super({ baseUrl: "http://127.0.0.1:9", apiKey: KEY, timeoutMs: 1000, maxRetries: 0, retryBaseMs: 1, requestsPerSecond: 0 });
      this.all = all;
    }
    override async listCalls(f: ListCallsFilters): Promise<VapiCall[]> {
      const at = (c: VapiCall) => Date.parse(c.updatedAt!);
      const matching = this.all.filter(
        (c) => (!f.updatedAtGt || at(c) > Date.parse(f.updatedAtGt)) && (!f.updatedAtLe || at(c) <= Date.parse(f.updatedAtLe)),
      );
      return matching.sort(() => Math.random() - 0.5).slice(0, f.limit);
    }
  }

  const callAt = (i: number, ms: number): VapiCall => ({
    id: `future-${i}`,
    orgId: "org",
    createdAt: new Date(ms - 60_000).toISOString(),
    updatedAt: new Date(ms).toISOString(),
    status: "ended",
  });

  it("splits a full open window above the pass's start at the newest call it returned", async () => {
    const now = Date.now();
    // 250 calls VAPI stamped 1 to 11 minutes ahead of our clock.
    const calls = Array.from({ length: 250 }, (_, i) => callAt(i, now + 60_000 + i * 2400));
    const warnings: string[] = [];
    const result = await sync(db, new InMemory(calls), { pageLimit: 40, logger: { info() {}, warn: (m) => warnings.push(m) } });
    expect(await run(db, result.runId)).toMatchObject({ status: "completed", calls_stored: 250 });
    expect(warnings).toEqual([]);
    const { rows } = await db.pool.query<{ watermark: Date }>("select watermark from leadgraph_private.vapi_sync_state");
    expect(rows[0]!.watermark.getTime()).toBe(now + 60_000 + 249 * 2400);
  });

  it("warns when more calls than a page share one millisecond of updatedAt", async () => {
    await db.pool.query("truncate vapi_calls_raw, leadgraph_private.vapi_sync_state cascade");
    const at = Date.now() - 60_000;
    const calls = Array.from({ length: 50 }, (_, i) => callAt(i, at));
    const warnings: string[] = [];
    const result = await sync(db, new InMemory(calls), { pageLimit: 40, logger: { info() {}, warn: (m) => warnings.push(m) } });
    expect(await run(db, result.runId)).toMatchObject({ status: "completed", calls_stored: 40 });
    expect(warnings).toEqual([expect.stringMatching(/more than 40 calls with updatedAt in/)]);
  });
});

describe("through a real worker", () => {
  let db: TestDatabase;
  let fake: FakeVapi;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Webhooks go nowhere: every message of the calls placed here is lost.
    fake = await startFakeVapi({ apiKey: KEY, seed: 14, calls: 20, timeScale: 0 });
  });
  afterAll(() => fake?.close());

  it("puts the sync on the crontab only with a key", () => {
    const env = { ...process.env, VAPI_API_KEY: "k", VAPI_SYNC_SCHEDULE: "*/7 * * * *" };
    expect(crontab(loadConfig(env))).toMatch(/^\*\/7 \* \* \* \* vapi_sync \?jobKey=vapi_sync.*"triggeredBy":"cron"/m);
    expect(crontab(loadConfig({ ...process.env, VAPI_API_KEY: "" }))).not.toMatch(/vapi_sync/);
  });

  it("runs the sync a request row asks for, and repairs a call whose webhooks never arrived", async () => {
    const api = apiFor(fake);
    const placed = await api.createCall({
      assistantId: DEFAULT_ASSISTANT_ID,
      phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
      customer: { number: "+14155550101", externalId: "m-1" },
    });
    // A lead with the (national) number of one of the fake's past calls.
    const past = fake.calls().find((c) => c.endedReason === "customer-ended-call")!;
    const number = past.customer!.number!;
    const { rows: lead } = await db.pool.query<{ id: string }>(
      "insert into leads (email, first_name, phone, country) values ('caller@example.com', 'Casey', $1, 'United States') returning id",
      [`(${number.slice(2, 5)}) ${number.slice(5, 8)}-${number.slice(8)}`],
    );
    // The fake's clock runs ahead of ours: the call ends "in the future".
    for (let i = 0; i < 20; i++) fake.advance(15_000);
    expect(fake.calls().find((c) => c.id === placed.id)?.status).toBe("ended");

    const worker = await startWorker({
      databaseUrl: db.url,
      config: loadConfig({
        ...process.env,
        VAPI_API_URL: fake.url,
        VAPI_API_KEY: KEY,
        VAPI_REQUEST_TIMEOUT_MS: "2000",
        VAPI_RETRY_BASE_MS: "10",
        VAPI_SYNC_SCHEDULE: "0 0 1 1 *",
      }),
      concurrency: 2,
      shutdownTimeoutMs: 5000,
      quiet: true,
    });
    try {
      const { rows } = await db.pool.query<{ id: string }>("insert into vapi_sync_requests (triggered_by) values ('request') returning id");
      const deadline = Date.now() + 30_000;
      let record: any;
      for (;;) {
        const { rows: runs } = await db.pool.query(
          "select r.* from vapi_sync_requests q join vapi_sync_runs r on r.id = q.run_id where q.id = $1",
          [rows[0]!.id],
        );
        record = runs[0];
        if (record && record.status !== "running") break;
        if (Date.now() > deadline) throw new Error(`no finished run: ${JSON.stringify(record)}`);
        await sleep(100);
      }
      expect(record).toMatchObject({ triggered_by: "request", status: "completed", calls_received: 21, calls_stored: 21 });
      const { rows: raw } = await db.pool.query(
        "select status, ended_reason, customer_external_id from vapi_calls_raw where vapi_call_id = $1",
        [placed.id],
      );
      expect(raw).toEqual([{ status: "ended", ended_reason: "customer-ended-call", customer_external_id: "m-1" }]);
      expect(await stored(db)).toEqual(expected(fake));
      // The normaliser makes events of what the sync fetched; the rest is set aside with a reason.
      for (let i = 0; i < 400; i++) {
        const { rows: pending } = await db.pool.query("select count(*)::int as n from leadgraph_private.vapi_pending");
        if (pending[0].n === 0) break;
        await sleep(50);
      }
      const events = await db.pool.query("select event_type, vapi_call_id from events where lead_id = $1 and event_source = 'vapi'", [
        lead[0]!.id,
      ]);
      expect(events.rows).toEqual([{ event_type: "call_completed", vapi_call_id: past.id }]);
      const { rows: accounted } = await db.pool.query(
        `select count(*)::int as n from vapi_calls_raw c
          where exists (select 1 from events e where e.vapi_call_id = c.vapi_call_id)
             or exists (select 1 from vapi_rejects r where r.source_id = c.vapi_call_id)`,
      );
      expect(accounted[0].n).toBe(21);
    } finally {
      await worker.stop();
    }
  });

  it("stores a raw call through the raw layer's writer only when it is newer", async () => {
    const call = fake.calls()[0]!;
    expect(await storeCalls(db.pool, [call], "webhook")).toEqual({ stored: 0, unchanged: 1 });
  });
});
