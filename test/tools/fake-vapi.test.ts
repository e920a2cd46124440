// The fake VAPI API: auth, POST /call validation and shapes, GET /call filters and
// order, the call lifecycle and outcomes on the fake clock, presigned URLs,
// concurrency, webhooks (auth, shapes, faults), API faults and the CLI.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONCURRENCY_LIMIT_REACHED,
  DEFAULT_ASSISTANT_ID,
  DEFAULT_PHONE_NUMBER_ID,
  startFakeVapi,
  type Call,
  type FakeVapi,
  type FakeVapiOptions,
} from "../../tools/fake-vapi/server.ts";

const AUTH = { authorization: "Bearer test-key" };
const MINUTE = 60_000;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function api(fake: FakeVapi, route: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${fake.url}${route}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

const post = (fake: FakeVapi, route: string, body: unknown) =>
  api(fake, route, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

const outbound = (number: string, extra: Record<string, unknown> = {}) => ({
  assistantId: DEFAULT_ASSISTANT_ID,
  phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
  customer: { number },
  ...extra,
});

async function placeCall(fake: FakeVapi, number: string, extra: Record<string, unknown> = {}): Promise<Call> {
  const answer = await post(fake, "/call", outbound(number, extra));
  expect(answer.status).toBe(201);
  return answer.body as Call;
}

const started: FakeVapi[] = [];
/** A frozen clock by default: only advance() moves calls along. */
async function start(options: FakeVapiOptions = {}): Promise<FakeVapi> {
  const fake = await startFakeVapi({ timeScale: 0, ...options });
  started.push(fake);
  return fake;
}

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  message: any;
}

/** A tiny webhook receiver; `answer` decides the status code per delivery. */
async function receiver(answer: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, raw, message: JSON.parse(raw).message });
      res.writeHead(answer(received.length), { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/vapi`;
  receivers.push(server);
  return { url, received };
}
const receivers: http.Server[] = [];

afterAll(async () => {
  await Promise.all(started.map((fake) => fake.close()));
  for (const server of receivers) server.close();
});

/** Types (and statuses) of the messages received, in order. */
const kinds = (received: Received[]) =>
  received.map(({ message }) => (message.type === "status-update" ? `status-update ${message.status}` : message.type));

describe("fake VAPI: auth and POST /call", () => {
  let fake: FakeVapi;
  beforeAll(async () => {
    fake = await start({ apiKey: "test-key" });
  });

  it("401 JSON without a valid bearer, 404 JSON for unknown routes and ids", async () => {
    for (const headers of [{ authorization: "" }, { authorization: "Basic abc" }, { authorization: "Bearer wrong" }]) {
      const answer = await api(fake, "/call", { headers });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: "Unauthorized", statusCode: 401 });
      expect(typeof answer.body.message).toBe("string");
    }
    expect((await api(fake, "/nothing")).body).toMatchObject({ statusCode: 404, error: "Not Found" });
    const unknown = await api(fake, `/call/${crypto.randomUUID()}`);
    expect(unknown).toMatchObject({ status: 404, body: { statusCode: 404, error: "Not Found" } });
    expect(fake.stats().unauthorized).toBe(3);
  });

  it("validates assistant, phone number, E.164 and externalId with VAPI's error body", async () => {
    const bad = async (body: unknown, pattern: RegExp) => {
      const answer = await post(fake, "/call", body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: "Bad Request", statusCode: 400 });
      expect([answer.body.message].flat().join(" ")).toMatch(pattern);
    };
    await bad({ ...outbound("+14155550101"), assistantId: crypto.randomUUID() }, /Couldn't Get Assistant/);
    await bad({ ...outbound("+14155550101"), phoneNumberId: crypto.randomUUID() }, /Couldn't Get Phone Number/);
    await bad({ customer: { number: "+14155550101" }, phoneNumberId: DEFAULT_PHONE_NUMBER_ID }, /Need Either `assistant`/);
    await bad(outbound("0415 555 0101"), /E\.164/);
    await bad(outbound("+14155550101", { customer: { number: "+14155550101", externalId: "x".repeat(41) } }), /externalId/);
    await bad({ assistantId: DEFAULT_ASSISTANT_ID, phoneNumberId: DEFAULT_PHONE_NUMBER_ID }, /customer/);
    await bad(outbound("+14155550101", { schedulePlan: { earliestAt: "not a date" } }), /earliestAt/);
    expect(fake.calls()).toHaveLength(0);

    await placeCall(fake, "+14155550101", { customer: { number: "+14155550101", externalId: "x".repeat(40) } });
    await placeCall(fake, "0415 555 0101", { customer: { number: "0415 555 0101", numberE164CheckEnabled: false } });
    expect(fake.calls()).toHaveLength(2);
  });

  it("201 with a queued Call, assistantOverrides echoed and subscriptionLimits", async () => {
    const assistantOverrides = { variableValues: { firstName: "Ana", company: "Globex" }, metadata: { lead: "l1" } };
    const customer = { number: "+14155550101", name: "Ana Costa", externalId: "9f0c2b1e-0000-4000-8000-000000000001" };
    const answer = await post(fake, "/call", { ...outbound(customer.number), customer, assistantOverrides, name: "Follow-up" });
    expect(answer.status).toBe(201);
    const call = answer.body;
    expect(call).toMatchObject({
      orgId: expect.any(String),
      type: "outboundPhoneCall",
      status: "queued",
      assistantId: DEFAULT_ASSISTANT_ID,
      phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
      customer,
      assistantOverrides,
      name: "Follow-up",
      subscriptionLimits: { concurrencyBlocked: false, concurrencyLimit: 10, remainingConcurrentCalls: 7 },
    });
    expect(call.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(call.createdAt).toISOString()).toBe(call.createdAt);
    expect(call.updatedAt).toBe(call.createdAt);
    expect(call).not.toHaveProperty("endedReason");
    const again = await api(fake, `/call/${call.id}`);
    expect(again.body).not.toHaveProperty("subscriptionLimits");
    expect(again.body).toMatchObject({ id: call.id, status: "queued" });
  });

  it("customers[] is a batch: {results, errors, subscriptionLimits}", async () => {
    const answer = await post(fake, "/call", {
      assistantId: DEFAULT_ASSISTANT_ID,
      phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
      customers: [
        { number: "+14155550201" },
        { number: "12345" },
        { number: "+14155550202", externalId: "e".repeat(50) },
        { number: "+14155550203" },
      ],
    });
    expect(answer.status).toBe(201);
    expect(answer.body.results.map((call: Call) => call.customer?.number)).toEqual(["+14155550201", "+14155550203"]);
    expect(answer.body.results.every((call: Call) => call.status === "queued")).toBe(true);
    expect(answer.body.errors).toHaveLength(2);
    expect(answer.body.errors[0]).toMatchObject({ customer: { number: "12345" }, error: expect.stringMatching(/E\.164/) });
    expect(answer.body.errors[1].error).toMatch(/externalId/);
    expect(answer.body.subscriptionLimits).toEqual({ concurrencyBlocked: false, concurrencyLimit: 10, remainingConcurrentCalls: 5 });
    expect(fake.stats().callsPlaced).toBe(5);
  });
});

describe("fake VAPI: GET /call", () => {
  let fake: FakeVapi;
  const second = "7d2c0e5a-1b3f-4a6c-8d9e-0f1a2b3c4d05";
  beforeAll(async () => {
    fake = await start({ calls: 150, assistantIds: [DEFAULT_ASSISTANT_ID, second], seed: 7 });
  });

  it("a bare array of the 100 newest by default; limit > 1000 is a 400", async () => {
    const all = fake.calls();
    expect(all).toHaveLength(150);
    const page = await api(fake, "/call");
    expect(Array.isArray(page.body)).toBe(true);
    expect(page.body).toHaveLength(100);
    const newest = all.slice(-100).map((call) => call.id);
    expect(new Set(page.body.map((call: Call) => call.id))).toEqual(new Set(newest));
    expect((await api(fake, "/call?limit=1000")).body).toHaveLength(150);
    expect((await api(fake, "/call?limit=7")).body).toHaveLength(7);
    const tooMany = await api(fake, "/call?limit=1001");
    expect(tooMany).toMatchObject({ status: 400, body: { statusCode: 400, error: "Bad Request" } });
  });

  it("seeded history: ended calls over the last 30 days, analysed, without pending work", async () => {
    const all = fake.calls();
    const oldest = Date.parse(all[0]!.createdAt);
    expect(Date.now() - oldest).toBeLessThan(31 * 24 * 60 * MINUTE);
    expect(Date.now() - oldest).toBeGreaterThan(7 * 24 * 60 * MINUTE);
    expect(all.every((call) => call.status === "ended" && call.endedAt && call.analysis)).toBe(true);
    const reasons = new Set(all.map((call) => call.endedReason));
    for (const reason of ["customer-ended-call", "customer-did-not-answer", "voicemail"]) expect(reasons).toContain(reason);
    expect(all.filter((call) => call.assistantId === second).length).toBe(75);
  });

  it("filters: id, assistantId, phoneNumberId, createdAt* and updatedAt*", async () => {
    const all = fake.calls();
    const ids = (answer: Answer) => new Set(answer.body.map((call: Call) => call.id));
    const pick = all[40]!;
    expect((await api(fake, `/call?id=${pick.id}`)).body).toMatchObject([{ id: pick.id }]);
    expect(ids(await api(fake, `/call?assistantId=${second}&limit=1000`))).toEqual(
      new Set(all.filter((call) => call.assistantId === second).map((call) => call.id)),
    );
    expect((await api(fake, `/call?phoneNumberId=${crypto.randomUUID()}`)).body).toEqual([]);
    const at = pick.createdAt;
    const count = (test: (call: Call) => boolean) => all.filter(test).length;
    expect((await api(fake, `/call?createdAtGt=${at}&limit=1000`)).body).toHaveLength(count((c) => c.createdAt > at));
    expect((await api(fake, `/call?createdAtGe=${at}&limit=1000`)).body).toHaveLength(count((c) => c.createdAt >= at));
    expect((await api(fake, `/call?createdAtLt=${at}&limit=1000`)).body).toHaveLength(count((c) => c.createdAt < at));
    expect((await api(fake, `/call?createdAtLe=${at}&limit=1000`)).body).toHaveLength(count((c) => c.createdAt <= at));
    const u = pick.updatedAt;
    expect((await api(fake, `/call?updatedAtGt=${u}&limit=1000`)).body).toHaveLength(count((c) => c.updatedAt > u));
    expect((await api(fake, `/call?updatedAtLe=${u}&limit=1000`)).body).toHaveLength(count((c) => c.updatedAt <= u));
    const window = await api(fake, `/call?createdAtGe=${all[10]!.createdAt}&createdAtLt=${all[20]!.createdAt}`);
    expect(ids(window)).toEqual(new Set(all.slice(10, 20).map((call) => call.id)));
    expect((await api(fake, "/call?updatedAtGt=yesterday")).status).toBe(400);
  });

  it("answers in a different order on each request", async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 3; i++) orders.add((await api(fake, "/call?limit=30")).body.map((call: Call) => call.id).join());
    expect(orders.size).toBe(3);
  });
});

describe("fake VAPI: lifecycle and outcomes", () => {
  let fake: FakeVapi;
  beforeAll(async () => {
    fake = await start({ concurrencyLimit: 50 });
  });

  const expected: Record<string, string> = {
    "01": "customer-ended-call",
    "02": "customer-did-not-answer",
    "03": "voicemail",
    "04": "customer-busy",
    "05": "pipeline-error-openai-llm-failed",
    "06": "twilio-reported-customer-misdialed",
    "07": "assistant-ended-call",
    "08": "manually-canceled",
    "09": "call.in-progress.error-new-thing",
    "42": "customer-ended-call",
  };

  it("queued -> ringing -> in-progress -> ended on the fake clock, updatedAt bumped each time", async () => {
    const call = await placeCall(fake, "+14155550101", { assistantOverrides: { variableValues: { firstName: "Ana" } } });
    const get = async () => (await api(fake, `/call/${call.id}`)).body as Call;
    const seen: Call[] = [await get()];
    for (let i = 0; i < 40; i++) {
      fake.advance(5_000);
      const now = await get();
      if (now.status !== seen[seen.length - 1]!.status) seen.push(now);
    }
    expect(seen.map((c) => c.status)).toEqual(["queued", "ringing", "in-progress", "ended"]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.updatedAt > seen[i - 1]!.updatedAt).toBe(true);
    const ended = seen[3]!;
    expect(Date.parse(ended.startedAt!)).toBe(Date.parse(seen[2]!.updatedAt));
    const talk = (Date.parse(ended.endedAt!) - Date.parse(ended.startedAt!)) / 1000;
    expect(talk).toBeGreaterThanOrEqual(30);
    expect(talk).toBeLessThanOrEqual(90);
    expect(ended).not.toHaveProperty("duration");
    expect(ended.phoneCallProviderId).toMatch(/^CA[0-9a-f]{32}$/);
  });

  it("the outcome follows the last two digits of the number", async () => {
    const calls = new Map<string, Call>();
    for (const suffix of Object.keys(expected))
      calls.set(suffix, await placeCall(fake, `+1415555${suffix === "42" ? "77" : "01"}${suffix}`));
    const statuses = new Map<string, Set<string>>([...calls.keys()].map((suffix) => [suffix, new Set(["queued"])]));
    for (let i = 0; i < 60; i++) {
      fake.advance(2_000);
      for (const [suffix, call] of calls) statuses.get(suffix)!.add((await api(fake, `/call/${call.id}`)).body.status);
    }
    fake.advance(30_000);
    for (const [suffix, { id }] of calls) {
      const call = (await api(fake, `/call/${id}`)).body as Call;
      expect([suffix, call.status, call.endedReason]).toEqual([suffix, "ended", expected[suffix]]);
      expect(call.startedAt, suffix).toBeDefined();
      expect(call.endedAt! >= call.startedAt!, suffix).toBe(true);
      expect(typeof call.cost).toBe("number");
      expect(Array.isArray(call.costs)).toBe(true);
      expect(call.analysis, suffix).toBeDefined();
    }
    const answered = (await api(fake, `/call/${calls.get("01")!.id}`)).body as Call;
    expect(answered.artifact!.transcript).toMatch(/^AI: Hi there, this is Alex/);
    expect(answered.artifact!.transcript).toMatch(/\nUser: /);
    const turns = answered.artifact!.messages.filter((m) => m.role !== "system");
    expect(turns.length).toBeGreaterThan(4);
    for (const m of turns) {
      expect(m).toMatchObject({ role: expect.stringMatching(/^(bot|user)$/), message: expect.any(String), time: expect.any(Number) });
      expect(m.secondsFromStart).toBeGreaterThanOrEqual(0);
    }
    expect(answered.analysis).toMatchObject({ summary: expect.any(String), successEvaluation: "true" });
    expect(answered.artifact!.recording!.mono.combinedUrl).toMatch(/^https:\/\/.*mono\.wav$/);
    expect(answered.artifact!.recordingUrl).toBe(answered.artifact!.recording!.mono.combinedUrl);
    expect(answered.costs!.map((c) => c.type)).toEqual(["transport", "transcriber", "model", "voice", "vapi", "analysis"]);
    const assistantEnded = (await api(fake, `/call/${calls.get("07")!.id}`)).body as Call;
    expect(assistantEnded.artifact!.messages.at(-1)!.role).toBe("bot");

    const noAnswer = (await api(fake, `/call/${calls.get("02")!.id}`)).body as Call;
    expect(noAnswer.artifact!.transcript).toBeUndefined();
    expect(noAnswer.artifact!.recording).toBeUndefined();
    expect(noAnswer.analysis).toEqual({});
    expect([...statuses.get("02")!]).toEqual(["queued", "ringing", "ended"]);
    expect([...statuses.get("06")!]).toEqual(["queued", "ended"]);
    expect(statuses.get("03")!.has("in-progress")).toBe(true);
    const voicemail = (await api(fake, `/call/${calls.get("03")!.id}`)).body as Call;
    expect(voicemail.analysis!.successEvaluation).toBe("false");
  });

  it("analysis arrives seconds after the end, bumping updatedAt", async () => {
    const call = await placeCall(fake, "+14155559901");
    let ended: Call | undefined;
    for (let i = 0; i < 200 && !ended; i++) {
      fake.advance(1_000);
      const now = (await api(fake, `/call/${call.id}`)).body as Call;
      if (now.status === "ended") ended = now;
    }
    expect(ended).toBeDefined();
    expect(ended!.analysis).toBeUndefined();
    expect(ended!.updatedAt).toBe(ended!.endedAt);
    fake.advance(15_000);
    const later = (await api(fake, `/call/${call.id}`)).body as Call;
    expect(later.analysis!.summary).toEqual(expect.any(String));
    expect(later.updatedAt > ended!.updatedAt).toBe(true);
  });

  it("schedulePlan.earliestAt in the future: scheduled until then", async () => {
    // The fake clock is ahead of real time by what earlier tests advanced; /__fake/advance tells it.
    const clock = (await (await fetch(`${fake.url}/__fake/advance`, { method: "POST", body: '{"ms":0}' })).json()) as { now: string };
    const earliestAt = new Date(Date.parse(clock.now) + 10 * MINUTE).toISOString();
    const call = await placeCall(fake, "+14155550401", { schedulePlan: { earliestAt } });
    expect(call.status).toBe("scheduled");
    fake.advance(9 * MINUTE);
    expect((await api(fake, `/call/${call.id}`)).body.status).toBe("scheduled");
    fake.advance(2 * MINUTE);
    const queued = (await api(fake, `/call/${call.id}`)).body as Call;
    expect(queued.status).not.toBe("scheduled");
    expect(queued.updatedAt >= earliestAt).toBe(true);
  });

  it("presigned URLs change on every read, the stable URLs do not", async () => {
    const id = fake.calls().find((call) => call.customer?.number === "+14155550101" && call.artifact?.recording)!.id;
    const a = (await api(fake, `/call/${id}`)).body as Call;
    const b = (await api(fake, `/call/${id}`)).body as Call;
    const c = ((await api(fake, `/call?id=${id}`)).body as Call[])[0]!;
    expect(a.artifact!.presignedMonoUrl).toMatch(/X-Amz-Signature=/);
    expect(new Set([a, b, c].map((x) => x.artifact!.presignedMonoUrl)).size).toBe(3);
    expect(new Set([a, b, c].map((x) => x.artifact!.presignedUrlsExpiresAt)).size).toBe(3);
    expect(a.artifact!.recording).toEqual(b.artifact!.recording);
    expect(a.artifact!.recordingUrl).toBe(c.artifact!.recordingUrl);
    // The stored state has none.
    expect(fake.calls().find((call) => call.id === id)!.artifact).not.toHaveProperty("presignedMonoUrl");
  });

  it("inbound calls over /__fake/calls and the clock over /__fake/advance", async () => {
    const created = await fetch(`${fake.url}/__fake/calls`, { method: "POST", body: JSON.stringify({ number: "+14155550142" }) });
    expect(created.status).toBe(201);
    const call = (await created.json()) as Call;
    expect(call).toMatchObject({ type: "inboundPhoneCall", status: "ringing", customer: { number: "+14155550142" } });
    const advanced = await fetch(`${fake.url}/__fake/advance`, { method: "POST", body: JSON.stringify({ ms: 10 * MINUTE }) });
    expect(await advanced.json()).toEqual({ now: expect.any(String) });
    expect((await api(fake, `/call/${call.id}`)).body).toMatchObject({ status: "ended", endedReason: "customer-ended-call" });
    expect(fake.createInboundCall({ number: "+14155550143" }).type).toBe("inboundPhoneCall");
    expect(fake.stats().inboundCalls).toBe(2);
  });

  it("runs on its own with a time scale", async () => {
    const fast = await startFakeVapi({ timeScale: 2000 });
    started.push(fast);
    const call = await placeCall(fast, "+14155550101");
    const t0 = performance.now();
    let status = "";
    while (status !== "ended" && performance.now() - t0 < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await api(fast, `/call/${call.id}`)).body.status;
    }
    expect(status).toBe("ended");
  });
});

describe("fake VAPI: concurrency", () => {
  it("calls over the limit end with call.start.error-subscription-concurrency-limit-reached", async () => {
    const fake = await start({ concurrencyLimit: 2 });
    const first = await post(fake, "/call", outbound("+14155550101"));
    expect(first.body.subscriptionLimits).toEqual({ concurrencyBlocked: false, concurrencyLimit: 2, remainingConcurrentCalls: 1 });
    const batch = await post(fake, "/call", {
      assistantId: DEFAULT_ASSISTANT_ID,
      phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
      customers: [{ number: "+14155550102" }, { number: "+14155550103" }],
    });
    expect(batch.body.results.map((call: Call) => call.status)).toEqual(["queued", "queued"]);
    expect(batch.body.subscriptionLimits).toEqual({ concurrencyBlocked: true, concurrencyLimit: 2, remainingConcurrentCalls: 0 });
    fake.advance(1_000);
    const blocked = (await api(fake, `/call/${batch.body.results[1].id}`)).body as Call;
    expect(blocked).toMatchObject({ status: "ended", endedReason: CONCURRENCY_LIMIT_REACHED, cost: 0 });
    expect(blocked.startedAt).toBeUndefined();
    fake.advance(10 * MINUTE);
    const later = await post(fake, "/call", outbound("+14155550104"));
    expect(later.body.subscriptionLimits.concurrencyBlocked).toBe(false);
    expect(fake.stats()).toMatchObject({ callsPlaced: 4, concurrencyBlocked: 1, concurrentPeak: 2 });
  });
});

describe("fake VAPI: webhooks", () => {
  /** Places a call, runs it to the end and waits for its webhooks. */
  async function runCall(fake: FakeVapi, number = "+14155550101"): Promise<Call> {
    const call = await placeCall(fake, number);
    fake.advance(5 * MINUTE);
    await fake.flushWebhooks();
    return call;
  }

  it("status-update per transition, then the end-of-call-report; Bearer credential", async () => {
    const { url, received } = await receiver();
    const fake = await start({ webhookUrl: url, webhookAuth: { kind: "bearer", secret: "s3cret" } });
    const call = await runCall(fake);
    expect(kinds(received)).toEqual(["status-update ringing", "status-update in-progress", "status-update ended", "end-of-call-report"]);
    expect(received.every((r) => r.headers.authorization === "Bearer s3cret")).toBe(true);
    expect(received.every((r) => r.headers["content-type"] === "application/json")).toBe(true);
    const timestamps = received.map((r) => r.message.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(typeof timestamps[0]).toBe("number");

    const ringing = received[0]!.message;
    expect(ringing).toMatchObject({
      status: "ringing",
      call: { id: call.id, status: "ringing" },
      customer: { number: "+14155550101" },
      phoneNumber: { id: DEFAULT_PHONE_NUMBER_ID, number: expect.stringMatching(/^\+1/) },
      artifact: { messages: [] },
    });
    expect(ringing).not.toHaveProperty("endedReason");
    const endedUpdate = received[2]!.message;
    expect(endedUpdate).toMatchObject({
      status: "ended",
      endedReason: "customer-ended-call",
      artifact: { transcript: expect.any(String) },
    });

    const report = received[3]!.message;
    expect(report).toMatchObject({
      type: "end-of-call-report",
      endedReason: "customer-ended-call",
      artifact: { transcript: expect.any(String), messages: expect.any(Array), recording: { mono: { combinedUrl: expect.any(String) } } },
      analysis: { summary: expect.any(String), successEvaluation: "true" },
      cost: expect.any(Number),
      costs: expect.any(Array),
      startedAt: expect.any(String),
      endedAt: expect.any(String),
      call: { id: call.id, status: "ended" },
      customer: { number: "+14155550101" },
    });
    expect(report.artifact.recordingUrl).toBe(report.artifact.recording.mono.combinedUrl);
    expect(report.artifact.presignedMonoUrl).toMatch(/X-Amz-Signature=/);
    expect(report.artifact.presignedUrlsExpiresAt).toEqual(expect.any(String));
    expect(fake.stats().webhooks).toMatchObject({ sent: 4, delivered: 4, failed: 0, dropped: 0 });
  });

  it("X-Vapi-Secret and HMAC-SHA256 of the raw body in x-vapi-signature", async () => {
    const plain = await receiver();
    await runCall(await start({ webhookUrl: plain.url, webhookAuth: { kind: "x-vapi-secret", secret: "legacy" } }));
    expect(plain.received.length).toBe(4);
    expect(plain.received.every((r) => r.headers["x-vapi-secret"] === "legacy" && !r.headers.authorization)).toBe(true);

    const signed = await receiver();
    await runCall(await start({ webhookUrl: signed.url, webhookAuth: { kind: "hmac", secret: "hmac-key" } }));
    expect(signed.received.length).toBe(4);
    for (const r of signed.received) {
      expect(r.headers["x-vapi-signature"]).toBe(crypto.createHmac("sha256", "hmac-key").update(r.raw).digest("hex"));
    }
    const none = await receiver();
    await runCall(await start({ webhookUrl: none.url }));
    expect(none.received[0]!.headers).not.toHaveProperty("authorization");
  });

  it("a failing receiver is not retried", async () => {
    const { url, received } = await receiver(() => 500);
    const fake = await start({ webhookUrl: url });
    await runCall(fake, "+14155550102");
    expect(kinds(received)).toEqual(["status-update ringing", "status-update ended", "end-of-call-report"]);
    expect(fake.stats().webhooks).toMatchObject({ sent: 3, delivered: 0, failed: 3 });
  });

  it("legacy reports: top-level transcript, summary, recordingUrl and messages, no artifact or analysis", async () => {
    const { url, received } = await receiver();
    const fake = await start({ webhookUrl: url, legacyReports: true });
    await runCall(fake);
    const report = received.find((r) => r.message.type === "end-of-call-report")!.message;
    expect(report).toMatchObject({
      endedReason: "customer-ended-call",
      transcript: expect.stringMatching(/^AI: /),
      summary: expect.any(String),
      recordingUrl: expect.stringMatching(/mono\.wav$/),
      messages: expect.any(Array),
    });
    expect(report).not.toHaveProperty("artifact");
    expect(report).not.toHaveProperty("analysis");
    expect(report.call).not.toHaveProperty("artifact");
  });

  it("fault duplicate: the same message twice, presigned URLs differing", async () => {
    const { url, received } = await receiver();
    const fake = await start({ webhookUrl: url });
    fake.setFaults([{ kind: "duplicate", endpoint: "end-of-call-report", times: 1 }]);
    await runCall(fake);
    expect(kinds(received)).toEqual([
      "status-update ringing",
      "status-update in-progress",
      "status-update ended",
      "end-of-call-report",
      "end-of-call-report",
    ]);
    const [a, b] = received.slice(3).map((r) => r.message);
    expect(a.timestamp).toBe(b.timestamp);
    expect(a.artifact.presignedMonoUrl).not.toBe(b.artifact.presignedMonoUrl);
    expect(a.artifact.recording).toEqual(b.artifact.recording);
    expect(fake.stats().webhooks.duplicated).toBe(1);
  });

  it("fault drop: never sent; the call is still complete on GET", async () => {
    const { url, received } = await receiver();
    const fake = await start({ webhookUrl: url });
    fake.setFaults([{ kind: "drop", endpoint: "end-of-call-report" }]);
    const call = await runCall(fake);
    expect(kinds(received)).not.toContain("end-of-call-report");
    expect((await api(fake, `/call/${call.id}`)).body.analysis.summary).toEqual(expect.any(String));
    expect(fake.stats().webhooks.dropped).toBe(1);
  });

  it("fault out_of_order: the report before the final status-update", async () => {
    const { url, received } = await receiver();
    const fake = await start({ webhookUrl: url });
    fake.setFaults([{ kind: "out_of_order", times: 1 }]);
    await runCall(fake);
    expect(kinds(received)).toEqual(["status-update ringing", "status-update in-progress", "end-of-call-report", "status-update ended"]);
    await runCall(fake);
    expect(kinds(received.slice(4)).at(-1)).toBe("end-of-call-report");
  });

  it("fault no_analysis: an early report without analysis; GET /call/:id has it later", async () => {
    const { url, received } = await receiver();
    const fake = await start({ webhookUrl: url });
    fake.setFaults([{ kind: "no_analysis" }]);
    const call = await placeCall(fake, "+14155550101");
    let report: any;
    for (let i = 0; i < 300 && !report; i++) {
      fake.advance(1_000);
      await fake.flushWebhooks();
      report = received.find((r) => r.message.type === "end-of-call-report")?.message;
    }
    expect(report).toBeDefined();
    expect(report).not.toHaveProperty("analysis");
    expect(report.artifact.transcript).toEqual(expect.any(String));
    expect((await api(fake, `/call/${call.id}`)).body).not.toHaveProperty("analysis");
    fake.advance(MINUTE);
    expect((await api(fake, `/call/${call.id}`)).body.analysis.summary).toEqual(expect.any(String));
    await fake.flushWebhooks();
    expect(received.filter((r) => r.message.type === "end-of-call-report")).toHaveLength(1);
  });

  it("no webhook URL: nothing is sent", async () => {
    const fake = await start();
    await runCall(fake);
    expect(fake.stats().webhooks.sent).toBe(0);
  });
});

describe("fake VAPI: API faults", () => {
  let fake: FakeVapi;
  beforeAll(async () => {
    fake = await start();
  });

  it("429 with Retry-After, for the next N matching requests", async () => {
    fake.setFaults([{ endpoint: "GET /call", kind: "rate_limit", retryAfter: 7, times: 2 }]);
    expect((await api(fake, `/call/${crypto.randomUUID()}`)).status).toBe(404);
    const limited = await api(fake, "/call");
    expect(limited).toMatchObject({ status: 429, body: { statusCode: 429, error: "Too Many Requests" } });
    expect(limited.headers.get("retry-after")).toBe("7");
    expect((await api(fake, "/call")).status).toBe(429);
    expect((await api(fake, "/call")).status).toBe(200);
    expect(fake.stats()).toMatchObject({ rateLimited: 2, faults: 2 });
  });

  it("500, 502 and 503 with VAPI's error body; a bare route matches any method", async () => {
    for (const status of [500, 502, 503]) {
      fake.setFaults([{ endpoint: "/call", kind: "status", status, times: 1 }]);
      const answer = await post(fake, "/call", outbound("+14155550101"));
      expect(answer).toMatchObject({ status, body: { statusCode: status } });
    }
    expect(fake.calls()).toHaveLength(0);
    fake.setFaults([{ kind: "status", after: 1, times: 1 }]);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api(fake, "/call")).status);
    expect(statuses).toEqual([200, 500, 200]);
  });

  it("timeout: never answered, yet the call was placed", async () => {
    fake.setFaults([{ endpoint: "POST /call", kind: "timeout", times: 1 }]);
    const pending = fetch(`${fake.url}/call`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify(outbound("+14155550111")),
      signal: AbortSignal.timeout(300),
    });
    await expect(pending).rejects.toThrow();
    expect(fake.calls().map((call) => call.customer?.number)).toContain("+14155550111");
  });

  it("timeout with delayMs: answered late", async () => {
    fake.setFaults([{ endpoint: "GET /call/:id", kind: "timeout", delayMs: 300, times: 1 }]);
    const id = fake.calls()[0]!.id;
    const t0 = performance.now();
    const answer = await api(fake, `/call/${id}`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    expect(answer.body.id).toBe(id);
  });

  it("truncated: the status and headers, then half a body and a dead connection", async () => {
    fake.setFaults([{ endpoint: "GET /call", kind: "truncated", times: 1 }]);
    const response = await fetch(`${fake.url}/call`, { headers: AUTH });
    expect(response.status).toBe(200);
    await expect(response.text().then((text) => JSON.parse(text))).rejects.toThrow();
    expect((await api(fake, "/call")).status).toBe(200);
  });

  it("control endpoints: faults and stats over HTTP", async () => {
    fake.clearFaults();
    const added = await fetch(`${fake.url}/__fake/faults`, {
      method: "POST",
      body: JSON.stringify([{ endpoint: "GET /call", kind: "status", status: 502 }]),
    });
    expect(await added.json()).toEqual({ faults: 1 });
    expect(((await (await fetch(`${fake.url}/__fake/faults`)).json()) as any[])[0].rule.status).toBe(502);
    expect((await api(fake, "/call")).status).toBe(502);
    await fetch(`${fake.url}/__fake/faults`, { method: "DELETE" });
    expect((await api(fake, "/call")).status).toBe(200);
    const stats = (await (await fetch(`${fake.url}/__fake/stats`)).json()) as any;
    expect(stats.byRoute["GET /call"]).toBeGreaterThan(5);
    expect(stats).toMatchObject({ requests: expect.any(Number), rateLimited: 2, webhooks: { sent: 0 } });
    const bad = await fetch(`${fake.url}/__fake/faults`, { method: "POST", body: JSON.stringify({ kind: "nope" }) });
    expect(bad.status).toBe(400);
  });
});

describe("fake VAPI: CLI", () => {
  it("npm run dev:vapi prints the URL and the env lines and stops on SIGTERM", async () => {
    const main = path.resolve(import.meta.dirname, "../../tools/fake-vapi/main.ts");
    const child = spawn(process.execPath, [main, "--port", "0", "--calls", "5", "--webhook-secret", "abc"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
          output += chunk;
          const match = /listening on (\S+)/.exec(output);
          if (match && output.includes("VAPI_WEBHOOK_SECRET")) resolve(match[1]!);
        });
        child.once("exit", () => reject(new Error(`exited early: ${output}`)));
      });
      expect(output).toContain(`VAPI_API_URL=${url}`);
      expect(output).toContain("VAPI_API_KEY=anything");
      expect(output).toContain("VAPI_WEBHOOK_SECRET=abc");
      expect(output).toContain(DEFAULT_ASSISTANT_ID);
      expect(output).toContain(DEFAULT_PHONE_NUMBER_ID);
      const calls = await fetch(`${url}/call`, { headers: AUTH });
      expect((await calls.json()) as unknown[]).toHaveLength(5);
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
