// LinkedIn activity imports: files shaped like each outreach tool's export
// (test/fixtures/linkedin/), through the real upload and normaliser, into
// one event per touch, matched leads, campaigns and a linkedin_status that
// only moves forward. Also the kind's detection, POST /imports?kind= and the
// CLI's --kind.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../src/auth.ts";
import { loadConfig, projectRoot } from "../../src/config.ts";
import { detectImportKind } from "../../src/sources/csv/linkedin/columns.ts";
import { startWorker, type RunningWorker } from "../../src/worker.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import * as csv from "./helpers.ts";

const FIXTURES = path.join(projectRoot, "test", "fixtures", "linkedin");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
const headerOf = (content: string) => content.split("\n")[0].split(",");

// Leads known before any LinkedIn import: by email only, by a profile URL
// written differently from the tools' (and in letters where Expandi
// percent-encodes it).
const APOLLO = [
  "First Name,Last Name,Email,Person Linkedin Url",
  "Jane,Doe,jane.doe@northwind-example.com,http://www.linkedin.com/in/Jane-Doe-Example",
  "Sam,Known,sam.known@known-example.com,",
  "Omar,Haddad,omar@haddad-example.com,",
  "Tom,Berg,tom@northwind-example.com,",
  "José,García,jose@ejemplo-example.es,https://es.linkedin.com/in/josé-garcía-example/",
].join("\n");

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  const { importId } = await csv.upload(db, APOLLO);
  expect(await csv.normalize(db, importId)).toBe("completed");
});

async function importFile(name: string, options: { batchSize?: number; campaignId?: string } = {}) {
  const result = await csv.upload(db, fixture(name), { fileName: name, campaignId: options.campaignId });
  const status = await csv.normalize(db, result.importId, options.batchSize ?? 2);
  return { ...result, status };
}

/** Each row as [row number, outcome, reason, duplicate of, the lead's name]. */
async function outcomes(importId: string) {
  const { rows } = await db.pool.query(
    `select r.row_number, r.outcome, r.outcome_reason, r.duplicate_of_row_number, l.first_name
       from csv_import_rows r left join leads l on l.id = r.lead_id where r.csv_import_id = $1 order by r.row_number`,
    [importId],
  );
  return rows.map((r) => [r.row_number, r.outcome, r.outcome_reason, r.duplicate_of_row_number, r.first_name]);
}

async function counts(importId: string) {
  const { rows } = await db.pool.query(
    `select import_kind as kind, import_status as status, total_rows as total, events_inserted as events, events_unchanged as known,
            duplicate_rows as duplicates, failed_rows as rejected, leads_inserted as "newLeads", leads_updated as "knownLeads"
       from csv_imports_raw where id = $1`,
    [importId],
  );
  return rows[0];
}

/** A person's LinkedIn events, oldest first: [type, campaign, text]. */
async function eventsOf(firstName: string) {
  const { rows } = await db.pool.query(
    `select e.event_type, c.campaign_name, e.linkedin_message_text, e.event_timestamp
       from events e join leads l on l.id = e.lead_id left join campaigns c on c.id = e.campaign_id
      where l.first_name = $1 and e.event_source = 'linkedin' order by e.event_timestamp, e.event_type`,
    [firstName],
  );
  return rows.map((r) => [r.event_type, r.campaign_name, r.linkedin_message_text]);
}

async function membership(firstName: string, campaign: string) {
  const { rows } = await db.pool.query(
    `select cl.linkedin_status, cl.last_activity_at from campaign_leads cl join leads l on l.id = cl.lead_id
       join campaigns c on c.id = cl.campaign_id where l.first_name = $1 and c.campaign_name ilike $2`,
    [firstName, campaign],
  );
  return rows[0];
}

describe("detecting a LinkedIn activity export", () => {
  it("knows each tool's export by its columns, and an Apollo export as leads", () => {
    for (const name of ["heyreach.csv", "expandi.csv", "lemlist.csv", "phantombuster.csv", "dripify.csv"]) {
      expect(detectImportKind(headerOf(fixture(name))).kind, name).toBe("linkedin");
    }
    expect(detectImportKind(headerOf(APOLLO))).toEqual({
      kind: "leads",
      reason: "detected: no LinkedIn profile and event columns together",
    });
    expect(detectImportKind(["First Name", "Email", "Person Linkedin Url", "Title"]).kind).toBe("leads");
    expect(detectImportKind(["Profile URL", "Status", "Date"]).reason).toBe(
      'detected: a LinkedIn profile column ("Profile URL") and an event column ("Status")',
    );
    expect(detectImportKind(["event", "profile_link"]).reason).toBe('detected: the column "profile_link" is a LinkedIn outreach tool\'s');
  });

  it("uploads as linkedin when detected, and stores the kind", async () => {
    const result = await csv.upload(db, fixture("heyreach.csv"));
    expect(result.kind).toBe("linkedin");
    expect(result.kindReason).toMatch(/LinkedIn outreach tool/);
    const forced = await csv.upload(db, fixture("heyreach.csv"), { kind: "leads" });
    expect([forced.kind, forced.kindReason]).toEqual(["leads", "given"]);
    const { rows } = await db.pool.query("select import_kind from csv_imports_raw where id = any($1) order by import_kind", [
      [result.importId, forced.importId],
    ]);
    expect(rows.map((r) => r.import_kind)).toEqual(["leads", "linkedin"]);
    // (not normalised: nothing else to see; removed so later counts stay simple)
    await db.pool.query("delete from csv_imports_raw where id = any($1)", [[result.importId, forced.importId]]);
  });
});

describe("LinkedIn activity imports", () => {
  let heyreach: string;

  it("HeyReach: one event per touch, a campaign named by the rows, the lead's status forward to replied", async () => {
    const { importId, status } = await importFile("heyreach.csv");
    heyreach = importId;
    expect(status).toBe("completed_with_errors");
    expect(await outcomes(importId)).toEqual([
      [1, "inserted", null, null, "Jane"],
      [2, "inserted", null, null, "Jane"],
      [3, "inserted", null, null, "Jane"],
      [4, "inserted", null, null, "Jane"],
      [5, "inserted", null, null, "Piotr"],
      [6, "inserted", null, null, "Piotr"],
      [7, "rejected", "unrecognised event or status: LIKED_POST", null, null],
    ]);
    expect(await counts(importId)).toEqual({
      kind: "linkedin",
      status: "completed_with_errors",
      total: 7,
      events: 6,
      known: 0,
      duplicates: 0,
      rejected: 1,
      newLeads: 1,
      knownLeads: 1,
    });
    expect(await eventsOf("Jane")).toEqual([
      ["connection_sent", "Q4 Founders", null],
      ["connection_accepted", "Q4 Founders", null],
      ["message_sent", "Q4 Founders", "Hi Jane, thanks for connecting!"],
      ["message_replied", "Q4 Founders", "Sure, let's talk next week."],
    ]);
    expect(await eventsOf("Piotr")).toEqual([
      ["inmail_sent", "Q4 Founders", "Quick question about your stack"],
      ["profile_viewed", "Q4 Founders", null],
    ]);
    const { rows: campaigns } = await db.pool.query(
      "select campaign_name, uses_linkedin, uses_email, campaign_status from campaigns where campaign_name = 'Q4 Founders'",
    );
    expect(campaigns).toEqual([{ campaign_name: "Q4 Founders", uses_linkedin: true, uses_email: false, campaign_status: "active" }]);
    expect((await membership("Jane", "Q4 Founders")).linkedin_status).toBe("replied");
    expect((await membership("Piotr", "Q4 Founders")).linkedin_status).toBe("message_sent");
    // A person nobody knew, with a profile and a name: a lead from LinkedIn.
    const { rows: piotr } = await db.pool.query(
      "select email, linkedin_url, lead_source, csv_import_id from leads where first_name = 'Piotr'",
    );
    expect(piotr).toEqual([
      {
        email: "piotr@nowak-example.pl",
        linkedin_url: "https://linkedin.com/in/piotr-nowak-example",
        lead_source: "linkedin",
        csv_import_id: importId,
      },
    ]);
    // The event keeps the row, unknown columns included, and its profile URL as written.
    const { rows: raw } = await db.pool.query(
      `select e.raw_data ->> 'headline' as headline, e.linkedin_profile_url, r.row_number
         from events e join csv_import_rows r on r.id = e.csv_import_row_id where e.event_type = 'message_replied'`,
    );
    expect(raw).toEqual([
      { headline: "CEO at Northwind", linkedin_profile_url: "https://www.linkedin.com/in/jane-doe-example/", row_number: 4 },
    ]);
    // The rows stay searchable and on the timeline and dashboards.
    const { rows: found } = await db.pool.query("select event_type from search_events('talk next week')");
    expect(found).toEqual([{ event_type: "message_replied" }]);
    const { rows: rollup } = await db.pool.query(
      `select sum(event_count)::int as n from campaign_event_counts k join campaigns c on c.id = k.campaign_id
        where c.campaign_name = 'Q4 Founders' and k.event_source = 'linkedin'`,
    );
    expect(rollup[0].n).toBe(6);
    const { rows: last } = await db.pool.query("select last_event_at from leads where first_name = 'Jane'");
    expect(last[0].last_event_at.toISOString()).toBe("2025-10-03T08:15:00.000Z");
  });

  it("the same file again is the same touches: nothing new, every row unchanged", async () => {
    const { importId } = await importFile("heyreach.csv", { batchSize: 5 });
    expect((await outcomes(importId)).slice(0, 6).map((o) => o.slice(1, 3))).toEqual(
      Array(6).fill(["unchanged", "touch already recorded by an earlier import"]),
    );
    expect(await counts(importId)).toMatchObject({ events: 0, known: 6, rejected: 1, newLeads: 0, knownLeads: 2 });
    const { rows } = await db.pool.query("select count(*)::int as n from events where event_source = 'linkedin'");
    expect(rows[0].n).toBe(6);
  });

  it("reprocessing gives the same outcomes, whatever the batch size", async () => {
    const before = await outcomes(heyreach);
    for (const batchSize of [1, 100]) {
      await db.pool.query("select reprocess_csv_import($1)", [heyreach]);
      expect(await csv.normalize(db, heyreach, batchSize)).toBe("completed_with_errors");
      expect(await outcomes(heyreach)).toEqual(before);
      expect(await counts(heyreach)).toMatchObject({ events: 6, newLeads: 1, knownLeads: 1 });
    }
  });

  it("Expandi: a percent-encoded profile is the one written in letters; Sales Navigator and URN URLs are rejected unless an email matches", async () => {
    const { importId } = await importFile("expandi.csv");
    expect(await outcomes(importId)).toEqual([
      [1, "inserted", null, null, "José"],
      [2, "inserted", null, null, "José"],
      [
        3,
        "rejected",
        "Sales Navigator URL (/sales/lead/... or /sales/people/...): it names the member by an internal id, not their public profile, so it cannot be matched",
        null,
        null,
      ],
      [4, "inserted", null, null, "Omar"],
    ]);
    expect(await eventsOf("José")).toEqual([
      ["connection_sent", "Spain outreach", null],
      ["connection_accepted", "Spain outreach", null],
    ]);
    const { rows } = await db.pool.query(
      "select event_timestamp, linkedin_profile_url from events e join leads l on l.id = e.lead_id where l.first_name = 'Omar'",
    );
    // Matched by email; the URN is not given to the lead as its profile.
    expect(rows[0].event_timestamp.toISOString()).toBe("2025-10-14T16:05:00.000Z");
    const { rows: omar } = await db.pool.query("select linkedin_url from leads where first_name = 'Omar'");
    expect(omar).toEqual([{ linkedin_url: null }]);
    const { rows: jose } = await db.pool.query(
      "select e.event_timestamp from events e join leads l on l.id = e.lead_id where l.first_name = 'José' order by 1",
    );
    expect(jose.map((r) => r.event_timestamp.toISOString())).toEqual(["2025-10-14T17:50:33.104Z", "2025-10-15T08:01:02.500Z"]);
    expect((await membership("José", "Spain outreach")).linkedin_status).toBe("connected");
  });

  it("lemlist: matched by email; activity types it does not map and unknown people are rejected with the reason", async () => {
    const { importId } = await importFile("lemlist.csv");
    expect(await outcomes(importId)).toEqual([
      [1, "inserted", null, null, "Sam"],
      [2, "inserted", null, null, "Sam"],
      [3, "inserted", null, null, "Sam"],
      [4, "inserted", null, null, "Sam"],
      [5, "rejected", "unrecognised event or status: linkedinOpened", null, null],
      [6, "rejected", "no lead with this email, and no LinkedIn profile URL to make one", null, null],
    ]);
    expect((await eventsOf("Sam")).map((e) => e[0])).toEqual(["profile_viewed", "connection_sent", "connection_accepted", "message_sent"]);
    expect((await membership("Sam", "Lemlist SaaS")).linkedin_status).toBe("message_sent");
    const { rows } = await db.pool.query("select count(*)::int as n from leads where email = 'nobody@unknown-example.com'");
    expect(rows[0].n).toBe(0);
  });

  it("PhantomBuster: URL variants match, a touch another export brought is not repeated, repeats in the file are duplicates", async () => {
    const { importId } = await importFile("phantombuster.csv");
    expect(await outcomes(importId)).toEqual([
      [1, "unchanged", "touch already recorded by an earlier import", null, "Jane"],
      [2, "inserted", null, null, "Mei"],
      [3, "duplicate", "same touch as row 2", 2, "Mei"],
      [4, "rejected", "unrecognised event or status: Followed", null, null],
      [5, "rejected", "no timestamp", null, null],
    ]);
    expect(await eventsOf("Mei")).toEqual([["connection_sent", null, null]]);
    // No campaign on the import or the rows: events without a membership.
    const { rows } = await db.pool.query(
      "select count(*)::int as n from campaign_leads cl join leads l on l.id = cl.lead_id where l.first_name = 'Mei'",
    );
    expect(rows[0].n).toBe(0);
  });

  it("Dripify-like: day/month dates the file makes unambiguous, a campaign named in any case, a lead matched by email gets its profile", async () => {
    const { importId } = await importFile("dripify.csv");
    expect((await outcomes(importId)).map((o) => o[1])).toEqual(["inserted", "inserted", "inserted", "inserted"]);
    const { rows } = await db.pool.query(
      `select e.event_type, e.event_timestamp, c.campaign_name from events e join leads l on l.id = e.lead_id
         left join campaigns c on c.id = e.campaign_id where l.first_name = 'Ana' order by e.event_timestamp`,
    );
    expect(rows.map((r) => [r.event_type, r.event_timestamp.toISOString(), r.campaign_name])).toEqual([
      ["connection_sent", "2025-09-25T14:30:00.000Z", "Dripify Brazil"],
      ["connection_accepted", "2025-10-03T09:00:00.000Z", "Dripify Brazil"],
      ["message_sent", "2025-10-04T00:00:00.000Z", "Dripify Brazil"],
    ]);
    const { rows: tom } = await db.pool.query("select linkedin_url, lead_source from leads where first_name = 'Tom'");
    expect(tom).toEqual([{ linkedin_url: "https://www.linkedin.com/in/tom-berg-example", lead_source: "csv" }]);
    expect((await membership("Tom", "dripify brazil")).linkedin_status).toBe("replied");
  });

  it("never moves linkedin_status back: an older touch after a reply leaves it replied", async () => {
    const before = await membership("Jane", "Q4 Founders");
    const late = [
      "Event Type,LinkedIn URL,Timestamp,Campaign",
      "connection request sent,linkedin.com/in/JANE-DOE-EXAMPLE,2025-11-01T09:00:00Z,q4 founders",
    ].join("\n");
    const { importId } = await csv.upload(db, late);
    expect(await csv.normalize(db, importId)).toBe("completed");
    expect(await outcomes(importId)).toEqual([[1, "inserted", null, null, "Jane"]]);
    const after = await membership("Jane", "Q4 Founders");
    expect(after.linkedin_status).toBe("replied");
    expect(after.last_activity_at.getTime()).toBeGreaterThanOrEqual(before.last_activity_at.getTime());
  });

  it("an import's own campaign wins over the rows' campaign column", async () => {
    const { importId } = await importFile("phantombuster.csv", { campaignId: "00000000-0000-0000-0000-000000000007" });
    expect((await outcomes(importId))[1].slice(1, 3)).toEqual(["unchanged", "touch already recorded by an earlier import"]);
    expect((await membership("Mei", "AI Automation Outreach (example)")).linkedin_status).toBe("connection_sent");
    const { rows } = await db.pool.query("select uses_linkedin from campaigns where id = '00000000-0000-0000-0000-000000000007'");
    expect(rows[0].uses_linkedin).toBe(true);
  });

  it("rejects dates whose day/month order the file does not say, and fails a file without the columns a touch needs", async () => {
    const ambiguous = ["Profile URL,Full Name,Status,Date", "https://www.linkedin.com/in/amb-iguous,Amb Iguous,Connected,03/04/2025"].join(
      "\n",
    );
    const { importId } = await csv.upload(db, ambiguous);
    await csv.normalize(db, importId);
    expect((await outcomes(importId))[0][2]).toBe(
      "ambiguous date (day/month or month/day? no date in this file has a day above 12): 03/04/2025; export ISO dates (2025-04-03)",
    );
    const noTime = ["Profile URL,Full Name,Status", "https://www.linkedin.com/in/x,X Y,Connected"].join("\n");
    const bad = await csv.upload(db, noTime);
    expect(bad.kind).toBe("linkedin");
    expect(await csv.normalize(db, bad.importId)).toBe("failed");
    const { rows } = await db.pool.query("select error_log from csv_imports_raw where id = $1", [bad.importId]);
    expect(rows[0].error_log.error).toMatch(/^Not a LinkedIn activity export: no column for a timestamp/);
  });
});

describe("POST /imports?kind= and leadgraph import --kind", () => {
  const SECRET = "linkedin-imports-secret";
  let server: TestServer;
  let worker: RunningWorker;
  beforeAll(async () => {
    server = await startTestServer(db, { jwtSecret: SECRET });
    worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 5000, quiet: true });
  });
  afterAll(() => worker?.stop());

  const post = (query: string, body: string) =>
    fetch(`${server.url}/imports${query}`, {
      method: "POST",
      headers: { "content-type": "text/csv", authorization: `Bearer ${signToken("00000000-0000-0000-0000-000000000001", SECRET, "1h")}` },
      body,
    });

  async function waitForStatus(importId: string) {
    for (let i = 0; i < 200; i++) {
      const { rows } = await db.pool.query("select import_status from csv_imports_raw where id = $1", [importId]);
      if (["completed", "completed_with_errors", "failed"].includes(rows[0].import_status)) return rows[0].import_status;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the import was not normalised");
  }

  it("takes ?kind=linkedin, says which kind it used and why, and refuses an unknown kind", async () => {
    const response = await post("?kind=linkedin&filename=heyreach.csv", fixture("heyreach.csv"));
    expect(response.status).toBe(201);
    const body = (await response.json()) as { importId: string; id: string; kind: string; kindReason: string };
    expect([body.kind, body.kindReason]).toEqual(["linkedin", "given"]);
    expect(await waitForStatus(body.importId)).toBe("completed_with_errors");
    const { body: gql } = await server.graphql(
      `query ($id: ID!) { csvImportsRawById(id: $id) { importKind eventsUnchanged failedRows } }`,
      { id: body.id },
    );
    expect(gql.data.csvImportsRawById).toEqual({ importKind: "linkedin", eventsUnchanged: 6, failedRows: 1 });

    const detected = (await (await post("?filename=dripify.csv", fixture("dripify.csv"))).json()) as { kind: string; kindReason: string };
    expect(detected).toMatchObject({ kind: "linkedin", kindReason: expect.stringMatching(/^detected: a LinkedIn profile column/) });

    const bogus = await post("?kind=apollo", fixture("heyreach.csv"));
    expect(bogus.status).toBe(400);
    expect(await bogus.json()).toEqual({ error: 'kind must be leads, linkedin or auto (detected from the columns), got "apollo"' });
  });

  it("leadgraph import --kind linkedin stores a LinkedIn import and says so; a wrong --kind is refused", () => {
    const bin = path.join(projectRoot, "bin", "leadgraph.js");
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url };
    const file = path.join(FIXTURES, "lemlist.csv");
    const given = spawnSync(process.execPath, [bin, "import", file, "--kind", "linkedin"], { env, encoding: "utf8" });
    expect(given.status, given.stderr).toBe(0);
    expect(given.stderr).toMatch(/imported as LinkedIn activity \(--kind linkedin\)/);
    const detected = spawnSync(process.execPath, [bin, "import", file], { env, encoding: "utf8" });
    expect(detected.stderr).toMatch(/imported as LinkedIn activity \(detected: a LinkedIn profile column \("linkedinUrl"\)/);
    const leads = spawnSync(process.execPath, [bin, "import", file, "--kind", "leads"], { env, encoding: "utf8" });
    expect(leads.stderr).toMatch(/imported as leads \(--kind leads\)/);
    const wrong = spawnSync(process.execPath, [bin, "import", file, "--kind", "apollo"], { env, encoding: "utf8" });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/--kind must be leads, linkedin or auto, got "apollo"/);
  });
});
