// Names and addresses in any language: one lead per address whatever the case
// of its letters, names found in either case and sorted alphabetically, on the
// test database (builtin C.UTF-8 on 17+, C.UTF-8 on 15/16) and on a database created with the `C`
// locale (what clusters made before had, and some managed servers have),
// which migration 000017 upgrades by merging the leads it had split.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Logger } from "@graphile/logger";
import { migrate, type Settings } from "graphile-migrate";
import { clearAllPools } from "graphile-migrate/dist/pgReal.js";
import { Logger as WorkerLogger, runMigrations as runWorkerMigrations } from "graphile-worker";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { projectRoot } from "../../src/config.ts";
import { startEmbedded, type EmbeddedPostgres } from "../../src/database/embedded.ts";
import { databaseUrl } from "../../src/database/index.ts";
import { applyMigrations } from "../../src/database/migrations.ts";
import { ensureRoles } from "../../src/database/roles.ts";
import { createTestDatabase } from "../helpers/db.ts";

const PEOPLE = [
  ["Łukasz", "Nowak", "Łukasz.Nowak@example.pl"],
  ["Zoë", "Brontë", "ZOË.BRONTË@example.co.uk"],
  ["Jürgen", "MÜLLER", "JÜRGEN@müller-example.de"],
  ["Åsa", "Öberg", "Åsa.Öberg@example.se"],
  ["Émile", "Zola", "émile@example.fr"],
  ["apple", "Ant", "apple@example.com"],
  ["Bob", "Brown", "bob@example.com"],
] as const;

async function checkMatching(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("begin");
    for (const [first, last, email] of PEOPLE) {
      await client.query("insert into leads (first_name, last_name, email) values ($1, $2, $3)", [first, last, email]);
    }
    // The same addresses in the other case (and Zoë decomposed: e + U+0308) are the same people.
    for (const email of ["łukasz.nowak@EXAMPLE.PL", "zoe\u0308.bronte\u0308@example.co.uk", "jürgen@MÜLLER-example.de"]) {
      await client.query("savepoint s");
      await expect(client.query("insert into leads (email) values ($1)", [email]), email).rejects.toMatchObject({ code: "23505" });
      await client.query("rollback to savepoint s");
    }
    const { rows: found } = await client.query(
      "select first_name from leads where last_name ilike '%müller%' or first_name ilike 'ÅSA' or email = leadgraph_rules.normalize_email('ŁUKASZ.NOWAK@example.pl') order by 1",
    );
    expect(found.map((r) => r.first_name)).toEqual(["Åsa", "Jürgen", "Łukasz"]);
    const { rows: sorted } = await client.query("select first_name from leads where first_name = any($1) order by first_name", [
      PEOPLE.map((p) => p[0]),
    ]);
    expect(sorted.map((r) => r.first_name)).toEqual(["apple", "Åsa", "Bob", "Émile", "Jürgen", "Łukasz", "Zoë"]);
    await client.query("rollback");
  } finally {
    await client.end();
  }
}

const db = await createTestDatabase();

describe("on the test database", () => {
  it("uses its PostgreSQL version's Unicode collation: builtin C.UTF-8 on 17+ (the embedded cluster's default), the C.UTF-8 locale on 15 and 16", async () => {
    if (inject("serverVersion") >= 170000) {
      const { rows } = await db.pool.query(
        "select datlocprovider as provider, datlocale as locale from pg_database where datname = current_database()",
      );
      expect(rows[0]).toEqual({ provider: "b", locale: "C.UTF-8" });
      if (inject("embedded")) {
        // The embedded cluster's own default, which the app's database gets (src/database/embedded.ts).
        const { rows: template } = await db.pool.query(
          "select datlocprovider as provider, datlocale as locale from pg_database where datname = 'template1'",
        );
        expect(template[0]).toEqual({ provider: "b", locale: "C.UTF-8" });
      }
    } else {
      // (PostgreSQL 15 and 16 have no builtin provider: the operating system's locale, glibc's C.UTF-8.)
      const { rows } = await db.pool.query(
        "select datlocprovider as provider, datcollate as collate, datctype as ctype from pg_database where datname = current_database()",
      );
      expect(rows[0]).toEqual({ provider: "c", collate: "C.UTF-8", ctype: "C.UTF-8" });
    }
    // Either way: case mapping in every script, and code-point order.
    const { rows } = await db.pool.query(
      "select lower('ŁUKASZ ÉMILE ÇAĞRI') as lower, 'MÜLLER' ilike '%müller%' as ilike, array_agg(x order by x) as sorted from unnest(array['é', 'z', 'Z', 'a']) x",
    );
    expect(rows[0]).toEqual({ lower: "łukasz émile çağri", ilike: true, sorted: ["Z", "a", "z", "é"] });
  });

  it("keeps one lead per address in any case, finds and sorts names in any language", () => checkMatching(db.url));

  it("normalises addresses the same way whatever the database's collation", async () => {
    const { rows } = await db.pool.query(
      `select leadgraph_rules.normalize_email(x) as email from unnest(array[
         ' ŁUKASZ.X@Example.COM ', 'zoe' || U&'\\0308' || '@x.de', 'ÇAĞRI@örnek.com.tr', '', '   '
       ]) with ordinality t(x, n) order by n`,
    );
    expect(rows.map((r) => r.email)).toEqual(["łukasz.x@example.com", "zoë@x.de", "çağri@örnek.com.tr", null, null]);
  });
});

describe("a database created with the C locale", () => {
  let embedded: EmbeddedPostgres;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "leadgraph-c-locale-"));
    embedded = await startEmbedded({
      dataDir: path.join(dataDir, "data"),
      locale: "c",
      settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
    });
  }, 120_000);
  afterAll(async () => {
    await embedded?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function freshDatabase(name: string) {
    const root = new pg.Client({ connectionString: embedded.url("postgres") });
    await root.connect();
    await root.query(`create database ${name}`);
    await root.end();
    return databaseUrl(embedded.url("postgres"), name);
  }

  /** The committed migrations up to `last`, as a database made before a later one would have them. */
  async function migrateUpTo(url: string, last: string) {
    const folder = path.join(dataDir, `migrations-${last}`);
    fs.mkdirSync(path.join(folder, "committed"), { recursive: true });
    for (const file of fs.readdirSync(path.join(projectRoot, "migrations", "committed"))) {
      if (file.slice(0, 6) <= last)
        fs.copyFileSync(path.join(projectRoot, "migrations", "committed", file), path.join(folder, "committed", file));
    }
    await ensureRoles(url, "test");
    try {
      await migrate({
        connectionString: url,
        migrationsFolder: folder,
        pgSettings: { search_path: "public" },
        placeholders: {},
        logger: new Logger(() => () => {}),
      } as Settings);
    } finally {
      clearAllPools();
    }
    await runWorkerMigrations({ connectionString: url, logger: new WorkerLogger(() => () => {}) });
  }

  it("is byte-wise (the case this upgrade is for)", async () => {
    const url = await freshDatabase("c_check");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("select lower('ŁUKASZ') as l, datcollate from pg_database where datname = current_database()");
    await client.end();
    expect(rows[0]).toEqual({ l: "Łukasz", datcollate: "C" });
  });

  it("upgrades: leads split by the case of a letter are merged, keeping every event, membership and import row", async () => {
    const url = await freshDatabase("c_upgrade");
    await migrateUpTo(url, "000016");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // What the old normalisers left: Łukasz twice, Zoë three times (ZOË, zoë, and zoë decomposed), each with history.
      const { rows: leads } = await client.query<{ id: string }>(
        `insert into leads (email, first_name, last_name, phone, job_title, created_at)
         select * from (values
           ('Łukasz.Nowak@example.pl', 'Łukasz', null, '+48 111', null, now() - interval '6 days'),
           ('łukasz.nowak@example.pl', null, 'Nowak', '+48 222', 'CTO', now() - interval '4 days'),
           ('ZOË@example.co.uk', 'Zoë', null, null, null, now() - interval '5 days'),
           ('zoë@example.co.uk', null, 'Brontë', null, null, now() - interval '3 days'),
           ('zoe' || U&'\\0308' || '@example.co.uk', null, null, null, null, now() - interval '2 days'),
           ('bob@example.com', 'Bob', null, null, null, now())
         ) v order by v.column6
         returning id`,
      );
      expect(leads).toHaveLength(6);
      const ids = (await client.query<{ id: string }>("select id from leads order by created_at")).rows.map((r) => r.id);
      const [lukasz, zoe, lukasz2, zoe2, zoe3] = ids;
      const [campaignA, campaignB] = (
        await client.query<{ id: string }>("insert into campaigns (campaign_name) values ('A'), ('B') returning id")
      ).rows.map((r) => r.id);
      // Both Łukasz rows are in campaign A (one membership must remain); the third Zoë is in B.
      await client.query(
        `insert into campaign_leads (campaign_id, lead_id, email_status, sequence_step) values
           ($1, $2, 'sent', 1), ($1, $3, 'replied', 2), ($4, $5, 'opened', 1)`,
        [campaignA, lukasz, lukasz2, campaignB, zoe3],
      );
      await client.query(
        `insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, note_text)
         select 'manual', 'note', cl.lead_id, cl.campaign_id, cl.id, now(), 'a note' from campaign_leads cl`,
      );
      await client.query("insert into events (event_source, event_type, lead_id, event_timestamp) values ('manual', 'note', $1, now())", [
        zoe2,
      ]);
      const { rows: imports } = await client.query<{ id: string }>(
        "insert into csv_imports_raw (file_name, import_status) values ('old.csv', 'completed') returning id",
      );
      await client.query(
        `insert into csv_import_rows (csv_import_id, row_number, raw_row, lead_id, outcome) values
           ($1, 1, '{"Email": "ZOË@example.co.uk"}', $2, 'inserted'), ($1, 2, '{"Email": "zoë@example.co.uk"}', $3, 'inserted')`,
        [imports[0].id, zoe, zoe2],
      );
      const eventsBefore = (await client.query("select count(*)::int as n from events")).rows[0].n;

      await applyMigrations({ url, rootUrl: undefined, shadowUrl: undefined, authenticatorPassword: "test" }, { quiet: true });

      const { rows: after } = await client.query("select email, first_name, last_name, phone, phones, job_title from leads order by email");
      expect(after).toEqual([
        { email: "bob@example.com", first_name: "Bob", last_name: null, phone: null, phones: [], job_title: null },
        { email: "zoë@example.co.uk", first_name: "Zoë", last_name: "Brontë", phone: null, phones: [], job_title: null },
        {
          email: "łukasz.nowak@example.pl",
          first_name: "Łukasz",
          last_name: "Nowak",
          phone: "+48 111",
          phones: ["+48 111", "+48 222"],
          job_title: "CTO",
        },
      ]);
      const { rows: kept } = await client.query("select id from leads where first_name in ('Łukasz', 'Zoë') order by first_name");
      expect(kept.map((r) => r.id)).toEqual([lukasz, zoe]); // the oldest row of each person stays (and Ł sorts with L now)
      expect((await client.query("select count(*)::int as n from events")).rows[0].n).toBe(eventsBefore);
      const { rows: events } = await client.query("select lead_id, count(*)::int as n from events group by 1");
      expect(new Map(events.map((r) => [r.lead_id, r.n]))).toEqual(
        new Map([
          [lukasz, 2],
          [zoe, 2],
        ]),
      );
      const { rows: memberships } = await client.query(
        `select c.campaign_name, cl.lead_id, cl.email_status, cl.sequence_step,
                (select count(*)::int from events e where e.campaign_lead_id = cl.id) as events
         from campaign_leads cl join campaigns c on c.id = cl.campaign_id order by 1`,
      );
      expect(memberships).toEqual([
        { campaign_name: "A", lead_id: lukasz, email_status: "replied", sequence_step: 2, events: 2 },
        { campaign_name: "B", lead_id: zoe, email_status: "opened", sequence_step: 1, events: 1 },
      ]);
      const { rows: importRows } = await client.query("select row_number, lead_id from csv_import_rows order by 1");
      expect(importRows).toEqual([
        { row_number: 1, lead_id: zoe },
        { row_number: 2, lead_id: zoe },
      ]);
      const { rows: merges } = await client.query(
        "select kept_lead_id, merged_lead_id, merged_lead ->> 'email' as email, reason from lead_merges",
      );
      const order = [lukasz2, zoe2, zoe3];
      expect(merges.sort((a, b) => order.indexOf(a.merged_lead_id) - order.indexOf(b.merged_lead_id))).toEqual([
        {
          kept_lead_id: lukasz,
          merged_lead_id: lukasz2,
          email: "łukasz.nowak@example.pl",
          reason: "same email address: łukasz.nowak@example.pl",
        },
        { kept_lead_id: zoe, merged_lead_id: zoe2, email: "zoë@example.co.uk", reason: "same email address: zoë@example.co.uk" },
        { kept_lead_id: zoe, merged_lead_id: zoe3, email: "zoe\u0308@example.co.uk", reason: "same email address: zoë@example.co.uk" },
      ]);
    } finally {
      await client.end();
    }
  });

  it("upgrades a person split three ways (one already in normal form), keeping opt-outs, call and LinkedIn states, and company domains", async () => {
    const url = await freshDatabase("c_upgrade_three");
    await migrateUpTo(url, "000016");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        `insert into leads (email, first_name, lead_status, created_at) values
           ('Łukasz.Żak@x.pl', 'Łukasz', 'new', now() - interval '3 days'),
           ('Łukasz.żak@x.pl', null, 'do_not_contact', now() - interval '2 days'),
           ('łukasz.żak@x.pl', null, 'new', now() - interval '1 day')`,
      );
      await client.query(
        `insert into campaign_leads (campaign_id, lead_id, call_status, linkedin_status, overall_status)
         select (select id from campaigns limit 1), l.id,
                case when l.lead_status = 'do_not_contact' then 'do_not_call' else 'not_scheduled' end,
                case when l.first_name is null then 'connected' else 'not_started' end,
                case when l.first_name is null then 'interested' else 'replied' end
         from leads l`,
      );
      // The old normal form folded ASCII only: MÜLLER.de was stored as mÜller.de beside müller.de.
      await client.query("insert into companies (company_name, website) values ('Müller GmbH', 'https://MÜLLER.de')");
      await client.query("insert into companies (company_domain) values ('müller.de')");
      await client.query(
        "insert into leads (email, company_id) select 'jan@example.de', id from companies where company_name = 'Müller GmbH'",
      );

      await applyMigrations({ url, rootUrl: undefined, shadowUrl: undefined, authenticatorPassword: "test" }, { quiet: true });

      const { rows: leads } = await client.query("select email, first_name, lead_status from leads where email like '%x.pl'");
      expect(leads).toEqual([{ email: "łukasz.żak@x.pl", first_name: "Łukasz", lead_status: "do_not_contact" }]);
      const { rows: memberships } = await client.query("select call_status, linkedin_status, overall_status from campaign_leads");
      expect(memberships).toEqual([{ call_status: "do_not_call", linkedin_status: "connected", overall_status: "interested" }]);
      const { rows: logged } = await client.query("select jsonb_array_length(merged_memberships) as n from lead_merges");
      expect(logged).toEqual([{ n: 1 }, { n: 1 }]);
      const { rows: companies } = await client.query(
        `select c.company_name, c.company_domain, (select count(*)::int from leads l where l.company_id = c.id) as leads
         from companies c where c.company_domain like '%ller.de'`,
      );
      expect(companies).toEqual([{ company_name: "Müller GmbH", company_domain: "müller.de", leads: 1 }]);
    } finally {
      await client.end();
    }
  });

  it("matches and sorts like the embedded cluster once migrated", async () => {
    const url = await freshDatabase("c_fresh");
    await applyMigrations({ url, rootUrl: undefined, shadowUrl: undefined, authenticatorPassword: "test" }, { quiet: true });
    await checkMatching(url);
  });
});
