// A fake VAPI API (node:http) for tests and `npm run dev:vapi`: POST /call (one
// customer or a batch), GET /call (a bare array in no particular order), GET
// /call/:id; calls that live through queued -> ringing -> in-progress -> ended on a
// scalable fake clock with outcomes chosen by the customer's number (./calls.ts);
// status-update and end-of-call-report webhooks (./webhooks.ts); fault injection
// for the API and for webhooks. What it models and why: docs/sources/vapi-fake.md.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createRng, uuidv4, type Rng } from "../fake-instantly/data.ts";
import {
  BLOCKED,
  artifactAt,
  hashSeed,
  historicalCustomer,
  iso,
  outcomeFor,
  scriptFor,
  withPresignedUrls,
  type Script,
  type Transition,
} from "./calls.ts";
import type { Call, CallBatchError, Customer, PhoneNumber, SubscriptionLimits } from "./types.ts";
import { WebhookSender, emptyWebhookStats, type WebhookAuth, type WebhookStats } from "./webhooks.ts";

export type * from "./types.ts";
export type { WebhookAuth, WebhookAuthKind, WebhookStats } from "./webhooks.ts";
export { OUTCOMES, CONCURRENCY_LIMIT_REACHED } from "./calls.ts";

/** Fixed (seed-independent) ids, so a .env can name them. */
export const DEFAULT_ASSISTANT_ID = "5f1c2a8e-3b7d-4e90-a1c6-0d9e8b7a6f01";
export const DEFAULT_PHONE_NUMBER_ID = "9b3e7c1d-2a4f-4d8b-b6e0-5c1a2f3d4e02";

export interface FakeVapiOptions {
  /** Default 0 (any free port); host 127.0.0.1. */
  port?: number;
  /** When set only this bearer is accepted; unset: any non-empty bearer. */
  apiKey?: string;
  /** Deterministic ids and data (default 1). */
  seed?: number;
  /**
   * How much faster than real time the fake clock runs (default 1: queued -> ringing 2 s,
   * ringing -> in-progress ~5 s, talk 30-90 s). 0 freezes it: only advance() moves it.
   */
  timeScale?: number;
  /** Default 10: calls beyond it end with call.start.error-subscription-concurrency-limit-reached. */
  concurrencyLimit?: number;
  /** Where status-update and end-of-call-report go (unset: no webhooks). */
  webhookUrl?: string;
  webhookAuth?: WebhookAuth;
  /** end-of-call-report with top-level transcript/summary/recordingUrl/messages and no artifact/analysis (default false). */
  legacyReports?: boolean;
  /** Pre-seeded ended calls over the last 30 days (default 0). */
  calls?: number;
  /** Valid assistant ids (default [DEFAULT_ASSISTANT_ID]). */
  assistantIds?: string[];
  /** Valid phone-number ids (default [DEFAULT_PHONE_NUMBER_ID]). */
  phoneNumberIds?: string[];
}

export type ApiFaultKind = "status" | "rate_limit" | "timeout" | "slow" | "truncated";
export type WebhookFaultKind = "duplicate" | "out_of_order" | "drop" | "no_analysis";

export interface FaultRule {
  /**
   * API kinds: "POST /call", "GET /call", "GET /call/:id"; a bare "/call" or "/call/:id" matches any method.
   * Webhook kinds: "status-update" or "end-of-call-report". Unset: everything the kind applies to.
   */
  endpoint?: string;
  /**
   * API: "status" (default 500), "rate_limit" (429 + Retry-After), "timeout" (never answers, or answers after
   * delayMs), "slow" (= timeout with delayMs, default 1000), "truncated" (half a body, then the connection dies).
   * A timed-out or truncated POST /call still creates its calls, as a real one may.
   * Webhooks: "duplicate" (sent twice), "drop" (never sent), "out_of_order" (the call's end-of-call-report before
   * its final status-update), "no_analysis" (the report comes early without analysis; GET /call/:id has it later).
   */
  kind: ApiFaultKind | WebhookFaultKind;
  status?: number;
  /** Seconds, for "rate_limit" (default 1). */
  retryAfter?: number;
  delayMs?: number;
  /** The next N matching requests or messages (default: all until cleared). */
  times?: number;
  /** Skip the first N matching ones (default 0). */
  after?: number;
  /** 0..1 per match, seeded (default 1). */
  probability?: number;
}

export interface FakeVapiStats {
  requests: number;
  /** Keyed "POST /call", "GET /call", "GET /call/:id", ... */
  byRoute: Record<string, number>;
  unauthorized: number;
  /** 429s sent. */
  rateLimited: number;
  /** API faults applied (429s included). */
  faults: number;
  webhooks: WebhookStats;
  /** Outbound calls created by POST /call (batch members included). */
  callsPlaced: number;
  inboundCalls: number;
  /** Calls that ended with call.start.error-subscription-concurrency-limit-reached. */
  concurrencyBlocked: number;
  /** Most calls queued, ringing or in progress at once. */
  concurrentPeak: number;
}

export interface FakeVapi {
  /** Base URL, e.g. http://127.0.0.1:43123 (the API is at its root, like https://api.vapi.ai). */
  url: string;
  close(): Promise<void>;
  stats(): FakeVapiStats;
  /** Replaces the active rules (POST /__fake/faults adds to them). */
  setFaults(rules: FaultRule[]): void;
  clearFaults(): void;
  /** Every call, oldest first, as stored (deep copies, without presigned URLs: those are made per read). */
  calls(): Call[];
  /** Moves the fake clock forward and runs what became due (status changes, webhooks queued). */
  advance(ms: number): void;
  /** An inbound call to the first phone number (like POST /__fake/calls). */
  createInboundCall(input: { number: string }): Call;
  /** Resolves when every queued webhook delivery was attempted. */
  flushWebhooks(): Promise<void>;
}

// ------------------------------------------------------------------ replies

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const json = (value: unknown, status = 200): Reply => ({ status, body: JSON.stringify(value) });

/** NestJS's error body, as VAPI answers: {message, error, statusCode}; DTO validation gives a list of messages. */
function failure(status: number, message: string | string[], headers?: Record<string, string>): Reply {
  return {
    status,
    body: JSON.stringify({ message, error: http.STATUS_CODES[status] ?? "Error", statusCode: status }),
    ...(headers ? { headers } : {}),
  };
}

class Invalid extends Error {
  reply: Reply;
  constructor(reply: Reply) {
    super(reply.body);
    this.reply = reply;
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  const body = Buffer.from(reply.body);
  res.writeHead(reply.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(body.length),
    ...reply.headers,
  });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

// --------------------------------------------------------------- validation

/** E.164: "+", a country code and at most 15 digits (VAPI checks unless numberE164CheckEnabled is false). */
const E164 = /^\+[1-9]\d{6,14}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_LIMIT = 1000;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function customerErrors(customer: unknown, at: string): string[] {
  if (!isObject(customer)) return [`${at} must be an object`];
  const errors: string[] = [];
  for (const field of ["number", "name", "email", "externalId", "extension", "sipUri"]) {
    if (customer[field] !== undefined && typeof customer[field] !== "string") errors.push(`${at}.${field} must be a string`);
  }
  const number = customer.number;
  if (typeof number !== "string" || number === "") {
    if (customer.sipUri === undefined) errors.push(`${at}.number should not be empty`);
  } else if (customer.numberE164CheckEnabled !== false && !E164.test(number)) {
    errors.push(
      `${at}.number must be a valid phone number in the E.164 format. Hot tip, you may be missing the country code (Eg. US: +1).`,
    );
  }
  if (typeof customer.externalId === "string" && customer.externalId.length > 40) {
    errors.push(`${at}.externalId must be shorter than or equal to 40 characters`);
  }
  return errors;
}

function dateOf(value: unknown, at: string): number {
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new Invalid(failure(400, [`${at} must be a valid ISO 8601 date string`]));
  return ms;
}

// ------------------------------------------------------------------- faults

interface ActiveFault {
  rule: FaultRule;
  seen: number;
  applied: number;
}

const API_KINDS = new Set<string>(["status", "rate_limit", "timeout", "slow", "truncated"]);
const WEBHOOK_KINDS = new Set<string>(["duplicate", "out_of_order", "drop", "no_analysis"]);

function checkRule(rule: unknown): FaultRule {
  const r = rule as FaultRule;
  if (!isObject(rule) || !(API_KINDS.has(r.kind) || WEBHOOK_KINDS.has(r.kind))) {
    throw new Error(`a fault rule needs kind ${[...API_KINDS, ...WEBHOOK_KINDS].join("|")}, got ${JSON.stringify(rule)}`);
  }
  return { ...r };
}

class Faults {
  active: ActiveFault[] = [];
  private rng: Rng;

  constructor(seed: number) {
    this.rng = createRng(seed ^ 0x5eed);
  }

  add(rules: FaultRule[]): void {
    for (const rule of rules) this.active.push({ rule: checkRule(rule), seen: 0, applied: 0 });
  }

  clear(): void {
    this.active = [];
  }

  /** The first applicable rule of one of `kinds` for `target` ("GET /call", "status-update", ...). */
  match(target: string, kinds: Set<string>): FaultRule | undefined {
    for (const fault of this.active) {
      const { rule } = fault;
      if (!kinds.has(rule.kind)) continue;
      if (
        rule.endpoint !== undefined &&
        rule.endpoint !== target &&
        !(rule.endpoint.startsWith("/") && target.endsWith(` ${rule.endpoint}`))
      ) {
        continue;
      }
      fault.seen++;
      if (fault.seen <= (rule.after ?? 0)) continue;
      if (rule.times !== undefined && fault.applied >= rule.times) continue;
      if (rule.probability !== undefined && rule.probability < 1 && this.rng() >= rule.probability) continue;
      fault.applied++;
      if (rule.times !== undefined && fault.applied >= rule.times) this.active = this.active.filter((f) => f !== fault);
      return rule;
    }
    return undefined;
  }
}

// -------------------------------------------------------------------- calls

interface Entry {
  call: Call;
  script?: Script;
  /** Counts against the concurrency limit (queued, ringing or in progress and not blocked). */
  active: boolean;
}

interface Due {
  at: number;
  seq: number;
  run: () => void;
}

const DAY = 86_400_000;

function emptyStats(): FakeVapiStats {
  return {
    requests: 0,
    byRoute: {},
    unauthorized: 0,
    rateLimited: 0,
    faults: 0,
    webhooks: emptyWebhookStats(),
    callsPlaced: 0,
    inboundCalls: 0,
    concurrencyBlocked: 0,
    concurrentPeak: 0,
  };
}

export async function startFakeVapi(options: FakeVapiOptions = {}): Promise<FakeVapi> {
  const seed = options.seed ?? 1;
  const timeScale = options.timeScale ?? 1;
  const concurrencyLimit = options.concurrencyLimit ?? 10;
  const assistantIds = new Set(options.assistantIds ?? [DEFAULT_ASSISTANT_ID]);
  const phoneNumberIds = options.phoneNumberIds ?? [DEFAULT_PHONE_NUMBER_ID];
  const rng = createRng(seed);
  const shuffleRng = createRng(seed ^ 0x5fff1e);
  const orgId = uuidv4(rng);
  const stats = emptyStats();
  const faults = new Faults(seed);
  const sender = options.webhookUrl ? new WebhookSender(options.webhookUrl, options.webhookAuth, stats.webhooks) : undefined;

  // The fake clock: wall time at start, real time since then times timeScale, plus advance().
  const wallStart = Date.now();
  const perfStart = performance.now();
  let advanced = 0;
  const now = () => Math.floor(wallStart + (performance.now() - perfStart) * timeScale + advanced);

  const phoneNumbers = new Map<string, PhoneNumber>(
    phoneNumberIds.map((id, i) => [
      id,
      {
        id,
        orgId,
        number: `+1415555${String(100 + i).padStart(4, "0")}`,
        provider: "twilio",
        name: `Leadgraph line ${i + 1}`,
        status: "active",
        createdAt: iso(wallStart - 90 * DAY),
        updatedAt: iso(wallStart - 90 * DAY),
      },
    ]),
  );

  const entries = new Map<string, Entry>();
  // Each read signs anew: a new nonce and an issue time that never repeats, so the expiry changes too.
  let presignCount = 0;
  let lastIssued = 0;
  const read = (call: Call): Call => {
    lastIssued = Math.max(now(), lastIssued + 1);
    return withPresignedUrls(structuredClone(call), lastIssued, `${seed}:${++presignCount}`);
  };
  let active = 0;
  const activeCount = () => active;
  const setActive = (entry: Entry, value: boolean) => {
    if (entry.active !== value) active += value ? 1 : -1;
    entry.active = value;
  };

  // ---------------------------------------------------------- the schedule
  const queue: Due[] = [];
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function schedule(at: number, run: () => void): void {
    const due = { at, seq: seq++, run };
    let i = queue.length;
    while (i > 0 && (queue[i - 1]!.at > at || (queue[i - 1]!.at === at && queue[i - 1]!.seq > due.seq))) i--;
    queue.splice(i, 0, due);
  }

  /** Runs everything due by the fake clock's now, in time order, then sets a timer for the next. */
  function tick(): void {
    while (queue.length > 0 && queue[0]!.at <= now()) queue.shift()!.run();
    arm();
  }

  function arm(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const next = queue[0];
    if (closed || !next || timeScale <= 0) return;
    const delay = Math.min(DAY, Math.max(0, Math.ceil((next.at - now()) / timeScale)));
    timer = setTimeout(tick, delay);
    timer.unref();
  }

  // -------------------------------------------------------------- webhooks
  const webhooksOn = () => sender !== undefined && !closed;

  function envelope(message: Record<string, unknown>, call: Call): Record<string, unknown> {
    return {
      message: {
        ...message,
        call,
        ...(call.customer ? { customer: call.customer } : {}),
        ...(call.phoneNumberId && phoneNumbers.has(call.phoneNumberId) ? { phoneNumber: phoneNumbers.get(call.phoneNumberId) } : {}),
      },
    };
  }

  /** Queues one message (drop/duplicate faults apply); `build` runs per POST so presigned URLs differ between copies. */
  function deliver(call: Call, type: "status-update" | "end-of-call-report", build: () => Record<string, unknown>): void {
    if (!sender) return;
    if (faults.match(type, new Set(["drop"]))) {
      stats.webhooks.dropped++;
      return;
    }
    const copies = faults.match(type, new Set(["duplicate"])) ? 2 : 1;
    if (copies === 2) stats.webhooks.duplicated++;
    for (let i = 0; i < copies; i++) sender.enqueue(call.id, type, () => JSON.stringify(build()));
  }

  function statusUpdate(snapshot: Call, at: number): void {
    deliver(snapshot, "status-update", () => {
      const call = read(snapshot);
      return envelope(
        {
          timestamp: at,
          type: "status-update",
          status: call.status,
          ...(call.status === "ended" ? { endedReason: call.endedReason } : {}),
          ...(call.artifact ? { artifact: call.artifact } : {}),
        },
        call,
      );
    });
  }

  function report(snapshot: Call, script: Script, at: number, withAnalysis: boolean): void {
    const durationSeconds = script.startedAt !== undefined ? Math.round((script.endedAt - script.startedAt) / 10) / 100 : 0;
    deliver(snapshot, "end-of-call-report", () => {
      const call = read(snapshot);
      const common = {
        timestamp: at,
        type: "end-of-call-report",
        endedReason: call.endedReason,
        cost: call.cost,
        costs: call.costs,
        costBreakdown: call.costBreakdown,
        ...(call.startedAt ? { startedAt: call.startedAt } : {}),
        endedAt: call.endedAt,
        durationSeconds,
      };
      if (options.legacyReports) {
        // The shape of VAPI's own starter types: top-level fields, no artifact or analysis objects.
        const { artifact, analysis, ...bare } = call;
        return envelope(
          {
            ...common,
            ...(artifact?.transcript !== undefined ? { transcript: artifact.transcript } : {}),
            ...(withAnalysis && analysis?.summary !== undefined ? { summary: analysis.summary } : {}),
            ...(artifact?.recordingUrl ? { recordingUrl: artifact.recordingUrl } : {}),
            ...(artifact?.stereoRecordingUrl ? { stereoRecordingUrl: artifact.stereoRecordingUrl } : {}),
            messages: artifact?.messages ?? [],
          },
          bare,
        );
      }
      return envelope(
        {
          ...common,
          artifact: call.artifact ?? { messages: [], messagesOpenAIFormatted: [] },
          ...(withAnalysis ? { analysis: call.analysis ?? {} } : {}),
        },
        call,
      );
    });
  }

  // ------------------------------------------------------------- lifecycle
  function bump(): void {
    stats.concurrentPeak = Math.max(stats.concurrentPeak, activeCount());
  }

  function transition(entry: Entry, script: Script, { at, status }: Transition): void {
    const call = entry.call;
    call.status = status;
    call.updatedAt = iso(at);
    if (status === "ringing")
      call.phoneCallProviderId = `CA${hashSeed(`${call.id}a`).toString(16).padStart(8, "0")}${call.id.replace(/-/g, "").slice(0, 24)}`;
    // startedAt: when it was answered, or when it began ringing for calls never answered.
    if (script.startedAt !== undefined && script.startedAt <= at && call.startedAt === undefined) call.startedAt = iso(script.startedAt);
    if (status !== "queued" && status !== "scheduled") call.artifact = artifactAt(script, status, call);
    if (status === "ended") {
      call.endedReason = script.outcome.endedReason;
      if (script.outcome.endedMessage) call.endedMessage = script.outcome.endedMessage;
      call.endedAt = iso(at);
      call.cost = script.cost;
      call.costs = script.costs;
      call.costBreakdown = script.costBreakdown;
      setActive(entry, false);
    }
    bump();
  }

  /** The call enters "queued" at `at` (now, or its schedulePlan.earliestAt) and its whole life is scheduled. */
  function begin(entry: Entry, at: number): void {
    const call = entry.call;
    const blocked = call.type !== "inboundPhoneCall" && activeCount() >= concurrencyLimit;
    const outcome = blocked ? BLOCKED : outcomeFor(call.customer?.number);
    if (blocked) stats.concurrencyBlocked++;
    const script = scriptFor(call, outcome, at, createRng(hashSeed(`${seed}:${call.id}`)));
    entry.script = script;
    setActive(entry, !blocked);
    const [first, ...rest] = script.transitions;
    if (first && first.status === call.status) {
      if (script.startedAt !== undefined && script.startedAt <= first.at) call.startedAt = iso(script.startedAt);
      bump();
    } else if (first) {
      // scheduled -> queued, now
      transition(entry, script, first);
      if (webhooksOn()) statusUpdate(structuredClone(call), first.at);
    }
    for (const step of rest) {
      schedule(step.at, () => {
        transition(entry, script, step);
        if (step.status === "ended") ended(entry, script, step.at);
        else if (webhooksOn()) statusUpdate(structuredClone(call), step.at);
      });
    }
  }

  /** The final status-update, then post-call processing: analysis on the call and the end-of-call-report. */
  function ended(entry: Entry, script: Script, at: number): void {
    const call = entry.call;
    const finalUpdate = structuredClone(call);
    const early = webhooksOn() && faults.match("end-of-call-report", new Set(["no_analysis"])) !== undefined;
    const reversed = webhooksOn() && faults.match("end-of-call-report", new Set(["out_of_order"])) !== undefined;
    if (webhooksOn() && !reversed) statusUpdate(finalUpdate, at);
    const sendReport = (reportAt: number, withAnalysis: boolean) => {
      if (!webhooksOn()) return;
      report(structuredClone(call), script, reportAt, withAnalysis);
      if (reversed) statusUpdate(finalUpdate, at);
    };
    if (early) schedule(Math.min(script.processedAt, at + 1500), () => sendReport(Math.min(script.processedAt, at + 1500), false));
    schedule(script.processedAt, () => {
      call.analysis = structuredClone(script.analysis);
      call.updatedAt = iso(script.processedAt);
      if (!early) sendReport(script.processedAt, true);
    });
  }

  function newCall(fields: Partial<Call>, createdAt: number): Entry {
    const id = uuidv4(rng);
    const call: Call = {
      id,
      orgId,
      createdAt: iso(createdAt),
      updatedAt: iso(createdAt),
      type: "outboundPhoneCall",
      status: "queued",
      phoneCallProvider: "twilio",
      phoneCallTransport: "pstn",
      monitor: {
        listenUrl: `wss://phone-call-websocket.aws-us-west-2-backend-production1.vapi.ai/${id}/listen`,
        controlUrl: `https://phone-call-websocket.aws-us-west-2-backend-production1.vapi.ai/${id}/control`,
      },
      ...fields,
    };
    const entry: Entry = { call, active: false };
    entries.set(id, entry);
    return entry;
  }

  /** Historical calls: created over the last 30 days, ended and analysed, no webhooks. */
  function seedHistory(count: number): void {
    const end = now() - 10 * 60_000;
    const starts = Array.from({ length: count }, () => end - Math.floor(rng() * 30 * DAY)).sort((a, b) => a - b);
    starts.forEach((start, index) => {
      const { customer, variableValues } = historicalCustomer(rng, index);
      const entry = newCall(
        {
          customer,
          assistantId: [...assistantIds][index % assistantIds.size],
          phoneNumberId: phoneNumberIds[index % phoneNumberIds.length],
          assistantOverrides: { variableValues },
        },
        start,
      );
      const script = scriptFor(entry.call, outcomeFor(customer?.number), start, createRng(hashSeed(`${seed}:${entry.call.id}`)));
      entry.script = script;
      for (const step of script.transitions.slice(1)) transition(entry, script, step);
      entry.call.analysis = structuredClone(script.analysis);
      entry.call.updatedAt = iso(script.processedAt);
    });
  }

  function subscriptionLimits(blocked: boolean): SubscriptionLimits {
    return { concurrencyBlocked: blocked, concurrencyLimit, remainingConcurrentCalls: Math.max(0, concurrencyLimit - activeCount()) };
  }

  // ----------------------------------------------------------------- routes
  function createCalls(body: unknown): Reply {
    if (!isObject(body)) throw new Invalid(failure(400, ["body must be an object"]));
    const errors: string[] = [];
    if (body.customer !== undefined && body.customers !== undefined) errors.push("customer and customers cannot both be set");
    const assistantId = body.assistantId;
    if (assistantId === undefined && !isObject(body.assistant) && typeof body.squadId !== "string" && typeof body.workflowId !== "string") {
      throw new Invalid(failure(400, "Need Either `assistant`, `assistantId`, `squad`, `squadId`, `workflow` Or `workflowId`."));
    }
    if (assistantId !== undefined && (typeof assistantId !== "string" || !assistantIds.has(assistantId))) {
      throw new Invalid(failure(400, `Couldn't Get Assistant. \`assistantId\` ${String(assistantId)} Does Not Exist.`));
    }
    const phoneNumberId = body.phoneNumberId;
    if (phoneNumberId === undefined && !isObject(body.phoneNumber)) {
      throw new Invalid(failure(400, "Need Either `phoneNumberId` Or `phoneNumber`."));
    }
    if (phoneNumberId !== undefined && (typeof phoneNumberId !== "string" || !phoneNumbers.has(phoneNumberId))) {
      throw new Invalid(failure(400, `Couldn't Get Phone Number. \`phoneNumberId\` ${String(phoneNumberId)} Does Not Exist.`));
    }
    if (body.name !== undefined && (typeof body.name !== "string" || body.name.length > 40)) {
      errors.push("name must be shorter than or equal to 40 characters");
    }
    if (body.assistantOverrides !== undefined && !isObject(body.assistantOverrides)) errors.push("assistantOverrides must be an object");
    let earliest: number | undefined;
    if (body.schedulePlan !== undefined) {
      const plan = body.schedulePlan;
      if (!isObject(plan)) throw new Invalid(failure(400, ["schedulePlan must be an object"]));
      earliest = dateOf(plan.earliestAt, "schedulePlan.earliestAt");
      if (plan.latestAt !== undefined && dateOf(plan.latestAt, "schedulePlan.latestAt") < earliest) {
        errors.push("schedulePlan.latestAt must be after schedulePlan.earliestAt");
      }
    }
    const batch = body.customers !== undefined;
    if (batch && (!Array.isArray(body.customers) || body.customers.length === 0)) errors.push("customers must contain at least 1 elements");
    if (!batch && body.customer === undefined) errors.push("customer should not be empty");
    if (!batch && body.customer !== undefined) errors.push(...customerErrors(body.customer, "customer"));
    if (errors.length > 0) throw new Invalid(failure(400, errors));

    const createdAt = now();
    const scheduled = earliest !== undefined && earliest > createdAt;
    const shared: Partial<Call> = {
      ...(typeof assistantId === "string" ? { assistantId } : {}),
      ...(isObject(body.assistant) ? { assistant: body.assistant } : {}),
      ...(typeof body.squadId === "string" ? { squadId: body.squadId } : {}),
      ...(typeof body.workflowId === "string" ? { workflowId: body.workflowId } : {}),
      ...(typeof phoneNumberId === "string" ? { phoneNumberId } : {}),
      ...(isObject(body.assistantOverrides) ? { assistantOverrides: body.assistantOverrides } : {}),
      ...(typeof body.name === "string" ? { name: body.name } : {}),
      ...(isObject(body.schedulePlan) ? { schedulePlan: body.schedulePlan as unknown as Call["schedulePlan"] } : {}),
      status: scheduled ? "scheduled" : "queued",
    };
    const place = (customer: Customer): Call => {
      const entry = newCall({ ...structuredClone(shared), customer: structuredClone(customer) }, createdAt);
      stats.callsPlaced++;
      if (scheduled) schedule(earliest!, () => begin(entry, earliest!));
      else begin(entry, createdAt);
      return entry.call;
    };
    const blockedNow = (call: Call) => entries.get(call.id)?.script?.outcome === BLOCKED;

    if (!batch) {
      const call = place(body.customer as Customer);
      arm();
      return json({ ...read(call), subscriptionLimits: subscriptionLimits(blockedNow(call)) }, 201);
    }
    const results: Call[] = [];
    const batchErrors: CallBatchError[] = [];
    (body.customers as unknown[]).forEach((customer, i) => {
      const problems = customerErrors(customer, `customers.${i}`);
      if (problems.length > 0) batchErrors.push({ customer: customer as Customer, error: problems.join("; ") });
      else results.push(place(customer as Customer));
    });
    arm();
    return json({ results: results.map(read), errors: batchErrors, subscriptionLimits: subscriptionLimits(results.some(blockedNow)) }, 201);
  }

  function listCalls(query: URLSearchParams): Reply {
    const rawLimit = query.get("limit");
    let limit = 100;
    if (rawLimit !== null && rawLimit !== "") {
      limit = Number(rawLimit);
      if (!Number.isFinite(limit)) throw new Invalid(failure(400, ["limit must be a number conforming to the specified constraints"]));
      if (limit > MAX_LIMIT) throw new Invalid(failure(400, [`limit must not be greater than ${MAX_LIMIT}`]));
      if (limit < 0) throw new Invalid(failure(400, ["limit must not be less than 0"]));
    }
    const bounds: [keyof Call, (a: number, b: number) => boolean, number][] = [];
    for (const field of ["createdAt", "updatedAt"] as const) {
      for (const [suffix, test] of [
        ["Gt", (a: number, b: number) => a > b],
        ["Lt", (a: number, b: number) => a < b],
        ["Ge", (a: number, b: number) => a >= b],
        ["Le", (a: number, b: number) => a <= b],
      ] as const) {
        const value = query.get(`${field}${suffix}`);
        if (value !== null && value !== "") bounds.push([field, test, dateOf(value, `${field}${suffix}`)]);
      }
    }
    const id = query.get("id") || undefined;
    const assistantId = query.get("assistantId") || undefined;
    const phoneNumberId = query.get("phoneNumberId") || undefined;
    const matching = [...entries.values()]
      .map((entry) => entry.call)
      .filter(
        (call) =>
          (id === undefined || call.id === id) &&
          (assistantId === undefined || call.assistantId === assistantId) &&
          (phoneNumberId === undefined || call.phoneNumberId === phoneNumberId) &&
          bounds.every(([field, test, bound]) => test(Date.parse(call[field] as string), bound)),
      )
      // The newest `limit` calls, by createdAt...
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
      .slice(0, Math.floor(limit));
    // ...in no particular order: VAPI documents none, so clients must sort.
    for (let i = matching.length - 1; i > 0; i--) {
      const j = Math.floor(shuffleRng() * (i + 1));
      [matching[i], matching[j]] = [matching[j]!, matching[i]!];
    }
    return json(matching.map(read));
  }

  function getCall(id: string): Reply {
    const entry = UUID.test(id) ? entries.get(id) : undefined;
    if (!entry) return failure(404, "Call not found");
    return json(read(entry.call));
  }

  function createInbound(input: unknown): Call {
    const number = isObject(input) ? input.number : undefined;
    if (typeof number !== "string" || number === "") throw new Invalid(failure(400, ["number should not be empty"]));
    tick();
    const entry = newCall(
      {
        type: "inboundPhoneCall",
        status: "ringing",
        customer: { number },
        assistantId: [...assistantIds][0],
        phoneNumberId: phoneNumberIds[0],
      },
      now(),
    );
    stats.inboundCalls++;
    begin(entry, Date.parse(entry.call.createdAt));
    arm();
    return structuredClone(entry.call);
  }

  // ------------------------------------------------------------------ server
  const held = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  function routeOf(method: string, path: string): string | undefined {
    if (path === "/call" && (method === "GET" || method === "POST")) return `${method} /call`;
    if (/^\/call\/[^/]+$/.test(path) && method === "GET") return "GET /call/:id";
    return undefined;
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const route = routeOf(method, path);
    const key = route ?? `${method} ${path}`;
    stats.requests++;
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
    const raw = await readBody(req);
    if (!route) return send(res, failure(404, `Cannot ${method} ${url.pathname}`));

    const header = req.headers.authorization?.trim() ?? "";
    const bearer = /^Bearer\s+(\S.*)$/i.exec(header)?.[1]?.trim();
    if (!bearer || (options.apiKey !== undefined && bearer !== options.apiKey)) {
      stats.unauthorized++;
      return send(res, failure(401, "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa."));
    }

    const fault = faults.match(route, API_KINDS);
    if (fault) stats.faults++;
    if (fault?.kind === "rate_limit") {
      stats.rateLimited++;
      return send(res, failure(429, "Rate limit exceeded", { "retry-after": String(fault.retryAfter ?? 1) }));
    }
    if (fault?.kind === "status") {
      const status = fault.status ?? 500;
      return send(res, failure(status, http.STATUS_CODES[status] ?? "Error"));
    }

    tick();
    let reply: Reply;
    try {
      let body: unknown;
      if (method === "POST") {
        try {
          body = raw.trim() === "" ? {} : JSON.parse(raw);
        } catch {
          throw new Invalid(failure(400, `Unexpected token in JSON at position 0`));
        }
      }
      reply =
        route === "POST /call"
          ? createCalls(body)
          : route === "GET /call"
            ? listCalls(url.searchParams)
            : getCall(decodeURIComponent(path.slice(6)));
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply = error.reply;
    }

    if (fault?.kind === "timeout" && fault.delayMs === undefined) {
      // Done (calls created) but never answered; close() destroys the socket.
      held.add(req.socket);
      req.socket.once("close", () => held.delete(req.socket));
      return;
    }
    if (fault?.kind === "timeout" || fault?.kind === "slow") {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, fault.delayMs ?? 1000);
        timers.add(t);
      });
      return send(res, reply);
    }
    if (fault?.kind === "truncated") {
      const body = Buffer.from(reply.body);
      res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", "content-length": String(body.length) });
      res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))), () => res.socket?.destroy());
      return;
    }
    send(res, reply);
  }

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
    const raw = await readBody(req);
    const body = () => (raw.trim() === "" ? undefined : (JSON.parse(raw) as unknown));
    switch (route) {
      case "GET /__fake/stats":
        tick();
        return send(res, json(fake.stats()));
      case "GET /__fake/faults":
        return send(res, json(faults.active));
      case "POST /__fake/faults": {
        const rules = body();
        faults.add(Array.isArray(rules) ? rules : [rules as FaultRule]);
        return send(res, json({ faults: faults.active.length }));
      }
      case "DELETE /__fake/faults":
        faults.clear();
        return send(res, json({ faults: 0 }));
      case "GET /__fake/calls":
        tick();
        return send(res, json(fake.calls()));
      case "POST /__fake/calls":
        return send(res, json(read(createInbound(body())), 201));
      case "POST /__fake/advance": {
        const input = body();
        const ms = isObject(input) ? Number(input.ms) : NaN;
        if (!Number.isFinite(ms) || ms < 0) return send(res, failure(400, ["ms must be a non-negative number"]));
        fake.advance(ms);
        return send(res, json({ now: iso(now()) }));
      }
      default:
        return send(res, failure(404, `Unknown control endpoint ${route}`));
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    if (url.pathname.startsWith("/__fake/")) {
      handleControl(req, res, url).catch((error: unknown) => {
        send(res, error instanceof Invalid ? error.reply : failure(400, error instanceof Error ? error.message : String(error)));
      });
      return;
    }
    handleApi(req, res, url).catch((error: unknown) => {
      console.error("fake VAPI:", error);
      send(res, failure(500, "Internal Server Error"));
    });
  });
  server.keepAliveTimeout = 5_000;

  if (options.calls) seedHistory(options.calls);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const fake: FakeVapi = {
    url: `http://127.0.0.1:${port}`,
    stats() {
      return structuredClone(stats);
    },
    setFaults(rules) {
      faults.clear();
      faults.add(rules);
    },
    clearFaults() {
      faults.clear();
    },
    calls() {
      tick();
      return [...entries.values()]
        .map((entry) => structuredClone(entry.call))
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    },
    advance(ms) {
      if (!(ms >= 0)) throw new Error(`advance() needs a non-negative number of ms, got ${ms}`);
      advanced += ms;
      tick();
    },
    createInboundCall(input) {
      return createInbound(input);
    },
    flushWebhooks() {
      return sender ? sender.flush() : Promise.resolve();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const socket of held) socket.destroy();
      held.clear();
      sender?.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
