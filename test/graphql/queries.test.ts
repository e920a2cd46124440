// Every example operation in docs/queries runs against seeded data and
// returns what a frontend page needs.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { QUERIES_DIR } from "../../src/graphile.config.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { IDS, seed } from "../helpers/seed.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const operation = (name: string) => fs.readFileSync(path.join(QUERIES_DIR, `${name}.graphql`), "utf8");

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.pool);
  server = await startTestServer(db);
});

async function run(name: string, variables: Record<string, unknown> = {}) {
  const { status, body } = await server.graphql(operation(name), variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data;
}

describe("docs/queries", () => {
  it("has exactly the operations the tests below run", () => {
    expect(fs.readdirSync(QUERIES_DIR).sort()).toEqual([
      "campaign-dashboard.graphql",
      "company.graphql",
      "import-status.graphql",
      "lead-timeline.graphql",
      "search.graphql",
    ]);
  });

  it("lead-timeline: the lead, company, campaigns with workflow statuses, timeline newest first, paginated", async () => {
    const { lead } = await run("lead-timeline", { first: 3 });
    expect(lead).toMatchObject({
      rowId: IDS.jane,
      fullName: "Jane Doe",
      email: "jane.doe@northwind-example.com",
      company: { companyName: "Northwind Labs", companyDomain: "northwind-example.com", employeeCount: 23 },
      campaignLeads: {
        nodes: [
          {
            campaign: { rowId: IDS.campaign, campaignName: "AI Automation Outreach (example)", campaignStatus: "active" },
            emailStatus: "replied",
            overallStatus: "replied",
            sequenceStep: 1,
          },
        ],
      },
    });
    const page1 = lead.timeline;
    expect(page1.totalCount).toBe(4);
    expect(page1.nodes.map((e: any) => e.eventType)).toEqual(["call_completed", "note_added", "email_replied"]);
    expect(page1.nodes[1]).toMatchObject({
      eventSource: "manual",
      noteText: "Call booked for Thursday",
      performer: { fullName: "Default User" },
    });
    expect(page1.pageInfo.hasNextPage).toBe(true);

    const { lead: next } = await run("lead-timeline", { first: 3, after: page1.pageInfo.endCursor });
    expect(next.timeline.nodes.map((e: any) => [e.eventType, e.emailSubject])).toEqual([["email_sent", "Jane, quick question"]]);
    expect(next.timeline.pageInfo.hasNextPage).toBe(false);
  });

  it("campaign-dashboard: funnel totals and rates, leads by status, events per day, replies by step", async () => {
    const data = await run("campaign-dashboard", { campaignId: IDS.campaign });
    expect(data.campaign.funnel).toEqual({
      leads: 3,
      contacted: 3,
      opened: 2,
      replied: 1,
      bounced: 1,
      unsubscribed: 0,
      openRate: "0.6667",
      replyRate: "0.3333",
      bounceRate: "0.3333",
    });
    const counts = (groups: any[], field: string) => Object.fromEntries(groups.map((g) => [g.keys.join(" "), Number(g.sum[field])]));
    expect(counts(data.campaign.leadsByEmailStatus.groupedAggregates, "leadCount")).toEqual({ bounced: 1, opened: 1, replied: 1 });
    expect(data.campaign.emailActivityPerDay).toEqual([
      { eventDate: "2025-10-21", sent: 3, opened: 0, replied: 1, bounced: 1 },
      { eventDate: "2025-10-24", sent: 1, opened: 1, replied: 0, bounced: 0 },
    ]);
    expect(counts(data.campaign.repliesByStep.groupedAggregates, "leadCount")).toEqual({ 1: 1 });
    expect(data.eventStats.nodes[0]).toEqual({ eventSource: "instantly", eventType: "email_sent", eventCount: "4" });
    expect(data.eventStats.nodes).toHaveLength(6);
  });

  it("campaignEventCounts: events per day by type, every type (what the dashboard's per-day rows are summed from)", async () => {
    const { status, body } = await server.graphql(
      `query($id: UUID!) { campaign(rowId: $id) { campaignEventCounts {
         groupedAggregates(groupBy: [EVENT_DATE, EVENT_TYPE]) { keys sum { eventCount } } } } }`,
      { id: IDS.campaign },
    );
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(status).toBe(200);
    const groups = body.data.campaign.campaignEventCounts.groupedAggregates;
    expect(Object.fromEntries(groups.map((g: any) => [g.keys.join(" "), Number(g.sum.eventCount)]))).toEqual({
      "2025-10-21 email_bounced": 1,
      "2025-10-21 email_replied": 1,
      "2025-10-21 email_sent": 3,
      "2025-10-22 note_added": 1,
      "2025-10-23 call_completed": 1,
      "2025-10-24 email_opened": 1,
      "2025-10-24 email_sent": 1,
    });
  });

  it("emailActivityPerDay: the range's days only, both bounds inclusive", async () => {
    const { body } = await server.graphql(
      `query($id: UUID!) { campaign(rowId: $id) { emailActivityPerDay(fromDate: "2025-10-22", toDate: "2025-10-24") { eventDate sent } } }`,
      { id: IDS.campaign },
    );
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(body.data.campaign.emailActivityPerDay).toEqual([{ eventDate: "2025-10-24", sent: 1 }]);
  });

  it("leadsByOverallStatus: the campaign's memberships counted by workflow status, most first", async () => {
    const { body } = await server.graphql(
      `query($id: UUID!) { campaign(rowId: $id) { leadsByOverallStatus { overallStatus leadCount } } }`,
      { id: IDS.campaign },
    );
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    const { rows } = await db.pool.query(
      `select overall_status as "overallStatus", count(*)::int as "leadCount" from campaign_leads
        where campaign_id = $1 group by 1 order by 2 desc, 1`,
      [IDS.campaign],
    );
    expect(rows.length).toBeGreaterThan(1);
    expect(body.data.campaign.leadsByOverallStatus).toEqual(rows);
  });

  it("company: the company, its first import and its leads with their campaigns", async () => {
    const { company } = await run("company", { domain: "northwind-example.com" });
    expect(company).toMatchObject({
      companyName: "Northwind Labs",
      technologies: ["Gmail", "Slack", "HubSpot"],
      firstSeenInCsv: { fileName: "apollo-contacts-export.csv" },
      leads: { totalCount: 2 },
    });
    expect(company.leads.nodes.map((l: any) => [l.fullName, l.campaignLeads.nodes[0].emailStatus])).toEqual([
      ["Jane Doe", "replied"],
      ["Tom Berg", "opened"],
    ]);
  });

  it("import-status: counts, outcomes and the rejected rows with reasons", async () => {
    const { csvImport } = await run("import-status", { importId: IDS.csvImport });
    expect(csvImport).toMatchObject({
      importStatus: "completed_with_errors",
      totalRows: 4,
      processedRows: 4,
      failedRows: 1,
      uploader: { fullName: "Default User" },
    });
    expect(
      Object.fromEntries(csvImport.outcomes.groupedAggregates.map((g: any) => [g.keys[0], Number(g.distinctCount.rowNumber)])),
    ).toEqual({
      duplicate: 1,
      inserted: 2,
      rejected: 1,
    });
    expect(csvImport.rejected.nodes).toEqual([
      { rowNumber: 4, outcomeReason: "no email and no LinkedIn URL", rawRow: { "First Name": "", Email: "" } },
    ]);
  });

  it("search: finds events by words of their body or transcript, with lead and company", async () => {
    const { searchEvents } = await run("search", { query: "pricing" });
    expect(searchEvents.totalCount).toBe(2);
    expect(searchEvents.nodes.map((e: any) => e.eventType).sort()).toEqual(["call_completed", "email_replied"]);
    expect(searchEvents.nodes[0].lead).toEqual({
      fullName: "Jane Doe",
      email: "jane.doe@northwind-example.com",
      company: { companyName: "Northwind Labs" },
    });
    expect((await run("search", { query: "onboarding" })).searchEvents.nodes.map((e: any) => e.eventType)).toEqual(["call_completed"]);
    expect((await run("search", { query: "nothing-like-this" })).searchEvents.totalCount).toBe(0);
  });
});
