// The Instantly normaliser on data shaped like real workspaces, where the
// first version went wrong: leads paged after their emails, person fields only
// in the lead's `payload` in the user's casing, webhook variables in the
// user's casing with string steps, HTML-only bodies, replies quoting our
// email, IDN domains, and addresses that differ only in the case of a
// non-ASCII letter. Real tables, the real triggers that queue raw rows, the
// real normaliser.
import { Readable } from "node:stream";
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { normalizeImport } from "../../src/sources/csv/normalize/index.ts";
import { uploadCsv } from "../../src/sources/csv/upload.ts";
import { normalizeInstantly, type NormalizeCounts } from "../../src/sources/instantly/normalize/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

const WORKSPACE = "c0ffee00-1111-4222-8333-444455556666";
const SENDER = "alex@getacme-mail.com";
const CAMPAIGN = "8f1d2c3a-6b7e-4c21-9d0a-2b5e7f9a1c44";

let db: TestDatabase;

// ---------------------------------------------------------------------------
// Fixtures shaped like real API objects (values synthetic).

function campaign(id: string) {
  return {
    id,
    name: "US SaaS founders 11-50 ",
    status: 1,
    campaign_schedule: {
      schedules: [{ name: "New schedule", timing: { from: "08:00", to: "17:00" }, days: { "1": true }, timezone: "Europe/Berlin" }],
      start_date: "",
      end_date: "",
    },
    timestamp_created: "2025-09-12T10:02:21.146Z",
    timestamp_updated: "2025-10-30T01:09:44.198Z",
    // Real steps often have no delay_unit.
    sequences: [
      {
        steps: [
          { type: "email", delay: 3, variants: [{ subject: "{{firstName}}, quick question", body: "<div>Hi {{firstName}},</div>" }] },
          { type: "email", delay: 2, variants: [{ subject: "", body: "<div>Bumping this.</div>" }] },
        ],
      },
    ],
    email_list: [SENDER],
    organization: WORKSPACE,
  };
}

/**
 * A lead as POST /leads/list really returns it: the person's fields only in
 * `payload` (the custom variables, in whatever casing the user's upload had),
 * null fields left out, company_domain derived from the address.
 */
function realLead(id: string, email: string, payload: Record<string, string>, overrides: Record<string, unknown> = {}) {
  return {
    id,
    timestamp_created: "2025-10-20T10:09:54.426Z",
    timestamp_updated: "2025-10-22T08:00:03.100Z",
    organization: WORKSPACE,
    campaign: CAMPAIGN,
    status: 1,
    email,
    company_domain: email.split("@")[1],
    email_open_count: 0,
    email_reply_count: 0,
    email_click_count: 0,
    payload,
    status_summary: {},
    verification_status: 1,
    upload_method: "manual",
    esp_code: 1,
    esg_code: 0,
    ...overrides,
  };
}

/** A campaign email we sent: outbound campaign emails carry only HTML. */
function sentEmail(o: { id: string; lead: string; at: string; html?: string; step?: string }) {
  return {
    id: o.id,
    timestamp_created: o.at,
    timestamp_email: o.at,
    message_id: `<${o.id}@getacme-mail.com>`,
    subject: "Quick question",
    to_address_email_list: o.lead,
    body: { html: o.html ?? "<div>Hi there,</div><div>Quick question about your outbound.</div>" },
    organization_id: WORKSPACE,
    eaccount: SENDER,
    from_address_email: SENDER,
    campaign_id: CAMPAIGN,
    lead: o.lead,
    ue_type: 1,
    step: o.step ?? "0_0_0",
    is_unread: 0,
    thread_id: "8a-Q2vT9LmX0bKc4RyVFLe5dLE",
  };
}

/** A reply we received; `text` and/or `html` as given (real replies carry both, the text with the quote). */
function replyEmail(o: { id: string; lead: string; at: string; name?: string; text?: string; html?: string }) {
  return {
    id: o.id,
    timestamp_created: o.at,
    timestamp_email: o.at,
    message_id: `<CA${o.id}@mail.gmail.com>`,
    subject: "Re: Quick question",
    to_address_email_list: SENDER,
    body: { ...(o.text === undefined ? {} : { text: o.text }), ...(o.html === undefined ? {} : { html: o.html }) },
    organization_id: WORKSPACE,
    eaccount: SENDER,
    from_address_email: o.lead,
    ...(o.name ? { from_address_json: [{ name: o.name, address: o.lead }] } : {}),
    campaign_id: CAMPAIGN,
    lead: o.lead,
    ue_type: 2,
    step: "0_0_0",
    is_unread: 1,
    is_auto_reply: 0,
    thread_id: "8a-Q2vT9LmX0bKc4RyVFLe5dLE",
  };
}

function hook(event_type: string, o: { lead: string; at: string; [key: string]: unknown }): Record<string, unknown> {
  const { lead, at, ...rest } = o;
  return {
    timestamp: at,
    event_type,
    workspace: WORKSPACE,
    campaign_id: CAMPAIGN,
    campaign_name: "US SaaS founders 11-50 ",
    lead_email: lead,
    email: lead,
    email_account: SENDER,
    ...rest,
  };
}

let sequence = 0;
function emailId(): string {
  sequence += 1;
  return `019a1b2c-3d4e-7f50-8a61-${sequence.toString(16).padStart(12, "0")}`;
}

// ---------------------------------------------------------------------------
// Storing raw rows the way the sync and the webhook endpoint do.

async function storeCampaign(pool: pg.Pool, c: { id: string; name: string; status: number }) {
  await pool.query(
    `insert into instantly_campaigns_raw as t (instantly_campaign_id, campaign_name, campaign_status, raw_json)
     values ($1, $2, $3, $4)
     on conflict (instantly_campaign_id) do update set raw_json = excluded.raw_json where t.raw_json is distinct from excluded.raw_json`,
    [c.id, c.name, c.status, { campaign: c, analytics: null }],
  );
}

async function storeLeads(pool: pg.Pool, leads: Array<Record<string, unknown>>) {
  await pool.query(
    `insert into instantly_leads_raw as t (instantly_lead_id, instantly_campaign_id, email, raw_json)
     select x ->> 'id', x ->> 'campaign', leadgraph_rules.normalize_email(x ->> 'email'), x from jsonb_array_elements($1::jsonb) x
     on conflict (instantly_lead_id) do update set instantly_campaign_id = excluded.instantly_campaign_id,
       email = excluded.email, raw_json = excluded.raw_json
     where t.raw_json is distinct from excluded.raw_json`,
    [JSON.stringify(leads)],
  );
}

async function storeEmails(pool: pg.Pool, emails: Array<Record<string, unknown>>) {
  await pool.query(
    `insert into instantly_emails_raw as t (instantly_email_id, instantly_campaign_id, email_address, raw_json)
     select x ->> 'id', x ->> 'campaign_id', leadgraph_rules.normalize_email(x ->> 'lead'), x from jsonb_array_elements($1::jsonb) x
     on conflict (instantly_email_id) do update set raw_json = excluded.raw_json
     where t.raw_json is distinct from excluded.raw_json`,
    [JSON.stringify(emails)],
  );
}

async function deliver(pool: pg.Pool, payload: unknown) {
  await pool.query("select * from receive_instantly_webhook($1::jsonb)", [JSON.stringify(payload)]);
}

async function normalize(pool: pg.Pool, batchSize?: number): Promise<NormalizeCounts> {
  const client = await pool.connect();
  try {
    return await normalizeInstantly(client, { batchSize });
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------------------
// Reading the results.

async function leadOf(email: string, pool: pg.Pool = db.pool) {
  const { rows } = await pool.query(
    `select l.email, l.first_name, l.last_name, l.job_title, l.phone, l.linkedin_url, l.lead_source,
            c.company_domain, c.company_name
       from leads l left join companies c on c.id = l.company_id
      where l.email = leadgraph_rules.normalize_email($1)`,
    [email],
  );
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

async function eventsOf(email: string, pool: pg.Pool = db.pool) {
  const { rows } = await pool.query(
    `select e.event_type, e.email_body, e.email_quoted_text, e.instantly_email_id
       from events e join leads l on l.id = e.lead_id
      where l.email = leadgraph_rules.normalize_email($1) order by e.event_timestamp, e.event_type`,
    [email],
  );
  return rows;
}

/** The bodies of a lead's events, oldest first. */
async function bodiesOf(email: string) {
  const { rows } = await db.pool.query(
    `select e.event_type, e.email_body from events e join leads l on l.id = e.lead_id
      where l.email = leadgraph_rules.normalize_email($1) order by e.event_timestamp, e.event_type`,
    [email],
  );
  return rows.map((r) => [r.event_type, r.email_body]);
}

async function searchEvents(words: string, email: string) {
  const { rows } = await db.pool.query(
    `select s.event_type from search_events($1) s join leads l on l.id = s.lead_id
      where l.email = leadgraph_rules.normalize_email($2) order by s.event_timestamp`,
    [words, email],
  );
  return rows.map((r) => r.event_type);
}

/** Everything the normaliser writes, by natural keys. */
async function snapshot(pool: pg.Pool) {
  const { rows } = await pool.query(`
    select
      (select json_agg(x order by x.company_domain) from (
         select company_domain, company_name from companies) x) as companies,
      (select json_agg(x order by x.email) from (
         select l.email, l.first_name, l.last_name, l.job_title, l.phone, l.linkedin_url, l.lead_source, c.company_domain
           from leads l left join companies c on c.id = l.company_id) x) as leads,
      (select json_agg(x order by x.email) from (
         select l.email, cl.email_status, cl.overall_status, cl.email_sent_at, cl.email_replied_at, cl.sequence_step,
                cl.next_followup_at
           from campaign_leads cl join leads l on l.id = cl.lead_id join campaigns c on c.id = cl.campaign_id
          where c.instantly_campaign_id is not null) x) as memberships,
      (select json_agg(x order by x.email, x.event_timestamp, x.event_type) from (
         select l.email, e.event_type, e.event_timestamp, e.email_body, e.email_quoted_text, e.instantly_email_id
           from events e join leads l on l.id = e.lead_id) x) as events
  `);
  return rows[0];
}

beforeAll(async () => {
  db = await createTestDatabase();
  await storeCampaign(db.pool, campaign(CAMPAIGN));
  await normalize(db.pool);
});

// ---------------------------------------------------------------------------

describe("a workspace whose leads are paged after their emails", () => {
  // Six people: emailed or not, a website on another domain than the address,
  // a reply signed with a shorter name than the lead record's, free mail, an IDN domain.
  const leads = [
    realLead("0199c1aa-0b7e-7d31-8e55-0000000f0001", "jane.doe@northwind-example.com", {
      firstName: "Jane",
      lastName: "Doe",
      companyName: "Northwind",
      jobTitle: "CEO",
      linkedIn: "http://www.linkedin.com/in/jane-doe-example",
    }),
    realLead("0199c1aa-0b7e-7d31-8e55-0000000f0002", "tom.berg@northwind-example.com", {
      First_name: "Tom",
      Last_name: "Berg",
      Company_name: "Northwind",
      Job_title: "VP Sales",
    }),
    realLead("0199c1aa-0b7e-7d31-8e55-0000000f0003", "ola@fjord-mail-example.no", {
      firstName: "Ola",
      lastName: "Nordmann",
      companyName: "Fjord AS",
      website: "https://www.fjord-example.no/",
    }),
    realLead("0199c1aa-0b7e-7d31-8e55-0000000f0004", "sam.free@gmail.com", { firstName: "Sam", companyName: "Sam Consulting" }),
    realLead("0199c1aa-0b7e-7d31-8e55-0000000f0005", "lena@lena-example.de", { firstName: "Lena", companyName: "Lena GmbH" }),
    realLead("0199c1aa-0b7e-7d31-8e55-0000000f0006", "jürgen@müller-beispiel.de", {
      firstName: "Jürgen",
      companyName: "Müller GmbH",
      website: "https://www.müller-beispiel.de/",
    }),
  ];
  const ids = Array.from({ length: 8 }, (_, i) => `019a0000-0000-7000-8000-0000000f${String(i).padStart(4, "0")}`);
  const emails = [
    sentEmail({ id: ids[0]!, lead: "jane.doe@northwind-example.com", at: "2025-10-21T14:04:20.000Z" }),
    replyEmail({ id: ids[1]!, lead: "jane.doe@northwind-example.com", at: "2025-10-21T16:40:02.000Z", name: "Jane Doe", text: "Yes." }),
    sentEmail({ id: ids[2]!, lead: "tom.berg@northwind-example.com", at: "2025-10-21T14:05:20.000Z" }),
    sentEmail({ id: ids[3]!, lead: "ola@fjord-mail-example.no", at: "2025-10-21T14:06:20.000Z" }),
    replyEmail({ id: ids[4]!, lead: "ola@fjord-mail-example.no", at: "2025-10-21T18:00:00.000Z", name: "Ola N.", text: "Not now." }),
    sentEmail({ id: ids[5]!, lead: "sam.free@gmail.com", at: "2025-10-21T14:07:20.000Z" }),
    sentEmail({ id: ids[6]!, lead: "jürgen@müller-beispiel.de", at: "2025-10-21T14:08:20.000Z" }),
  ];

  async function workspace(order: "leads first" | "emails first" | "together", batchSize?: number) {
    const { pool } = await createTestDatabase();
    await storeCampaign(pool, campaign(CAMPAIGN));
    if (order === "together") {
      await storeLeads(pool, leads);
      await storeEmails(pool, emails);
    } else {
      await (order === "leads first" ? storeLeads(pool, leads) : storeEmails(pool, emails));
      await normalize(pool, batchSize);
      await (order === "leads first" ? storeEmails(pool, emails) : storeLeads(pool, leads));
    }
    await normalize(pool, batchSize);
    return pool;
  }

  it("names companies from the leads' payload even when their emails came first", async () => {
    const pool = await workspace("emails first");
    const { rows: companies } = await pool.query("select company_domain, company_name from companies order by company_domain");
    expect(companies).toEqual([
      { company_domain: "fjord-example.no", company_name: "Fjord AS" },
      { company_domain: "lena-example.de", company_name: "Lena GmbH" },
      { company_domain: "müller-beispiel.de", company_name: "Müller GmbH" },
      { company_domain: "northwind-example.com", company_name: "Northwind" },
    ]);
    expect(await leadOf("ola@fjord-mail-example.no", pool)).toMatchObject({
      first_name: "Ola",
      last_name: "Nordmann",
      company_domain: "fjord-example.no",
      company_name: "Fjord AS",
    });
    expect(await leadOf("tom.berg@northwind-example.com", pool)).toMatchObject({
      first_name: "Tom",
      last_name: "Berg",
      job_title: "VP Sales",
      company_name: "Northwind",
    });
  });

  it("ends in the same state whichever comes first, in one run or two, in any batch size", async () => {
    const expected = await snapshot(await workspace("leads first"));
    expect(expected.leads).toHaveLength(6);
    expect(expected.events).toHaveLength(7);
    expect(await snapshot(await workspace("emails first"))).toEqual(expected);
    expect(await snapshot(await workspace("together"))).toEqual(expected);
    expect(await snapshot(await workspace("emails first", 2))).toEqual(expected);
  });

  it("a stand-in name (the domain) is replaced once a source names the company, and a real name stays", async () => {
    const domain = "stand-in-example.com";
    await storeEmails(db.pool, [sentEmail({ id: emailId(), lead: `first@${domain}`, at: "2025-10-21T14:04:20.000Z" })]);
    await normalize(db.pool);
    expect(await leadOf(`first@${domain}`)).toMatchObject({ company_domain: domain, company_name: domain });
    await storeLeads(db.pool, [realLead("0199c1aa-0b7e-7d31-8e55-0000000f0101", `first@${domain}`, { Company_name: "Stand In Ltd" })]);
    await normalize(db.pool);
    expect(await leadOf(`first@${domain}`)).toMatchObject({ company_domain: domain, company_name: "Stand In Ltd" });
    await storeLeads(db.pool, [realLead("0199c1aa-0b7e-7d31-8e55-0000000f0102", `second@${domain}`, { companyName: "Another Name" })]);
    await normalize(db.pool);
    expect(await leadOf(`second@${domain}`)).toMatchObject({ company_domain: domain, company_name: "Stand In Ltd" });
  });
});

describe("leads from POST /leads/list", () => {
  it("reads the person's fields from payload in the user's casing", async () => {
    await storeLeads(db.pool, [
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0201", "maria.garcia@iberia-example.es", {
        First_name: "María",
        Last_name: "García",
        Company_name: "Iberia Tech",
        JobTitle: "COO",
        LinkedIn: "https://es.linkedin.com/in/maria-garcia-example/",
        Website: "https://www.iberia-example.es",
        Phone: "+34 600 000 000",
      }),
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0202", "kai@kai-example.io", {
        firstname: "Kai",
        LASTNAME: "Sato",
        "company name": "Kai Labs",
        job_title: "Founder",
        linkedin_url: "linkedin.com/in/kai-sato-example",
        phone_number: "'+81 90 0000 0000",
      }),
    ]);
    await normalize(db.pool);
    expect(await leadOf("maria.garcia@iberia-example.es")).toEqual({
      email: "maria.garcia@iberia-example.es",
      first_name: "María",
      last_name: "García",
      job_title: "COO",
      phone: "+34 600 000 000",
      linkedin_url: "https://es.linkedin.com/in/maria-garcia-example/",
      lead_source: "instantly",
      company_domain: "iberia-example.es",
      company_name: "Iberia Tech",
    });
    expect(await leadOf("kai@kai-example.io")).toMatchObject({
      first_name: "Kai",
      last_name: "Sato",
      job_title: "Founder",
      phone: "+81 90 0000 0000",
      linkedin_url: "linkedin.com/in/kai-sato-example",
      company_name: "Kai Labs",
    });
  });

  it("takes the newest of a person's lead records (one per campaign), whatever batch each is normalised in", async () => {
    const other = "0199eeee-0000-7000-8000-0000000f0700";
    await storeCampaign(db.pool, { ...campaign(other), name: "EU data leaders" });
    const email = "dana@records-example.com";
    await storeLeads(db.pool, [realLead("0199c1aa-0b7e-7d31-8e55-0000000f0702", email, { firstName: "Dana", jobTitle: "Analyst" })]);
    await storeLeads(db.pool, [
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0701", email, { firstName: "Dana", jobTitle: "Head of Data" }, { campaign: other }),
    ]);
    await normalize(db.pool);
    expect(await leadOf(email)).toMatchObject({ first_name: "Dana", job_title: "Head of Data" });
    // Both records again, one per batch, the older one last.
    await db.pool.query(
      "insert into leadgraph_private.instantly_pending (resource, source_id) select 'lead', instantly_lead_id from instantly_leads_raw where email = $1",
      [email],
    );
    await normalize(db.pool, 1);
    expect(await leadOf(email)).toMatchObject({ first_name: "Dana", job_title: "Head of Data" });
  });

  it("names a person its lead record describes when an email comes for them and no lead is left (deleted in leadgraph)", async () => {
    const email = "back.again@records-example.com";
    await storeLeads(db.pool, [
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0801", email, { First_name: "Back", Last_name: "Again", Company_name: "Returns Inc" }),
    ]);
    await normalize(db.pool);
    await db.pool.query("delete from leads where email = $1", [email]);
    await storeEmails(db.pool, [sentEmail({ id: emailId(), lead: email, at: "2025-10-21T14:04:20.000Z" })]);
    await normalize(db.pool);
    expect(await leadOf(email)).toMatchObject({ first_name: "Back", last_name: "Again", company_name: "Returns Inc" });
  });

  it("gives a lead known only by its LinkedIn profile the email of the Instantly lead with that profile, however the URL is written", async () => {
    await db.pool.query(
      `insert into leads (first_name, last_name, linkedin_url, lead_source) values ('Priya', 'Shah', 'https://www.linkedin.com/in/Priya-Shah-Example/', 'csv')`,
    );
    await storeLeads(db.pool, [
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0301", "priya@shah-example.in", {
        firstName: "Priya",
        linkedIn: "http://in.linkedin.com/in/priya-shah-example?trk=public_profile",
      }),
    ]);
    await normalize(db.pool);
    const { rows } = await db.pool.query(
      "select email, lead_source from leads where leadgraph_rules.normalize_linkedin_url(linkedin_url) = 'linkedin.com/in/priya-shah-example'",
    );
    expect(rows).toEqual([{ email: "priya@shah-example.in", lead_source: "csv" }]);
  });
});

describe("webhook variables in the user's casing", () => {
  it("names the lead and its company from First_name / Company_name, with step and variant as strings", async () => {
    const lead = "wei.chen@casing-example.com";
    await deliver(
      db.pool,
      hook("email_sent", {
        lead,
        at: "2025-10-21T14:04:20.549Z",
        step: "2",
        variant: "1",
        email_id: emailId(),
        email_text: "Bumping this.",
      }),
    );
    await deliver(
      db.pool,
      hook("reply_received", {
        lead,
        at: "2025-10-21T16:40:02.000Z",
        step: "2",
        variant: "1",
        email_id: emailId(),
        reply_text: "Happy to talk.",
        First_name: "Wei",
        Last_name: "Chen",
        Company_name: "Casing Co",
        Job_Title: "CTO",
      }),
    );
    await normalize(db.pool);
    expect(await leadOf(lead)).toMatchObject({
      first_name: "Wei",
      last_name: "Chen",
      job_title: "CTO",
      company_domain: "casing-example.com",
      company_name: "Casing Co",
    });
    const { rows } = await db.pool.query(
      `select cl.email_status, cl.sequence_step from campaign_leads cl join leads l on l.id = cl.lead_id where l.email = $1`,
      [lead],
    );
    expect(rows).toEqual([{ email_status: "replied", sequence_step: 2 }]);
  });
});

describe("bodies", () => {
  it("turns an HTML-only body into readable text: entities decoded, no runs of spaces", async () => {
    const lead = "html.only@bodies-example.com";
    await storeEmails(db.pool, [
      sentEmail({
        id: emailId(),
        lead,
        at: "2025-10-21T14:04:20.000Z",
        html:
          "<div>Hi Jane,</div><div>We help teams like <b>Northwind</b> &amp; co&nbsp;&mdash; it&#39;s   quick.</div>" +
          '<div><br></div><div>Alex<img src="https://track.example/open.gif" width="1"></div>',
      }),
    ]);
    await normalize(db.pool);
    expect(await bodiesOf(lead)).toEqual([["email_sent", "Hi Jane,\nWe help teams like Northwind & co — it's quick.\n\nAlex"]]);
  });

  it("keeps a reply's own words searchable and the quoted original apart", async () => {
    const lead = "quoting@bodies-example.com";
    const sent = sentEmail({
      id: emailId(),
      lead,
      at: "2025-10-21T14:04:20.000Z",
      html: "<div>Hi Quinn,</div><div>Would a pilot of our churn dashboard help?</div>",
    });
    const reply = replyEmail({
      id: emailId(),
      lead,
      at: "2025-10-21T16:40:02.000Z",
      text:
        "Sounds interesting, can you send pricing?\n\n" +
        "On Oct 21, 2025 at 2:04 PM, Alex Rivera (\nalex@getacme-mail.com) wrote:\n" +
        "> Hi Quinn,\n> Would a pilot of our churn dashboard help?\n",
      html: '<div>Sounds interesting, can you send pricing?</div><blockquote type="cite">Hi Quinn, ...</blockquote>',
    });
    await storeEmails(db.pool, [sent, reply]);
    await normalize(db.pool);
    expect(await eventsOf(lead)).toEqual([
      expect.objectContaining({ event_type: "email_sent", email_quoted_text: null }),
      {
        event_type: "email_replied",
        email_body: "Sounds interesting, can you send pricing?",
        email_quoted_text: expect.stringMatching(/^On Oct 21, 2025 .* wrote:\n> Hi Quinn,\n> Would a pilot of our churn dashboard help\?$/),
        instantly_email_id: reply.id,
      },
    ]);
    expect(await searchEvents("churn dashboard", lead)).toEqual(["email_sent"]);
    expect(await searchEvents("pricing", lead)).toEqual(["email_replied"]);
  });

  it("splits a reply that has only HTML (Gmail's quote block) the same way", async () => {
    const lead = "gmail.html@bodies-example.com";
    await storeEmails(db.pool, [
      replyEmail({
        id: emailId(),
        lead,
        at: "2025-10-21T16:40:02.000Z",
        html:
          '<div dir="ltr">Let&#39;s talk on Tuesday.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">' +
          'On Tue, Oct 21, 2025 at 2:04 PM Alex Rivera &lt;<a href="mailto:alex@getacme-mail.com">alex@getacme-mail.com</a>&gt; wrote:<br></div>' +
          '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Hi,<br>Would a pilot of our churn dashboard help?</blockquote></div>',
      }),
    ]);
    await normalize(db.pool);
    const [event] = await eventsOf(lead);
    expect(event.email_body).toBe("Let's talk on Tuesday.");
    expect(event.email_quoted_text).toMatch(/wrote:\s+> Hi,\n> Would a pilot of our churn dashboard help\?$/);
    expect(await searchEvents("churn dashboard", lead)).toEqual([]);
  });

  it("splits Outlook's reply (a line of underscores, then From: / Sent:), keeping the signature with the reply", async () => {
    const lead = "outlook@bodies-example.com";
    await storeEmails(db.pool, [
      replyEmail({
        id: emailId(),
        lead,
        at: "2025-10-21T16:40:02.000Z",
        text:
          "Sounds good, send the deck.\n\nBest regards,\nOlga Berg\n\n________________________________\n" +
          "From: Alex Rivera <alex@getacme-mail.com>\nSent: Tuesday, October 21, 2025 2:04 PM\nTo: Olga Berg <outlook@bodies-example.com>\n" +
          "Subject: Quick question\n\nHi Olga,\nWould a pilot of our churn dashboard help?\n",
      }),
    ]);
    await normalize(db.pool);
    const [event] = await eventsOf(lead);
    expect(event.email_body).toBe("Sounds good, send the deck.\n\nBest regards,\nOlga Berg");
    expect(event.email_quoted_text).toMatch(
      /^From: Alex Rivera <alex@getacme-mail.com>\nSent: .*\n\nHi Olga,\nWould a pilot of our churn dashboard help\?$/s,
    );
    expect(await searchEvents("churn dashboard", lead)).toEqual([]);
  });

  it("does the same for webhook events: reply_text split, email_html converted", async () => {
    const lead = "hook.bodies@bodies-example.com";
    await deliver(
      db.pool,
      hook("email_sent", { lead, at: "2025-10-21T14:04:20.549Z", step: 1, email_id: emailId(), email_html: "<p>Hi &amp; welcome</p>" }),
    );
    await deliver(
      db.pool,
      hook("reply_received", {
        lead,
        at: "2025-10-21T16:40:30.000Z",
        email_id: emailId(),
        reply_text: "Count me in.\n\nOn Oct 21, 2025 at 2:04 PM, Alex Rivera (\nalex@getacme-mail.com) wrote:\n> Hi & welcome\n",
      }),
    );
    await normalize(db.pool);
    expect(await bodiesOf(lead)).toEqual([
      ["email_sent", "Hi & welcome"],
      ["email_replied", "Count me in."],
    ]);
    expect((await eventsOf(lead)).map((e) => e.email_quoted_text)).toEqual([null, expect.stringMatching(/wrote:\n> Hi & welcome$/)]);
  });
});

describe("IDN domains", () => {
  it("accepts addresses and websites on internationalised domains", async () => {
    await storeLeads(db.pool, [
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0401", "info@bücher-beispiel.de", {
        firstName: "Björn",
        companyName: "Bücher Beispiel",
      }),
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0402", "kenji@例え-example.jp", { firstName: "Kenji", website: "https://例え-example.jp" }),
    ]);
    await storeEmails(db.pool, [sentEmail({ id: emailId(), lead: "ИВАН@пример-example.рф", at: "2025-10-21T14:04:20.000Z" })]);
    await normalize(db.pool);
    expect(await leadOf("info@bücher-beispiel.de")).toMatchObject({
      company_domain: "bücher-beispiel.de",
      company_name: "Bücher Beispiel",
    });
    expect(await leadOf("kenji@例え-example.jp")).toMatchObject({ company_domain: "例え-example.jp" });
    expect(await leadOf("иван@пример-example.рф")).toMatchObject({ company_domain: "пример-example.рф" });
  });
});

describe("addresses that differ only in the case of a non-ASCII letter", () => {
  it("are one lead: emails to ŁUKASZ, a lead łukasz, Zoë / ZOË / a decomposed zoë", async () => {
    await storeLeads(db.pool, [
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0501", "łukasz.x@polska-example.pl", { firstName: "Łukasz" }),
      realLead("0199c1aa-0b7e-7d31-8e55-0000000f0502", "Zoë.Ünal@zoe-example.fr", { firstName: "Zoë" }),
    ]);
    await storeEmails(db.pool, [
      sentEmail({ id: emailId(), lead: "ŁUKASZ.X@polska-example.pl", at: "2025-10-21T14:04:20.000Z" }),
      replyEmail({ id: emailId(), lead: "Łukasz.X@Polska-Example.pl", at: "2025-10-21T16:40:02.000Z", text: "Tak." }),
      sentEmail({ id: emailId(), lead: "ZOË.ÜNAL@zoe-example.fr", at: "2025-10-21T14:05:20.000Z" }),
    ]);
    await deliver(db.pool, hook("email_opened", { lead: "zoe\u0308.u\u0308nal@zoe-example.fr", at: "2025-10-21T15:00:00.000Z" }));
    await normalize(db.pool);
    const { rows } = await db.pool.query(
      `select l.email, l.first_name, count(e.id)::int as events from leads l left join events e on e.lead_id = l.id
        where l.email like '%@polska-example.pl' or l.email like '%@zoe-example.fr' group by l.id order by l.email`,
    );
    expect(rows).toEqual([
      { email: "zoë.ünal@zoe-example.fr", first_name: "Zoë", events: 2 },
      { email: "łukasz.x@polska-example.pl", first_name: "Łukasz", events: 2 },
    ]);
  });

  it("a lead imported from a CSV gets the Instantly events of its address written in another case", async () => {
    const csv =
      "First Name,Last Name,Email,Company Name,Website\nÖzge,Şahin,özge.şahin@istanbul-example.com.tr,İstanbul Örnek,https://istanbul-example.com.tr\n";
    const { importId } = await uploadCsv(db.pool, Readable.from([Buffer.from(csv)]), { fileName: "apollo-contacts-export.csv" });
    const client = await db.pool.connect();
    try {
      await normalizeImport(client, importId);
    } finally {
      client.release();
    }
    await storeEmails(db.pool, [
      sentEmail({ id: emailId(), lead: "ÖZGE.ŞAHIN@ISTANBUL-EXAMPLE.COM.TR", at: "2025-10-21T14:04:20.000Z" }),
      replyEmail({ id: emailId(), lead: "Özge.Şahin@istanbul-example.com.tr", at: "2025-10-21T16:40:02.000Z", text: "Merhaba." }),
    ]);
    await normalize(db.pool);
    const { rows } = await db.pool.query(
      `select l.email, l.lead_source, l.first_name, c.company_name, array_agg(e.event_type order by e.event_timestamp) as events
         from leads l left join companies c on c.id = l.company_id left join events e on e.lead_id = l.id
        where l.email like '%@istanbul-example.com.tr' group by l.id, c.company_name`,
    );
    expect(rows).toEqual([
      {
        email: "özge.şahin@istanbul-example.com.tr",
        lead_source: "csv",
        first_name: "Özge",
        company_name: "İstanbul Örnek",
        events: ["email_sent", "email_replied"],
      },
    ]);
  });
});
