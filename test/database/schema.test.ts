// What the seed data model promises, checked on a real PostgreSQL.
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, rollback, type TestDatabase } from "../helpers/db.ts";

const DEFAULT_USER = "00000000-0000-0000-0000-000000000001";
const EXAMPLE_OFFER = "00000000-0000-0000-0000-000000000004";
const EXAMPLE_CAMPAIGN = "00000000-0000-0000-0000-000000000007";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});

async function one<T = Record<string, unknown>>(client: pg.PoolClient, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await client.query(sql, params);
  return rows[0] as T;
}

async function insertLead(client: pg.PoolClient, values: Record<string, unknown>): Promise<string> {
  const keys = Object.keys(values);
  const { id } = await one<{ id: string }>(
    client,
    `insert into leads (${keys.join(", ")}) values (${keys.map((_, i) => `$${i + 1}`).join(", ")}) returning id`,
    Object.values(values),
  );
  return id;
}

/** The SQLSTATE of the error `sql` fails with (in a savepoint, so the test's transaction goes on). */
async function errorCode(client: pg.PoolClient, sql: string, params: unknown[] = []): Promise<string | undefined> {
  await client.query("savepoint expect_error");
  try {
    await client.query(sql, params);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    await client.query("rollback to savepoint expect_error");
  }
}

describe("seed rows", () => {
  it("has the default user, the example offer and the example campaign promoting it", async () => {
    const { rows } = await db.pool.query(
      `select u.email, o.offer_name, c.campaign_name, c.created_by
         from campaigns c join offers o on o.id = c.offer_id join users u on u.id = o.created_by
        where c.id = $1`,
      [EXAMPLE_CAMPAIGN],
    );
    expect(rows).toEqual([
      {
        email: "owner@leadgraph.local",
        offer_name: "AI Automation Services",
        campaign_name: "AI Automation Outreach (example)",
        created_by: DEFAULT_USER,
      },
    ]);
  });
});

describe("companies", () => {
  it("are unique by normalised domain, whatever the spelling", () =>
    rollback(db.pool, async (client) => {
      const first = await one<{ company_domain: string }>(
        client,
        "insert into companies (company_name, company_domain) values ('Acme', 'https://www.Acme.com/about') returning company_domain",
      );
      expect(first.company_domain).toBe("acme.com");
      expect(await errorCode(client, "insert into companies (company_name, company_domain) values ('Acme Inc', 'ACME.com.')")).toBe(
        "23505",
      );
    }));

  it("take their domain from the website when none is given", () =>
    rollback(db.pool, async (client) => {
      const row = await one<{ company_domain: string }>(
        client,
        "insert into companies (company_name, website) values ('Northwind', 'http://www.northwind-example.com:8080/') returning company_domain",
      );
      expect(row.company_domain).toBe("northwind-example.com");
    }));

  it("normalize_domain is idempotent, so any normal form passes the companies check", async () => {
    const { rows } = await db.pool.query(
      `select x, leadgraph_rules.normalize_domain(x) as once, leadgraph_rules.normalize_domain(leadgraph_rules.normalize_domain(x)) as twice
         from unnest(array['www.www.acme.com', 'acme.com:80.', 'acme.com .', 'https://https://acme.com', 'HTTP://WWW.Acme.COM./x',
                           'user@www.acme.com:8080', 'acme.com..', ' www.acme.com/ ']) x`,
    );
    for (const row of rows) expect(row.twice, row.x).toBe(row.once);
    expect(rows.map((r) => r.once)).toEqual([
      "acme.com",
      "acme.com",
      "acme.com",
      "acme.com",
      "acme.com",
      "acme.com",
      "acme.com",
      "acme.com",
    ]);
  });

  it("normalize_domain strips scheme, www, port, path and trailing dot", async () => {
    const { rows } = await db.pool.query(
      `select leadgraph_rules.normalize_domain(x) as d from unnest(array[
         'https://www.Acme.com:443/about?x=1', 'http://www.northwind-example.com/', 'corpao-example.com.br/',
         'jane.doe@Northwind-Example.com', 'sub.acme.co.uk.', '  ', 'www.example.org'
       ]) with ordinality as t(x, n) order by n`,
    );
    expect(rows.map((r) => r.d)).toEqual([
      "acme.com",
      "northwind-example.com",
      "corpao-example.com.br",
      "northwind-example.com",
      "sub.acme.co.uk",
      null,
      "example.org",
    ]);
  });
});

describe("leads", () => {
  it("store email lower-case and trimmed, unique in that form", () =>
    rollback(db.pool, async (client) => {
      const id = await insertLead(client, { first_name: "Jane", last_name: "Doe", email: "  Jane.Doe@Northwind-Example.com " });
      const lead = await one<{ email: string; full_name: string }>(client, "select email, full_name from leads where id = $1", [id]);
      expect(lead).toEqual({ email: "jane.doe@northwind-example.com", full_name: "Jane Doe" });
      expect(await errorCode(client, "insert into leads (first_name, email) values ('J', 'JANE.DOE@northwind-example.com')")).toBe("23505");
    }));

  it("may have no email when they have a LinkedIn URL, but need some identity", () =>
    rollback(db.pool, async (client) => {
      await insertLead(client, { linkedin_url: "http://www.linkedin.com/in/tom-berg-example", email: "" });
      expect(await errorCode(client, "insert into leads (job_title) values ('CEO')")).toBe("23514");
    }));

  it("are in a campaign at most once", () =>
    rollback(db.pool, async (client) => {
      const lead = await insertLead(client, { email: "once@example.com" });
      await client.query("insert into campaign_leads (campaign_id, lead_id) values ($1, $2)", [EXAMPLE_CAMPAIGN, lead]);
      expect(await errorCode(client, "insert into campaign_leads (campaign_id, lead_id) values ($1, $2)", [EXAMPLE_CAMPAIGN, lead])).toBe(
        "23505",
      );
    }));
});

describe("foreign keys", () => {
  it("link a lead to its company, import, import row, campaigns and events, and deletes behave as designed", () =>
    rollback(db.pool, async (client) => {
      const csv = await one<{ id: string }>(
        client,
        "insert into csv_imports_raw (file_name, uploaded_by) values ('apollo-contacts-export.csv', $1) returning id",
        [DEFAULT_USER],
      );
      const company = await one<{ id: string }>(
        client,
        "insert into companies (company_name, company_domain, first_seen_in_csv_id) values ('Northwind', 'northwind-example.com', $1) returning id",
        [csv.id],
      );
      const lead = await insertLead(client, {
        email: "jane@northwind-example.com",
        company_id: company.id,
        csv_import_id: csv.id,
        lead_source: "csv",
      });
      await client.query(
        "insert into csv_import_rows (csv_import_id, row_number, raw_row, outcome, lead_id) values ($1, 1, $2, 'inserted', $3)",
        [csv.id, { Email: "jane@northwind-example.com" }, lead],
      );
      const membership = await one<{ id: string }>(
        client,
        "insert into campaign_leads (campaign_id, lead_id) values ($1, $2) returning id",
        [EXAMPLE_CAMPAIGN, lead],
      );
      await client.query(
        "insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id) values ('instantly', 'email_sent', $1, $2, $3)",
        [lead, EXAMPLE_CAMPAIGN, membership.id],
      );

      const joined = await one(
        client,
        `select c.company_name, i.file_name, r.row_number, cl.email_status, e.event_type
           from leads l
           join companies c on c.id = l.company_id
           join csv_imports_raw i on i.id = l.csv_import_id
           join csv_import_rows r on r.lead_id = l.id
           join campaign_leads cl on cl.lead_id = l.id
           join events e on e.campaign_lead_id = cl.id
          where l.id = $1`,
        [lead],
      );
      expect(joined).toEqual({
        company_name: "Northwind",
        file_name: "apollo-contacts-export.csv",
        row_number: 1,
        email_status: "pending",
        event_type: "email_sent",
      });

      // An offer that campaigns promote cannot be deleted: PostgreSQL 18 says
      // restrict_violation (23001), 15-17 said foreign_key_violation (23503).
      const { version } = await one<{ version: number }>(client, "select current_setting('server_version_num')::int as version");
      expect(await errorCode(client, "delete from offers where id = $1", [EXAMPLE_OFFER])).toBe(version >= 180000 ? "23001" : "23503");

      // Removing the lead from the campaign keeps its history, unlinked.
      await client.query("delete from campaign_leads where id = $1", [membership.id]);
      expect(await one(client, "select campaign_lead_id, campaign_id from events where lead_id = $1", [lead])).toEqual({
        campaign_lead_id: null,
        campaign_id: EXAMPLE_CAMPAIGN,
      });

      // Deleting the company or the import unlinks the lead; it stays.
      await client.query("delete from companies where id = $1", [company.id]);
      await client.query("delete from csv_imports_raw where id = $1", [csv.id]);
      expect(await one(client, "select company_id, csv_import_id from leads where id = $1", [lead])).toEqual({
        company_id: null,
        csv_import_id: null,
      });
      // ...and the import's rows go with the import.
      expect(await one(client, "select count(*)::int as n from csv_import_rows where csv_import_id = $1", [csv.id])).toEqual({ n: 0 });

      // Deleting the lead deletes its timeline.
      await client.query("delete from leads where id = $1", [lead]);
      expect(await one(client, "select count(*)::int as n from events where lead_id = $1", [lead])).toEqual({ n: 0 });
    }));

  it("deleting a campaign removes its memberships and unlinks its events", () =>
    rollback(db.pool, async (client) => {
      const campaign = await one<{ id: string }>(client, "insert into campaigns (campaign_name) values ('Temp') returning id");
      const lead = await insertLead(client, { email: "temp@example.com" });
      await client.query("insert into campaign_leads (campaign_id, lead_id) values ($1, $2)", [campaign.id, lead]);
      await client.query("insert into events (event_source, event_type, lead_id, campaign_id) values ('manual', 'note_added', $1, $2)", [
        lead,
        campaign.id,
      ]);
      await client.query("delete from campaigns where id = $1", [campaign.id]);
      expect(await one(client, "select count(*)::int as n from campaign_leads where lead_id = $1", [lead])).toEqual({ n: 0 });
      expect(await one(client, "select campaign_id from events where lead_id = $1", [lead])).toEqual({ campaign_id: null });
    }));
});

describe("events", () => {
  async function timelineFixture(client: pg.PoolClient) {
    const lead = await insertLead(client, { first_name: "Jane", email: "jane@timeline.example" });
    const insert = (source: string, type: string, at: string, extra: Record<string, unknown> = {}) =>
      client.query(
        `insert into events (event_source, event_type, lead_id, campaign_id, event_timestamp, email_subject, email_body, call_outcome, call_transcript, note_text)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [source, type, lead, EXAMPLE_CAMPAIGN, at, extra.subject, extra.body, extra.outcome, extra.transcript, extra.note],
      );
    await insert("instantly", "email_sent", "2025-10-21T14:04:20Z", {
      subject: "Jane, quick question",
      body: "Hi Jane, we automate lead follow-up.",
    });
    await insert("instantly", "email_replied", "2025-10-21T16:40:02Z", {
      subject: "Re: Jane, quick question",
      body: "Sounds interesting, can you send pricing?",
    });
    await insert("vapi", "call_completed", "2025-10-23T09:00:00Z", {
      outcome: "answered",
      transcript: "We discussed the onboarding timeline.",
    });
    await insert("manual", "note_added", "2025-10-22T12:00:00Z", { note: "Follow up after the call" });
    await insert("instantly", "email_sent", "2025-10-25T08:00:00Z", { subject: "Other", body: "x" });
    await client.query("update events set campaign_id = null where event_timestamp = '2025-10-25T08:00:00Z'");
    return lead;
  }

  it("get_lead_timeline returns a lead's events newest first across sources, with summaries", () =>
    rollback(db.pool, async (client) => {
      const lead = await timelineFixture(client);
      const { rows } = await client.query("select event_source, event_type, event_summary from get_lead_timeline($1)", [lead]);
      expect(rows).toEqual([
        { event_source: "instantly", event_type: "email_sent", event_summary: "Other" },
        { event_source: "vapi", event_type: "call_completed", event_summary: "call_completed - answered" },
        { event_source: "manual", event_type: "note_added", event_summary: "Follow up after the call" },
        { event_source: "instantly", event_type: "email_replied", event_summary: "Re: Jane, quick question" },
        { event_source: "instantly", event_type: "email_sent", event_summary: "Jane, quick question" },
      ]);
    }));

  it("get_campaign_event_stats counts a campaign's events by source and type", () =>
    rollback(db.pool, async (client) => {
      const lead = await timelineFixture(client);
      const second = await insertLead(client, { email: "second@timeline.example" });
      await client.query("insert into events (event_source, event_type, lead_id, campaign_id) values ('instantly', 'email_sent', $1, $2)", [
        second,
        EXAMPLE_CAMPAIGN,
      ]);
      expect(lead).toBeTruthy();
      const { rows } = await client.query("select event_source, event_type, event_count::int from get_campaign_event_stats($1)", [
        EXAMPLE_CAMPAIGN,
      ]);
      expect(rows).toEqual([
        { event_source: "instantly", event_type: "email_sent", event_count: 2 },
        { event_source: "instantly", event_type: "email_replied", event_count: 1 },
        { event_source: "manual", event_type: "note_added", event_count: 1 },
        { event_source: "vapi", event_type: "call_completed", event_count: 1 },
      ]);
    }));

  it("full-text search finds an event by a word of its body, subject or transcript", () =>
    rollback(db.pool, async (client) => {
      await timelineFixture(client);
      const search = async (query: string) =>
        (
          await client.query(
            "select event_type from events where search_vector @@ websearch_to_tsquery('english', $1) order by ts_rank(search_vector, websearch_to_tsquery('english', $1)) desc",
            [query],
          )
        ).rows.map((r) => r.event_type);
      expect(await search("pricing")).toEqual(["email_replied"]);
      expect(await search("price")).toEqual(["email_replied"]); // stemmed
      expect(await search("onboarding")).toEqual(["call_completed"]);
      expect((await search("quick question")).sort()).toEqual(["email_replied", "email_sent"]);
      expect(await search("nonexistentword")).toEqual([]);
    }));
});

describe("Instantly raw layer", () => {
  it("daily analytics upsert by (date, campaign), the workspace totals row (null campaign) included", () =>
    rollback(db.pool, async (client) => {
      const upsert = (campaign: string | null, sent: number) =>
        client.query(
          `insert into instantly_daily_analytics_raw (analytics_date, instantly_campaign_id, sent, raw_json)
           values ('2025-09-13', $1, $2, $3)
           on conflict (analytics_date, instantly_campaign_id) do update set sent = excluded.sent, raw_json = excluded.raw_json`,
          [campaign, sent, { date: "2025-09-13", sent }],
        );
      await upsert(null, 250);
      await upsert(null, 260);
      await upsert("8f1d2c3a-6b7e-4c21-9d0a-2b5e7f9a1c44", 100);
      await upsert("8f1d2c3a-6b7e-4c21-9d0a-2b5e7f9a1c44", 120);
      const { rows } = await client.query(
        "select instantly_campaign_id, sent from instantly_daily_analytics_raw order by instantly_campaign_id nulls first",
      );
      expect(rows).toEqual([
        { instantly_campaign_id: null, sent: 260 },
        { instantly_campaign_id: "8f1d2c3a-6b7e-4c21-9d0a-2b5e7f9a1c44", sent: 120 },
      ]);
    }));

  it("keeps fractional warmup scores", () =>
    rollback(db.pool, async (client) => {
      await client.query("insert into instantly_accounts_raw (email, warmup_score, raw_json) values ('a@x.example', 87.5, '{}')");
      expect(await one(client, "select warmup_score::text from instantly_accounts_raw")).toEqual({ warmup_score: "87.5" });
    }));
});

describe("timestamps", () => {
  it("updated_at moves on update, created_at stays", () =>
    rollback(db.pool, async (client) => {
      const before = await one<{ created_at: Date; updated_at: Date }>(client, "select created_at, updated_at from offers where id = $1", [
        EXAMPLE_OFFER,
      ]);
      const after = await one<{ created_at: Date; updated_at: Date }>(
        client,
        "update offers set offer_description = 'changed' where id = $1 returning created_at, updated_at",
        [EXAMPLE_OFFER],
      );
      expect(after.created_at).toEqual(before.created_at);
      expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    }));

  it("a lead inserted with its own timestamps keeps created_at and gets updated_at now", () =>
    rollback(db.pool, async (client) => {
      const row = await one<{ created_at: Date; updated_at: Date; now: Date }>(
        client,
        `insert into leads (first_name, created_at, updated_at) values ('Ann', '2020-01-01Z', '2020-01-02Z')
         returning created_at, updated_at, now() as now`,
      );
      expect(row.created_at).toEqual(new Date("2020-01-01Z"));
      expect(row.updated_at).toEqual(row.now);
      const defaulted = await one<{ created_at: Date; updated_at: Date; now: Date }>(
        client,
        "insert into leads (first_name, created_at) values ('Bo', null) returning created_at, updated_at, now() as now",
      );
      expect(defaulted).toEqual({ created_at: defaulted.now, updated_at: defaulted.now, now: defaulted.now });
    }));
});

// The leads triggers run their functions only when they would change or
// refuse something (their WHEN clauses): each case that must still reach them.
describe("leads triggers", () => {
  it("store the email's normal form, keep phones complete and refuse what is not an email", () =>
    rollback(db.pool, async (client) => {
      const email = async (value: string) =>
        (await one<{ email: string | null }>(client, "insert into leads (first_name, email) values ('X', $1) returning email", [value]))
          .email;
      expect(await email(" Ann@Example.COM\t")).toBe("ann@example.com");
      expect(await email("ann2@example.com")).toBe("ann2@example.com");
      expect(await email("ZOË@Example.com")).toBe("zoë@example.com");
      expect(await email("Zoe\u0301@example.com")).toBe("zo\u00e9@example.com");
      expect(await email("")).toBeNull();
      expect(await errorCode(client, "insert into leads (first_name, email) values ('X', 'not an email')")).toBe("23514");
      expect(await errorCode(client, "insert into leads (first_name, email) values ('X', 'a@b')")).toBe("23514");
      const id = await insertLead(client, {
        first_name: "P",
        phone: " '+1 555 0100 ",
        mobile_phone: "+1 555 0199",
        phones: ["+1 555 0101"],
      });
      expect(await one(client, "select phone, phones from leads where id = $1", [id])).toEqual({
        phone: " '+1 555 0100 ",
        phones: ["+1 555 0101", "+1 555 0100", "+1 555 0199"],
      });
      const kept = await insertLead(client, { first_name: "Q", phone: "+1 555 0102", phones: ["+1 555 0102"] });
      expect(await one(client, "select phones from leads where id = $1", [kept])).toEqual({ phones: ["+1 555 0102"] });
      await client.query("update leads set mobile_phone = '+1 555 0103' where id = $1", [kept]);
      expect(await one(client, "select phones from leads where id = $1", [kept])).toEqual({ phones: ["+1 555 0102", "+1 555 0103"] });
      await client.query("update leads set email = ' Q@Example.com' where id = $1", [kept]);
      expect(await one(client, "select email from leads where id = $1", [kept])).toEqual({ email: "q@example.com" });
      expect(await errorCode(client, "update leads set email = 'q@' where id = $1", [kept])).toBe("23514");
    }));
});

describe("catalogue rules", () => {
  const tables = async () =>
    (
      await db.pool.query<{ name: string; rls: boolean; comment: string | null }>(
        `select c.relname as name, c.relrowsecurity as rls, obj_description(c.oid, 'pg_class') as comment
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind = 'r' order by 1`,
      )
    ).rows;

  it("has every table of both layers", async () => {
    expect((await tables()).map((t) => t.name)).toEqual([
      "campaign_call_counts",
      "campaign_event_counts",
      "campaign_lead_counts",
      "campaign_leads",
      "campaigns",
      "companies",
      "csv_imports_raw",
      "events",
      "instantly_accounts_raw",
      "instantly_campaigns_raw",
      "instantly_daily_analytics_raw",
      "instantly_emails_raw",
      "instantly_leads_raw",
      "instantly_rejects",
      "instantly_sync_requests",
      "instantly_sync_run_resources",
      "instantly_sync_runs",
      "instantly_webhooks_raw",
      "lead_merges",
      "leads",
      "offers",
      "users",
      "vapi_call_requests",
      "vapi_calls_raw",
      "vapi_rejects",
      "vapi_sync_requests",
      "vapi_sync_runs",
      "vapi_webhooks_raw",
    ]);
  });

  it("enables row level security on every table", async () => {
    expect((await tables()).filter((t) => !t.rls).map((t) => t.name)).toEqual([]);
  });

  // Such a function fails inside a parallel plan before PostgreSQL 17, and on
  // 18 it returned its fallback in silence in a parallel CREATE TABLE AS, the
  // handler catching the parallel mode's own error: migration 000042. (Not
  // restricted either: the leader of a parallel plan is in parallel mode too.)
  it("has no PL/pgSQL function with an exception handler that is not parallel unsafe", async () => {
    const { rows } = await db.pool.query<{ name: string }>(
      `select p.oid::regprocedure::text as name
         from pg_proc p join pg_language l on l.oid = p.prolang
        where l.lanname = 'plpgsql' and p.proparallel <> 'u' and p.prosrc ~* '\\mexception\\M'
          and p.pronamespace in ('public'::regnamespace, 'leadgraph_rules'::regnamespace, 'leadgraph_private'::regnamespace)
        order by 1`,
    );
    expect(rows.map((r) => r.name)).toEqual([]);
  });

  it("comments every table and column", async () => {
    expect((await tables()).filter((t) => !t.comment).map((t) => t.name)).toEqual([]);
    const { rows } = await db.pool.query(
      `select c.relname || '.' || a.attname as col
         from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
          and col_description(c.oid, a.attnum) is null and a.attname <> 'id'`,
    );
    expect(rows.map((r) => r.col)).toEqual([]);
  });

  it("indexes every foreign key column (PostGraphile hides reverse relations otherwise)", async () => {
    const { rows } = await db.pool.query(
      `select c.conrelid::regclass::text || '(' || a.attname || ')' as fk
         from pg_constraint c
         join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
        where c.contype = 'f' and c.connamespace = 'public'::regnamespace
          and not exists (
            select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]
          )`,
    );
    expect(rows.map((r) => r.fk)).toEqual([]);
  });
});

describe("dashboard rollups", () => {
  const compare = async (client: pg.PoolClient) => {
    const events = await client.query(
      `select campaign_id, (event_timestamp at time zone 'UTC')::date::text as day, event_source, event_type, count(*)::int as n
         from events where campaign_id is not null group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
    );
    const eventRollup = await client.query(
      `select campaign_id, event_date::text as day, event_source, event_type, event_count::int as n
         from campaign_event_counts where event_count > 0 order by 1, 2, 3, 4`,
    );
    expect(eventRollup.rows).toEqual(events.rows);
    const leads = await client.query(
      `select campaign_id, email_status, coalesce(sequence_step, 0) as step, count(*)::int as n from campaign_leads group by 1, 2, 3 order by 1, 2, 3`,
    );
    const leadRollup = await client.query(
      `select campaign_id, email_status, sequence_step as step, lead_count::int as n from campaign_lead_counts where lead_count > 0 order by 1, 2, 3`,
    );
    expect(leadRollup.rows).toEqual(leads.rows);
  };

  it("stay equal to the events and memberships they count through inserts, updates and deletes", () =>
    rollback(db.pool, async (client) => {
      const other = await one<{ id: string }>(client, "insert into campaigns (campaign_name) values ('Other') returning id");
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await insertLead(client, { email: `r${i}@rollup.example` }));
      await client.query(
        `insert into campaign_leads (campaign_id, lead_id, email_status, sequence_step)
         select case when n % 2 = 0 then $1::uuid else $2::uuid end, l, (array['pending','sent','opened'])[1 + n % 3], nullif(n % 3, 0)
         from unnest($3::uuid[]) with ordinality as t(l, n)`,
        [EXAMPLE_CAMPAIGN, other.id, ids],
      );
      await client.query(
        `insert into events (event_source, event_type, lead_id, campaign_id, event_timestamp)
         select 'instantly', (array['email_sent','email_opened'])[1 + g % 2], $1, case when g % 3 = 0 then null else $2::uuid end,
                '2025-10-01T23:30:00Z'::timestamptz + g * interval '20 minutes'
         from generate_series(1, 50) g`,
        [ids[0], EXAMPLE_CAMPAIGN],
      );
      await compare(client);
      await client.query("update campaign_leads set email_status = 'replied', sequence_step = 2 where lead_id = any($1)", [
        ids.slice(0, 3),
      ]);
      await client.query(
        "update events set event_timestamp = event_timestamp + interval '3 days', campaign_id = $1 where event_type = 'email_opened'",
        [other.id],
      );
      await client.query("delete from events where event_timestamp < '2025-10-02T06:00:00Z'");
      await client.query("delete from campaign_leads where lead_id = $1", [ids[5]]);
      await compare(client);
      await client.query("delete from campaigns where id = $1", [other.id]);
      await compare(client);
      expect(await one(client, "select count(*)::int as n from campaign_event_counts where campaign_id = $1", [other.id])).toEqual({
        n: 0,
      });
    }));
});
