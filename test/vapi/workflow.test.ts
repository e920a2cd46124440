// The workflow "email -> no reply -> call" end to end: real PostgreSQL, the
// real worker (its tasks from tasks/), the fake VAPI over HTTP, GraphQL.
// Each emailed lead without a reply gets exactly one call, however often the
// schedule runs and whatever fails on the way.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { LOCK_CLASS, LOCKS } from "../../src/database/locks.ts";
import { crontab, startWorker, type RunningWorker } from "../../src/worker.ts";
import { DEFAULT_ASSISTANT_ID, DEFAULT_PHONE_NUMBER_ID, startFakeVapi, type FakeVapi } from "../../tools/fake-vapi/server.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const KEY = "vapi-test-key";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function env(fake: FakeVapi, extra: Record<string, string> = {}): Record<string, string> {
  return {
    VAPI_API_URL: fake.url,
    VAPI_API_KEY: KEY,
    VAPI_REQUEST_TIMEOUT_MS: "1000",
    VAPI_RETRY_BASE_MS: "20",
    VAPI_MAX_RETRIES: "3",
    VAPI_CALL_RETRY_MS: "200",
    VAPI_MAX_CONCURRENT_CALLS: "100",
    ...extra,
  };
}

async function worker(db: TestDatabase, vars: Record<string, string>): Promise<RunningWorker> {
  const w = await startWorker({
    databaseUrl: db.url,
    config: loadConfig({ ...process.env, ...vars }),
    concurrency: 3,
    shutdownTimeoutMs: 5000,
    quiet: true,
  });
  afterAll(() => w.stop());
  return w;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Runs the schedule job once (as the crontab would) and waits for it to finish. */
async function runSchedule(db: TestDatabase): Promise<void> {
  const { rows } = await db.pool.query<{ id: string }>("select id from graphile_worker.add_job('vapi_calls__schedule')");
  await until("the schedule job", async () => {
    const left = await db.pool.query("select 1 from graphile_worker.jobs where id = $1", [rows[0]!.id]);
    return left.rowCount === 0;
  });
}

let campaignSeq = 0;
async function campaign(db: TestDatabase, values: Record<string, unknown> = {}): Promise<string> {
  const row = {
    campaign_name: `Calls ${++campaignSeq}`,
    uses_calls: true,
    campaign_status: "active",
    vapi_assistant_id: DEFAULT_ASSISTANT_ID,
    vapi_phone_number_id: DEFAULT_PHONE_NUMBER_ID,
    timezone: "UTC",
    call_hours_start: "00:00",
    call_hours_end: "23:59:59",
    call_days: [1, 2, 3, 4, 5, 6, 7],
    offer_id: "00000000-0000-0000-0000-000000000004",
    ...values,
  };
  const keys = Object.keys(row);
  const { rows } = await db.pool.query<{ id: string }>(
    `insert into campaigns (${keys.join(", ")}) values (${keys.map((_, i) => `$${i + 1}`).join(", ")}) returning id`,
    Object.values(row),
  );
  return rows[0]!.id;
}

let leadSeq = 0;
/** A lead in `campaignId`, emailed `daysAgo` days ago (an email_sent event with a subject); returns lead and membership ids. */
async function member(
  db: TestDatabase,
  campaignId: string,
  options: { phone?: string | null; daysAgo?: number; replied?: boolean; emailStatus?: string; callStatus?: string; first?: string } = {},
): Promise<{ lead: string; membership: string }> {
  const n = ++leadSeq;
  const { rows: lead } = await db.pool.query<{ id: string }>(
    `insert into leads (first_name, last_name, email, phone) values ($1, 'Tester', $2, $3) returning id`,
    [
      options.first ?? `Lead${n}`,
      `lead${n}@example.com`,
      options.phone === undefined ? `+1415555${String(1000 + n).slice(-4)}` : options.phone,
    ],
  );
  const sent = new Date(Date.now() - (options.daysAgo ?? 5) * 86_400_000);
  const { rows: cl } = await db.pool.query<{ id: string }>(
    `insert into campaign_leads (campaign_id, lead_id, email_status, email_sent_at, email_replied_at, call_status)
     values ($1, $2, $3, $4, $5, $6) returning id`,
    [
      campaignId,
      lead[0]!.id,
      options.replied ? "replied" : (options.emailStatus ?? "sent"),
      sent,
      options.replied ? sent : null,
      options.callStatus ?? "not_scheduled",
    ],
  );
  await db.pool.query(
    `insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject)
     values ('instantly', 'email_sent', $1, $2, $3, $4, $5)`,
    [lead[0]!.id, campaignId, cl[0]!.id, sent, `Quick question for lead ${n}`],
  );
  return { lead: lead[0]!.id, membership: cl[0]!.id };
}

const requestOf = async (db: TestDatabase, membership: string) =>
  (await db.pool.query("select * from vapi_call_requests where campaign_lead_id = $1 order by requested_at", [membership])).rows;
const placed = (db: TestDatabase, membership: string) =>
  until(`the call of ${membership}`, async () => (await requestOf(db, membership)).find((r) => r.state === "placed"));
const fakeCallsOf = (fake: FakeVapi, membership: string) => fake.calls().filter((c) => c.customer?.externalId === membership);

describe("the workflow email -> no reply -> call", () => {
  let db: TestDatabase;
  let fake: FakeVapi;
  let server: TestServer;
  const m: Record<string, { lead: string; membership: string }> = {};
  let main: string;
  let weekend: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeVapi({ apiKey: KEY, timeScale: 0, concurrencyLimit: 100 });
    afterAll(() => fake.close());
    main = await campaign(db);
    // No call hours today: calls wait for the next allowed day.
    const today = ((new Date().getUTCDay() + 6) % 7) + 1;
    weekend = await campaign(db, { call_days: [1, 2, 3, 4, 5, 6, 7].filter((d) => d !== today) });
    const paused = await campaign(db, { campaign_status: "paused" });
    const unset = await campaign(db, { vapi_assistant_id: null });
    m.due = await member(db, main, { first: "Dana" });
    m.opened = await member(db, main, { emailStatus: "opened" });
    m.replied = await member(db, main, { replied: true });
    m.recent = await member(db, main, { daysAgo: 1 });
    m.noPhone = await member(db, main, { phone: null });
    m.national = await member(db, main, { phone: "(415) 555-0199" });
    m.dnc = await member(db, main);
    await db.pool.query("insert into campaign_leads (campaign_id, lead_id, call_status) values ($1, $2, 'do_not_call')", [
      paused,
      m.dnc.lead,
    ]);
    m.paused = await member(db, paused);
    m.unset = await member(db, unset);
    m.weekend = await member(db, weekend);
    server = await startTestServer(db);
    await worker(db, env(fake));
  });

  it("puts the schedule on the crontab only with a VAPI key", () => {
    expect(crontab(loadConfig({ ...process.env, ...env(fake) }))).toMatch(/^\* \* \* \* \* vapi_calls__schedule /m);
    expect(crontab(loadConfig({ ...process.env, VAPI_API_KEY: "" }))).not.toMatch(/vapi_calls__schedule/);
  });

  it("callsDue lists exactly the memberships due a call", async () => {
    const { body } = await server.graphql(`{ callsDue { totalCount nodes { rowId } } }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.callsDue.nodes.map((n: { rowId: string }) => n.rowId).sort()).toEqual(
      [m.due!.membership, m.opened!.membership, m.weekend!.membership].sort(),
    );
    const filtered = await server.graphql(`query ($c: UUID!) { callsDue(filter: { campaignId: { equalTo: $c } }) { totalCount } }`, {
      c: weekend,
    });
    expect(filtered.body.data.callsDue.totalCount).toBe(1);
  });

  it("places exactly one call per emailed lead without a reply, however often the schedule runs", async () => {
    await runSchedule(db);
    await runSchedule(db);
    const request = await placed(db, m.due!.membership);
    await placed(db, m.opened!.membership);
    await runSchedule(db);
    await sleep(300);
    expect(fake.stats().byRoute["POST /call"]).toBe(2);
    expect(fakeCallsOf(fake, m.due!.membership)).toHaveLength(1);
    const call = fakeCallsOf(fake, m.due!.membership)[0]!;
    expect(request.vapi_call_id).toBe(call.id);
    expect(request).toMatchObject({ reason: "workflow", requested_by: null, attempts: 1 });
    expect(call.customer).toMatchObject({ number: request.customer_number, externalId: m.due!.membership, name: "Dana Tester" });
    expect(call.assistantId).toBe(DEFAULT_ASSISTANT_ID);
    expect(call.assistantOverrides?.variableValues).toMatchObject({
      firstName: "Dana",
      lastName: "Tester",
      offer: expect.any(String),
      lastEmailSubject: expect.stringMatching(/^Quick question/),
    });
    expect(call.schedulePlan?.latestAt).toBeDefined();
    const { rows } = await db.pool.query(
      "select cl.call_status, r.source from campaign_leads cl, vapi_calls_raw r where cl.id = $1 and r.vapi_call_id = $2",
      [m.due!.membership, call.id],
    );
    expect(rows).toEqual([{ call_status: "scheduled", source: "api" }]);
    for (const key of ["replied", "recent", "noPhone", "national", "dnc", "paused", "unset"]) {
      expect(await requestOf(db, m[key]!.membership), key).toEqual([]);
      expect(fakeCallsOf(fake, m[key]!.membership), key).toEqual([]);
    }
  });

  it("outside the call hours, queues the call for the next call hours and does not place it yet", async () => {
    const [request] = await requestOf(db, m.weekend!.membership);
    expect(request.state).toBe("queued");
    expect(request.not_before.getTime()).toBeGreaterThan(Date.now());
    expect(new Date(request.not_before).getUTCHours()).toBe(0);
    expect(fakeCallsOf(fake, m.weekend!.membership)).toEqual([]);
    const { body } = await server.graphql(
      `{ callsDue { totalCount } vapiCallRequests(filter: { state: { equalTo: "queued" } }) { totalCount } }`,
    );
    expect(body.data).toEqual({ callsDue: { totalCount: 0 }, vapiCallRequests: { totalCount: 1 } });
    // Canceled: the workflow does not queue it again; a placed call cannot be canceled.
    const cancel = `mutation ($id: UUID!) { cancelCallRequest(input: { requestId: $id }) { vapiCallRequest { state } } }`;
    const canceled = await server.graphql(cancel, { id: request.id });
    expect(canceled.body.data.cancelCallRequest.vapiCallRequest.state).toBe("canceled");
    const { rows } = await db.pool.query("select call_status from campaign_leads where id = $1", [m.weekend!.membership]);
    expect(rows[0].call_status).toBe("not_scheduled");
    await runSchedule(db);
    expect((await requestOf(db, m.weekend!.membership)).map((r) => r.state)).toEqual(["canceled"]);
    const [done] = await requestOf(db, m.due!.membership);
    expect((await server.graphql(cancel, { id: done.id })).body.errors?.[0].message).toMatch(/The call is placed already/);
  });

  it("a crash between placing and recording does not place a second call", async () => {
    const x = await member(db, main);
    // The attempt that died: VAPI has the call, our row says placing.
    const response = await fetch(`${fake.url}/call`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        assistantId: DEFAULT_ASSISTANT_ID,
        phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
        customer: { number: "+14155550177", externalId: x.membership },
      }),
    });
    const created = (await response.json()) as { id: string };
    const posts = fake.stats().byRoute["POST /call"]!;
    await db.pool.query(
      `insert into vapi_call_requests (campaign_lead_id, lead_id, campaign_id, reason, customer_number, state, attempts, requested_at)
       values ($1, $2, $3, 'workflow', '+14155550177', 'placing', 1, now() - interval '10 seconds')`,
      [x.membership, x.lead, main],
    );
    const request = await placed(db, x.membership);
    expect(request.vapi_call_id).toBe(created.id);
    expect(fake.stats().byRoute["POST /call"]).toBe(posts);
    expect(fakeCallsOf(fake, x.membership)).toHaveLength(1);
    await runSchedule(db);
    expect(fakeCallsOf(fake, x.membership)).toHaveLength(1);
  });

  it("retries a 429 and a 5xx, and a timed-out POST /call is found rather than placed again", async () => {
    fake.setFaults([{ endpoint: "POST /call", kind: "rate_limit", retryAfter: 0, times: 2 }]);
    const limited = await member(db, main);
    await runSchedule(db);
    await placed(db, limited.membership);
    expect(fake.stats().rateLimited).toBeGreaterThanOrEqual(2);
    expect(fakeCallsOf(fake, limited.membership)).toHaveLength(1);

    fake.setFaults([{ endpoint: "POST /call", kind: "status", status: 503, times: 1 }]);
    const unavailable = await member(db, main);
    await runSchedule(db);
    const retried = await placed(db, unavailable.membership);
    expect(retried.attempts).toBe(2);
    expect(fakeCallsOf(fake, unavailable.membership)).toHaveLength(1);

    fake.setFaults([{ endpoint: "POST /call", kind: "timeout", times: 1 }]);
    const timedOut = await member(db, main);
    const posts = fake.stats().byRoute["POST /call"]!;
    await runSchedule(db);
    const found = await placed(db, timedOut.membership);
    expect(fake.stats().byRoute["POST /call"]).toBe(posts + 1);
    expect(fakeCallsOf(fake, timedOut.membership)).toHaveLength(1);
    expect(found.vapi_call_id).toBe(fakeCallsOf(fake, timedOut.membership)[0]!.id);
    fake.clearFaults();
  });

  it("a call VAPI refuses fails with VAPI's message, and its membership's call status is failed", async () => {
    const bad = await member(db, await campaign(db, { vapi_assistant_id: "not-an-assistant" }));
    await runSchedule(db);
    const request = await until("the refusal", async () => (await requestOf(db, bad.membership)).find((r) => r.state === "failed"));
    expect(request.error).toMatch(/^VAPI answered 400: .*assistant/i);
    const { rows } = await db.pool.query("select call_status from campaign_leads where id = $1", [bad.membership]);
    expect(rows[0].call_status).toBe("failed");
  });

  describe("queueCall and logCall through GraphQL", () => {
    const queue = `mutation ($leadId: UUID!, $campaignId: UUID) {
      queueCall(input: { leadId: $leadId, campaignId: $campaignId }) { vapiCallRequest { rowId state reason customerNumber requester { email } } }
    }`;
    const log = `mutation ($leadId: UUID!, $outcome: String!, $duration: Int, $note: String) {
      logCall(input: { leadId: $leadId, outcome: $outcome, durationSeconds: $duration, note: $note }) {
        event { eventSource eventType callOutcome callDurationSeconds noteText campaignLeadId performer { email } }
      }
    }`;

    it("queues a call now and places it; refuses with the reason", async () => {
      const lead = await member(db, main, { daysAgo: 0 });
      const { body } = await server.graphql(queue, { leadId: lead.lead });
      expect(body.errors).toBeUndefined();
      expect(body.data.queueCall.vapiCallRequest).toMatchObject({
        state: "queued",
        reason: "manual",
        requester: { email: expect.any(String) },
      });
      await placed(db, lead.membership);
      expect(fakeCallsOf(fake, lead.membership)).toHaveLength(1);
      expect(fakeCallsOf(fake, lead.membership)[0]!.schedulePlan).toBeUndefined();

      const error = async (variables: Record<string, unknown>) => (await server.graphql(queue, variables)).body.errors?.[0]?.message;
      // Placed already: a second call may be queued by hand; while it is queued, a third may not.
      const holder = await db.pool.connect(); // holds the placer back
      await holder.query("select pg_advisory_lock($1, $2)", [LOCK_CLASS, LOCKS.vapiCallPlacer]);
      try {
        expect((await server.graphql(queue, { leadId: lead.lead })).body.errors).toBeUndefined();
        expect(await error({ leadId: lead.lead })).toMatch(/A call to this lead is already queued in campaign "Calls 1"/);
      } finally {
        await holder.query("select pg_advisory_unlock($1, $2)", [LOCK_CLASS, LOCKS.vapiCallPlacer]);
        holder.release();
      }
      // The placer looks again once the lock is free.
      await until("the second call", async () => fakeCallsOf(fake, lead.membership).length === 2);
      expect(await error({ leadId: m.noPhone!.lead })).toBe("The lead has no phone number");
      expect(await error({ leadId: m.national!.lead })).toMatch(/no phone number with its country code/);
      expect(await error({ leadId: m.dnc!.lead, campaignId: main })).toBe("The lead is marked do not call");
      expect(await error({ leadId: m.dnc!.lead })).toMatch(/in 2 campaigns that make calls \("Calls 1", "Calls 3"\): say which one/);
      expect(await error({ leadId: m.unset!.lead })).toMatch(/has no VAPI assistant or phone number/);
      expect(await error({ leadId: m.due!.lead, campaignId: weekend })).toMatch(/The lead is not in campaign/);
      expect(await error({ leadId: "30000000-0000-4000-8000-00000000dead" })).toMatch(/No lead with id/);
      const { rows } = await db.pool.query("select id from campaigns where campaign_name like 'AI Automation%'");
      await db.pool.query("insert into campaign_leads (campaign_id, lead_id) values ($1, $2)", [rows[0].id, lead.lead]);
      await db.pool.query("update campaigns set uses_calls = false where id = $1", [rows[0].id]);
      expect(await error({ leadId: lead.lead, campaignId: rows[0].id })).toMatch(/does not make calls: turn on usesCalls/);
    });

    it("logs a call made by hand in the timeline and moves the call status forward, never back", async () => {
      const lead = await member(db, main, { daysAgo: 0 });
      const first = await server.graphql(log, { leadId: lead.lead, outcome: "answered", duration: 300, note: "Booked a demo" });
      expect(first.body.errors).toBeUndefined();
      expect(first.body.data.logCall.event).toMatchObject({
        eventSource: "manual",
        eventType: "call_logged",
        callOutcome: "answered",
        callDurationSeconds: 300,
        noteText: "Booked a demo",
        campaignLeadId: lead.membership,
        performer: { email: expect.any(String) },
      });
      expect((await server.graphql(log, { leadId: lead.lead, outcome: "busy" })).body.errors).toBeUndefined();
      const { rows } = await db.pool.query(
        "select call_status, call_duration_seconds, call_completed_at from campaign_leads where id = $1",
        [lead.membership],
      );
      expect(rows[0]).toMatchObject({ call_status: "completed", call_duration_seconds: 300 });
      expect(rows[0].call_completed_at).not.toBeNull();
      const other = await member(db, main, { daysAgo: 0 });
      await server.graphql(log, { leadId: other.lead, outcome: "busy" });
      await server.graphql(log, { leadId: other.lead, outcome: "voicemail" });
      const { rows: after } = await db.pool.query("select call_status from campaign_leads where id = $1", [other.membership]);
      expect(after[0].call_status).toBe("voicemail");
      const bad = await server.graphql(log, { leadId: lead.lead, outcome: "great" });
      expect(bad.body.errors?.[0].message).toMatch(
        /Unknown call outcome "great": a call's outcome is one of answered, no_answer, voicemail, busy, wrong_number/,
      );
      const negative = await server.graphql(log, { leadId: lead.lead, outcome: "answered", duration: -1 });
      expect(negative.body.errors?.[0].message).toMatch(/0 seconds or more/);
    });
  });
});

describe("pacing under VAPI's concurrency", () => {
  it("never has more calls under way than VAPI_MAX_CONCURRENT_CALLS, and places them all", async () => {
    const db = await createTestDatabase();
    // 300x: a call lasts well under a second.
    const fake = await startFakeVapi({ apiKey: KEY, timeScale: 300, concurrencyLimit: 2 });
    afterAll(() => fake.close());
    const id = await campaign(db);
    const members = [];
    for (let i = 0; i < 5; i++) members.push(await member(db, id));
    await worker(db, env(fake, { VAPI_MAX_CONCURRENT_CALLS: "2", VAPI_CALL_RETRY_MS: "100" }));
    await runSchedule(db);
    for (const x of members) await placed(db, x.membership);
    const stats = fake.stats();
    expect(stats.callsPlaced).toBe(5);
    expect(stats.concurrentPeak).toBeLessThanOrEqual(2);
    expect(stats.concurrencyBlocked).toBe(0);
  }, 60_000);
});
