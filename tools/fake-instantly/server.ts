// A fake Instantly API v2 server (node:http) for tests, `npm run dev:instantly`
// and the sync benchmark. It serves the endpoints leadgraph's sync uses with
// deterministic generated data (./data.ts) and Instantly's quirks as recorded in
// docs/sources/instantly-api.md ("ref §x"): Fastify-style error
// envelopes, default page size 10, cursors that still come with the last
// non-empty page, bare-array analytics, omitted nulls, per-endpoint rate limits;
// plus switchable fault injection (5xx, timeouts, truncated bodies, slow answers).
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ALL_TIME, analyticsOverview, campaignAnalytics, dailyAnalytics, type Range } from "./analytics.ts";
import {
  FakeStore,
  compareAccounts,
  createRng,
  uuidv7Ms,
  type FakeAccount,
  type FakeData,
  type FakeEmail,
  type FakeLead,
  type Rng,
} from "./data.ts";

export type { FakeAccount, FakeCampaign, FakeData, FakeEmail, FakeEngagement, FakeLead } from "./data.ts";

export interface FakeInstantlyOptions {
  /** Default 0 (any free port); host 127.0.0.1. */
  port?: number;
  /** Deterministic data (default 1). */
  seed?: number;
  /** Default 5: active, draft, accounts unhealthy, bounce protect, completed. */
  campaigns?: number;
  /** Default 5 (sending mailboxes; used as eaccount in emails). */
  accounts?: number;
  /** Total emails over all campaigns, default 300. */
  emails?: number;
  /** The newest generated email is at most this (default: fixed 2026-11-01T12:00:00Z). */
  now?: Date;
  /** When set only this bearer is accepted; unset: any non-empty bearer. */
  apiKey?: string;
  /** Default ["all:read"]; an endpoint whose scope is missing answers 403. */
  scopes?: string[];
  /** Default true: 100/s + 6000/min workspace-wide, GET /emails 20/min -> 429. */
  rateLimits?: boolean;
  /** Default 1; every rate-limit window is divided by it (60 => /emails 20 per 1 s). */
  timeScale?: number;
  /** Seconds; when set, rate-limit 429s carry Retry-After. */
  rateLimitRetryAfter?: number;
}

export interface FaultRule {
  /** "GET /emails", "POST /leads/list", ... (path after /api/v2, no query); a bare "/emails" matches any method; unset = all. */
  endpoint?: string;
  kind: "status" | "timeout" | "truncated" | "slow" | "rate_limit";
  /** Kind "status": default 500 (Instantly's error envelope body). */
  status?: number;
  /** Kind "rate_limit": seconds for Retry-After. */
  retryAfter?: number;
  /** Kind "slow": delay before answering normally (default 1000). Kind "timeout" never answers (socket held until close). */
  delayMs?: number;
  /** The next N matching requests (default: every matching request until cleared). */
  times?: number;
  /** Skip the first N matching requests before the rule applies (default 0). */
  after?: number;
  /** 0..1 per matching request, seeded rng (default 1). */
  probability?: number;
}

export interface FakeStats {
  requests: number;
  /** Keyed "GET /emails", "POST /leads/list", ... */
  byEndpoint: Record<string, number>;
  rateLimited: number;
  faults: number;
  unauthorized: number;
}

export interface FakeInstantly {
  /** Base URL incl. /api/v2, e.g. http://127.0.0.1:43123/api/v2 */
  url: string;
  /** http://127.0.0.1:43123 */
  origin: string;
  /** The generated records (for test assertions), emails newest first. */
  data: FakeData;
  /** The generator behind `data` (indexes, lookups). */
  store: FakeStore;
  stats: FakeStats;
  resetStats(): void;
  injectFaults(...rules: FaultRule[]): void;
  clearFaults(): void;
  /** Newer emails (incremental sync); returned newest first. */
  addEmails(count: number, options?: { campaignId?: string }): FakeEmail[];
  /** Destroys held sockets too. */
  close(): Promise<void>;
}

// ------------------------------------------------------------------ replies

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const json = (value: unknown, status = 200): Reply => ({ status, body: JSON.stringify(value) });

/** Instantly's (Fastify's) error envelope: {statusCode, error, message} (ref §1.2). */
function failure(status: number, message: string, headers?: Record<string, string>): Reply {
  return {
    status,
    body: JSON.stringify({ statusCode: status, error: http.STATUS_CODES[status] ?? "Error", message }),
    ...(headers ? { headers } : {}),
  };
}

/** A schema validation failure "really carries an extra code field" (ref §1.2). */
function invalid(message: string): Reply {
  return json({ statusCode: 400, code: "FST_ERR_VALIDATION", error: "Bad Request", message }, 400);
}

function tooManyRequests(retryAfter: number | undefined): Reply {
  return failure(429, "Rate limit exceeded", retryAfter !== undefined ? { "retry-after": String(retryAfter) } : undefined);
}

/** `{items, next_starting_after}`: the cursor comes with every non-empty page, even the last (ref §1.4). */
function page<T>(items: T[], cursorOf: (item: T) => string): Reply {
  const last = items[items.length - 1];
  return json(last === undefined ? { items } : { items, next_starting_after: cursorOf(last) });
}

// --------------------------------------------------------------- validation

class Invalid extends Error {
  reply: Reply;
  constructor(reply: Reply) {
    super(reply.body);
    this.reply = reply;
  }
}

/** `limit`: integer 1..100, default 10 ("Instantly's default page (10 items)", ref §1.4). */
function limitOf(raw: unknown, where: "querystring" | "body"): number {
  if (raw === undefined || raw === null) return 10;
  const value = typeof raw === "string" ? (raw.trim() === "" ? 0 : Number(raw)) : raw;
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Invalid(invalid(`${where}/limit must be integer`));
  if (value > 100) throw new Invalid(invalid(`${where}/limit must be <= 100`));
  if (value < 1) throw new Invalid(invalid(`${where}/limit must be >= 1`));
  return value;
}

function oneOf(query: URLSearchParams, name: string, allowed: string[]): string | undefined {
  const value = query.get(name) ?? undefined;
  if (value !== undefined && !allowed.includes(value)) {
    throw new Invalid(invalid(`querystring/${name} must be equal to one of the allowed values`));
  }
  return value;
}

function timestampOf(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Invalid(invalid(`querystring/${name} must match format "date-time"`));
  return ms;
}

function numberOf(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Invalid(invalid(`querystring/${name} must be number`));
  return n;
}

function booleanOf(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new Invalid(invalid(`querystring/${name} must be boolean`));
}

/** start_date / end_date: "YYYY-MM-DD or full ISO. A date-only value means UTC midnight" (the end day is included). */
function rangeOf(query: URLSearchParams): Range {
  const bound = (name: string, endOfDay: boolean): string | undefined => {
    const value = query.get(name);
    if (value === null || value === "") return undefined;
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      if (Number.isNaN(Date.parse(value))) throw new Invalid(invalid(`querystring/${name} must match format "date"`));
      return `${value}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z`;
    }
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new Invalid(invalid(`querystring/${name} must match format "date"`));
    return new Date(ms).toISOString();
  };
  const from = bound("start_date", false);
  const to = bound("end_date", true);
  if (from !== undefined && to !== undefined && from > to) {
    throw new Invalid(failure(400, "Start Date must be earlier than End Date"));
  }
  return { from: from ?? ALL_TIME.from, to: to ?? ALL_TIME.to };
}

/** `ids` repeated as ?ids=a&ids=b (comma-separated accepted too), plus a single `id`. */
function idsOf(query: URLSearchParams): string[] | undefined {
  const ids = [...query.getAll("ids"), ...query.getAll("id")].flatMap((value) => value.split(",")).filter((id) => id !== "");
  return ids.length > 0 ? ids : undefined;
}

/** The first index in [0, n) where `test` holds, for a test that is false then true along the array. */
function firstIndex(n: number, test: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (test(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// ------------------------------------------------------------------ routes

/** What `search` looks in: the address and the person's names, top level or custom variables. */
function searchable(lead: FakeLead): string {
  const names = [lead.first_name, lead.last_name, lead.company_name, ...Object.values(lead.payload)];
  return [lead.email, ...names.filter((value) => typeof value === "string")].join(" ").toLowerCase();
}

interface Context {
  query: URLSearchParams;
  body: unknown;
}

interface Route {
  /** Scopes accepted by the operation, as in its description ("campaigns:read, campaigns:all, all:read or all:all", ref §1.1). */
  scopes: string[];
  handle: (ctx: Context) => Reply;
}

const scopesFor = (resource: string) => [`${resource}:read`, `${resource}:all`, "all:read", "all:all"];

function createRoutes(store: FakeStore): Map<string, Route> {
  const data = store.data;
  const campaignsOf = (ids: string[] | undefined, status: number | undefined) =>
    data.campaigns.filter(
      (campaign) => (ids === undefined || ids.includes(campaign.id)) && (status === undefined || campaign.status === status),
    );

  const routes = new Map<string, Route>();

  // GET /campaigns: cursor = the last campaign's id; listed in id order.
  routes.set("GET /campaigns", {
    scopes: scopesFor("campaigns"),
    handle: ({ query }) => {
      const limit = limitOf(query.get("limit") ?? undefined, "querystring");
      const after = query.get("starting_after");
      const search = query.get("search")?.toLowerCase();
      const status = numberOf(query, "status");
      const excluded = numberOf(query, "exclude_status");
      const items = data.campaigns.filter(
        (campaign) =>
          (!after || campaign.id > after) &&
          (!search || campaign.name.toLowerCase().includes(search)) &&
          (status === undefined || campaign.status === status) &&
          (excluded === undefined || campaign.status !== excluded),
      );
      return page(items.slice(0, limit), (campaign) => campaign.id);
    },
  });

  // GET /campaigns/analytics: a bare array; drafts (nothing sent) are absent.
  routes.set("GET /campaigns/analytics", {
    scopes: scopesFor("campaigns"),
    handle: ({ query }) => json(campaignAnalytics(store, idsOf(query), rangeOf(query))),
  });

  // GET /campaigns/analytics/daily: `campaign_id` (not `id`); omitted = all campaigns aggregated.
  routes.set("GET /campaigns/analytics/daily", {
    scopes: scopesFor("campaigns"),
    handle: ({ query }) => {
      const range = rangeOf(query);
      const campaignId = query.get("campaign_id") || undefined;
      const campaigns = campaignsOf(campaignId ? [campaignId] : undefined, numberOf(query, "campaign_status"));
      return json(dailyAnalytics(store, campaigns, range));
    },
  });

  // GET /campaigns/analytics/overview: one object.
  routes.set("GET /campaigns/analytics/overview", {
    scopes: scopesFor("campaigns"),
    handle: ({ query }) => {
      const range = rangeOf(query);
      return json(analyticsOverview(store, campaignsOf(idsOf(query), numberOf(query, "campaign_status")), range));
    },
  });

  // GET /accounts: timestamp_created desc; cursor "timestamp_created&email" (a bare ISO cursor is the legacy form).
  routes.set("GET /accounts", {
    scopes: scopesFor("accounts"),
    handle: ({ query }) => {
      const limit = limitOf(query.get("limit") ?? undefined, "querystring");
      const after = query.get("starting_after");
      const search = query.get("search")?.toLowerCase();
      const status = numberOf(query, "status");
      const provider = numberOf(query, "provider_code");
      let start = 0;
      if (after) {
        const amp = after.indexOf("&");
        const cursor = {
          timestamp_created: amp < 0 ? after : after.slice(0, amp),
          email: amp < 0 ? "\uffff" : after.slice(amp + 1),
        } as FakeAccount;
        start = firstIndex(data.accounts.length, (i) => compareAccounts(data.accounts[i]!, cursor) > 0);
      }
      const items: FakeAccount[] = [];
      for (let i = start; i < data.accounts.length && items.length < limit; i++) {
        const account = data.accounts[i]!;
        if (search && !account.email.includes(search)) continue;
        if (status !== undefined && account.status !== status) continue;
        if (provider !== undefined && account.provider_code !== provider) continue;
        items.push(account);
      }
      return page(items, (account) => `${account.timestamp_created}&${account.email}`);
    },
  });

  // GET /emails: newest first by UUIDv7 id (sort_order=asc reverses); cursor = the last id.
  routes.set("GET /emails", {
    scopes: scopesFor("emails"),
    handle: ({ query }) => {
      const limit = limitOf(query.get("limit") ?? undefined, "querystring");
      const after = query.get("starting_after") || undefined;
      const emailType = oneOf(query, "email_type", ["received", "sent", "manual"]);
      const ascending = oneOf(query, "sort_order", ["asc", "desc"]) === "asc";
      // The default mode is undocumented (ref §2.5); we default to all emails.
      const mode = oneOf(query, "mode", ["emode_focused", "emode_others", "emode_all"]) ?? "emode_all";
      const minMs = timestampOf(query, "min_timestamp_created");
      const maxMs = timestampOf(query, "max_timestamp_created");
      const lead = query.get("lead")?.toLowerCase() || undefined;
      const eaccounts = query
        .get("eaccount")
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const iStatus = numberOf(query, "i_status");
      const unread = booleanOf(query, "is_unread");
      const search = query.get("search")?.toLowerCase() || undefined;
      const companyDomain = query.get("company_domain")?.toLowerCase() || undefined;
      const campaignId = query.get("campaign_id") || undefined;
      const list = campaignId ? (store.emailsByCampaign.get(campaignId) ?? []) : data.emails;

      // The list is sorted by id, newest first, and an id starts with its creation ms:
      // time bounds and the cursor are binary searches.
      const n = list.length;
      const msAt = (i: number) => uuidv7Ms(list[i]!.id);
      const lo = maxMs === undefined ? 0 : firstIndex(n, (i) => msAt(i) <= maxMs);
      const hi = minMs === undefined ? n : firstIndex(n, (i) => msAt(i) < minMs); // min is inclusive
      const ueType = emailType === "received" ? 2 : emailType === "sent" ? 1 : emailType === "manual" ? 3 : undefined;
      const matches = (email: FakeEmail) =>
        (ueType === undefined || email.ue_type === ueType) &&
        (mode === "emode_all" || (mode === "emode_focused") === (email.is_focused === 1)) &&
        (lead === undefined || email.lead?.toLowerCase() === lead) &&
        (eaccounts === undefined || eaccounts.includes(email.eaccount)) &&
        (iStatus === undefined || email.i_status === iStatus) &&
        (unread === undefined || (email.is_unread === 1) === unread) &&
        (companyDomain === undefined || (email.lead?.toLowerCase().endsWith(`@${companyDomain}`) ?? false)) &&
        (search === undefined ||
          (search.startsWith("thread:")
            ? email.thread_id === search.slice(7) || email.thread_id?.toLowerCase() === search.slice(7)
            : (email.lead?.toLowerCase().includes(search) ?? false)));
      const items: FakeEmail[] = [];
      if (!ascending) {
        const start =
          after === undefined
            ? lo
            : Math.max(
                lo,
                firstIndex(n, (i) => list[i]!.id < after),
              );
        for (let i = start; i < hi && items.length < limit; i++) if (matches(list[i]!)) items.push(list[i]!);
      } else {
        const start =
          after === undefined
            ? hi
            : Math.min(
                hi,
                firstIndex(n, (i) => list[i]!.id <= after),
              );
        for (let i = start - 1; i >= lo && items.length < limit; i--) if (matches(list[i]!)) items.push(list[i]!);
      }
      return page(items, (email) => email.id);
    },
  });

  // POST /leads/list: every parameter in the JSON body, cursor included; ascending by lead id.
  routes.set("POST /leads/list", {
    scopes: scopesFor("leads"),
    handle: ({ body = {} }) => {
      // No body at all is taken as {} (every body field is optional).
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Invalid(invalid("body must be object"));
      const b = body as Record<string, unknown>;
      const limit = limitOf(b.limit, "body");
      const strings = (name: string): string[] | undefined => {
        const value = b[name];
        if (value === undefined || value === null) return undefined;
        if (!Array.isArray(value)) throw new Invalid(invalid(`body/${name} must be array`));
        if (!value.every((item) => typeof item === "string")) throw new Invalid(invalid(`body/${name}/0 must be string`));
        return value as string[];
      };
      const text = (name: string): string | undefined => {
        const value = b[name];
        if (value === undefined || value === null) return undefined;
        if (typeof value !== "string") throw new Invalid(invalid(`body/${name} must be string`));
        return value;
      };
      const after = text("starting_after");
      // "The key is `campaign`, not `campaign_id`" (ref §2.6).
      const campaign = text("campaign");
      if (campaign !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(campaign)) {
        throw new Invalid(invalid('body/campaign must match format "uuid"'));
      }
      const ids = strings("ids");
      const excluded = strings("excluded_ids");
      const contacts = strings("contacts")?.map((email) => email.toLowerCase());
      const search = text("search")?.toLowerCase();
      const list = campaign ? (store.leadsByCampaign.get(campaign) ?? []) : data.leads;
      const start = after ? firstIndex(list.length, (i) => list[i]!.id > after) : 0;
      const items: FakeLead[] = [];
      for (let i = start; i < list.length && items.length < limit; i++) {
        const lead = list[i]!;
        if (ids && !ids.includes(lead.id)) continue;
        if (excluded?.includes(lead.id)) continue;
        if (contacts && !contacts.includes(lead.email.toLowerCase())) continue;
        if (search && !searchable(lead).includes(search)) continue;
        items.push(lead);
      }
      return page(items, (lead) => lead.id);
    },
  });

  return routes;
}

// -------------------------------------------------------------- rate limits

/** Accepted requests within the last `windowMs` (a sliding window, not fixed buckets). */
class SlidingWindow {
  limit: number;
  windowMs: number;
  private times: number[] = [];
  private head = 0;

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  full(now: number): boolean {
    while (this.head < this.times.length && this.times[this.head]! <= now - this.windowMs) this.head++;
    if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head >= this.limit;
  }

  add(now: number): void {
    this.times.push(now);
  }
}

/** "At most 100 requests/second and at most 6,000 requests/minute", and GET /emails 20/minute (ref §1.3). */
class RateLimits {
  private workspace: SlidingWindow[];
  private emails: SlidingWindow;

  constructor(timeScale: number) {
    this.workspace = [new SlidingWindow(100, 1000 / timeScale), new SlidingWindow(6000, 60_000 / timeScale)];
    this.emails = new SlidingWindow(20, 60_000 / timeScale);
  }

  private windows(endpoint: string): SlidingWindow[] {
    return endpoint === "GET /emails" ? [...this.workspace, this.emails] : this.workspace;
  }

  exceeded(endpoint: string, now: number): boolean {
    return this.windows(endpoint).some((window) => window.full(now));
  }

  /** Only accepted requests count: a 429 does not use up the window. */
  accept(endpoint: string, now: number): void {
    for (const window of this.windows(endpoint)) window.add(now);
  }
}

// ------------------------------------------------------------------- faults

interface ActiveFault {
  rule: FaultRule;
  seen: number;
  applied: number;
}

const FAULT_KINDS = new Set(["status", "timeout", "truncated", "slow", "rate_limit"]);

function checkRule(rule: unknown): FaultRule {
  const r = rule as FaultRule;
  if (typeof r !== "object" || r === null || !FAULT_KINDS.has(r.kind)) {
    throw new Error(`a fault rule needs kind ${[...FAULT_KINDS].join("|")}, got ${JSON.stringify(rule)}`);
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

  /** The fault for this request, if a rule applies (the first applicable rule wins). */
  match(endpoint: string): FaultRule | undefined {
    for (const fault of this.active) {
      const { rule } = fault;
      if (
        rule.endpoint !== undefined &&
        rule.endpoint !== endpoint &&
        !(!rule.endpoint.includes(" ") && endpoint.endsWith(` ${rule.endpoint}`))
      )
        continue;
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

// ------------------------------------------------------------------ server

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Fastify's JSON body parsing errors (these carry their own codes). */
function parseJsonBody(raw: string, contentType: string | undefined): unknown {
  const isJson = contentType?.toLowerCase().includes("application/json") ?? false;
  if (raw.trim() === "") {
    if (isJson) {
      throw new Invalid(
        json(
          {
            statusCode: 400,
            code: "FST_ERR_CTP_EMPTY_JSON_BODY",
            error: "Bad Request",
            message: "Body cannot be empty when content-type is set to 'application/json'",
          },
          400,
        ),
      );
    }
    return undefined;
  }
  if (!isJson) {
    throw new Invalid(
      json(
        {
          statusCode: 415,
          code: "FST_ERR_CTP_INVALID_MEDIA_TYPE",
          error: "Unsupported Media Type",
          message: `Unsupported Media Type: ${contentType ?? "undefined"}`,
        },
        415,
      ),
    );
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new Invalid(
      json(
        {
          statusCode: 400,
          code: "FST_ERR_CTP_INVALID_JSON_BODY",
          error: "Bad Request",
          message: "Body is not valid JSON but content-type is set to 'application/json'",
        },
        400,
      ),
    );
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

function emptyStats(): FakeStats {
  return { requests: 0, byEndpoint: {}, rateLimited: 0, faults: 0, unauthorized: 0 };
}

export async function startFakeInstantly(options: FakeInstantlyOptions = {}): Promise<FakeInstantly> {
  const store = new FakeStore({
    seed: options.seed ?? 1,
    campaigns: options.campaigns ?? 5,
    accounts: options.accounts ?? 5,
    emails: options.emails ?? 300,
    ...(options.now ? { now: options.now } : {}),
  });
  const routes = createRoutes(store);
  const scopes = new Set(options.scopes ?? ["all:read"]);
  const limits = options.rateLimits === false ? undefined : new RateLimits(options.timeScale ?? 1);
  const faults = new Faults(options.seed ?? 1);
  const stats = emptyStats();
  /** Sockets of "timeout" faults (never answered) and timers of "slow" ones, released by close(). */
  const held = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    const path = url.pathname.startsWith("/api/v2/") ? url.pathname.slice("/api/v2".length) : url.pathname;
    const endpoint = `${method} ${path}`;
    stats.requests++;
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;

    const route = url.pathname.startsWith("/api/v2/") ? routes.get(endpoint) : undefined;
    if (!route) {
      // Fastify's own 404 body, keys in this order (ref §1.2).
      return send(res, json({ message: `Route ${method}:${req.url} not found`, error: "Not Found", statusCode: 404 }, 404));
    }

    // Auth: a missing (or empty) bearer and a wrong key are 401s; a missing scope is a 403 (ref §1.1).
    const header = req.headers.authorization?.trim() ?? "";
    const bearer = /^Bearer\s+(\S.*)$/i.exec(header)?.[1]?.trim();
    if (!bearer) {
      stats.unauthorized++;
      return send(res, failure(401, "Missing Authorization header"));
    }
    if (options.apiKey !== undefined && bearer !== options.apiKey) {
      stats.unauthorized++;
      return send(res, failure(401, "Invalid API key"));
    }

    // Rate limits first (a rejected request never reaches the backend, so faults
    // do not see it), then faults; an injected 429 is not an accepted request either.
    const now = performance.now();
    if (limits?.exceeded(endpoint, now)) {
      stats.rateLimited++;
      return send(res, tooManyRequests(options.rateLimitRetryAfter));
    }
    const fault = faults.match(endpoint);
    if (fault?.kind === "rate_limit") {
      stats.faults++;
      stats.rateLimited++;
      return send(res, tooManyRequests(fault.retryAfter ?? options.rateLimitRetryAfter));
    }
    limits?.accept(endpoint, now);

    if (!route.scopes.some((scope) => scopes.has(scope))) {
      return send(res, failure(403, `API key does not have the required scopes. Required scopes: ${route.scopes.join(", ")}`));
    }

    if (fault) {
      stats.faults++;
      if (fault.kind === "status") {
        const status = fault.status ?? 500;
        return send(res, failure(status, http.STATUS_CODES[status] ?? "Error"));
      }
      if (fault.kind === "timeout") {
        // Accept the request and never answer; close() destroys the socket.
        held.add(req.socket);
        req.socket.once("close", () => held.delete(req.socket));
        req.resume();
        return;
      }
    }

    let reply: Reply;
    try {
      const body = method === "POST" ? parseJsonBody(await readBody(req), req.headers["content-type"]) : undefined;
      reply = route.handle({ query: url.searchParams, body });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply = error.reply;
    }

    if (fault?.kind === "slow") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, fault.delayMs ?? 1000);
        timers.add(timer);
      });
      return send(res, reply);
    }
    if (fault?.kind === "truncated") {
      // Headers (with the full content-length) and part of the JSON, then the connection dies.
      const body = Buffer.from(reply.body);
      res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", "content-length": String(body.length) });
      res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))), () => res.socket?.destroy());
      return;
    }
    send(res, reply);
  }

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    const body = async () => {
      const raw = await readBody(req);
      return raw.trim() === "" ? undefined : (JSON.parse(raw) as unknown);
    };
    switch (route) {
      case "GET /__fake/stats":
        return send(res, json(stats));
      case "DELETE /__fake/stats":
        fake.resetStats();
        return send(res, json(stats));
      case "GET /__fake/faults":
        return send(res, json(faults.active));
      case "POST /__fake/faults": {
        const rules = await body();
        faults.add(Array.isArray(rules) ? rules : [rules as FaultRule]);
        return send(res, json({ faults: faults.active.length }));
      }
      case "DELETE /__fake/faults":
        faults.clear();
        return send(res, json({ faults: 0 }));
      case "POST /__fake/emails": {
        const input = ((await body()) ?? {}) as { count?: number; campaignId?: string; campaign_id?: string };
        const campaignId = input.campaignId ?? input.campaign_id;
        const added = store.addEmails(input.count ?? 1, campaignId ? { campaignId } : {});
        return send(res, json({ added: added.length, ids: added.map((email) => email.id), total: store.data.emails.length }));
      }
      case "GET /__fake/data": {
        const data = store.data;
        return send(
          res,
          json({
            seed: data.seed,
            now: data.now.toISOString(),
            organization: data.organization,
            campaigns: data.campaigns.map((campaign) => ({
              id: campaign.id,
              name: campaign.name,
              status: campaign.status,
              emails: store.emailsByCampaign.get(campaign.id)?.length ?? 0,
              leads: store.leadsByCampaign.get(campaign.id)?.length ?? 0,
            })),
            accounts: data.accounts.map((account) => account.email),
            counts: {
              campaigns: data.campaigns.length,
              accounts: data.accounts.length,
              leads: data.leads.length,
              emails: data.emails.length,
              engagements: data.engagements.length,
            },
            newestEmail: data.emails[0]?.id,
            oldestEmail: data.emails[data.emails.length - 1]?.id,
          }),
        );
      }
      default:
        return send(res, failure(404, `Unknown control endpoint ${route}`));
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    if (url.pathname.startsWith("/__fake/")) {
      // A bad control request (invalid JSON, an unknown fault kind, a draft campaign...) is the caller's mistake.
      handleControl(req, res, url).catch((error: unknown) =>
        send(res, failure(400, error instanceof Error ? error.message : String(error))),
      );
      return;
    }
    handleApi(req, res, url).catch((error: unknown) => {
      console.error("fake Instantly:", error);
      send(res, failure(500, "Internal Server Error"));
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const fake: FakeInstantly = {
    url: `${origin}/api/v2`,
    origin,
    get data() {
      return store.data;
    },
    store,
    stats,
    resetStats() {
      Object.assign(stats, emptyStats());
    },
    injectFaults(...rules: FaultRule[]) {
      faults.add(rules);
    },
    clearFaults() {
      faults.clear();
    },
    addEmails(count: number, addOptions?: { campaignId?: string }) {
      return store.addEmails(count, addOptions);
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of held) socket.destroy();
      held.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
