// The fake Instantly API v2 server: auth, pagination, the quirks of the real API
// (reference §1-§3), rate limits, fault injection, additions and determinism.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeStore, uuidv7Ms, type FakeCampaign, type FakeEmail, type FakeLead } from "../../tools/fake-instantly/data.ts";
import { startFakeInstantly, type FakeInstantly, type FakeInstantlyOptions } from "../../tools/fake-instantly/server.ts";
import { deliverWebhook, webhookPayloadsFor } from "../../tools/fake-instantly/webhooks.ts";

const AUTH = { authorization: "Bearer test-key" };

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(fake: FakeInstantly, route: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${fake.url}${route}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

const post = (fake: FakeInstantly, route: string, body: unknown) =>
  call(fake, route, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Pages until an empty page; checks that the page before it still carried a cursor (the real quirk). */
async function collect(next: (cursor: string | undefined) => Promise<Answer>): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const { status, body } = await next(cursor);
    expect(status).toBe(200);
    pages++;
    if (body.items.length === 0) {
      // The final request answers {"items":[]} without a cursor.
      expect(body).toEqual({ items: [] });
      break;
    }
    expect(typeof body.next_starting_after).toBe("string");
    items.push(...body.items);
    cursor = body.next_starting_after;
    if (pages > 10_000) throw new Error("pagination does not end");
  }
  return { items, pages };
}

const started: FakeInstantly[] = [];
async function start(options: FakeInstantlyOptions = {}): Promise<FakeInstantly> {
  const fake = await startFakeInstantly({ rateLimits: false, ...options });
  started.push(fake);
  return fake;
}
afterAll(async () => {
  await Promise.all(started.map((fake) => fake.close()));
});

function nulls(value: unknown, at = "$"): string[] {
  if (value === null) return [at];
  if (Array.isArray(value)) return value.flatMap((item, i) => nulls(item, `${at}[${i}]`));
  if (typeof value === "object") return Object.entries(value as object).flatMap(([key, item]) => nulls(item, `${at}.${key}`));
  return [];
}

describe("fake Instantly: auth and errors", () => {
  let fake: FakeInstantly;
  beforeAll(async () => {
    fake = await start();
  });

  it("answers 401 without a bearer, with an empty one, and 404 for unknown routes", async () => {
    for (const headers of [{}, { authorization: "" }, { authorization: "Bearer " }, { authorization: "Basic abc" }] as Record<
      string,
      string
    >[]) {
      const response = await fetch(`${fake.url}/campaigns`, { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ statusCode: 401, error: "Unauthorized", message: "Missing Authorization header" });
    }
    expect(fake.stats.unauthorized).toBeGreaterThanOrEqual(4);
    const missing = await call(fake, "/x?y=1");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: "Route GET:/api/v2/x?y=1 not found", error: "Not Found", statusCode: 404 });
  });

  it("checks the key when one is configured, and the scopes", async () => {
    const keyed = await start({ apiKey: "right", scopes: ["leads:read"] });
    const wrong = await fetch(`${keyed.url}/campaigns`, { headers: { authorization: "Bearer wrong" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ statusCode: 401, error: "Unauthorized", message: "Invalid API key" });
    const forbidden = await fetch(`${keyed.url}/campaigns`, { headers: { authorization: "Bearer right" } });
    expect(forbidden.status).toBe(403);
    const body = (await forbidden.json()) as any;
    expect(body).toMatchObject({ statusCode: 403, error: "Forbidden" });
    expect(body.message).toContain("campaigns:read");
    expect(body.message).toContain("all:read");
    const leads = await fetch(`${keyed.url}/leads/list`, { method: "POST", headers: { authorization: "Bearer right" } });
    expect(leads.status).toBe(200);
  });

  it("validates limit like Fastify: querystring/limit and body/limit", async () => {
    expect(await call(fake, "/emails?limit=101")).toMatchObject({
      status: 400,
      body: { statusCode: 400, code: "FST_ERR_VALIDATION", error: "Bad Request", message: "querystring/limit must be <= 100" },
    });
    expect((await call(fake, "/campaigns?limit=0")).body.message).toBe("querystring/limit must be >= 1");
    expect((await call(fake, "/accounts?limit=abc")).body.message).toBe("querystring/limit must be integer");
    expect((await call(fake, "/emails?email_type=bounced")).status).toBe(400);
    const leads = await post(fake, "/leads/list", { limit: 101 });
    expect(leads).toMatchObject({
      status: 400,
      body: { statusCode: 400, code: "FST_ERR_VALIDATION", error: "Bad Request", message: "body/limit must be <= 100" },
    });
    const broken = await call(fake, "/leads/list", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(broken.body).toMatchObject({ statusCode: 400, code: "FST_ERR_CTP_INVALID_JSON_BODY" });
    const dates = await call(fake, "/campaigns/analytics/daily?start_date=2026-10-02&end_date=2026-10-01");
    expect(dates.body).toMatchObject({ statusCode: 400, message: "Start Date must be earlier than End Date" });
  });
});

describe("fake Instantly: lists and pagination", () => {
  let fake: FakeInstantly;
  beforeAll(async () => {
    fake = await start({ seed: 7, campaigns: 23, accounts: 37, emails: 2_345 });
  });

  it("pages of 10 by default, with a cursor", async () => {
    for (const route of ["/campaigns", "/accounts", "/emails"]) {
      const { status, body } = await call(fake, route);
      expect(status).toBe(200);
      expect(body.items).toHaveLength(10);
      expect(typeof body.next_starting_after).toBe("string");
    }
    expect((await post(fake, "/leads/list", {})).body.items).toHaveLength(10);
    // A request without a body is fine too.
    expect((await call(fake, "/leads/list", { method: "POST" })).body.items).toHaveLength(10);
  });

  it("reaches every campaign exactly once; the cursor is the last id", async () => {
    const { items } = await collect((cursor) => call(fake, `/campaigns?limit=4${cursor ? `&starting_after=${cursor}` : ""}`));
    expect(items.map((c) => c.id)).toEqual(fake.data.campaigns.map((c) => c.id));
    expect(new Set(items.map((c) => c.id)).size).toBe(23);
    const first = await call(fake, "/campaigns?limit=3");
    expect(first.body.next_starting_after).toBe(first.body.items[2].id);
  });

  it("reaches every account exactly once, newest first, with timestamp&email cursors", async () => {
    const { items } = await collect((cursor) =>
      call(fake, `/accounts?limit=5${cursor ? `&starting_after=${encodeURIComponent(cursor)}` : ""}`),
    );
    expect(items.map((a) => a.email)).toEqual(fake.data.accounts.map((a) => a.email));
    expect(new Set(items.map((a) => a.email)).size).toBe(37);
    const created = items.map((a) => a.timestamp_created);
    expect([...created].sort().reverse()).toEqual(created);
    const page = await call(fake, "/accounts?limit=2");
    expect(page.body.next_starting_after).toBe(`${page.body.items[1].timestamp_created}&${page.body.items[1].email}`);
    // The legacy cursor (a bare timestamp) still works.
    const legacy = await call(fake, `/accounts?limit=2&starting_after=${encodeURIComponent(page.body.items[1].timestamp_created)}`);
    expect(legacy.body.items[0].email).toBe(items[2].email);
  });

  it("reaches every email exactly once, newest first by time-ordered id", async () => {
    const { items } = await collect((cursor) => call(fake, `/emails?limit=100&mode=emode_all${cursor ? `&starting_after=${cursor}` : ""}`));
    expect(items).toHaveLength(2_345);
    expect(new Set(items.map((e) => e.id)).size).toBe(2_345);
    expect(items.map((e) => e.id)).toEqual(fake.data.emails.map((e) => e.id));
    for (let i = 1; i < items.length; i++) {
      expect(items[i].id < items[i - 1].id).toBe(true);
      expect(items[i].timestamp_created <= items[i - 1].timestamp_created).toBe(true);
    }
    // The UUIDv7 carries timestamp_created.
    for (const email of items) expect(new Date(uuidv7Ms(email.id)).toISOString()).toBe(email.timestamp_created);
    // sort_order=asc walks the other way.
    const ascending = await collect((cursor) => call(fake, `/emails?limit=100&sort_order=asc${cursor ? `&starting_after=${cursor}` : ""}`));
    expect(ascending.items.map((e) => e.id)).toEqual(items.map((e) => e.id).reverse());
  });

  it("filters emails by campaign, min_timestamp_created (inclusive), type and lead", async () => {
    const campaign = fake.data.campaigns.find((c) => c.status === 1)!;
    const { items } = await collect((cursor) =>
      call(fake, `/emails?limit=100&campaign_id=${campaign.id}${cursor ? `&starting_after=${cursor}` : ""}`),
    );
    const expected = fake.data.emails.filter((e) => e.campaign_id === campaign.id);
    expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));

    const pivot = fake.data.emails[500]!;
    const since = await collect((cursor) =>
      call(fake, `/emails?limit=100&min_timestamp_created=${pivot.timestamp_created}${cursor ? `&starting_after=${cursor}` : ""}`),
    );
    const newer = fake.data.emails.filter((e) => e.timestamp_created >= pivot.timestamp_created);
    expect(since.items.map((e) => e.id)).toEqual(newer.map((e) => e.id));
    expect(since.items.some((e) => e.id === pivot.id)).toBe(true);
    const before = await call(fake, `/emails?limit=100&max_timestamp_created=${pivot.timestamp_created}`);
    expect(before.body.items.every((e: FakeEmail) => e.timestamp_created <= pivot.timestamp_created)).toBe(true);

    const received = await call(fake, "/emails?limit=100&email_type=received");
    expect(received.body.items.length).toBeGreaterThan(0);
    expect(received.body.items.every((e: FakeEmail) => e.ue_type === 2)).toBe(true);
    const manual = await call(fake, "/emails?limit=100&email_type=manual");
    expect(manual.body.items.every((e: FakeEmail) => e.ue_type === 3)).toBe(true);

    const reply = fake.data.emails.find((e) => e.ue_type === 2)!;
    const thread = await call(fake, `/emails?limit=100&lead=${encodeURIComponent(reply.lead!.toUpperCase())}`);
    expect(thread.body.items.map((e: FakeEmail) => e.id)).toContain(reply.id);
    expect(thread.body.items.every((e: FakeEmail) => e.lead!.toLowerCase() === reply.lead!.toLowerCase())).toBe(true);
  });

  it("reaches every lead exactly once, ascending by id, with the cursor in the body", async () => {
    const { items } = await collect((cursor) => post(fake, "/leads/list", { limit: 100, ...(cursor ? { starting_after: cursor } : {}) }));
    expect(items.map((l) => l.id)).toEqual(fake.data.leads.map((l) => l.id));
    expect(new Set(items.map((l) => l.id)).size).toBe(fake.data.leads.length);
    expect([...items.map((l) => l.id)].sort()).toEqual(items.map((l) => l.id));

    const campaign = fake.data.campaigns.find((c) => c.status === 0)!;
    const drafts = await collect((cursor) => post(fake, "/leads/list", { campaign: campaign.id, limit: 2, starting_after: cursor }));
    expect(drafts.items.length).toBeGreaterThan(0);
    expect(drafts.items.every((l) => l.campaign === campaign.id)).toBe(true);

    const mixed = fake.data.leads.find((l) => l.email !== l.email.toLowerCase())!;
    const byContact = await post(fake, "/leads/list", { contacts: [mixed.email.toLowerCase()] });
    expect(byContact.body.items.map((l: any) => l.id)).toContain(mixed.id);
  });

  it("sends emails without nulls, with 0/1 flags and the real shapes", async () => {
    const { items } = await collect((cursor) => call(fake, `/emails?limit=100${cursor ? `&starting_after=${cursor}` : ""}`));
    expect(nulls(items)).toEqual([]);
    for (const email of items as FakeEmail[]) {
      for (const flag of ["is_unread", "is_auto_reply", "is_focused"] as const) {
        if (flag in email) expect([0, 1]).toContain(email[flag]);
      }
      expect(typeof email.to_address_email_list).toBe("string");
      expect(email.thread_id).toMatch(/^[A-Za-z0-9_-]{26}$/);
      if (email.ue_type === 1) {
        expect(Object.keys(email.body)).toEqual(["html"]);
        expect(email.message_id).toBe(`<${email.id}@${email.eaccount.split("@")[1]}>`);
        expect(email.step).toMatch(/^0_[0-2]_[01]$/);
        expect(email.timestamp_email).toBe(email.timestamp_created);
      }
      if (email.ue_type === 2) {
        expect(Object.keys(email.body).sort()).toEqual(["html", "text"]);
        expect(email.from_address_email).toBe(email.lead);
        expect(email.timestamp_email < email.timestamp_created).toBe(true);
        expect(email.step).toMatch(/^0_[0-2]_[01]$/);
      }
    }
    const types = new Set(items.map((e: FakeEmail) => e.ue_type));
    expect(types).toEqual(new Set([1, 2, 3]));
    expect(items.some((e: FakeEmail) => e.is_auto_reply === 1)).toBe(true);
    expect(items.some((e: FakeEmail) => e.campaign_id === undefined)).toBe(true);
    expect(items.some((e: FakeEmail) => e.i_status === 1)).toBe(true);
    expect(items.some((e: FakeEmail) => e.ai_interest_value !== undefined)).toBe(true);
    const secondPrecision = items.filter((e: FakeEmail) => e.timestamp_created.endsWith(".000Z")).length;
    expect(secondPrecision / items.length).toBeGreaterThan(0.7);
    expect(secondPrecision).toBeLessThan(items.length);
    // Threads: every email of a lead's campaign thread shares its thread_id.
    const threads = new Map<string, Set<string>>();
    for (const email of items as FakeEmail[]) {
      if (email.ue_type === 1)
        threads.set(
          `${email.campaign_id}|${email.lead}`,
          (threads.get(`${email.campaign_id}|${email.lead}`) ?? new Set()).add(email.thread_id!),
        );
    }
    expect([...threads.values()].every((ids) => ids.size === 1)).toBe(true);
  });

  it("generates the data quirks: mixed-case emails, shared domains, leads in two campaigns, odd accounts and campaigns", () => {
    const { leads, accounts, campaigns, emails } = fake.data;
    expect(leads.some((l) => /[A-Z]/.test(l.email))).toBe(true);
    const byEmail = new Map<string, Set<string>>();
    for (const lead of leads)
      byEmail.set(lead.email.toLowerCase(), (byEmail.get(lead.email.toLowerCase()) ?? new Set()).add(lead.campaign));
    expect([...byEmail.values()].some((set) => set.size > 1)).toBe(true);
    const domains = new Map<string, number>();
    for (const lead of leads) domains.set(lead.company_domain, (domains.get(lead.company_domain) ?? 0) + 1);
    expect([...domains.values()].some((n) => n >= 3)).toBe(true);
    expect(leads.some((l) => l.lt_interest_status !== undefined)).toBe(true);
    expect(leads.every((l) => l.status_summary !== undefined && typeof l.payload === "object")).toBe(true);

    expect(accounts.some((a) => a.status === -3 && a.status_message !== undefined)).toBe(true);
    expect(accounts.some((a) => a.stat_warmup_score !== undefined && !Number.isInteger(a.stat_warmup_score))).toBe(true);
    // The accounts are the mailboxes the emails were sent from.
    const senders = new Set(emails.map((e) => e.eaccount));
    expect([...senders].every((email) => accounts.some((a) => a.email === email))).toBe(true);

    // Every status of the enum (ref §2.1).
    expect(new Set(campaigns.map((c) => c.status))).toEqual(new Set([0, 1, 2, 3, 4, -1, -2, -99]));
    expect(campaigns.some((c) => c.name.endsWith(" "))).toBe(true);
    const sending = campaigns.filter((c) => c.status !== 0);
    expect(sending.every((c) => c.sequences![0]!.steps.length === 3)).toBe(true);
    expect(sending.some((c) => c.campaign_schedule.start_date === "")).toBe(true);
    expect(sending.some((c) => /^\d{4}-\d{2}-\d{2}$/.test(c.campaign_schedule.start_date ?? ""))).toBe(true);
    // Half-written drafts: one without sequences or schedule dates, one with a single step and null dates.
    expect(campaigns.some((c) => c.status === 0 && c.sequences === undefined && !("start_date" in c.campaign_schedule))).toBe(true);
    expect(campaigns.some((c) => c.status === 0 && c.sequences?.[0]?.steps.length === 1 && c.campaign_schedule.start_date === null)).toBe(
      true,
    );
    const drafts = new Set(campaigns.filter((c) => c.status === 0).map((c) => c.id));
    expect(emails.some((e) => e.campaign_id !== undefined && drafts.has(e.campaign_id))).toBe(false);
  });
});

// ------------------------------------------------------------ real shapes

/** Every path of a JSON value with its type: {"a":{"b":[1]}} -> a:object, a.b:array, a.b[]:number. */
function paths(value: unknown, at = ""): string[] {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  const here = at ? [`${at}:${type}`] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item) => paths(item, `${at}[]`))];
  if (type === "object")
    return [...here, ...Object.entries(value as object).flatMap(([key, item]) => paths(item, at ? `${at}.${key}` : key))];
  return here;
}
/** A record's shape: its key paths and value types, nested objects and arrays included. */
const shapeOf = (value: unknown) => [...new Set(paths(value))].sort();

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/instantly");
/** The hand-made payloads in the real shapes (docs/sources/instantly-api.md), by kind: lead, email, campaign, webhook. */
function fixtures(kind: string): { name: string; record: Record<string, unknown> }[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((name) => name.startsWith(`${kind}-`))
    .map((name) => ({ name, record: JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8")) as Record<string, unknown> }));
}

const emailedKey = (campaignId: string | undefined, email: string | undefined) => `${campaignId}|${email?.toLowerCase()}`;

describe("fake Instantly: the default workspace has the shapes and orders of a real one", () => {
  let fake: FakeInstantly;
  let leads: FakeLead[];
  let emails: FakeEmail[];
  let campaigns: FakeCampaign[];
  let webhooks: Record<string, unknown>[];
  beforeAll(async () => {
    fake = await start();
    // As served over HTTP (JSON drops nothing the fake means to send).
    leads = (await collect((cursor) => post(fake, "/leads/list", { limit: 100, ...(cursor ? { starting_after: cursor } : {}) }))).items;
    emails = (await collect((cursor) => call(fake, `/emails?limit=100${cursor ? `&starting_after=${cursor}` : ""}`))).items;
    campaigns = (await collect((cursor) => call(fake, `/campaigns?limit=100${cursor ? `&starting_after=${cursor}` : ""}`))).items;
    webhooks = webhookPayloadsFor(fake.data, { perType: 1_000 }) as Record<string, unknown>[];
  });

  it("leads carry the person's names only in payload for most leads, named as the user named them", () => {
    const topLevel = leads.filter((lead) => typeof lead.first_name === "string");
    expect(topLevel.length).toBeGreaterThan(0);
    expect(topLevel.length / leads.length).toBeLessThan(0.5);
    // Without top-level names the key is absent or null.
    expect(leads.some((lead) => !("first_name" in lead) && !("company_name" in lead))).toBe(true);
    expect(leads.some((lead) => lead.first_name === null && lead.company_name === null)).toBe(true);
    // Every lead has the person in payload, in camelCase or in the user's casing.
    const nameOf = (lead: FakeLead, ...keys: string[]) => keys.map((key) => lead.payload[key]).find((value) => value !== undefined);
    for (const lead of leads) {
      expect(nameOf(lead, "firstName", "First_name"), lead.id).toEqual(expect.any(String));
      expect(nameOf(lead, "companyName", "Company_name"), lead.id).toEqual(expect.any(String));
    }
    expect(leads.some((lead) => "First_name" in lead.payload && "Company_name" in lead.payload && !("firstName" in lead.payload))).toBe(
      true,
    );
    expect(leads.some((lead) => "firstName" in lead.payload && !("first_name" in lead))).toBe(true);
    // Top-level names, where set, are the payload's.
    for (const lead of topLevel) expect(lead.payload.firstName).toBe(lead.first_name);
  });

  it("some leads were never emailed; emailed people include leads whose names are only in payload", () => {
    const emailed = new Set(emails.filter((email) => email.ue_type === 1).map((email) => emailedKey(email.campaign_id, email.lead)));
    const never = leads.filter((lead) => !emailed.has(emailedKey(lead.campaign, lead.email)));
    expect(never.length / leads.length).toBeGreaterThan(0.15);
    for (const lead of never) {
      expect(lead.status_summary, lead.id).toEqual({});
      expect(lead, lead.id).not.toHaveProperty("timestamp_last_contact");
      expect([1, -3], lead.id).toContain(lead.status);
    }
    // Queued in the active campaign, uploaded to the draft, and skipped (-3) by the completed one.
    const statusOf = new Map(campaigns.map((campaign) => [campaign.id, campaign.status]));
    expect(new Set(never.map((lead) => statusOf.get(lead.campaign)))).toEqual(new Set([1, 0, -1, -2, 3]));
    expect(never.some((lead) => lead.status === -3 && statusOf.get(lead.campaign) === 3)).toBe(true);
    // Emails whose lead record has no top-level name.
    const leadOf = new Map(leads.map((lead) => [emailedKey(lead.campaign, lead.email), lead]));
    const namesInPayloadOnly = emails.filter((email) => {
      const lead = leadOf.get(emailedKey(email.campaign_id, email.lead));
      return lead !== undefined && typeof lead.first_name !== "string" && typeof lead.company_name !== "string";
    });
    expect(namesInPayloadOnly.length).toBeGreaterThan(emails.length / 3);
    expect(namesInPayloadOnly.some((email) => email.ue_type === 2)).toBe(true);
  });

  it("campaign statuses are those of a real list (active, draft, -1, -2, completed); the draft has no sequences nor schedule dates", async () => {
    expect(campaigns.map((campaign) => campaign.status).sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 3]);
    const draft = campaigns.find((campaign) => campaign.status === 0)!;
    expect(draft).not.toHaveProperty("sequences");
    expect(Object.keys(draft.campaign_schedule)).toEqual(["schedules"]);
    // "4 objects while 5 campaigns existed; the draft was missing" (ref §2.2).
    const { body } = await call(fake, "/campaigns/analytics");
    expect(body.map((row: any) => row.campaign_id).sort()).toEqual(
      campaigns
        .filter((c) => c !== draft)
        .map((c) => c.id)
        .sort(),
    );
    // Bounce protect stopped a campaign that bounced more than the others.
    const bounced = (status: number) => {
      const mine = leads.filter((lead) => lead.campaign === campaigns.find((c) => c.status === status)!.id && lead.status_summary.lastStep);
      return mine.filter((lead) => lead.status === -1).length / mine.length;
    };
    expect(bounced(-2)).toBeGreaterThan(bounced(1));
  });

  it("steps without delay_unit exist next to steps in days", () => {
    const steps = campaigns.flatMap((campaign) => campaign.sequences?.[0]?.steps ?? []);
    expect(steps.some((step) => !("delay_unit" in step))).toBe(true);
    expect(steps.some((step) => step.delay_unit === "days")).toBe(true);
    // The sequences use the variables of their campaign's leads.
    const bodies = campaigns.map((campaign) => campaign.sequences?.[0]?.steps[0]?.variants[0]?.body ?? "");
    expect(bodies.some((body) => body.includes("{{First_name}}"))).toBe(true);
    expect(bodies.some((body) => body.includes("{{firstName}}"))).toBe(true);
    // Sent emails are filled in from the payload, whatever its casing.
    expect(emails.every((email) => !email.subject.includes("{{") && !(email.body.html ?? "").includes("{{"))).toBe(true);
  });

  it("webhooks send step and variant as numbers or as strings, and the lead's variables in the user's casing", () => {
    const stepped = webhooks.filter((payload) => "step" in payload);
    expect(stepped.some((payload) => typeof payload.step === "number")).toBe(true);
    expect(stepped.some((payload) => typeof payload.step === "string")).toBe(true);
    for (const payload of stepped) {
      expect(String(payload.step)).toMatch(/^[1-9]$/);
      expect(typeof payload.variant).toBe(typeof payload.step);
    }
    const replies = webhooks.filter((payload) => payload.event_type === "reply_received");
    const userCased = replies.find((payload) => typeof payload.step === "string" && "First_name" in payload);
    expect(userCased).toBeDefined();
    expect(userCased).toHaveProperty("Company_name");
    expect(userCased).not.toHaveProperty("firstName");
    expect(replies.some((payload) => "firstName" in payload && "companyName" in payload)).toBe(true);
  });

  it("replies carry text and an HTML body quoting the original, its wrote: line entity-encoded", () => {
    const replies = emails.filter((email) => email.ue_type === 2 && email.is_auto_reply === 0);
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) {
      const answered = emails.find((email) => email.thread_id === reply.thread_id && email.ue_type !== 2 && email.id < reply.id)!;
      expect(reply.body.html).toContain(`&lt;${reply.eaccount}&gt; wrote:</div><blockquote type="cite">${answered.body.html}</blockquote>`);
      expect(reply.body.text).toMatch(/\n\nOn [\s\S]+ wrote:\n> /);
    }
  });

  it("pins every record to the fixtures: each fixture's shape is one the fake sends, and the fake sends no key or type the fixtures lack", () => {
    const kinds: [string, unknown[]][] = [
      ["lead", leads],
      ["email", emails],
      ["campaign", campaigns],
      ["webhook", webhooks],
    ];
    for (const [kind, records] of kinds) {
      const known = fixtures(kind);
      expect(known.length, kind).toBeGreaterThanOrEqual(2);
      const shapes = new Set(records.map((record) => shapeOf(record).join(" ")));
      for (const { name, record } of known) expect(shapes.has(shapeOf(record).join(" ")), name).toBe(true);
      const allowed = new Set(known.flatMap(({ record }) => shapeOf(record)));
      const unknown = new Set(records.flatMap((record) => shapeOf(record).filter((entry) => !allowed.has(entry))));
      expect([...unknown], kind).toEqual([]);
    }
  });
});

describe("fake Instantly: analytics", () => {
  let fake: FakeInstantly;
  beforeAll(async () => {
    fake = await start({ seed: 3, campaigns: 8, accounts: 9, emails: 3_000 });
  });
  const count = (emails: FakeEmail[], test: (email: FakeEmail) => boolean) => emails.filter(test).length;
  const sum = (rows: any[], key: string) => rows.reduce((total, row) => total + row[key], 0);

  it("daily rows add up to the emails, per campaign and for the workspace", async () => {
    const emails = fake.data.emails;
    for (const campaign of fake.data.campaigns) {
      const { status, body } = await call(fake, `/campaigns/analytics/daily?campaign_id=${campaign.id}`);
      expect(status).toBe(200);
      expect(Array.isArray(body)).toBe(true);
      const mine = emails.filter((e) => e.campaign_id === campaign.id);
      expect(sum(body, "sent")).toBe(count(mine, (e) => e.ue_type === 1));
      expect(sum(body, "replies")).toBe(count(mine, (e) => e.ue_type === 2 && e.is_auto_reply !== 1));
      expect(sum(body, "replies_automatic")).toBe(count(mine, (e) => e.ue_type === 2 && e.is_auto_reply === 1));
      expect(sum(body, "new_leads_contacted")).toBe(count(mine, (e) => e.ue_type === 1 && e.step!.startsWith("0_0_")));
      for (const row of body) expect(row).not.toHaveProperty("campaign_id");
      const dates = body.map((row: any) => row.date);
      expect([...dates].sort()).toEqual(dates);
    }
    const { body: totals } = await call(fake, "/campaigns/analytics/daily");
    expect(sum(totals, "sent")).toBe(count(emails, (e) => e.ue_type === 1));
    expect(sum(totals, "replies")).toBe(count(emails, (e) => e.ue_type === 2 && e.is_auto_reply !== 1));
    // Sparse: weekends without sends are missing or carry only replies/opens.
    const days = (Date.parse(totals.at(-1).date) - Date.parse(totals[0].date)) / 86_400_000 + 1;
    const active = fake.data.campaigns.find((c) => c.status === 1)!;
    const { body: one } = await call(fake, `/campaigns/analytics/daily?campaign_id=${active.id}`);
    expect(one.length).toBeLessThan(days);
    expect(totals.some((row: any) => row.sent === 0)).toBe(true);

    const window = await call(fake, `/campaigns/analytics/daily?start_date=${totals[3].date}&end_date=${totals[5].date}`);
    expect(window.body.map((row: any) => row.date)).toEqual(totals.slice(3, 6).map((row: any) => row.date));
  });

  it("campaign analytics: a bare array without drafts, consistent with the emails", async () => {
    const { body } = await call(fake, "/campaigns/analytics");
    expect(Array.isArray(body)).toBe(true);
    const sending = fake.data.campaigns.filter((c) => c.status !== 0);
    expect(body.map((row: any) => row.campaign_id).sort()).toEqual(sending.map((c) => c.id).sort());
    for (const row of body) {
      const mine = fake.data.emails.filter((e) => e.campaign_id === row.campaign_id);
      expect(row.emails_sent_count).toBe(count(mine, (e) => e.ue_type === 1));
      expect(row.reply_count).toBe(count(mine, (e) => e.ue_type === 2 && e.is_auto_reply !== 1));
      expect(row.leads_count).toBe(fake.data.leads.filter((l) => l.campaign === row.campaign_id).length);
    }
    expect(body.some((row: any) => !("reply_count_unique" in row) && !("reply_count_automatic" in row))).toBe(true);
    expect(body.some((row: any) => "reply_count_unique" in row)).toBe(true);

    const [a, b] = sending;
    const two = await call(fake, `/campaigns/analytics?ids=${a!.id}&ids=${b!.id}`);
    expect(two.body.map((row: any) => row.campaign_id).sort()).toEqual([a!.id, b!.id].sort());
    expect((await call(fake, `/campaigns/analytics?id=${a!.id}`)).body).toHaveLength(1);
    const draft = fake.data.campaigns.find((c) => c.status === 0)!;
    expect((await call(fake, `/campaigns/analytics?id=${draft.id}`)).body).toEqual([]);

    const overview = await call(fake, "/campaigns/analytics/overview");
    expect(overview.body.emails_sent_count).toBe(count(fake.data.emails, (e) => e.ue_type === 1));
    expect(overview.body).toHaveProperty("total_interested");
  });
});

describe("fake Instantly: rate limits", () => {
  it("answers 429 to the 21st GET /emails within the window, and 429s do not count", async () => {
    // timeScale 30: the one-minute window lasts 2 s.
    const fake = await start({ rateLimits: true, timeScale: 30 });
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await call(fake, "/emails?limit=1")).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const limited = await call(fake, "/emails?limit=1");
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ statusCode: 429, error: "Too Many Requests", message: "Rate limit exceeded" });
    expect(limited.headers.get("retry-after")).toBeNull();
    // Other endpoints are not limited by the /emails window.
    expect((await call(fake, "/campaigns")).status).toBe(200);
    expect(fake.stats.rateLimited).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await call(fake, "/emails?limit=1")).status).toBe(200);
  });

  it("limits the workspace to 100 requests per second, with Retry-After when configured", async () => {
    // timeScale 0.5: the one-second window lasts 2 s, so 120 parallel requests surely fall into one.
    const fake = await start({ rateLimits: true, timeScale: 0.5, rateLimitRetryAfter: 3 });
    const answers = await Promise.all(Array.from({ length: 120 }, () => call(fake, "/campaigns?limit=1")));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(100);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(20);
    expect(limited[0]!.headers.get("retry-after")).toBe("3");
  });
});

describe("fake Instantly: faults", () => {
  let fake: FakeInstantly;
  beforeAll(async () => {
    fake = await start();
  });

  it("status: 5xx in the error envelope, for the next N matching requests", async () => {
    fake.injectFaults({ endpoint: "GET /campaigns", kind: "status", status: 503, times: 2 });
    expect((await call(fake, "/accounts")).status).toBe(200);
    const failed = await call(fake, "/campaigns");
    expect(failed).toMatchObject({ status: 503, body: { statusCode: 503, error: "Service Unavailable" } });
    expect((await call(fake, "/campaigns")).status).toBe(503);
    expect((await call(fake, "/campaigns")).status).toBe(200);
    expect(fake.stats.faults).toBe(2);
  });

  it("after and probability", async () => {
    fake.injectFaults({ endpoint: "GET /accounts", kind: "status", after: 2, times: 1 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(fake, "/accounts")).status);
    expect(statuses).toEqual([200, 200, 500, 200]);
    fake.injectFaults({ endpoint: "GET /accounts", kind: "status", probability: 0.5 });
    const many = [];
    for (let i = 0; i < 40; i++) many.push((await call(fake, "/accounts")).status);
    fake.clearFaults();
    expect(many.filter((s) => s === 500).length).toBeGreaterThan(5);
    expect(many.filter((s) => s === 200).length).toBeGreaterThan(5);
  });

  it("timeout: the request is accepted and never answered", async () => {
    fake.injectFaults({ endpoint: "GET /emails", kind: "timeout", times: 1 });
    await expect(fetch(`${fake.url}/emails`, { headers: AUTH, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect((await call(fake, "/emails")).status).toBe(200);
  });

  it("truncated: 200 and headers, then part of the body and a dead connection", async () => {
    fake.injectFaults({ endpoint: "GET /emails", kind: "truncated", times: 1 });
    const response = await fetch(`${fake.url}/emails?limit=50`, { headers: AUTH });
    expect(response.status).toBe(200);
    await expect(response.text().then((text) => JSON.parse(text))).rejects.toThrow();
    expect((await call(fake, "/emails")).status).toBe(200);
  });

  it("slow: answers normally after a delay", async () => {
    fake.injectFaults({ endpoint: "POST /leads/list", kind: "slow", delayMs: 300, times: 1 });
    const t0 = performance.now();
    const answer = await post(fake, "/leads/list", { limit: 2 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    expect(answer.body.items).toHaveLength(2);
  });

  it("rate_limit: a 429 with Retry-After", async () => {
    fake.injectFaults({ kind: "rate_limit", retryAfter: 7, times: 1 });
    const limited = await call(fake, "/campaigns/analytics");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.body).toEqual({ statusCode: 429, error: "Too Many Requests", message: "Rate limit exceeded" });
  });

  it("control endpoints: faults, stats, data and additions over HTTP", async () => {
    fake.resetStats();
    const added = await fetch(`${fake.origin}/__fake/faults`, {
      method: "POST",
      body: JSON.stringify([{ endpoint: "GET /campaigns", kind: "status", status: 502 }]),
    });
    expect(await added.json()).toEqual({ faults: 1 });
    expect((await call(fake, "/campaigns")).status).toBe(502);
    expect((await call(fake, "/campaigns")).status).toBe(502);
    await fetch(`${fake.origin}/__fake/faults`, { method: "DELETE" });
    expect((await call(fake, "/campaigns")).status).toBe(200);
    const stats = await (await fetch(`${fake.origin}/__fake/stats`)).json();
    expect(stats).toMatchObject({ requests: 3, faults: 2, byEndpoint: { "GET /campaigns": 3 } });

    const data = (await (await fetch(`${fake.origin}/__fake/data`)).json()) as any;
    expect(data.counts.emails).toBe(fake.data.emails.length);
    expect(data.campaigns).toHaveLength(5);
    const more = (await (
      await fetch(`${fake.origin}/__fake/emails`, { method: "POST", body: JSON.stringify({ count: 4 }) })
    ).json()) as any;
    expect(more.added).toBe(4);
    expect(data.counts.emails + 4).toBe(fake.data.emails.length);
    expect((await call(fake, "/emails?limit=4")).body.items.map((e: FakeEmail) => e.id)).toEqual(more.ids);
  });
});

describe("fake Instantly: additions, determinism, size", () => {
  it("addEmails puts newer emails on top, visible to min_timestamp_created", async () => {
    const fake = await start({ seed: 11 });
    const before = fake.data.emails[0]!;
    const added = fake.addEmails(25);
    expect(added).toHaveLength(25);
    expect(fake.data.emails.slice(0, 25)).toEqual(added);
    expect(added.every((e) => e.id > before.id && e.timestamp_created >= before.timestamp_created)).toBe(true);
    expect(new Set(added.map((e) => e.ue_type)).has(1)).toBe(true);
    const top = await call(fake, "/emails?limit=25");
    expect(top.body.items.map((e: FakeEmail) => e.id)).toEqual(added.map((e) => e.id));
    const since = await call(fake, `/emails?limit=100&min_timestamp_created=${added.at(-1)!.timestamp_created}`);
    expect(since.body.items.map((e: FakeEmail) => e.id).slice(0, 25)).toEqual(added.map((e) => e.id));

    const campaign = fake.data.campaigns.find((c) => c.status === 1)!;
    const mine = fake.addEmails(3, { campaignId: campaign.id });
    const page = await call(fake, `/emails?limit=3&campaign_id=${campaign.id}`);
    expect(page.body.items.map((e: FakeEmail) => e.id)).toEqual(mine.map((e) => e.id));
    expect(() => fake.addEmails(1, { campaignId: fake.data.campaigns.find((c) => c.status === 0)!.id })).toThrow(/draft/);
    // The analytics follow.
    const { body } = await call(fake, `/campaigns/analytics/daily?campaign_id=${campaign.id}`);
    const sent = fake.data.emails.filter((e) => e.campaign_id === campaign.id && e.ue_type === 1).length;
    expect(body.reduce((total: number, row: any) => total + row.sent, 0)).toBe(sent);
    // Leads created for new first steps keep the id order.
    const ids = fake.data.leads.map((l) => l.id);
    expect([...ids].sort()).toEqual(ids);
  });

  it("is deterministic: the same seed gives the same data, another seed other data", () => {
    const a = new FakeStore({ seed: 42, campaigns: 5, accounts: 6, emails: 800 });
    const b = new FakeStore({ seed: 42, campaigns: 5, accounts: 6, emails: 800 });
    const c = new FakeStore({ seed: 43, campaigns: 5, accounts: 6, emails: 800 });
    expect(JSON.stringify(a.data)).toBe(JSON.stringify(b.data));
    expect(JSON.stringify(a.addEmails(10))).toBe(JSON.stringify(b.addEmails(10)));
    expect(JSON.stringify(new FakeStore().data)).toBe(JSON.stringify(new FakeStore().data));
    expect(c.data.emails[0]!.id).not.toBe(a.data.emails[0]!.id);
    expect(a.data.emails).toHaveLength(810);
  });

  it("generates and serves 200,000 emails quickly", async () => {
    const t0 = performance.now();
    const fake = await start({ seed: 1, campaigns: 50, accounts: 200, emails: 200_000 });
    const generated = performance.now() - t0;
    expect(fake.data.emails).toHaveLength(200_000);
    expect(fake.data.accounts).toHaveLength(200);
    const t1 = performance.now();
    let pages = 0;
    let cursor: string | undefined;
    for (; pages < 200; pages++) {
      const { body } = await call(fake, `/emails?limit=100${cursor ? `&starting_after=${cursor}` : ""}`);
      cursor = body.next_starting_after;
    }
    const served = performance.now() - t1;
    const t2 = performance.now();
    const analytics = await call(fake, "/campaigns/analytics");
    const analyticsMs = performance.now() - t2;
    expect(analytics.body.length).toBeGreaterThan(40);
    console.log(
      `fake Instantly: 200,000 emails (${fake.data.leads.length} leads) generated in ${Math.round(generated)} ms; ` +
        `200 pages of 100 served in ${Math.round(served)} ms; /campaigns/analytics in ${Math.round(analyticsMs)} ms`,
    );
    await fake.close();
  }, 120_000);
});

describe("fake Instantly: webhooks and the dev server", () => {
  it("builds payloads as Instantly delivers them and posts them like axios", async () => {
    const fake = await start();
    const payloads = webhookPayloadsFor(fake.data) as Record<string, any>[];
    const types = new Set(payloads.map((p) => p.event_type));
    for (const type of [
      "email_sent",
      "reply_received",
      "auto_reply_received",
      "email_opened",
      "link_clicked",
      "email_bounced",
      "lead_unsubscribed",
      "lead_interested",
      "lead_meeting_booked",
      "Follow up in Q3",
      "campaign_completed",
    ]) {
      expect(types).toContain(type);
    }
    expect(types).not.toContain("email_link_clicked");
    for (const payload of payloads) {
      expect(payload).toMatchObject({
        workspace: fake.data.organization,
        campaign_id: expect.any(String),
        campaign_name: expect.any(String),
      });
      if ("step" in payload) expect(Number(payload.step)).toBeGreaterThanOrEqual(1);
    }
    const sent = payloads.find((p) => p.event_type === "email_sent")!;
    const email = fake.data.emails.find((e) => e.id === sent.email_id)!;
    expect(sent.timestamp).toBe(email.timestamp_email);
    expect(Number(sent.step)).toBe(Number(email.step!.split("_")[1]) + 1);
    expect(sent.email).toBe(email.lead);
    // The lead's variables are merged in, named as in the lead's payload.
    const lead = fake.data.leads.find((l) => l.campaign === email.campaign_id && l.email === email.lead)!;
    expect(sent).toMatchObject(lead.payload);
    const reply = payloads.find((p) => p.event_type === "reply_received")!;
    const replied = fake.data.emails.find((e) => e.id === reply.email_id)!;
    expect(replied.ue_type).toBe(2);
    expect(reply.timestamp).toBe(replied.timestamp_created);
    expect(reply.unibox_url).toContain(`thread:${replied.thread_id}`);

    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const target = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    try {
      const response = await deliverWebhook(`http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`, reply, { "x-secret": "s3" });
      expect(response.status).toBe(200);
    } finally {
      target.close();
    }
    expect(received[0]!.headers["user-agent"]).toBe("axios/0.21.4");
    expect(received[0]!.headers["x-secret"]).toBe("s3");
    expect(JSON.parse(received[0]!.body)).toEqual(reply);
  });

  it("npm run dev:instantly serves on the given port and stops on SIGTERM", async () => {
    const main = path.resolve(import.meta.dirname, "../../tools/fake-instantly/main.ts");
    const child = spawn(process.execPath, [main, "--port", "0", "--emails", "50", "--no-rate-limits"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
          output += chunk;
          const match = /listening on (\S+)/.exec(output);
          if (match && output.includes("npm start")) resolve(match[1]!);
        });
        child.once("exit", () => reject(new Error(`exited early: ${output}`)));
      });
      expect(output).toContain(`INSTANTLY_API_URL=${url} INSTANTLY_API_KEY=anything npm start`);
      const page = await fetch(`${url}/emails?limit=5`, { headers: AUTH });
      expect(((await page.json()) as any).items).toHaveLength(5);
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
