// From Instantly's raw layer (what the sync and the webhook endpoint store) to
// campaigns, leads, companies, campaign_leads and one event per email or
// webhook event: the real triggers that queue raw rows, the real normaliser.
// Payload shapes follow docs/sources/instantly-api.md (values synthetic).
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { normalizeInstantly, type NormalizeCounts } from "../../src/sources/instantly/normalize/index.ts";
import { upsertCampaigns, upsertEmails, upsertLeads } from "../../src/sources/instantly/raw.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

const WORKSPACE = "c0ffee00-1111-4222-8333-444455556666";
const SENDER = "alex@getacme-mail.com";
/** Our main Instantly campaign: three steps, waits of 3, 2 and 4 days. */
const CAMPAIGN = "8f1d2c3a-6b7e-4c21-9d0a-2b5e7f9a1c44";
const DAY = 24 * 60 * 60 * 1000;

let db: TestDatabase;

// ---------------------------------------------------------------------------
// Fixtures, shaped like the API's objects.

function instantlyCampaign(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: "US SaaS founders 11-50 ",
    status: 1,
    campaign_schedule: {
      schedules: [
        {
          name: "New schedule",
          timing: { from: "08:00", to: "17:00" },
          days: { "1": true, "2": true, "3": true, "4": true, "5": true },
          timezone: "America/Detroit",
        },
      ],
      start_date: "",
      end_date: "",
    },
    timestamp_created: "2025-09-12T10:02:21.146Z",
    timestamp_updated: "2025-10-30T01:09:44.198Z",
    pl_value: 100,
    sequences: [
      {
        steps: [
          { type: "email", delay: 3, variants: [{ subject: "{{firstName}}, quick question", body: "<div>Hi {{firstName}},</div>" }] },
          { type: "email", delay: 2, variants: [{ subject: "following up", body: "<div>Bumping this.</div>" }] },
          { type: "email", delay: 4, variants: [{ subject: "last one", body: "<div>Closing the loop.</div>" }] },
        ],
      },
    ],
    text_only: true,
    email_list: [SENDER],
    email_tag_list: [],
    daily_limit: 200,
    stop_on_reply: true,
    link_tracking: true,
    open_tracking: true,
    organization: WORKSPACE,
    ...overrides,
  };
}

const analytics = (id: string) => ({
  campaign_name: "US SaaS founders 11-50 ",
  campaign_id: id,
  campaign_status: 1,
  leads_count: 3,
  contacted_count: 3,
  emails_sent_count: 6,
  reply_count: 1,
});

function instantlyLead(id: string, email: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    timestamp_created: "2025-10-20T10:09:54.426Z",
    timestamp_updated: "2025-10-22T08:00:03.100Z",
    organization: WORKSPACE,
    campaign: CAMPAIGN,
    status: 1,
    email,
    first_name: "Jane",
    last_name: "Doe",
    company_name: "Northwind",
    company_domain: "northwind-example.com",
    phone: "+15555550100",
    website: "https://northwind-example.com",
    personalization: "Saw your post on ...",
    email_open_count: 0,
    email_reply_count: 0,
    email_click_count: 0,
    payload: { firstName: "Jane", lastName: "Doe", companyName: "Northwind", jobTitle: "CEO", location: "Austin" },
    status_summary: { lastStep: { from: SENDER, stepID: "0_0_0", timestamp_executed: "2025-10-21T14:04:20.549Z" } },
    verification_status: 1,
    upload_method: "api",
    esp_code: 1,
    esg_code: 0,
    list_id: null,
    assigned_to: null,
    ...overrides,
  };
}

/** A campaign email we sent (ue_type 1); outbound campaign emails carry only HTML. */
function sentEmail(o: { id: string; lead: string; at: string; step?: string; campaign?: string | null; subject?: string; html?: string }) {
  return {
    id: o.id,
    timestamp_created: o.at,
    timestamp_email: o.at,
    message_id: `<${o.id}@getacme-mail.com>`,
    subject: o.subject ?? "Jane, quick question",
    to_address_email_list: o.lead,
    body: { html: o.html ?? "<div>Hi Jane,</div><div>Quick question about <b>Northwind</b>.</div>" },
    organization_id: WORKSPACE,
    eaccount: SENDER,
    from_address_email: SENDER,
    campaign_id: o.campaign === undefined ? CAMPAIGN : o.campaign,
    lead: o.lead,
    ue_type: 1,
    step: o.step ?? "0_0_0",
    is_unread: 0,
    is_focused: 1,
    thread_id: "8a-Q2vT9LmX0bKc4RyVFLe5dLE",
  };
}

/** A reply we received (ue_type 2). Null fields are omitted, as the real API does. */
function replyEmail(o: {
  id: string;
  lead: string;
  at: string;
  name?: string;
  text?: string;
  iStatus?: number;
  autoReply?: boolean;
  campaign?: string | null;
  withLeadField?: boolean;
}) {
  return {
    id: o.id,
    timestamp_created: new Date(Date.parse(o.at) + 6000).toISOString(),
    timestamp_email: o.at,
    message_id: "<CAF+x9Qd3k2@mail.gmail.com>",
    subject: "Re: Jane, quick question",
    to_address_email_list: SENDER,
    body: {
      text: o.text ?? "Sounds interesting, can you send pricing?\n\nOn Wed, Oct 15 ...",
      html: "<div>Sounds interesting, can you send pricing?</div>...",
    },
    organization_id: WORKSPACE,
    eaccount: SENDER,
    from_address_email: o.lead,
    from_address_json: [{ name: o.name ?? "Jane Doe", address: o.lead }],
    campaign_id: o.campaign === undefined ? CAMPAIGN : o.campaign,
    ...(o.withLeadField === false ? {} : { lead: o.lead }),
    ue_type: 2,
    step: "0_0_0",
    is_unread: 1,
    is_auto_reply: o.autoReply ? 1 : 0,
    is_focused: 1,
    ...(o.iStatus === undefined ? {} : { i_status: o.iStatus }),
    thread_id: "8a-Q2vT9LmX0bKc4RyVFLe5dLE",
    content_preview: "Sounds interesting, can you send pricing?",
  };
}

/** A webhook delivery: the fields every event has, plus the event's own. */
function hook(event_type: string, o: { lead?: string; at: string; campaign?: string; [key: string]: unknown }): Record<string, any> {
  const { lead, at, campaign, ...rest } = o;
  return {
    timestamp: at,
    event_type,
    workspace: WORKSPACE,
    campaign_id: campaign ?? CAMPAIGN,
    campaign_name: "US SaaS founders 11-50 ",
    ...(lead ? { lead_email: lead, email: lead } : {}),
    email_account: SENDER,
    ...rest,
  };
}

let emailSequence = 0;
/** A fresh UUIDv7-like id, as GET /emails gives. */
function emailId(): string {
  emailSequence += 1;
  return `0199e9d9-cc23-785a-a736-${emailSequence.toString(16).padStart(12, "0")}`;
}

// ---------------------------------------------------------------------------
// Storing raw rows the way the sync (src/sources/instantly/raw.ts) and the
// webhook endpoint do.

async function storeCampaign(campaign: Record<string, unknown> & { id: string }, stats: unknown = null, pool: pg.Pool = db.pool) {
  await upsertCampaigns(pool, [{ id: campaign.id, raw: { campaign, analytics: stats } }]);
}

async function storeLeads(leads: Array<Record<string, unknown>>, pool: pg.Pool = db.pool) {
  await upsertLeads(pool, leads);
}

async function storeEmails(emails: Array<Record<string, unknown>>, pool: pg.Pool = db.pool) {
  await upsertEmails(pool, emails);
}

async function deliver(payload: unknown, pool: pg.Pool = db.pool): Promise<{ id: string; deliveries: number }> {
  const { rows } = await pool.query("select * from receive_instantly_webhook($1::jsonb)", [JSON.stringify(payload)]);
  return rows[0];
}

async function normalize(options: { batchSize?: number; pool?: pg.Pool } = {}): Promise<NormalizeCounts> {
  const client = await (options.pool ?? db.pool).connect();
  try {
    return await normalizeInstantly(client, { batchSize: options.batchSize });
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------------------
// Reading the results.

/** The events of one lead, oldest first. */
async function eventsOf(email: string, pool: pg.Pool = db.pool) {
  const { rows } = await pool.query(
    `select e.id, e.event_source, e.event_type, e.event_timestamp, e.email_subject, e.email_body, e.email_from, e.email_to,
            e.instantly_email_id, e.raw_data, c.instantly_campaign_id, e.campaign_lead_id
       from events e join leads l on l.id = e.lead_id left join campaigns c on c.id = e.campaign_id
      where l.email = lower($1) order by e.event_timestamp, e.event_type`,
    [email],
  );
  return rows;
}

async function membership(email: string, campaign = CAMPAIGN) {
  const { rows } = await db.pool.query(
    `select cl.id, cl.email_status, cl.overall_status, cl.email_sent_at, cl.email_opened_at, cl.email_replied_at,
            cl.sequence_step, cl.next_followup_at
       from campaign_leads cl join leads l on l.id = cl.lead_id join campaigns c on c.id = cl.campaign_id
      where l.email = lower($1) and c.instantly_campaign_id = $2`,
    [email, campaign],
  );
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

async function leadsWithEmail(email: string) {
  const { rows } = await db.pool.query(
    `select l.id, l.email, l.first_name, l.last_name, l.job_title, l.phone, l.lead_source, c.company_domain, c.company_name
       from leads l left join companies c on c.id = l.company_id where lower(l.email) = lower($1)`,
    [email],
  );
  return rows;
}

async function rejects(resource: string, sourceId: string) {
  const { rows } = await db.pool.query("select stage, reason, raw_json from instantly_rejects where resource = $1 and source_id = $2", [
    resource,
    sourceId,
  ]);
  return rows;
}

async function pending(pool: pg.Pool = db.pool) {
  const { rows } = await pool.query("select resource, source_id from leadgraph_private.instantly_pending order by resource, source_id");
  return rows.map((r) => `${r.resource}:${r.source_id}`);
}

const at = (iso: string) => new Date(iso);
const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY);

beforeAll(async () => {
  db = await createTestDatabase();
  await storeCampaign(instantlyCampaign(CAMPAIGN), analytics(CAMPAIGN));
  await normalize();
});

// ---------------------------------------------------------------------------

describe("the normalisation queue", () => {
  it("queues every new raw campaign, lead, email and webhook delivery, schedules the job, and drains the queue", async () => {
    await db.pool.query("select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))");
    const campaign = "0199aaaa-0000-7000-8000-00000000q001";
    const email = emailId();
    await storeCampaign(instantlyCampaign(campaign, { name: "Queue test" }));
    await storeLeads([instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000q001", "queue.one@queue-example.com", { campaign })]);
    await storeEmails([sentEmail({ id: email, lead: "queue.one@queue-example.com", at: "2025-10-21T14:04:20.000Z", campaign })]);
    const hookRow = await deliver(hook("email_opened", { lead: "queue.one@queue-example.com", at: "2025-10-21T15:00:00.000Z", campaign }));
    expect(await pending()).toEqual(
      [`campaign:${campaign}`, `email:${email}`, `lead:0199c1aa-0b7e-7d31-8e55-00000000q001`, `webhook:${hookRow.id}`].sort(),
    );
    const { rows: jobs } = await db.pool.query(
      "select task_identifier, key from graphile_worker.jobs where task_identifier = 'instantly_raw__normalize'",
    );
    // job_key: one job waits, however many rows were queued.
    expect(jobs).toEqual([{ task_identifier: "instantly_raw__normalize", key: "instantly_raw__normalize" }]);

    expect(await normalize()).toEqual({ campaigns: 1, leads: 1, emails: 1, webhooks: 1, rejected: 0 });
    expect(await pending()).toEqual([]);
    expect((await eventsOf("queue.one@queue-example.com")).map((e) => e.event_type)).toEqual(["email_sent", "email_opened"]);
  });

  it("queues a changed raw row again, but not one the sync stored unchanged", async () => {
    const email = sentEmail({ id: emailId(), lead: "queue.two@queue-example.com", at: "2025-10-21T14:04:20.000Z" });
    await storeEmails([email]);
    await normalize();
    await storeEmails([email]); // the same version again: the sync's upsert writes nothing
    await storeLeads([]);
    expect(await pending()).toEqual([]);
    await storeEmails([{ ...email, is_unread: 1 }]);
    expect(await pending()).toEqual([`email:${email.id}`]);
    await normalize();
    expect(await pending()).toEqual([]);
  });
});

describe("campaigns", () => {
  it("creates one campaign per Instantly campaign: trimmed name, email channel, settings from the schedule and first step", async () => {
    const { rows } = await db.pool.query(
      `select campaign_name, instantly_campaign_name, uses_email, campaign_status, daily_send_limit, timezone,
              email_subject_template, email_body_template
         from campaigns where instantly_campaign_id = $1`,
      [CAMPAIGN],
    );
    expect(rows).toEqual([
      {
        campaign_name: "US SaaS founders 11-50",
        instantly_campaign_name: "US SaaS founders 11-50 ",
        uses_email: true,
        campaign_status: "active",
        daily_send_limit: 200,
        timezone: "America/Detroit",
        email_subject_template: "{{firstName}}, quick question",
        email_body_template: "<div>Hi {{firstName}},</div>",
      },
    ]);
  });

  it("maps Instantly's status codes: 0 draft, 1 active, 2 paused, 3 completed, anything else paused", async () => {
    const codes: Array<[number, string]> = [
      [0, "draft"],
      [1, "active"],
      [2, "paused"],
      [3, "completed"],
      [-1, "paused"],
      [-2, "paused"],
      [-99, "paused"],
    ];
    for (const [code, _] of codes) {
      await storeCampaign(
        instantlyCampaign(`0199bbbb-0000-7000-8000-status${String(code + 100).padStart(6, "0")}`, { status: code, name: `Status ${code}` }),
      );
    }
    await normalize();
    const { rows } = await db.pool.query(
      "select instantly_campaign_name as name, campaign_status from campaigns where instantly_campaign_id like '0199bbbb-%-status%' order by 1",
    );
    expect(Object.fromEntries(rows.map((r) => [r.name, r.campaign_status]))).toEqual(
      Object.fromEntries(codes.map(([code, status]) => [`Status ${code}`, status])),
    );
  });

  it("links to a campaign we created with its instantly_campaign_id, keeping our name, following Instantly's status", async () => {
    const id = "0199cccc-0000-7000-8000-000000000001";
    await db.pool.query(
      "insert into campaigns (campaign_name, instantly_campaign_id, uses_email, campaign_status) values ('Our Q4 outreach', $1, false, 'draft')",
      [id],
    );
    await storeCampaign(instantlyCampaign(id, { name: "Q4 outreach (Instantly)", status: 1 }));
    await normalize();
    await storeCampaign(instantlyCampaign(id, { name: "Q4 outreach (Instantly)", status: 2 }));
    await normalize();
    const { rows } = await db.pool.query(
      "select campaign_name, instantly_campaign_name, uses_email, campaign_status from campaigns where instantly_campaign_id = $1",
      [id],
    );
    expect(rows).toEqual([
      { campaign_name: "Our Q4 outreach", instantly_campaign_name: "Q4 outreach (Instantly)", uses_email: true, campaign_status: "paused" },
    ]);
  });

  it("creates the campaign an email or a webhook names before the sync stored it", async () => {
    const fromEmail = "0199dddd-0000-7000-8000-000000000001";
    const fromHook = "0199dddd-0000-7000-8000-000000000002";
    await storeEmails([
      sentEmail({ id: emailId(), lead: "unknown.campaign@orphan-example.com", at: "2025-10-21T14:04:20.000Z", campaign: fromEmail }),
    ]);
    await deliver(
      hook("lead_interested", {
        lead: "unknown.campaign@orphan-example.com",
        at: "2025-10-22T09:00:00.000Z",
        campaign: fromHook,
        campaign_name: "  EU agencies  ",
      }),
    );
    await normalize();
    const { rows } = await db.pool.query(
      "select instantly_campaign_id, campaign_name, uses_email from campaigns where instantly_campaign_id in ($1, $2) order by 1",
      [fromEmail, fromHook],
    );
    expect(rows).toEqual([
      { instantly_campaign_id: fromEmail, campaign_name: `Instantly campaign ${fromEmail}`, uses_email: true },
      { instantly_campaign_id: fromHook, campaign_name: "EU agencies", uses_email: true },
    ]);
    expect((await eventsOf("unknown.campaign@orphan-example.com")).map((e) => [e.event_type, e.instantly_campaign_id])).toEqual([
      ["email_sent", fromEmail],
      ["lead_interested", fromHook],
    ]);
  });
});

describe("emails to events", () => {
  it("turns each email into exactly one event: type from ue_type, subject, body (text, else HTML without tags), id and raw JSON", async () => {
    const lead = "eve.events@events-example.com";
    const sent = sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" });
    const reply = replyEmail({
      id: emailId(),
      lead,
      at: "2025-10-21T16:40:02.000Z",
      name: "Eve Events",
      text: "Sounds good, send pricing.",
    });
    const auto = replyEmail({
      id: emailId(),
      lead,
      at: "2025-10-22T09:00:00.000Z",
      autoReply: true,
      text: "I am out of office until Monday.",
    });
    const manual = {
      ...sentEmail({ id: emailId(), lead, at: "2025-10-23T10:00:00.000Z", subject: "Re: pricing" }),
      ue_type: 3,
      step: null,
      body: { text: "Here it is." },
    };
    await storeEmails([sent, reply, auto, manual]);
    await normalize();
    const events = await eventsOf(lead);
    expect(events.map((e) => ({ ...e, id: undefined, campaign_lead_id: undefined }))).toEqual([
      {
        id: undefined,
        campaign_lead_id: undefined,
        event_source: "instantly",
        event_type: "email_sent",
        event_timestamp: at(sent.timestamp_email),
        email_subject: "Jane, quick question",
        email_body: expect.stringMatching(/^Hi Jane,\s+Quick question about\s+Northwind\s*\.$/),
        email_from: SENDER,
        email_to: lead,
        instantly_email_id: sent.id,
        raw_data: sent,
        instantly_campaign_id: CAMPAIGN,
      },
      {
        id: undefined,
        campaign_lead_id: undefined,
        event_source: "instantly",
        event_type: "email_replied",
        event_timestamp: at(reply.timestamp_email),
        email_subject: "Re: Jane, quick question",
        email_body: "Sounds good, send pricing.",
        email_from: lead,
        email_to: SENDER,
        instantly_email_id: reply.id,
        raw_data: reply,
        instantly_campaign_id: CAMPAIGN,
      },
      expect.objectContaining({
        event_type: "auto_reply_received",
        instantly_email_id: auto.id,
        email_body: "I am out of office until Monday.",
        raw_data: auto,
      }),
      expect.objectContaining({
        event_type: "manual_email_sent",
        instantly_email_id: manual.id,
        email_body: "Here it is.",
        raw_data: manual,
      }),
    ]);
    const { rows } = await db.pool.query("select count(*)::int as n from events where instantly_email_id = any($1)", [
      [sent.id, reply.id, auto.id, manual.id],
    ]);
    expect(rows[0].n).toBe(4);
    // Every event is on the lead's membership of the campaign.
    const member = await membership(lead);
    expect(events.every((e) => e.campaign_lead_id === member.id)).toBe(true);
  });

  it("records a scheduled email (ue_type 4) and an email without a lead address as rejects with a reason, not events", async () => {
    const scheduled = { ...sentEmail({ id: emailId(), lead: "sched@rejects-example.com", at: "2025-10-25T14:00:00.000Z" }), ue_type: 4 };
    const noLead = { ...sentEmail({ id: emailId(), lead: "x", at: "2025-10-21T14:04:20.000Z" }), lead: null, to_address_email_list: "" };
    await storeEmails([scheduled, noLead]);
    const counts = await normalize();
    expect(counts.rejected).toBe(2);
    expect(await rejects("email", scheduled.id)).toEqual([
      { stage: "normalize", reason: expect.stringMatching(/scheduled/i), raw_json: scheduled },
    ]);
    expect(await rejects("email", noLead.id)).toEqual([{ stage: "normalize", reason: expect.stringMatching(/lead/i), raw_json: noLead }]);
    const { rows } = await db.pool.query("select count(*)::int as n from events where instantly_email_id = any($1)", [
      [scheduled.id, noLead.id],
    ]);
    expect(rows[0].n).toBe(0);
    expect(await leadsWithEmail("sched@rejects-example.com")).toEqual([]);
    expect(await pending()).toEqual([]);
  });

  it("turns a scheduled email into an event once Instantly has sent it, and forgets its reject", async () => {
    const id = emailId();
    const lead = "later.sent@rejects-example.com";
    await storeEmails([{ ...sentEmail({ id, lead, at: "2025-10-25T14:00:00.000Z" }), ue_type: 4 }]);
    await normalize();
    expect(await rejects("email", id)).toHaveLength(1);
    await storeEmails([sentEmail({ id, lead, at: "2025-10-25T14:00:05.000Z" })]);
    await normalize();
    expect(await rejects("email", id)).toEqual([]);
    expect((await eventsOf(lead)).map((e) => [e.event_type, e.instantly_email_id])).toEqual([["email_sent", id]]);
  });

  it("finds the lead of an email without the `lead` field: the sender of a reply, the first recipient of a send", async () => {
    const reply = replyEmail({
      id: emailId(),
      lead: "no.lead.field@fallback-example.com",
      at: "2025-10-21T16:40:02.000Z",
      withLeadField: false,
    });
    const sent = {
      ...sentEmail({ id: emailId(), lead: "first.to@fallback-example.com", at: "2025-10-21T14:04:20.000Z" }),
      lead: undefined,
      to_address_email_list: "First.To@fallback-example.com,cc.someone@fallback-example.com",
    };
    await storeEmails([reply, sent]);
    await normalize();
    expect((await eventsOf("no.lead.field@fallback-example.com")).map((e) => e.instantly_email_id)).toEqual([reply.id]);
    expect((await eventsOf("first.to@fallback-example.com")).map((e) => e.instantly_email_id)).toEqual([sent.id]);
  });
});

describe("leads and companies", () => {
  it("links emails to one lead by lower-cased address, named from the leads sync, at the company of its website", async () => {
    const lead = instantlyLead("0199c1aa-0b7e-7d31-8e55-3f0a9c2d1e77", "Jane.Doe@Northwind-Example.com");
    await storeLeads([lead]);
    await storeEmails([
      sentEmail({ id: emailId(), lead: "Jane.Doe@Northwind-Example.com", at: "2025-10-21T14:04:20.000Z" }),
      replyEmail({ id: emailId(), lead: "JANE.DOE@NORTHWIND-EXAMPLE.COM", at: "2025-10-21T16:40:02.000Z" }),
    ]);
    await deliver(hook("email_opened", { lead: "jane.DOE@northwind-example.com", at: "2025-10-21T15:10:02.004Z" }));
    await normalize();
    expect(await leadsWithEmail("jane.doe@northwind-example.com")).toEqual([
      {
        id: expect.any(String),
        email: "jane.doe@northwind-example.com",
        first_name: "Jane",
        last_name: "Doe",
        job_title: "CEO",
        phone: "+15555550100",
        lead_source: "instantly",
        company_domain: "northwind-example.com",
        company_name: "Northwind",
      },
    ]);
    expect((await eventsOf("jane.doe@northwind-example.com")).map((e) => e.event_type)).toEqual([
      "email_sent",
      "email_opened",
      "email_replied",
    ]);
    const { rows } = await db.pool.query(
      "select count(*)::int as n from campaign_leads cl join leads l on l.id = cl.lead_id where l.email = 'jane.doe@northwind-example.com'",
    );
    expect(rows[0].n).toBe(1);
  });

  it("names a person the leads sync does not know from the reply's from_address_json, with the company of the email's domain", async () => {
    const reply = replyEmail({
      id: emailId(),
      lead: "ola.nordmann@fjord-example.no",
      at: "2025-10-21T16:40:02.000Z",
      name: "Ola Nordmann",
    });
    await storeEmails([reply]);
    await normalize();
    expect(await leadsWithEmail("ola.nordmann@fjord-example.no")).toEqual([
      expect.objectContaining({ first_name: "Ola", last_name: "Nordmann", lead_source: "instantly", company_domain: "fjord-example.no" }),
    ]);
  });

  it("gives a free-mail address no company", async () => {
    await storeEmails([replyEmail({ id: emailId(), lead: "sam.free@gmail.com", at: "2025-10-21T16:40:02.000Z", name: "Sam Free" })]);
    await normalize();
    expect(await leadsWithEmail("sam.free@gmail.com")).toEqual([
      expect.objectContaining({ first_name: "Sam", last_name: "Free", company_domain: null }),
    ]);
    const { rows } = await db.pool.query("select count(*)::int as n from companies where company_domain = 'gmail.com'");
    expect(rows[0].n).toBe(0);
  });

  it("reuses a lead from a CSV import: never a second lead, its lead_source and names kept, empty fields filled", async () => {
    const { rows: company } = await db.pool.query(
      "insert into companies (company_name, company_domain) values ('Corpão Ltda', 'corpao-example.com.br') returning id",
    );
    await db.pool.query(
      `insert into leads (email, first_name, last_name, lead_source, company_id) values ('ana@corpao-example.com.br', 'Ana', 'Souza', 'csv', $1)`,
      [company[0].id],
    );
    const before = (await db.pool.query("select count(*)::int as n from leads")).rows[0].n;
    await storeLeads([
      instantlyLead("0199c1aa-0b7e-7d31-8e55-0000000a0a0a", "ANA@corpao-example.com.br", {
        first_name: "Ana Paula",
        last_name: "S.",
        company_name: "Corpao",
        website: "https://corpao-example.com.br",
        phone: "+55 11 99999-0000",
        payload: { jobTitle: "CMO" },
      }),
    ]);
    await storeEmails([sentEmail({ id: emailId(), lead: "Ana@Corpao-Example.com.br", at: "2025-10-21T14:04:20.000Z" })]);
    await deliver(hook("reply_received", { lead: "ana@corpao-example.com.br", at: "2025-10-21T18:00:00.000Z", reply_text: "Sim!" }));
    await normalize();
    expect((await db.pool.query("select count(*)::int as n from leads")).rows[0].n).toBe(before);
    expect(await leadsWithEmail("ana@corpao-example.com.br")).toEqual([
      {
        id: expect.any(String),
        email: "ana@corpao-example.com.br",
        first_name: "Ana",
        last_name: "Souza",
        job_title: "CMO",
        phone: "+55 11 99999-0000",
        lead_source: "csv",
        company_domain: "corpao-example.com.br",
        company_name: "Corpão Ltda",
      },
    ]);
    expect((await eventsOf("ana@corpao-example.com.br")).map((e) => e.event_type)).toEqual(["email_sent", "email_replied"]);
    expect(await membership("ana@corpao-example.com.br")).toMatchObject({ email_status: "replied" });
  });

  it("enrols leads from the leads sync in their campaign once, even when listed again", async () => {
    const lead = instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000e001", "enrolled@enrol-example.com", {
      first_name: "En",
      last_name: "Rolled",
    });
    await storeLeads([lead]);
    await normalize();
    await storeLeads([{ ...lead, timestamp_updated: "2025-10-23T08:00:00.000Z" }]);
    await normalize();
    expect(await membership("enrolled@enrol-example.com")).toMatchObject({
      email_status: "pending",
      overall_status: "active",
      sequence_step: null,
    });
    expect(await leadsWithEmail("enrolled@enrol-example.com")).toEqual([
      expect.objectContaining({ first_name: "En", last_name: "Rolled", lead_source: "instantly", company_domain: "northwind-example.com" }),
    ]);
  });

  it("rejects an Instantly lead without a usable email address, with a reason, and goes on with the others", async () => {
    const noEmail = instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000bad1", "", {
      email: null,
      first_name: null,
      last_name: null,
      payload: {},
    });
    const badEmail = instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000bad2", "not-an-email", { first_name: "Bad", last_name: "Address" });
    const good = instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000bad3", "good.one@bad-leads-example.com", {
      first_name: "Good",
      last_name: "One",
    });
    const leadsBefore = (await db.pool.query("select count(*)::int as n from leads")).rows[0].n;
    await storeLeads([noEmail, badEmail, good]);
    await normalize();
    expect(await pending()).toEqual([]);
    expect(await rejects("lead", noEmail.id)).toEqual([{ stage: "normalize", reason: expect.stringMatching(/email/i), raw_json: noEmail }]);
    expect(await rejects("lead", badEmail.id)).toEqual([
      { stage: "normalize", reason: expect.stringMatching(/email/i), raw_json: badEmail },
    ]);
    expect(await leadsWithEmail("good.one@bad-leads-example.com")).toHaveLength(1);
    // Storing the rejected ones again makes no lead either (no email-less duplicates).
    await storeLeads([
      { ...noEmail, status: 2 },
      { ...badEmail, status: 2 },
    ]);
    await normalize();
    expect((await db.pool.query("select count(*)::int as n from leads")).rows[0].n).toBe(leadsBefore + 1);
  });
});

describe("the campaign_leads workflow", () => {
  it("moves pending -> sent -> opened -> clicked -> replied, never backwards; first send and first reply times", async () => {
    const lead = "wanda.flow@flow-example.com";
    const firstSend = sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" });
    await storeLeads([
      instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000f001", lead, {
        first_name: "Wanda",
        last_name: "Flow",
        website: "https://flow-example.com",
      }),
    ]);
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "pending", overall_status: "active", email_sent_at: null });

    await storeEmails([firstSend]);
    await normalize();
    expect(await membership(lead)).toMatchObject({
      email_status: "sent",
      overall_status: "active",
      email_sent_at: at(firstSend.timestamp_email),
      sequence_step: 1,
    });

    await deliver(hook("email_opened", { lead, at: "2025-10-21T15:00:00.000Z", step: 1, variant: 1 }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "opened", email_opened_at: at("2025-10-21T15:00:00.000Z") });

    await deliver(hook("link_clicked", { lead, at: "2025-10-21T15:10:02.004Z", step: 1, variant: 1, is_first: true }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "clicked", overall_status: "active" });

    const reply = replyEmail({ id: emailId(), lead, at: "2025-10-22T16:40:02.000Z", name: "Wanda Flow" });
    await storeEmails([reply]);
    await normalize();
    expect(await membership(lead)).toMatchObject({
      email_status: "replied",
      overall_status: "replied",
      email_sent_at: at(firstSend.timestamp_email),
      email_replied_at: at(reply.timestamp_email),
      next_followup_at: null,
    });

    // Late arrivals: an open after the reply, an older send, a second reply.
    await deliver(hook("email_opened", { lead, at: "2025-10-23T09:00:00.000Z", step: 1, variant: 1 }));
    await storeEmails([
      sentEmail({ id: emailId(), lead, at: "2025-10-20T09:00:00.000Z" }),
      replyEmail({ id: emailId(), lead, at: "2025-10-24T10:00:00.000Z", text: "Also, next week works." }),
    ]);
    await normalize();
    expect(await membership(lead)).toMatchObject({
      email_status: "replied",
      overall_status: "replied",
      email_sent_at: at("2025-10-20T09:00:00.000Z"),
      email_replied_at: at(reply.timestamp_email),
    });
  });

  it("a late email_sent arriving alone after the reply does not move replied back to sent", async () => {
    const lead = "late.send@flow-example.com";
    await storeEmails([
      sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" }),
      replyEmail({ id: emailId(), lead, at: "2025-10-22T16:40:02.000Z" }),
    ]);
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "replied", overall_status: "replied" });
    // The webhook of the first send, without email_id and long after it: a second sent event.
    await deliver(hook("email_sent", { lead, at: "2025-10-21T10:00:00.000Z", step: 1, variant: 1 }));
    await normalize();
    expect(await membership(lead)).toMatchObject({
      email_status: "replied",
      overall_status: "replied",
      email_sent_at: at("2025-10-21T10:00:00.000Z"),
    });
  });

  it("never moves backwards when Instantly's own view goes back (a reply re-filed as auto reply, a bounce lifted)", async () => {
    const lead = "refiled@flow-example.com";
    const reply = replyEmail({ id: emailId(), lead, at: "2025-10-22T16:40:02.000Z" });
    await storeEmails([sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" }), reply]);
    await normalize();
    expect(await membership(lead)).toMatchObject({
      email_status: "replied",
      overall_status: "replied",
      email_replied_at: at(reply.timestamp_email),
    });
    await storeEmails([{ ...reply, is_auto_reply: 1 }]);
    await normalize();
    expect((await eventsOf(lead)).map((e) => e.event_type)).toEqual(["email_sent", "auto_reply_received"]);
    expect(await membership(lead)).toMatchObject({
      email_status: "replied",
      overall_status: "replied",
      email_replied_at: at(reply.timestamp_email),
    });

    const bounced = instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000f201", "lifted@flow-example.com", { status: -1 });
    await storeLeads([bounced]);
    await normalize();
    expect(await membership("lifted@flow-example.com")).toMatchObject({ email_status: "bounced", overall_status: "bounced" });
    await storeLeads([{ ...bounced, status: 1 }]);
    await storeEmails([sentEmail({ id: emailId(), lead: "lifted@flow-example.com", at: "2025-10-25T14:04:20.000Z" })]);
    await normalize();
    expect(await membership("lifted@flow-example.com")).toMatchObject({ email_status: "bounced", overall_status: "bounced" });
  });

  it("does not count an auto reply as a reply", async () => {
    const lead = "ooo@flow-example.com";
    const sent = sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" });
    await storeEmails([sent, replyEmail({ id: emailId(), lead, at: "2025-10-21T14:05:00.000Z", autoReply: true, text: "Out of office." })]);
    await deliver(hook("auto_reply_received", { lead, at: "2025-10-21T14:05:03.000Z", reply_text: "Out of office." }));
    await normalize();
    expect(await membership(lead)).toMatchObject({
      email_status: "sent",
      overall_status: "active",
      email_replied_at: null,
      next_followup_at: plusDays(sent.timestamp_email, 3),
    });
  });

  it("takes sequence_step from GET /emails' 0-based step and the webhooks' 1-based one; plans the follow-up after each step's delay", async () => {
    const lead = "steps@flow-example.com";
    const step1 = sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z", step: "0_0_0" });
    await storeEmails([step1]);
    await normalize();
    expect(await membership(lead)).toMatchObject({ sequence_step: 1, next_followup_at: plusDays(step1.timestamp_email, 3) });

    const step2 = sentEmail({ id: emailId(), lead, at: "2025-10-24T14:00:00.000Z", step: "0_1_0", subject: "following up" });
    await storeEmails([step2]);
    await normalize();
    expect(await membership(lead)).toMatchObject({ sequence_step: 2, next_followup_at: plusDays(step2.timestamp_email, 2) });

    // The last step, announced by a webhook (1-based): no step follows.
    await deliver(
      hook("email_sent", { lead, at: "2025-10-26T14:00:00.000Z", step: 3, variant: 1, email_id: emailId(), email_subject: "last one" }),
    );
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "sent", sequence_step: 3, next_followup_at: null });
  });

  it("webhook step numbers are 1-based: step 2 is the second step", async () => {
    const lead = "hook.steps@flow-example.com";
    await deliver(hook("email_sent", { lead, at: "2025-10-24T14:00:00.000Z", step: 2, variant: 1, email_id: emailId() }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ sequence_step: 2, next_followup_at: plusDays("2025-10-24T14:00:00.000Z", 2) });
  });

  it("plans no follow-up for a lead that is no longer active", async () => {
    const lead = "bounced@flow-example.com";
    await storeEmails([sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" })]);
    await deliver(hook("email_bounced", { lead, at: "2025-10-21T14:05:11.300Z", step: 1, variant: 1 }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "bounced", overall_status: "bounced", next_followup_at: null });
  });

  it("ends at unsubscribed after a bounce and stays there", async () => {
    const lead = "unsub@flow-example.com";
    await storeEmails([sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" })]);
    await deliver(hook("email_bounced", { lead, at: "2025-10-21T14:05:11.300Z" }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "bounced", overall_status: "bounced" });
    await deliver(hook("lead_unsubscribed", { lead, at: "2025-10-22T09:00:00.000Z" }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "unsubscribed", overall_status: "unsubscribed", next_followup_at: null });
    await deliver(hook("email_opened", { lead, at: "2025-10-23T09:00:00.000Z" }));
    await storeEmails([sentEmail({ id: emailId(), lead, at: "2025-10-24T14:00:00.000Z", step: "0_1_0" })]);
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "unsubscribed", overall_status: "unsubscribed", next_followup_at: null });
  });

  it("completes a lead that finished the sequence without answering: campaign_completed, or lead status 3", async () => {
    const lead = "finished@flow-example.com";
    await storeEmails([sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" })]);
    await normalize();
    expect(await membership(lead)).toMatchObject({ overall_status: "active", next_followup_at: plusDays("2025-10-21T14:04:20.000Z", 3) });
    await deliver(hook("campaign_completed", { lead, at: "2025-10-30T09:00:00.000Z" }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ email_status: "sent", overall_status: "completed", next_followup_at: null });
    await storeLeads([instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000f103", "lead.completed@flow-example.com", { status: 3 })]);
    await normalize();
    expect(await membership("lead.completed@flow-example.com")).toMatchObject({ overall_status: "completed" });
  });

  it("a reply after completion still counts: completed -> replied", async () => {
    const lead = "late.reply@flow-example.com";
    await storeEmails([sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" })]);
    await deliver(hook("campaign_completed", { lead, at: "2025-10-30T09:00:00.000Z" }));
    await normalize();
    await storeEmails([replyEmail({ id: emailId(), lead, at: "2025-11-02T09:00:00.000Z" })]);
    await normalize();
    expect(await membership(lead)).toMatchObject({
      email_status: "replied",
      overall_status: "replied",
      email_replied_at: at("2025-11-02T09:00:00.000Z"),
    });
  });

  it("follows the lead status of the leads sync: bounced (-1), unsubscribed (-2)", async () => {
    await storeLeads([
      instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000f101", "lead.bounced@flow-example.com", { status: -1 }),
      instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000f102", "lead.unsub@flow-example.com", { status: -2 }),
    ]);
    await normalize();
    expect(await membership("lead.bounced@flow-example.com")).toMatchObject({ email_status: "bounced", overall_status: "bounced" });
    expect(await membership("lead.unsub@flow-example.com")).toMatchObject({ email_status: "unsubscribed", overall_status: "unsubscribed" });
  });

  it("maps the interest codes of a reply's i_status: 1, -1, 2, 3, 4, -2, -3", async () => {
    const codes: Array<[number, string]> = [
      [1, "interested"],
      [-1, "not_interested"],
      [2, "meeting_booked"],
      [3, "meeting_booked"],
      [4, "converted"],
      [-2, "disqualified"],
      [-3, "not_interested"],
    ];
    const lead = (code: number) => `istatus${code < 0 ? "m" : "p"}${Math.abs(code)}@interest-example.com`;
    await storeEmails(
      codes.map(([code]) => replyEmail({ id: emailId(), lead: lead(code), at: "2025-10-21T16:40:02.000Z", iStatus: code })),
    );
    await normalize();
    const statuses: Record<string, string> = {};
    for (const [code] of codes) statuses[code] = (await membership(lead(code))).overall_status;
    expect(statuses).toEqual(Object.fromEntries(codes.map(([code, status]) => [code, status])));
  });

  it("maps the lead_* webhook events and keeps the status for out of office and custom labels", async () => {
    const events: Array<[string, string]> = [
      ["lead_interested", "interested"],
      ["lead_not_interested", "not_interested"],
      ["lead_meeting_booked", "meeting_booked"],
      ["lead_meeting_completed", "meeting_booked"],
      ["lead_closed", "converted"],
      ["lead_wrong_person", "disqualified"],
      ["lead_out_of_office", "active"],
      ["Follow up in Q3", "active"],
    ];
    const lead = (type: string) => `${type.toLowerCase().replace(/[^a-z]+/g, ".")}@hook-interest-example.com`;
    for (const [type] of events) await deliver(hook(type, { lead: lead(type), at: "2025-10-22T09:00:00.000Z" }));
    await normalize();
    const statuses: Record<string, string> = {};
    for (const [type] of events) statuses[type] = (await membership(lead(type))).overall_status;
    expect(statuses).toEqual(Object.fromEntries(events));
  });

  it("takes the latest interest signal from replies, lead_* events and the leads sync's lt_interest_status", async () => {
    const lead = "latest.signal@interest-example.com";
    await storeEmails([
      sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" }),
      replyEmail({ id: emailId(), lead, at: "2025-10-21T16:40:02.000Z", iStatus: 1 }),
    ]);
    await normalize();
    expect(await membership(lead)).toMatchObject({ overall_status: "interested", email_status: "replied" });

    await deliver(hook("lead_meeting_booked", { lead, at: "2025-10-22T09:00:00.000Z" }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ overall_status: "meeting_booked" });

    await storeLeads([
      instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000a001", lead, {
        lt_interest_status: 4,
        timestamp_last_interest_change: "2025-10-25T12:00:00.000Z",
      }),
    ]);
    await normalize();
    expect(await membership(lead)).toMatchObject({ overall_status: "converted" });

    // An older signal arriving late changes nothing; a newer one wins.
    await deliver(hook("lead_not_interested", { lead, at: "2025-10-23T09:00:00.000Z" }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ overall_status: "converted" });
    await deliver(hook("lead_wrong_person", { lead, at: "2025-10-27T09:00:00.000Z" }));
    await normalize();
    expect(await membership(lead)).toMatchObject({ overall_status: "disqualified", email_status: "replied" });
  });

  it("sets a lead's interest from lt_interest_status alone", async () => {
    await storeLeads([
      instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000a002", "lt.only@interest-example.com", {
        lt_interest_status: 2,
        timestamp_last_interest_change: "2025-10-25T12:00:00.000Z",
      }),
    ]);
    await normalize();
    expect(await membership("lt.only@interest-example.com")).toMatchObject({ overall_status: "meeting_booked", email_status: "pending" });
  });
});

describe("webhook events", () => {
  it("keeps Instantly's event types as delivered, except link clicks and replies; custom labels as they come", async () => {
    const lead = "types@hooks-example.com";
    const deliveries = [
      hook("email_sent", {
        lead,
        at: "2025-10-21T14:04:20.549Z",
        step: 1,
        variant: 1,
        is_first: true,
        email_id: emailId(),
        email_subject: "Jane, quick question",
        email_text: "Hi Jane, ...",
        email_html: "<div>Hi Jane, ...</div>",
      }),
      hook("email_opened", { lead, at: "2025-10-21T15:00:00.000Z", step: 1, variant: 1 }),
      hook("link_clicked", { lead, at: "2025-10-21T15:10:02.004Z", step: 1, variant: 1, is_first: true }),
      hook("email_link_clicked", { lead, at: "2025-10-21T15:20:00.000Z", step: 1, variant: 1 }),
      hook("reply_received", {
        lead,
        at: "2025-10-21T16:40:02.000Z",
        step: 1,
        variant: 1,
        email_id: emailId(),
        reply_subject: "Re: Jane, quick question",
        reply_text_snippet: "Sounds interesting",
        reply_text: "Sounds interesting, can you send pricing?",
        reply_html: "<div>Sounds interesting, can you send pricing?</div>",
        unibox_url: "https://app.instantly.ai/app/unibox?thread_search=thread:x",
      }),
      hook("auto_reply_received", { lead, at: "2025-10-21T16:41:00.000Z", email_id: emailId(), reply_text: "Out of office." }),
      hook("lead_interested", { lead, at: "2025-10-22T09:00:00.000Z" }),
      hook("Follow up in Q3", { lead, at: "2025-10-22T09:30:00.000Z" }),
      hook("lead_meeting_booked", { lead, at: "2025-10-23T09:00:00.000Z" }),
      hook("email_bounced", { lead, at: "2025-10-24T09:00:00.000Z" }),
      hook("lead_unsubscribed", { lead, at: "2025-10-25T09:00:00.000Z" }),
      hook("campaign_completed", { lead, at: "2025-10-26T09:00:00.000Z" }),
    ];
    for (const payload of deliveries) await deliver(payload);
    await normalize();
    const events = await eventsOf(lead);
    expect(events.map((e) => e.event_type)).toEqual([
      "email_sent",
      "email_opened",
      "link_clicked",
      "link_clicked",
      "email_replied",
      "auto_reply_received",
      "lead_interested",
      "Follow up in Q3",
      "lead_meeting_booked",
      "email_bounced",
      "lead_unsubscribed",
      "campaign_completed",
    ]);
    expect(events.every((e) => e.event_source === "instantly" && e.instantly_campaign_id === CAMPAIGN)).toBe(true);
    expect(events.map((e) => e.raw_data)).toEqual(deliveries);
    const reply = events[4];
    expect(reply).toMatchObject({
      email_subject: "Re: Jane, quick question",
      email_body: "Sounds interesting, can you send pricing?",
      email_from: lead,
      instantly_email_id: deliveries[4]!.email_id,
      event_timestamp: at("2025-10-21T16:40:02.000Z"),
    });
    expect(events[0]).toMatchObject({
      email_subject: "Jane, quick question",
      email_body: "Hi Jane, ...",
      instantly_email_id: deliveries[0]!.email_id,
    });
    // Opens and clicks are not the email itself: they carry no email id.
    expect(events.filter((e) => e.instantly_email_id !== null).map((e) => e.event_type)).toEqual([
      "email_sent",
      "email_replied",
      "auto_reply_received",
    ]);
    expect(await leadsWithEmail(lead)).toEqual([expect.objectContaining({ lead_source: "instantly", first_name: null })]);
  });

  it("names the lead from the lead data merged into the payload, and names a company first seen without a name", async () => {
    await deliver(hook("email_opened", { lead: "first.seen@named-later-example.com", at: "2025-10-21T15:00:00.000Z" }));
    await normalize();
    expect(await leadsWithEmail("first.seen@named-later-example.com")).toEqual([
      expect.objectContaining({ company_domain: "named-later-example.com", company_name: "named-later-example.com" }),
    ]);
    await deliver(
      hook("reply_received", {
        lead: "merged@named-later-example.com",
        at: "2025-10-21T16:40:02.000Z",
        firstName: "Mer",
        lastName: "Ged",
        companyName: "Named Later Co",
        jobTitle: "CTO",
        email_id: emailId(),
        reply_text: "Yes",
      }),
    );
    await normalize();
    expect(await leadsWithEmail("merged@named-later-example.com")).toEqual([
      expect.objectContaining({
        first_name: "Mer",
        last_name: "Ged",
        job_title: "CTO",
        company_domain: "named-later-example.com",
        company_name: "Named Later Co",
      }),
    ]);
    const { rows } = await db.pool.query("select count(*)::int as n from companies where company_domain = 'named-later-example.com'");
    expect(rows[0].n).toBe(1);
    // A real name is never replaced by a later one.
    await deliver(
      hook("reply_received", {
        lead: "third@named-later-example.com",
        at: "2025-10-21T16:41:02.000Z",
        companyName: "Other Name",
        email_id: emailId(),
      }),
    );
    await normalize();
    expect(await leadsWithEmail("third@named-later-example.com")).toEqual([expect.objectContaining({ company_name: "Named Later Co" })]);
  });

  it("records account_error and payloads without a lead or event type as rejects with the reason", async () => {
    const accountError = {
      timestamp: "2025-10-21T14:00:00.000Z",
      event_type: "account_error",
      workspace: WORKSPACE,
      email_account: SENDER,
      error_message: "SMTP authentication failed",
    };
    const noLead = hook("email_opened", { at: "2025-10-21T15:00:00.000Z" });
    const noType = { timestamp: "2025-10-21T15:00:00.000Z", workspace: WORKSPACE, lead_email: "no.type@hooks-example.com" };
    const ids = [await deliver(accountError), await deliver(noLead), await deliver(noType)].map((r) => r.id);
    const eventsBefore = (await db.pool.query("select count(*)::int as n from events")).rows[0].n;
    const counts = await normalize();
    expect(counts).toMatchObject({ webhooks: 3, rejected: 3 });
    expect(await rejects("webhook", ids[0]!)).toEqual([
      { stage: "normalize", reason: expect.stringMatching(/account/i), raw_json: accountError },
    ]);
    expect(await rejects("webhook", ids[1]!)).toEqual([{ stage: "normalize", reason: expect.stringMatching(/lead/i), raw_json: noLead }]);
    expect(await rejects("webhook", ids[2]!)).toEqual([
      { stage: "normalize", reason: expect.stringMatching(/event_type/i), raw_json: noType },
    ]);
    expect((await db.pool.query("select count(*)::int as n from events")).rows[0].n).toBe(eventsBefore);
    expect(await leadsWithEmail("no.type@hooks-example.com")).toEqual([]);
  });

  it("counts repeated deliveries of one event on one raw row and makes one event", async () => {
    const lead = "dupes@hooks-example.com";
    const opened = hook("email_opened", { lead, at: "2025-10-21T15:00:00.000Z", step: 1, variant: 1 });
    const first = await deliver(opened);
    await normalize();
    const again = await deliver(opened);
    // Same event, differently ordered keys and address case: still the same delivery.
    const third = await deliver({ ...Object.fromEntries(Object.entries(opened).reverse()), lead_email: lead.toUpperCase() });
    await normalize();
    expect(first.deliveries).toBe(1);
    expect([again, third]).toEqual([
      { id: first.id, deliveries: 2 },
      { id: first.id, deliveries: 3 },
    ]);
    const { rows } = await db.pool.query(
      "select count(*)::int as n, max(deliveries) as deliveries from instantly_webhooks_raw where lead_email = $1",
      [lead],
    );
    expect(rows[0]).toEqual({ n: 1, deliveries: 3 });
    expect((await eventsOf(lead)).map((e) => e.event_type)).toEqual(["email_opened"]);
    // A different timestamp is a different open.
    await deliver({ ...opened, timestamp: "2025-10-22T08:00:00.000Z" });
    await normalize();
    expect((await eventsOf(lead)).map((e) => e.event_type)).toEqual(["email_opened", "email_opened"]);
  });
});

describe("one event per email from the webhook and the sync", () => {
  it("webhook first with email_id, then the sync: one event, the sync's version", async () => {
    const lead = "hook.first@same-email-example.com";
    const id = emailId();
    await deliver(
      hook("reply_received", {
        lead,
        at: "2025-10-15T21:49:49.188Z",
        email_id: id,
        reply_text_snippet: "Sounds interesting",
        reply_subject: "Re: Jane, quick question",
      }),
    );
    await normalize();
    expect((await eventsOf(lead)).map((e) => [e.event_type, e.instantly_email_id])).toEqual([["email_replied", id]]);
    const eventId = (await eventsOf(lead))[0].id;
    const synced = replyEmail({ id, lead, at: "2025-10-15T21:49:41.000Z", text: "Sounds interesting, can you send pricing?" });
    await storeEmails([synced]);
    await normalize();
    expect(await eventsOf(lead)).toEqual([
      expect.objectContaining({
        id: eventId,
        event_type: "email_replied",
        instantly_email_id: id,
        raw_data: synced,
        email_body: "Sounds interesting, can you send pricing?",
      }),
    ]);
  });

  it("webhook first without email_id, then the sync: one event, matched by lead, campaign and type within 5 minutes", async () => {
    const lead = "no.id.first@same-email-example.com";
    await deliver(hook("email_sent", { lead, at: "2025-10-21T14:04:20.549Z", step: 1, variant: 1, email_subject: "Jane, quick question" }));
    await deliver(hook("reply_received", { lead, at: "2025-10-21T16:40:30.000Z", reply_text: "Sounds interesting" }));
    await normalize();
    const before = await eventsOf(lead);
    expect(before.map((e) => [e.event_type, e.instantly_email_id])).toEqual([
      ["email_sent", null],
      ["email_replied", null],
    ]);
    const sent = sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:18.000Z" });
    const reply = replyEmail({ id: emailId(), lead, at: "2025-10-21T16:40:02.000Z" });
    await storeEmails([sent, reply]);
    await normalize();
    const after = await eventsOf(lead);
    expect(after.map((e) => [e.id, e.event_type, e.instantly_email_id, e.event_timestamp])).toEqual([
      [before[0].id, "email_sent", sent.id, at(sent.timestamp_email)],
      [before[1].id, "email_replied", reply.id, at(reply.timestamp_email)],
    ]);
  });

  it("does not merge emails of the same type more than 5 minutes apart, or of another campaign", async () => {
    const lead = "far.apart@same-email-example.com";
    const other = "0199eeee-0000-7000-8000-000000000001";
    await deliver(hook("email_sent", { lead, at: "2025-10-21T14:04:20.549Z", step: 1 }));
    await storeEmails([
      sentEmail({ id: emailId(), lead, at: "2025-10-21T14:10:00.000Z", step: "0_0_0" }),
      sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:21.000Z", campaign: other }),
    ]);
    await normalize();
    expect((await eventsOf(lead)).map((e) => [e.event_type, e.instantly_campaign_id, e.instantly_email_id === null])).toEqual([
      ["email_sent", CAMPAIGN, true],
      ["email_sent", other, false],
      ["email_sent", CAMPAIGN, false],
    ]);
  });

  it("two quick replies announced without email_id, then synced one at a time: each email adopts one event", async () => {
    const lead = "two.replies@same-email-example.com";
    // Both deliveries reach one normaliser run (one batch): two events without an id.
    await deliver(hook("reply_received", { lead, at: "2025-10-21T16:40:10.000Z", reply_text: "Yes, interested." }));
    await deliver(hook("reply_received", { lead, at: "2025-10-21T16:42:10.000Z", reply_text: "Also: Tuesday works." }));
    await normalize();
    expect((await eventsOf(lead)).map((e) => [e.event_type, e.instantly_email_id])).toEqual([
      ["email_replied", null],
      ["email_replied", null],
    ]);
    // The sync has fetched only the first reply so far: it is the nearest email to both events.
    const first = replyEmail({ id: emailId(), lead, at: "2025-10-21T16:40:02.000Z", text: "Yes, interested." });
    await storeEmails([first]);
    await normalize();
    expect(await pending()).toEqual([]);
    expect((await eventsOf(lead)).map((e) => e.instantly_email_id)).toEqual([first.id, null]);
    const second = replyEmail({ id: emailId(), lead, at: "2025-10-21T16:42:01.000Z", text: "Also: Tuesday works." });
    await storeEmails([second]);
    await normalize();
    expect((await eventsOf(lead)).map((e) => [e.instantly_email_id, e.email_body])).toEqual([
      [first.id, "Yes, interested."],
      [second.id, "Also: Tuesday works."],
    ]);
  });

  it("the sync first, then the webhook with and without email_id: still one event per email", async () => {
    const lead = "sync.first@same-email-example.com";
    const sent = sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:18.000Z" });
    const reply = replyEmail({ id: emailId(), lead, at: "2025-10-21T16:40:02.000Z" });
    await storeEmails([sent, reply]);
    await normalize();
    const before = await eventsOf(lead);
    await deliver(hook("email_sent", { lead, at: "2025-10-21T14:04:20.549Z", step: 1, variant: 1, email_id: sent.id }));
    await deliver(hook("reply_received", { lead, at: "2025-10-21T16:40:30.000Z", reply_text: "Sounds interesting" }));
    await normalize();
    const after = await eventsOf(lead);
    expect(after).toEqual(before);
    expect(after.map((e) => e.raw_data)).toEqual([sent, reply]);
  });

  it("the webhook and the sync in the same run: one event per email", async () => {
    const lead = "same.run@same-email-example.com";
    const sent = sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:18.000Z" });
    const reply = replyEmail({ id: emailId(), lead, at: "2025-10-21T16:40:02.000Z" });
    await deliver(hook("email_sent", { lead, at: "2025-10-21T14:04:20.549Z", email_id: sent.id }));
    await deliver(hook("reply_received", { lead, at: "2025-10-21T16:40:30.000Z" }));
    await storeEmails([sent, reply]);
    await normalize();
    expect((await eventsOf(lead)).map((e) => [e.event_type, e.instantly_email_id])).toEqual([
      ["email_sent", sent.id],
      ["email_replied", reply.id],
    ]);
  });
});

// ---------------------------------------------------------------------------

/** Everything the normaliser writes, by natural keys (no generated ids or write times). */
async function snapshot(pool: pg.Pool, options: { ids?: boolean; campaignWrites?: boolean } = {}) {
  const id = (column: string) => (options.ids ? `${column} as row_id,` : "");
  const { rows } = await pool.query(`
    select
      (select json_agg(x order by x.instantly_campaign_id) from (
         select ${id("id")} ${options.ids && options.campaignWrites !== false ? "updated_at," : ""} instantly_campaign_id, campaign_name, instantly_campaign_name, uses_email, campaign_status,
                daily_send_limit, timezone, email_subject_template from campaigns where instantly_campaign_id is not null) x) as campaigns,
      (select json_agg(x order by x.company_domain) from (
         select ${id("id")} ${options.ids ? "updated_at," : ""} company_domain, company_name from companies) x) as companies,
      (select json_agg(x order by x.email) from (
         select ${id("l.id")} ${options.ids ? "l.updated_at," : ""} l.email, l.first_name, l.last_name, l.job_title, l.phone, l.lead_source, c.company_domain
           from leads l left join companies c on c.id = l.company_id) x) as leads,
      (select json_agg(x order by x.email, x.instantly_campaign_id) from (
         select ${id("cl.id")} ${options.ids ? "cl.updated_at," : ""} l.email, c.instantly_campaign_id, cl.email_status, cl.overall_status, cl.email_sent_at,
                cl.email_opened_at, cl.email_replied_at, cl.sequence_step, cl.next_followup_at
           from campaign_leads cl join leads l on l.id = cl.lead_id join campaigns c on c.id = cl.campaign_id) x) as memberships,
      (select json_agg(x order by x.email, x.event_timestamp, x.event_type, x.instantly_email_id) from (
         select ${id("e.id")} l.email, c.instantly_campaign_id, e.event_source, e.event_type, e.event_timestamp, e.email_subject,
                e.email_body, e.email_from, e.email_to, e.instantly_email_id, e.raw_data, cl.id is not null as on_membership
           from events e join leads l on l.id = e.lead_id left join campaigns c on c.id = e.campaign_id
           left join campaign_leads cl on cl.id = e.campaign_lead_id) x) as events,
      (select json_agg(x order by x.resource, x.raw_json::text) from (
         select resource, reason, raw_json from instantly_rejects where stage = 'normalize') x) as rejects
  `);
  return rows[0];
}

describe("idempotency", () => {
  it("running the normaliser again changes nothing", async () => {
    const before = await snapshot(db.pool, { ids: true });
    expect(before.events.length).toBeGreaterThan(60);
    expect(await normalize()).toEqual({ campaigns: 0, leads: 0, emails: 0, webhooks: 0, rejected: 0 });
    expect(await snapshot(db.pool, { ids: true })).toEqual(before);
  });

  it("normalising every raw row again (all re-queued) changes no row: no duplicate event, lead or company", async () => {
    // (A re-normalised campaign is rewritten with the same values: its updated_at moves; nothing else may.)
    const before = await snapshot(db.pool, { ids: true, campaignWrites: false });
    await db.pool.query(`
      insert into leadgraph_private.instantly_pending (resource, source_id)
      select 'campaign', instantly_campaign_id from instantly_campaigns_raw
      union all select 'lead', instantly_lead_id from instantly_leads_raw
      union all select 'email', instantly_email_id from instantly_emails_raw`);
    const counts = await normalize({ batchSize: 7 });
    expect(counts.emails).toBeGreaterThan(40);
    expect(await snapshot(db.pool, { ids: true, campaignWrites: false })).toEqual(before);
  });

  it("an email stored again with a new i_status updates its event in place and the lead's status", async () => {
    const lead = "restored@idempotent-example.com";
    const reply = replyEmail({ id: emailId(), lead, at: "2025-10-21T16:40:02.000Z" });
    await storeEmails([sentEmail({ id: emailId(), lead, at: "2025-10-21T14:04:20.000Z" }), reply]);
    await normalize();
    const [, before] = await eventsOf(lead);
    const leadsBefore = (await db.pool.query("select count(*)::int as n from leads")).rows[0].n;
    expect(await membership(lead)).toMatchObject({ overall_status: "replied" });

    const relabelled = { ...reply, i_status: 1, is_unread: 0 };
    await storeEmails([relabelled]);
    await normalize();
    const events = await eventsOf(lead);
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ ...before, raw_data: relabelled });
    expect(await membership(lead)).toMatchObject({ overall_status: "interested", email_status: "replied" });
    expect((await db.pool.query("select count(*)::int as n from leads")).rows[0].n).toBe(leadsBefore);
  });

  it("small batches (batchSize 2) give the same result as one big batch", async () => {
    const big = await createTestDatabase();
    const small = await createTestDatabase();
    const fixture = async (pool: pg.Pool) => {
      const other = "0199ffff-0000-7000-8000-000000000002";
      await storeCampaign(instantlyCampaign(CAMPAIGN), analytics(CAMPAIGN), pool);
      await storeCampaign(instantlyCampaign(other, { name: "EU agencies", status: 2 }), null, pool);
      await storeLeads(
        [
          instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000b001", "Jane.Doe@Northwind-Example.com"),
          instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000b002", "jane.doe@northwind-example.com", {
            campaign: other,
            lt_interest_status: 1,
            timestamp_last_interest_change: "2025-10-22T00:00:00.000Z",
          }),
          instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000b003", "tom.berg@northwind-example.com", {
            first_name: "Tom",
            last_name: "Berg",
            payload: { jobTitle: "VP Sales" },
          }),
          instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000b004", "ana@corpao-example.com.br", {
            first_name: "Ana",
            last_name: "Souza",
            company_name: "Corpão",
            website: "https://www.corpao-example.com.br/",
            status: -1,
          }),
          instantlyLead("0199c1aa-0b7e-7d31-8e55-00000000b005", "", { email: null }),
        ],
        pool,
      );
      const ids = Array.from({ length: 12 }, (_, i) => `019a0000-0000-7000-8000-${String(i).padStart(12, "0")}`);
      await storeEmails(
        [
          sentEmail({ id: ids[0]!, lead: "jane.doe@northwind-example.com", at: "2025-10-21T14:04:20.000Z" }),
          sentEmail({ id: ids[1]!, lead: "JANE.DOE@northwind-example.com", at: "2025-10-24T14:04:20.000Z", step: "0_1_0" }),
          replyEmail({ id: ids[2]!, lead: "Jane.Doe@Northwind-Example.com", at: "2025-10-24T16:00:00.000Z", iStatus: 2 }),
          sentEmail({ id: ids[3]!, lead: "tom.berg@northwind-example.com", at: "2025-10-21T14:05:20.000Z" }),
          replyEmail({ id: ids[4]!, lead: "tom.berg@northwind-example.com", at: "2025-10-21T14:06:00.000Z", autoReply: true }),
          sentEmail({ id: ids[5]!, lead: "ana@corpao-example.com.br", at: "2025-10-21T14:06:20.000Z" }),
          replyEmail({ id: ids[6]!, lead: "sam.free@gmail.com", at: "2025-10-22T10:00:00.000Z", name: "Sam Free" }),
          { ...sentEmail({ id: ids[7]!, lead: "sched@northwind-example.com", at: "2025-10-28T14:00:00.000Z" }), ue_type: 4 },
          sentEmail({ id: ids[8]!, lead: "jane.doe@northwind-example.com", at: "2025-10-21T14:04:20.000Z", campaign: other }),
          sentEmail({ id: ids[9]!, lead: "ola@fjord-example.no", at: "2025-10-21T14:07:20.000Z" }),
        ],
        pool,
      );
      for (const payload of [
        hook("email_sent", { lead: "ola@fjord-example.no", at: "2025-10-21T14:07:21.000Z", step: 1 }),
        hook("email_opened", { lead: "ola@fjord-example.no", at: "2025-10-21T15:00:00.000Z" }),
        hook("link_clicked", { lead: "ola@fjord-example.no", at: "2025-10-21T15:01:00.000Z" }),
        hook("reply_received", { lead: "jane.doe@northwind-example.com", at: "2025-10-24T16:00:10.000Z", email_id: ids[2] }),
        hook("lead_meeting_booked", { lead: "jane.doe@northwind-example.com", at: "2025-10-25T09:00:00.000Z" }),
        hook("email_bounced", { lead: "tom.berg@northwind-example.com", at: "2025-10-21T14:05:30.000Z" }),
        hook("Follow up in Q3", { lead: "sam.free@gmail.com", at: "2025-10-23T09:00:00.000Z", campaign_name: "US SaaS founders 11-50 " }),
        hook("email_opened", { at: "2025-10-21T15:00:00.000Z" }),
        hook("reply_received", {
          lead: "new.person@fresh-example.com",
          at: "2025-10-25T09:00:00.000Z",
          firstName: "New",
          lastName: "Person",
          companyName: "Fresh",
          email_id: ids[10],
        }),
      ]) {
        await deliver(payload, pool);
      }
    };
    await fixture(big.pool);
    await fixture(small.pool);
    await normalize({ pool: big.pool });
    await normalize({ pool: small.pool, batchSize: 2 });
    const expected = await snapshot(big.pool);
    expect(expected.events.length).toBeGreaterThanOrEqual(15);
    expect(await snapshot(small.pool)).toEqual(expected);
    expect(await pending(small.pool)).toEqual([]);
  });
});

describe("a drain's last step", () => {
  it("is done by the next drain when a job dies after its batches: the workflow and leads.last_event_at", async () => {
    const lead = "dies.late@late-example.com";
    await storeEmails([sentEmail({ id: emailId(), lead, at: "2025-10-02T10:00:00.000Z" })]);
    // The job dies once its batches have committed, before the drain's last step.
    const client = await db.pool.connect();
    const dying = new Proxy(client, {
      get(target, key, receiver) {
        if (key !== "query") return Reflect.get(target, key, receiver);
        return (text: unknown, ...rest: unknown[]) => {
          if (typeof text === "string" && text.includes("leadgraph_private.instantly_workflow_stale w")) {
            return Promise.reject(new Error("killed"));
          }
          return (target.query as (...args: unknown[]) => unknown).call(target, text, ...rest);
        };
      },
    });
    try {
      await expect(normalizeInstantly(dying)).rejects.toThrow("killed");
    } finally {
      client.release();
    }
    expect(await eventsOf(lead)).toHaveLength(1);
    expect(await membership(lead)).toMatchObject({ email_status: "pending", email_sent_at: null });
    const { rows: waiting } = await db.pool.query("select what from leadgraph_private.instantly_left_to_normalize order by what");
    expect(waiting).toEqual([{ what: "lead last_event_at" }, { what: "membership workflow" }]);

    // The retry finds no raw row queued, and still finishes.
    await normalize();
    expect(await membership(lead)).toMatchObject({
      email_status: "sent",
      email_sent_at: new Date("2025-10-02T10:00:00.000Z"),
      sequence_step: 1,
    });
    const { rows } = await db.pool.query("select last_event_at from leads where email = $1", [lead]);
    expect(rows).toEqual([{ last_event_at: new Date("2025-10-02T10:00:00.000Z") }]);
    expect((await db.pool.query("select * from leadgraph_private.instantly_left_to_normalize")).rows).toEqual([]);
  });
});

describe("a row that cannot be normalised", () => {
  it("is set aside with the error, and the rest of its batch is normalised", async () => {
    // A step number beyond PostgreSQL's integer: the batch fails, then goes row by row.
    const broken = sentEmail({
      id: emailId(),
      lead: "overflow.person@overflow-example.com",
      at: "2025-10-01T10:00:00.000Z",
      step: "0_99999999999_0",
    });
    const fine = [1, 2, 3].map((i) =>
      sentEmail({ id: emailId(), lead: `fine.person${i}@overflow-example.com`, at: `2025-10-0${i}T10:00:00.000Z` }),
    );
    await storeEmails([fine[0]!, broken, fine[1]!, fine[2]!]);
    const counts = await normalize({ batchSize: 10 });
    expect(counts.rejected).toBeGreaterThanOrEqual(1);
    const { rows: rejects } = await db.pool.query("select reason, raw_json from instantly_rejects where source_id = $1", [broken.id]);
    expect(rejects).toHaveLength(1);
    expect(rejects[0].reason).toMatch(/^could not be normalised: .*out of range/);
    expect(rejects[0].raw_json.id).toBe(broken.id);
    for (const email of fine) {
      const { rows } = await db.pool.query("select 1 from events where instantly_email_id = $1", [email.id]);
      expect(rows, email.id).toHaveLength(1);
    }
    const { rows: pending } = await db.pool.query("select count(*)::int as n from leadgraph_private.instantly_pending");
    expect(pending[0].n).toBe(0);
  });
});
