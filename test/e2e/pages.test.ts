// The app in a real browser against a real leadgraph with the demo
// workspace (`leadgraph demo --size small`): what a sales user does on each
// page, and no console errors anywhere.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { runDemo } from "../../src/demo.ts";
import { startWorker } from "../../src/worker.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { chromiumMissing, openPage } from "./browser.ts";

const db = await createTestDatabase();
let server: TestServer;

beforeAll(async () => {
  expect(await runDemo(db, loadConfig(), { size: "small" })).toBe(0);
  server = await startTestServer(db);
  // As `leadgraph start`: the worker normalises what the app uploads.
  const config = loadConfig();
  const worker = await startWorker({ databaseUrl: db.url, config, concurrency: 2, shutdownTimeoutMs: 5000 });
  afterAll(() => worker.stop());
}, 180_000);

/** A lead whose timeline mixes sources: from the CSV and with Instantly events. */
async function mixedLead() {
  const { rows } = await db.pool.query(`
    select l.id, l.full_name, l.email, count(*)::int as events
    from leads l join events e on e.lead_id = l.id
    where l.csv_import_id is not null and e.event_source = 'instantly' and l.full_name is not null
    group by l.id order by count(*) desc, l.id limit 1`);
  expect(rows).toHaveLength(1);
  return rows[0] as { id: string; full_name: string; email: string; events: number };
}

describe.skipIf(chromiumMissing)("pages with the demo workspace", () => {
  it("the lead list searches (without accents or case), filters, and opens a lead", async () => {
    const lead = await mixedLead();
    const { page, errors } = await openPage(server.url);
    await page.goto("/leads");
    const total = (await db.pool.query("select count(*)::int as n from leads")).rows[0].n;
    await page
      .getByRole("status")
      .filter({ hasText: `${total} leads` })
      .waitFor();

    // Quick search by the name folded to ASCII lower case.
    const folded = lead.full_name
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase();
    await page.getByRole("textbox", { name: "Search leads" }).fill(folded);
    await page.waitForURL(/[?&]q=/);
    const link = page.getByRole("table", { name: "Leads" }).getByRole("link", { name: lead.full_name, exact: true });
    await link.first().waitFor();

    // The filter state is in the URL: a reload keeps it.
    await page.reload();
    await link.first().waitFor();

    // A facet through the URL, as the dashboard's links use it.
    const replied = (await db.pool.query("select count(*)::int as n from leads where lead_status = 'replied'")).rows[0].n;
    await page.goto("/leads?leadStatus=replied");
    await page
      .getByRole("status")
      .filter({ hasText: `${replied} lead` })
      .waitFor();

    await page.goto(`/leads?q=${encodeURIComponent(folded)}`);
    await link.first().click();
    await page.waitForURL(`**/leads/${lead.id}`);
    await page.getByRole("heading", { level: 2, name: lead.full_name }).waitFor();
    expect(errors).toEqual([]);
  });

  it("the lead page shows the timeline across sources, and a new note and a status change show at once", async () => {
    const lead = await mixedLead();
    const { page, errors } = await openPage(server.url);
    await page.goto(`/leads/${lead.id}`);
    const timeline = page.getByRole("region", { name: "Timeline" });
    await timeline.locator('[data-event-source="instantly"]').first().waitFor();

    const note = `Called back, wants a demo on Thursday — Zoë ${Date.now()}`;
    await page.getByRole("textbox", { name: "Note" }).fill(note);
    await page.getByRole("button", { name: "Add note" }).click();
    await timeline.locator('[data-event-source="manual"]').filter({ hasText: note }).waitFor();
    const stored = await db.pool.query("select performed_by from events where lead_id = $1 and note_text = $2", [lead.id, note]);
    expect(stored.rows).toEqual([{ performed_by: "00000000-0000-0000-0000-000000000001" }]);

    const before = (await db.pool.query("select lead_status from leads where id = $1", [lead.id])).rows[0].lead_status;
    const next = before === "interested" ? "qualified" : "interested";
    await page.getByRole("combobox", { name: "Lead status" }).click();
    await page.getByRole("option", { name: new RegExp(`^${next}$`, "i") }).click();
    await timeline
      .locator('[data-event-type="status_changed"]')
      .filter({ hasText: new RegExp(`${next}`, "i") })
      .first()
      .waitFor();
    expect((await db.pool.query("select lead_status from leads where id = $1", [lead.id])).rows[0].lead_status).toBe(next);
    expect(errors).toEqual([]);
  });

  it("the campaign dashboard's numbers equal the GraphQL aggregates, and a status number opens the filtered lead list", async () => {
    const campaign = (
      await db.pool.query(
        "select c.id from campaigns c join campaign_leads cl on cl.campaign_id = c.id where c.instantly_campaign_id is not null group by c.id order by count(*) desc limit 1",
      )
    ).rows[0].id;
    const { body } = await server.graphql(
      `query($id: UUID!) { campaign(rowId: $id) { funnel { leads contacted opened replied bounced unsubscribed }
         campaignLeads { totalCount } } }`,
      { id: campaign },
    );
    const funnel = body.data.campaign.funnel;
    const { page, errors } = await openPage(server.url);
    await page.goto(`/campaigns/${campaign}`);
    for (const name of ["leads", "contacted", "opened", "replied", "bounced", "unsubscribed"]) {
      const kpi = page.getByTestId(`kpi-${name}`);
      await kpi.waitFor();
      expect(Number(await kpi.getAttribute("data-value")), name).toBe(Number(funnel[name]));
    }
    expect(Number(funnel.leads)).toBe(body.data.campaign.campaignLeads.totalCount);
    await page.locator(".recharts-surface").first().waitFor();
    // The chart's totals (all days) equal the campaign's email events.
    const events = (
      await db.pool.query(
        `select count(*) filter (where event_type = 'email_sent')::int as sent,
                count(*) filter (where event_type = 'email_replied')::int as replied
         from events where campaign_id = $1`,
        [campaign],
      )
    ).rows[0];
    for (const name of ["sent", "replied"]) {
      const total = page.getByTestId(`range-${name}`);
      await expect.poll(async () => Number(await total.getAttribute("data-value")), { message: name }).toBe(events[name]);
    }

    // Leads by status: a number is a link to the lead list with that filter.
    const { rows } = await db.pool.query(
      "select overall_status, count(*)::int as n from campaign_leads where campaign_id = $1 group by 1 order by 2 desc limit 1",
      [campaign],
    );
    const status = rows[0];
    const link = page.getByRole("link", { name: new RegExp(`^${status.n} leads ${status.overall_status.replace(/_/g, " ")}`) });
    await link.first().click();
    await page.waitForURL(/\/leads\?/);
    await page
      .getByRole("status")
      .filter({ hasText: `${status.n} lead` })
      .waitFor();
    expect(errors).toEqual([]);
  });

  it("an upload with bad rows shows the upload, the summary and a rejected row's reason", async () => {
    const csv = [
      "First Name,Last Name,Title,Company,Email,Company Website",
      "Ana,Müller-Lüdenscheidt,CTO,Zürich Robotics,ana@zurich-robotics.example,zurich-robotics.example",
      "Bad,Email,CEO,Nowhere,not-an-email,nowhere.example",
      ",,,,,",
      "Łukasz,Żółć,VP Sales,Gdańsk Logistics,lukasz@gdansk-logistics.example,gdansk-logistics.example",
    ].join("\n");
    const { page, errors } = await openPage(server.url);
    await page.goto("/imports");
    await page.getByTestId("csv-file-input").setInputFiles({ name: "e2e-bad-rows.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    const summary = page.getByTestId("import-summary");
    await summary.waitFor({ timeout: 60_000 });
    await summary.getByTestId("import-status").and(page.locator('[data-value^="completed"]')).waitFor({ timeout: 60_000 });
    const { rows } = await db.pool.query(
      `select r.outcome, count(*)::int as n from csv_import_rows r join csv_imports_raw i on i.id = r.csv_import_id
       where i.file_name = 'e2e-bad-rows.csv' group by 1`,
    );
    const rejected = rows.find((r) => r.outcome === "rejected")?.n ?? 0;
    expect(rejected).toBeGreaterThan(0);
    expect(await page.getByTestId("import-count-rejected").textContent()).toContain(String(rejected));

    // The import's page: the rejected rows with their reasons and values.
    const importId = (await db.pool.query("select id from csv_imports_raw where file_name = 'e2e-bad-rows.csv'")).rows[0].id;
    await page.goto(`/imports/${importId}`);
    const reasons = (
      await db.pool.query(
        "select outcome_reason from csv_import_rows where csv_import_id = $1 and outcome = 'rejected' order by row_number",
        [importId],
      )
    ).rows.map((r) => r.outcome_reason);
    await page.getByTestId("row-reason").filter({ hasText: reasons[0] }).first().waitFor();
    await page.getByText("not-an-email").first().waitFor();
    expect(errors).toEqual([]);
  });

  it("every page renders without console errors, on a laptop screen and on a phone", async () => {
    const lead = await mixedLead();
    const ids = (
      await db.pool.query(
        `select
        (select company_id from leads where id = $1) as company,
        (select id from campaigns order by created_at limit 1) as campaign,
        (select id from csv_imports_raw order by uploaded_at desc limit 1) as import`,
        [lead.id],
      )
    ).rows[0];
    const routes = [
      "/leads",
      `/leads/${lead.id}`,
      `/companies/${ids.company}`,
      "/campaigns",
      `/campaigns/${ids.campaign}`,
      "/imports",
      `/imports/${ids.import}`,
      "/instantly",
      "/calls",
      "/search?q=pricing",
      "/no-such-page",
    ];
    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const { page, errors } = await openPage(server.url, { viewport });
      for (const route of routes) {
        await page.goto(route, { waitUntil: "networkidle" });
        await page.getByRole("heading", { level: 2 }).first().waitFor();
        expect(await page.getByRole("alert").count(), `${route} shows an error`).toBe(0);
      }
      expect(errors).toEqual([]);
    }
  });
});
