// `leadgraph demo` as a user runs it (a real process) against an empty
// database: afterwards every page of the web app has data, and a second run
// refuses to touch it.
import fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { demoCsv } from "../../src/demo.ts";
import { runLeadgraph } from "../helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let db: TestDatabase;
let server: TestServer;

function demo(args: string[]) {
  return runLeadgraph(["demo", ...args], db.url);
}

async function gql(query: string) {
  const { body } = await server.graphql(query);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
});

describe("leadgraph demo", () => {
  it(
    "fills an empty database through the import and the Instantly sync, then refuses to run again without --force",
    { timeout: 120_000 },
    async () => {
      const first = await demo(["--size", "small"]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/importing apollo-contacts-export\.csv/);
      expect(first.stdout).toMatch(/demo workspace ready/);
      expect(first.stdout).toMatch(/Open the app/);

      // The lead list: people from both sources, phones, last activity.
      const list = await gql(`{
      all: leads { totalCount }
      csv: leads(filter: { leadSource: { equalTo: "csv" } }) { totalCount }
      instantly: leads(filter: { leadSource: { equalTo: "instantly" } }) { totalCount }
      withPhone: leads(filter: { hasPhone: { equalTo: true } }) { totalCount }
      recent: leads(orderBy: [LAST_EVENT_AT_DESC], first: 1) { nodes { lastEventAt } }
    }`);
      expect(list.csv.totalCount).toBeGreaterThan(40);
      expect(list.instantly.totalCount).toBeGreaterThan(40);
      expect(list.withPhone.totalCount).toBeGreaterThan(0);
      expect(list.recent.nodes[0].lastEventAt).not.toBeNull();

      // Calls placed by the workflow and LinkedIn touches, in the same timelines.
      const channels = await gql(`{
      calls: events(filter: { eventSource: { equalTo: "vapi" } }) { totalCount }
      answered: events(filter: { eventType: { equalTo: "call_completed" } }) { totalCount }
      linkedin: events(filter: { eventSource: { equalTo: "linkedin" } }) { totalCount }
      placed: vapiCallRequests(filter: { state: { equalTo: "placed" } }) { totalCount }
    }`);
      expect(first.stdout).toMatch(/follow-up calls placed by the workflow/);
      expect(channels.placed.totalCount).toBeGreaterThan(0);
      expect(channels.calls.totalCount).toBe(channels.placed.totalCount);
      expect(channels.answered.totalCount).toBeGreaterThan(0);
      expect(channels.linkedin.totalCount).toBeGreaterThan(0);

      // GraphiQL's example query (its default variables) finds its lead.
      const example = fs.readFileSync(new URL("../../docs/queries/lead-timeline.graphql", import.meta.url), "utf8");
      expect((await gql(example)).lead).toMatchObject({ fullName: "Jane Doe", email: "jane.doe@northwind-example.com" });

      // The lead page: people of the CSV import with Instantly events, some
      // with a note; and people whose one timeline has their emails, calls and
      // LinkedIn touches. (Counted over all leads: a first page, in an order of
      // random ids, need not hold one of each, and the people the workflow
      // calls need not be the CSV's: in a run at 00:24 UTC none was.)
      const withEvents = (...sources: string[]) =>
        `and: [${sources.map((source) => `{ events: { some: { eventSource: { equalTo: "${source}" } } } }`).join(", ")}]`;
      const mixed = await gql(`{
      leads(filter: { csvImportId: { isNull: false }, events: { some: { eventSource: { equalTo: "instantly" } } } }, first: 50) {
        totalCount
        nodes { company { companyName } campaignLeads { totalCount } }
      }
      withNote: leads(filter: { csvImportId: { isNull: false }, ${withEvents("instantly", "manual")} }) { totalCount }
      everyChannel: leads(filter: { ${withEvents("instantly", "vapi", "linkedin")} }) { totalCount }
    }`);
      expect(mixed.leads.totalCount).toBeGreaterThan(0);
      expect(mixed.withNote.totalCount).toBeGreaterThan(0);
      expect(mixed.everyChannel.totalCount).toBeGreaterThan(0);
      expect(mixed.leads.nodes.every((l: any) => l.campaignLeads.totalCount >= 1)).toBe(true);

      // The campaigns and their dashboards; the companies.
      const campaigns = await gql(`{
      campaigns(filter: { instantlyCampaignId: { isNull: false } }) {
        nodes { campaignName campaignLeads { totalCount } funnel { leads contacted } campaignEventCounts { totalCount } }
      }
      example: campaign(rowId: "00000000-0000-0000-0000-000000000007") { campaignLeads { totalCount } }
      companies(filter: { leadsExist: true }) { totalCount }
      statusChanges: events(filter: { eventType: { equalTo: "status_changed" } }) { totalCount }
    }`);
      expect(campaigns.campaigns.nodes).toHaveLength(2);
      const contacted = campaigns.campaigns.nodes.filter((c: any) => c.funnel.contacted > 0);
      expect(contacted.length).toBeGreaterThan(0);
      for (const campaign of contacted) {
        expect(campaign.campaignLeads.totalCount).toBe(campaign.funnel.leads);
        expect(campaign.campaignEventCounts.totalCount).toBeGreaterThan(0);
      }
      expect(campaigns.example.campaignLeads.totalCount).toBeGreaterThan(40); // the CSV's people, enrolled
      expect(campaigns.companies.totalCount).toBeGreaterThan(10);
      expect(campaigns.statusChanges.totalCount).toBeGreaterThan(0);

      // The imports and Instantly pages.
      const pages = await gql(`{
      csvImportsRaws { nodes { fileName importStatus totalRows failedRows duplicateRows
        rejected: rows(condition: { outcome: "rejected" }) { totalCount nodes { outcomeReason } } } }
      instantlySyncRuns { nodes { status resources { nodes { resource status rowsStored } } } }
      instantlyWebhooksRaws { totalCount }
    }`);
      const upload = pages.csvImportsRaws.nodes.find((i: any) => i.fileName === "apollo-contacts-export.csv");
      expect(upload).toMatchObject({ fileName: "apollo-contacts-export.csv", importStatus: "completed_with_errors", totalRows: 60 });
      expect(upload.failedRows).toBe(3);
      expect(upload.duplicateRows).toBe(2);
      expect(upload.rejected.nodes.map((r: any) => r.outcomeReason).sort()).toEqual([
        expect.stringMatching(/^invalid email: /),
        "no email and no LinkedIn URL",
        "no email and no LinkedIn URL",
      ]);
      const [run] = pages.instantlySyncRuns.nodes;
      expect(run.status).toBe("completed");
      expect(run.resources.nodes.map((r: any) => r.resource).sort()).toEqual([
        "accounts",
        "campaigns",
        "daily_analytics",
        "emails",
        "leads",
      ]);
      expect(run.resources.nodes.every((r: any) => r.status === "completed" && r.rowsStored > 0)).toBe(true);
      expect(pages.instantlyWebhooksRaws.totalCount).toBeGreaterThan(0);

      // Nothing is left queued or running.
      const { rows } = await db.pool.query(
        `select (select count(*) from graphile_worker.jobs)::int as jobs, (select count(*) from leadgraph_private.instantly_pending)::int as pending`,
      );
      expect(rows[0]).toEqual({ jobs: 0, pending: 0 });

      const again = await demo(["--size", "small"]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already has data \(leads: \d+, events: \d+, companies: \d+, imports: 2, .*--force/s);
      expect((await gql("{ leads { totalCount } }")).leads.totalCount).toBe(list.all.totalCount);
    },
  );
});

describe("the demo's CSV", () => {
  it("is an Apollo export of the size asked for, the same every time, with names in several scripts", () => {
    const instantly = [
      {
        email: "Jane.Adler@Northwind-Example.com",
        companyDomain: "northwind-example.com",
        payload: { firstName: "Jane", lastName: "Adler", companyName: "Northwind" },
      },
    ];
    const csv = demoCsv("normal", instantly);
    expect(demoCsv("normal", instantly)).toEqual(csv);
    const lines = csv.text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^First Name,Last Name,Title,Company Name,Email,Email Status,Seniority,/);
    expect(lines).toHaveLength(401);
    expect(csv).toMatchObject({ rows: 400, shared: 1, bad: 6, duplicates: 4 });
    expect(csv.text).toContain("jane.adler@northwind-example.com,");
    for (const script of [/\p{Script=Greek}/u, /\p{Script=Cyrillic}/u, /\p{Script=Han}/u, /[ÀÅÉÖØÜßąłńśżŞğı]/u])
      expect(csv.text).toMatch(script);
    expect(csv.companies).toBeGreaterThan(20);
  });

  it("repeats only the people it means to, when Instantly has a person in two campaigns", () => {
    const person = (email: string) => ({ email, companyDomain: email.split("@")[1]!, payload: { firstName: "Priya", lastName: "Young" } });
    // (the same person twice, in another case the second time)
    const csv = demoCsv("small", [
      person("priya.young@adatum-example.com"),
      person("Priya.Young@adatum-example.com"),
      person("li.wei@contoso-example.com"),
    ]);
    expect(csv).toMatchObject({ shared: 2, duplicates: 2 });
    const records: Array<Record<string, string>> = parse(csv.text, { columns: true });
    const emails = records.map((record) => record.Email!.trim().toLowerCase()).filter((email) => email.includes("@"));
    expect(emails.length - new Set(emails).size).toBe(csv.duplicates);
  });
});
