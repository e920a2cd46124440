// POST /webhooks/instantly over real HTTP: the shared secret, what is refused
// and why, duplicate deliveries, and (with a real worker) deliveries ending as
// events on the lead's timeline, merged with the sync's copy of the same email.
// Payload shapes follow docs/sources/instantly-api.md §3 (values synthetic).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startWorker, type RunningWorker } from "../../src/worker.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "whsec-test-3f9a1c44b2e7";
const WORKSPACE = "c0ffee00-1111-4222-8333-444455556666";
const CAMPAIGN = "8f1d2c3a-6b7e-4c21-9d0a-2b5e7f9a1c44";
const SENDER = "alex@getacme-mail.com";

let db: TestDatabase;
let server: TestServer;
let worker: RunningWorker;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db, { instantlyWebhookSecret: SECRET });
  worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 5000, quiet: true });
});
afterAll(() => worker?.stop());

function hook(event_type: string, o: { lead?: string; at: string; [key: string]: unknown }) {
  const { lead, at, ...rest } = o;
  return {
    timestamp: at,
    event_type,
    workspace: WORKSPACE,
    campaign_id: CAMPAIGN,
    campaign_name: "US SaaS founders 11-50 ",
    ...(lead ? { lead_email: lead, email: lead } : {}),
    email_account: SENDER,
    ...rest,
  };
}

async function post(body: string | object, headers: Record<string, string> = { "x-leadgraph-webhook-secret": SECRET }, base = server.url) {
  const response = await fetch(`${base}/webhooks/instantly`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "axios/0.21.4", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, contentType: response.headers.get("content-type"), text };
}

async function storedCount(): Promise<number> {
  return (await db.pool.query("select count(*)::int as n from instantly_webhooks_raw")).rows[0].n;
}

/** Polls `read` until `done` holds or the deadline passes; returns the last value. */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, deadlineMs = 15_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

async function timeline(email: string) {
  const { rows } = await db.pool.query(
    `select t.event_type, t.event_summary, t.event_source, e.instantly_email_id
       from leads l cross join get_lead_timeline(l.id) t join events e on e.id = t.event_id
      where l.email = $1 order by t.event_timestamp, t.event_type`,
    [email],
  );
  return rows as Array<{ event_type: string; event_summary: string; event_source: string; instantly_email_id: string | null }>;
}

const pendingCount = async () =>
  (await db.pool.query("select count(*)::int as n from leadgraph_private.instantly_left_to_normalize")).rows[0].n as number;

describe("POST /webhooks/instantly: authentication", () => {
  const delivery = hook("email_opened", { lead: "auth@auth-example.com", at: "2025-10-21T15:00:00.000Z", step: 1, variant: 1 });

  it("refuses a delivery without the secret: 401 with a JSON error naming X-Leadgraph-Webhook-Secret; stores nothing", async () => {
    const before = await storedCount();
    const response = await post(delivery, {});
    expect(response.status).toBe(401);
    expect(response.contentType).toMatch(/application\/json/);
    expect(response.body.error).toMatch(/X-Leadgraph-Webhook-Secret/);
    expect(await storedCount()).toBe(before);
  });

  it("refuses a wrong secret, in the header or as a Bearer token: 401", async () => {
    const before = await storedCount();
    const wrong: Array<Record<string, string>> = [
      { "x-leadgraph-webhook-secret": "wrong" },
      { "x-leadgraph-webhook-secret": `${SECRET}x` },
      { "x-leadgraph-webhook-secret": SECRET.slice(0, -1) },
      { authorization: "Bearer wrong" },
      { authorization: `Basic ${Buffer.from(`user:${SECRET}`).toString("base64")}` },
    ];
    for (const headers of wrong) {
      const response = await post(delivery, headers);
      expect({ headers, status: response.status }).toEqual({ headers, status: 401 });
      expect(response.body.error).toMatch(/X-Leadgraph-Webhook-Secret/);
    }
    expect(await storedCount()).toBe(before);
  });

  it("accepts the secret as `Authorization: Bearer <secret>`", async () => {
    const response = await post(hook("email_opened", { lead: "bearer@auth-example.com", at: "2025-10-21T15:00:00.000Z" }), {
      authorization: `Bearer ${SECRET}`,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: false });
  });

  it("answers 503 naming INSTANTLY_WEBHOOK_SECRET when the server has no secret configured, even to a request with one", async () => {
    const unconfigured = await startTestServer(db);
    const before = await storedCount();
    for (const headers of [{}, { "x-leadgraph-webhook-secret": SECRET }] as Array<Record<string, string>>) {
      const response = await post(delivery, headers, unconfigured.url);
      expect(response.status).toBe(503);
      expect(response.body.error).toMatch(/INSTANTLY_WEBHOOK_SECRET/);
    }
    expect(await storedCount()).toBe(before);
  });
});

describe("POST /webhooks/instantly: bodies", () => {
  it("answers 400 to a body that is not JSON, with a JSON error; stores nothing", async () => {
    const before = await storedCount();
    for (const body of ['{"event_type": "email_opened",', "event_type=email_opened", "<xml/>", ""]) {
      const response = await post(body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.error).toMatch(/JSON/);
    }
    expect(await storedCount()).toBe(before);
  });

  it("answers 400 to JSON that is not one event object: an array, a string, a number, null, an empty object", async () => {
    const before = await storedCount();
    const event = hook("email_opened", { lead: "array@bodies-example.com", at: "2025-10-21T15:00:00.000Z" });
    for (const body of [JSON.stringify([event]), JSON.stringify([]), '"email_opened"', "42", "null", "{}"]) {
      const response = await post(body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.error).toMatch(/JSON object/);
    }
    expect(await storedCount()).toBe(before);
  });

  it("answers 413 to a body above 1 MB", async () => {
    const before = await storedCount();
    const response = await post(
      hook("reply_received", { lead: "big@bodies-example.com", at: "2025-10-21T15:00:00.000Z", reply_html: "x".repeat(1024 * 1024 + 1) }),
    );
    expect(response.status).toBe(413);
    expect(await storedCount()).toBe(before);
  });

  it("stores a valid delivery and answers 200 {id, duplicate: false}; the same delivery again answers {duplicate: true}", async () => {
    const event = hook("link_clicked", {
      lead: "Dup.Licate@Bodies-Example.com",
      at: "2025-10-21T15:10:02.004Z",
      step: 1,
      variant: 1,
      is_first: true,
    });
    const first = await post(event);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: false });
    const again = await post(event);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: first.body.id, duplicate: true });
    const { rows } = await db.pool.query("select payload, deliveries, lead_email, event_type from instantly_webhooks_raw where id = $1", [
      first.body.id,
    ]);
    expect(rows).toEqual([{ payload: event, deliveries: 2, lead_email: "dup.licate@bodies-example.com", event_type: "link_clicked" }]);
  });

  it("takes a JSON body whatever its content type says", async () => {
    const contentTypes = ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8"];
    for (const [index, contentType] of contentTypes.entries()) {
      const event = hook("email_opened", { lead: "types@bodies-example.com", at: `2025-10-21T15:0${index}:00.000Z` });
      const response = await post(event, { "x-leadgraph-webhook-secret": SECRET, "content-type": contentType });
      expect({ contentType, status: response.status, duplicate: response.body?.duplicate }).toEqual({
        contentType,
        status: 200,
        duplicate: false,
      });
      const { rows } = await db.pool.query("select payload from instantly_webhooks_raw where id = $1", [response.body.id]);
      expect(rows[0].payload).toEqual(event);
    }
  });

  it("stores payloads it cannot use (account_error, no lead) with 200, so Instantly does not retry them; the normaliser rejects them", async () => {
    const accountError = {
      timestamp: "2025-10-21T14:00:00.000Z",
      event_type: "account_error",
      workspace: WORKSPACE,
      email_account: SENDER,
      error_message: "SMTP authentication failed",
    };
    const noLead = hook("email_opened", { at: "2025-10-21T15:00:00.000Z" });
    const ids: string[] = [];
    for (const event of [accountError, noLead]) {
      const response = await post(event);
      expect(response.status).toBe(200);
      ids.push(response.body.id);
    }
    const reasons = await waitFor(
      async () =>
        (await db.pool.query("select source_id, reason from instantly_rejects where resource = 'webhook' and source_id = any($1)", [ids]))
          .rows,
      (rows) => rows.length === 2,
    );
    expect(Object.fromEntries(reasons.map((r) => [r.source_id, r.reason]))).toEqual({
      [ids[0]!]: expect.stringMatching(/account/i),
      [ids[1]!]: expect.stringMatching(/lead/i),
    });
  });
});

describe("deliveries through the worker", () => {
  it("end as events on the lead's timeline, once per event, and merge with the sync's copy of the same emails", async () => {
    const lead = "jane.doe@northwind-example.com";
    const sentId = "019a0b1c-2d3e-7f40-8a51-b2c3d4e5f607";
    const replyId = "0199e9d9-cc23-785a-a736-aaa9cabece0f";
    const deliveries = [
      hook("email_sent", {
        lead,
        at: "2025-10-21T14:04:20.549Z",
        step: 1,
        variant: 1,
        is_first: true,
        email_id: sentId,
        email_subject: "Jane, quick question",
        email_text: "Hi Jane, ...",
        email_html: "<div>Hi Jane, ...</div>",
      }),
      hook("email_opened", { lead, at: "2025-10-21T15:00:00.000Z", step: 1, variant: 1 }),
      hook("link_clicked", { lead, at: "2025-10-21T15:10:02.004Z", step: 1, variant: 1, is_first: true }),
      hook("reply_received", {
        lead: "Jane.Doe@Northwind-Example.com",
        at: "2025-10-21T16:40:09.188Z",
        email_id: replyId,
        step: 1,
        variant: 1,
        firstName: "Jane",
        lastName: "Doe",
        companyName: "Northwind",
        jobTitle: "CEO",
        unibox_url: "https://app.instantly.ai/app/unibox?thread_search=thread:8a-Q2vT9LmX0bKc4RyVFLe5dLE",
        reply_text_snippet: "Sounds interesting, can you send pricing?",
        reply_subject: "Re: Jane, quick question",
        reply_text: "Sounds interesting, can you send pricing?\n",
        reply_html: "<div>Sounds interesting, can you send pricing?</div>",
      }),
      hook("lead_interested", { lead, at: "2025-10-22T09:00:00.000Z" }),
    ];
    for (const event of deliveries) expect((await post(event)).body.duplicate).toBe(false);
    // Instantly retries a delivery it thinks failed: counted, not repeated.
    expect((await post(deliveries[1]!)).body.duplicate).toBe(true);
    expect((await post(deliveries[3]!)).body.duplicate).toBe(true);

    const expected = [
      { event_type: "email_sent", event_summary: "Jane, quick question", event_source: "instantly", instantly_email_id: sentId },
      { event_type: "email_opened", event_summary: "email_opened", event_source: "instantly", instantly_email_id: null },
      { event_type: "link_clicked", event_summary: "link_clicked", event_source: "instantly", instantly_email_id: null },
      { event_type: "email_replied", event_summary: "Re: Jane, quick question", event_source: "instantly", instantly_email_id: replyId },
      { event_type: "lead_interested", event_summary: "lead_interested", event_source: "instantly", instantly_email_id: null },
    ];
    const events = await waitFor(
      () => timeline(lead),
      (rows) => rows.length >= expected.length,
    );
    expect(events).toEqual(expected);
    // The workflow follows once per drain, after the events (src/sources/instantly/normalize/index.ts).
    await waitFor(
      async () => (await db.pool.query("select count(*)::int as n from leadgraph_private.instantly_left_to_normalize")).rows[0].n,
      (left) => left === 0,
    );
    const { rows: people } = await db.pool.query(
      `select l.first_name, l.last_name, l.lead_source, c.company_domain, cl.email_status, cl.overall_status, cl.sequence_step
         from leads l left join companies c on c.id = l.company_id left join campaign_leads cl on cl.lead_id = l.id
        where l.email = $1`,
      [lead],
    );
    expect(people).toEqual([
      {
        first_name: "Jane",
        last_name: "Doe",
        lead_source: "instantly",
        company_domain: "northwind-example.com",
        email_status: "replied",
        overall_status: "interested",
        sequence_step: 1,
      },
    ]);

    // The sync later stores the same two emails (GET /emails): still one event each.
    await db.pool.query(
      `insert into instantly_emails_raw (instantly_email_id, instantly_campaign_id, email_address, raw_json)
       select x ->> 'id', x ->> 'campaign_id', lower(x ->> 'lead'), x from jsonb_array_elements($1::jsonb) x`,
      [
        JSON.stringify([
          {
            id: sentId,
            timestamp_created: "2025-10-21T14:04:20.000Z",
            timestamp_email: "2025-10-21T14:04:20.000Z",
            message_id: `<${sentId}@getacme-mail.com>`,
            subject: "Jane, quick question",
            to_address_email_list: lead,
            body: { html: "<div>Hi Jane, ...</div>" },
            organization_id: WORKSPACE,
            eaccount: SENDER,
            from_address_email: SENDER,
            campaign_id: CAMPAIGN,
            lead,
            ue_type: 1,
            step: "0_0_0",
            is_unread: 0,
            is_focused: 1,
            thread_id: "8a-Q2vT9LmX0bKc4RyVFLe5dLE",
          },
          {
            id: replyId,
            timestamp_created: "2025-10-21T16:40:07.000Z",
            timestamp_email: "2025-10-21T16:40:02.000Z",
            message_id: "<CAF+x9Qd3k2@mail.gmail.com>",
            subject: "Re: Jane, quick question",
            to_address_email_list: SENDER,
            body: {
              text: "Sounds interesting, can you send pricing?\n\nOn Tue, Oct 21 ...",
              html: "<div>Sounds interesting, can you send pricing?</div>",
            },
            organization_id: WORKSPACE,
            eaccount: SENDER,
            from_address_email: lead,
            from_address_json: [{ name: "Jane Doe", address: lead }],
            campaign_id: CAMPAIGN,
            lead,
            ue_type: 2,
            step: "0_0_0",
            is_unread: 1,
            is_auto_reply: 0,
            is_focused: 1,
            i_status: 1,
            thread_id: "8a-Q2vT9LmX0bKc4RyVFLe5dLE",
          },
        ]),
      ],
    );
    const synced = await waitFor(
      async () =>
        (
          await db.pool.query("select count(*)::int as n from events where instantly_email_id = any($1) and raw_data ? 'ue_type'", [
            [sentId, replyId],
          ])
        ).rows[0].n,
      (n) => n === 2,
    );
    expect(synced).toBe(2);
    expect(await waitFor(pendingCount, (n) => n === 0)).toBe(0);
    expect(await timeline(lead)).toEqual(expected);
    const { rows: raw } = await db.pool.query(
      "select event_type, deliveries from instantly_webhooks_raw where lead_email = $1 order by event_timestamp",
      [lead],
    );
    expect(raw).toEqual([
      { event_type: "email_sent", deliveries: 1 },
      { event_type: "email_opened", deliveries: 2 },
      { event_type: "link_clicked", deliveries: 1 },
      { event_type: "reply_received", deliveries: 2 },
      { event_type: "lead_interested", deliveries: 1 },
    ]);
  });

  it("a reply announced without email_id and the synced reply end as one event", async () => {
    const lead = "no.id@worker-example.com";
    const response = await post(
      hook("reply_received", { lead, at: "2025-10-23T10:00:20.000Z", reply_subject: "Re: quick question", reply_text: "Call me." }),
    );
    expect(response.status).toBe(200);
    const first = await waitFor(
      () => timeline(lead),
      (rows) => rows.length >= 1,
    );
    expect(first).toEqual([
      { event_type: "email_replied", event_summary: "Re: quick question", event_source: "instantly", instantly_email_id: null },
    ]);
    const replyId = "0199f000-0000-7000-8000-00000000c0de";
    await db.pool.query(
      `insert into instantly_emails_raw (instantly_email_id, instantly_campaign_id, email_address, raw_json) values ($1, $2, $3, $4)`,
      [
        replyId,
        CAMPAIGN,
        lead,
        {
          id: replyId,
          timestamp_created: "2025-10-23T10:00:14.000Z",
          timestamp_email: "2025-10-23T10:00:10.000Z",
          message_id: "<CAF+call@mail.example>",
          subject: "Re: quick question",
          to_address_email_list: SENDER,
          body: { text: "Call me." },
          organization_id: WORKSPACE,
          eaccount: SENDER,
          from_address_email: lead,
          campaign_id: CAMPAIGN,
          lead,
          ue_type: 2,
          step: "0_0_0",
          is_unread: 1,
          is_auto_reply: 0,
        },
      ],
    );
    const merged = await waitFor(
      () => timeline(lead),
      (rows) => rows.some((r) => r.instantly_email_id === replyId),
    );
    expect(merged).toEqual([
      { event_type: "email_replied", event_summary: "Re: quick question", event_source: "instantly", instantly_email_id: replyId },
    ]);
  });
});
