// Calls and LinkedIn in a real browser: the lead timeline (a VAPI call with
// its player and transcript, a LinkedIn conversation), "Log a call" and
// "Call now" on the lead page, the Calls page (outbox, due list, recent
// calls) and the campaign dashboard's calls section. Seeded with SQL: VAPI
// and LinkedIn events are inserted as the normalisers would write them.
import { beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { chromiumMissing, openPage } from "./browser.ts";

const db = await createTestDatabase();
let server: TestServer;
const ids: Record<string, string> = {};
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

async function insert(table: string, row: Record<string, unknown>): Promise<string> {
  const keys = Object.keys(row);
  const { rows } = await db.pool.query<{ id: string }>(
    `insert into ${table} (${keys.join(", ")}) values (${keys.map((_, i) => `$${i + 1}`).join(", ")}) returning id`,
    Object.values(row),
  );
  return rows[0]!.id;
}

/** A lead emailed `daysAgo` days ago in the campaign, without a reply. */
async function emailedMember(first: string, phone: string | null, daysAgo: number) {
  const lead = await insert("leads", {
    first_name: first,
    last_name: "Calloway",
    email: `${first
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()}@calls.example`,
    phone,
  });
  const membership = await insert("campaign_leads", {
    campaign_id: ids.campaign,
    lead_id: lead,
    email_status: "sent",
    email_sent_at: ago(daysAgo),
  });
  await insert("events", {
    event_source: "instantly",
    event_type: "email_sent",
    lead_id: lead,
    campaign_id: ids.campaign,
    campaign_lead_id: membership,
    event_timestamp: ago(daysAgo),
    email_subject: `Quick question, ${first}`,
  });
  return { lead, membership };
}

beforeAll(async () => {
  ids.campaign = await insert("campaigns", {
    campaign_name: "Follow-up calls",
    campaign_status: "active",
    uses_email: true,
    uses_calls: true,
    uses_linkedin: true,
    vapi_assistant_id: "asst_e2e_0001",
    vapi_phone_number_id: "pn_e2e_0001",
    timezone: "UTC",
    call_after: "2 days",
    call_hours_start: "09:00",
    call_hours_end: "17:30",
    call_days: [1, 2, 3, 4, 5],
  });
  // Zoë: emailed, called twice by VAPI, and on LinkedIn; Marek: due a call.
  const zoe = await emailedMember("Zoë", "+14155550101", 6);
  ids.zoe = zoe.lead;
  ids.zoeMembership = zoe.membership;
  ids.marek = (await emailedMember("Marek", "+442071838750", 4)).lead;
  await emailedMember("Nophone", null, 4);

  const call = (type: string, outcome: string | null, daysAgo: number, extra: Record<string, unknown> = {}) =>
    insert("events", {
      event_source: "vapi",
      event_type: type,
      lead_id: zoe.lead,
      campaign_id: ids.campaign,
      campaign_lead_id: zoe.membership,
      event_timestamp: ago(daysAgo),
      call_outcome: outcome,
      vapi_call_id: `call-e2e-${type}`,
      ...extra,
    });
  await call("call_voicemail", "voicemail", 3, { call_duration_seconds: 21 });
  await call("call_failed", null, 4, { raw_data: { id: "call-e2e-call_failed", endedReason: "call.in-progress.error-new-thing" } });
  await call("call_completed", "answered", 2, {
    call_duration_seconds: 154,
    call_recording_url: "https://recordings.example/call-e2e.wav",
    call_transcript: "AI: Hi Zoë, it's Sam from Acme about the email I sent.\nUser: Oh yes, send me the pricing please.",
    call_summary: "Zoë wants the pricing sheet by Friday.",
    call_success_evaluation: "true",
    raw_data: { id: "call-e2e-call_completed", endedReason: "customer-ended-call" },
  });
  await db.pool.query("update campaign_leads set call_status = 'completed', call_completed_at = $2 where id = $1", [
    zoe.membership,
    ago(2),
  ]);

  const touch = (type: string, hoursAgo: number, text: string | null) =>
    insert("events", {
      event_source: "linkedin",
      event_type: type,
      lead_id: zoe.lead,
      campaign_id: ids.campaign,
      event_timestamp: new Date(Date.now() - hoursAgo * 3_600_000),
      linkedin_message_text: text,
      linkedin_profile_url: "https://www.linkedin.com/in/zoe-calloway",
    });
  await touch("connection_sent", 30, null);
  await touch("connection_accepted", 28, null);
  await touch("message_sent", 27, "Thanks for connecting, Zoë! Did you see my email?");
  await touch("message_replied", 26, "I did, call me tomorrow.");

  server = await startTestServer(db);
}, 120_000);

describe.skipIf(chromiumMissing)("calls and LinkedIn in the app", () => {
  it("the lead timeline shows the call with its player, summary and transcript, and the LinkedIn conversation", async () => {
    const { page, errors } = await openPage(server.url);
    await page.goto(`/leads/${ids.zoe}`);
    const timeline = page.getByRole("region", { name: "Timeline" });
    const answered = timeline.locator('[data-event-type="call_completed"]');
    await answered.getByTestId("call-outcome").filter({ hasText: "Answered" }).waitFor();
    await answered.getByText("Duration 2:34").waitFor();
    await answered.getByText("Zoë wants the pricing sheet by Friday.").waitFor();
    await answered.getByTestId("call-success-evaluation").filter({ hasText: "Successful" }).waitFor();
    const audio = answered.locator("audio");
    expect(await audio.getAttribute("src")).toBe("https://recordings.example/call-e2e.wav");
    expect(await audio.getAttribute("preload")).toBe("none");
    expect(await audio.getAttribute("controls")).not.toBeNull();

    // The transcript is collapsed behind a button.
    const transcript = answered.getByText("send me the pricing please", { exact: false });
    expect(await transcript.count()).toBe(0);
    await answered.getByRole("button", { name: "Show transcript" }).click();
    await transcript.waitFor();
    await answered.getByRole("button", { name: "Hide transcript" }).click();
    await transcript.waitFor({ state: "detached" });

    await timeline.locator('[data-event-type="call_voicemail"]').getByTestId("call-outcome").filter({ hasText: "Voicemail" }).waitFor();
    // A failed call says VAPI's reason, also one leadgraph does not know.
    const failed = timeline.locator('[data-event-type="call_failed"]');
    await failed.getByTestId("call-outcome").filter({ hasText: "Failed" }).waitFor();
    await failed.getByText("call.in-progress.error-new-thing").waitFor();

    // LinkedIn: one conversation, ours and theirs on their sides, touches as small lines.
    const conversation = timeline.getByTestId("linkedin-conversation");
    await conversation.waitFor();
    expect(await conversation.count()).toBe(1);
    await conversation.locator('[data-linkedin-side="ours"]').filter({ hasText: "Did you see my email?" }).waitFor();
    await conversation.locator('[data-linkedin-side="theirs"]').filter({ hasText: "call me tomorrow" }).waitFor();
    await conversation.locator('[data-linkedin-side="system"]').filter({ hasText: "Connection accepted" }).waitFor();
    expect(await conversation.getByRole("link", { name: "LinkedIn profile" }).getAttribute("href")).toBe(
      "https://www.linkedin.com/in/zoe-calloway",
    );
    // Oldest first inside the conversation, like a chat.
    const order = await conversation
      .locator("[data-event-type]")
      .evaluateAll((els) =>
        els.map((el) => (el as unknown as { getAttribute(name: string): string | null }).getAttribute("data-event-type")),
      );
    expect(order).toEqual(["connection_sent", "connection_accepted", "message_sent", "message_replied"]);

    // The membership's statuses read in words.
    const membership = page.getByRole("article", { name: "Follow-up calls" });
    await membership.getByText("Answered").waitFor();
    expect(errors).toEqual([]);
  });

  it("Log a call adds a call row to the timeline at once", async () => {
    const { page, errors } = await openPage(server.url);
    await page.goto(`/leads/${ids.zoe}`);
    await page.getByRole("button", { name: "Log a call" }).click();
    const form = page.getByRole("form", { name: "Log a call" });
    await form.getByRole("combobox", { name: "Outcome" }).click();
    await page.getByRole("option", { name: "Busy" }).click();
    await form.getByRole("textbox", { name: "Duration" }).fill("1:05");
    await form.getByRole("textbox", { name: "Call note" }).fill("Line busy, trying again Monday");
    await form.getByRole("button", { name: "Save call" }).click();

    const row = page.getByRole("region", { name: "Timeline" }).locator('[data-event-type="call_logged"]');
    await row.filter({ hasText: "Line busy, trying again Monday" }).waitFor();
    await row.getByTestId("call-outcome").filter({ hasText: "Busy" }).waitFor();
    await row.getByText("Duration 1:05").waitFor();
    await row.getByText(/logged by/).waitFor();
    const { rows } = await db.pool.query(
      "select event_source, call_outcome, call_duration_seconds, campaign_id, performed_by from events where lead_id = $1 and event_type = 'call_logged'",
      [ids.zoe],
    );
    expect(rows).toEqual([
      {
        event_source: "manual",
        call_outcome: "busy",
        call_duration_seconds: 65,
        campaign_id: ids.campaign,
        performed_by: "00000000-0000-0000-0000-000000000001",
      },
    ]);
    expect(errors).toEqual([]);
  });

  it("Call now queues a call request and shows its state; a lead without a phone is told why", async () => {
    const { page, errors } = await openPage(server.url);
    await page.goto(`/leads/${ids.marek}`);
    await page.getByRole("button", { name: "Call now" }).click();
    const state = page.getByTestId("lead-call-request");
    await state.getByTestId("call-request-state").filter({ hasText: "Queued" }).waitFor();
    await state.getByText("+442071838750").waitFor();
    const { rows } = await db.pool.query("select state, reason, customer_number, campaign_id from vapi_call_requests where lead_id = $1", [
      ids.marek,
    ]);
    expect(rows).toEqual([{ state: "queued", reason: "manual", customer_number: "+442071838750", campaign_id: ids.campaign }]);
    // The membership is now scheduled.
    await page.getByRole("article", { name: "Follow-up calls" }).getByText("Call scheduled").waitFor();

    const nophone = (await db.pool.query("select id from leads where first_name = 'Nophone'")).rows[0].id;
    await page.goto(`/leads/${nophone}`);
    await page.getByRole("button", { name: "Call now" }).click();
    await page.getByRole("alert").filter({ hasText: "no phone number" }).waitFor();
    expect((await db.pool.query("select count(*)::int as n from vapi_call_requests where lead_id = $1", [nophone])).rows[0].n).toBe(0);
    expect(errors).toEqual([]);
  });

  it("the Calls page lists the outbox, the calls due and the recent calls, and cancels a queued call", async () => {
    // Marek's call is queued (the test above); make Zoë's older sibling due: a new emailed lead.
    const due = await emailedMember("Dua", "+4930901820", 5);
    const { page, errors } = await openPage(server.url);
    await page.goto("/calls");
    await page.getByRole("heading", { level: 2, name: "Calls" }).waitFor();

    const outbox = page.getByRole("table", { name: "Call outbox" });
    const marekRow = outbox.getByRole("row").filter({ hasText: "Marek Calloway" });
    await marekRow.getByTestId("call-request-state").filter({ hasText: "Queued" }).waitFor();

    const dueTable = page.getByRole("table", { name: "Calls due" });
    await dueTable.getByRole("link", { name: "Dua Calloway" }).waitFor();
    expect(await dueTable.getByRole("link", { name: "Marek Calloway" }).count()).toBe(0);
    await dueTable.getByRole("button", { name: "Call Dua Calloway now" }).click();
    await outbox.getByRole("row").filter({ hasText: "Dua Calloway" }).waitFor();
    await dueTable.getByRole("link", { name: "Dua Calloway" }).waitFor({ state: "detached" });
    expect((await db.pool.query("select state from vapi_call_requests where lead_id = $1", [due.lead])).rows).toEqual([
      { state: "queued" },
    ]);

    const recent = page.getByRole("table", { name: "Recent calls" });
    await recent.getByRole("row").filter({ hasText: "Zoë Calloway" }).first().waitFor();
    await recent.getByTestId("call-outcome").filter({ hasText: "Answered" }).waitFor();

    // Cancel Marek's queued call.
    await marekRow.getByRole("button", { name: /^Cancel the call/ }).click();
    await marekRow.getByTestId("call-request-state").filter({ hasText: "Canceled" }).waitFor();
    expect((await db.pool.query("select state from vapi_call_requests where lead_id = $1", [ids.marek])).rows).toEqual([
      { state: "canceled" },
    ]);

    // Nothing synced yet, but calls exist: no "not set up" notice; the sync table is empty.
    await page.getByText("No sync has run yet").waitFor();
    expect(await page.getByText("Calls are not set up yet").count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("the campaign dashboard shows the calls section, the email -> call flow, the call settings and LinkedIn", async () => {
    const { page, errors } = await openPage(server.url);
    await page.goto(`/campaigns/${ids.campaign}`);
    const calls = page.getByTestId("campaign-calls");
    await calls.waitFor();
    const value = async (testId: string) => Number(await page.getByTestId(testId).getAttribute("data-value"));
    expect(await value("kpi-calls-placed")).toBe(3);
    expect(await value("kpi-calls-answered")).toBe(1);
    expect(await value("kpi-calls-voicemail")).toBe(1);
    expect(await value("kpi-calls-no-answer")).toBe(0);
    expect(await value("kpi-calls-failed")).toBe(1);
    expect(await value("kpi-calls-logged")).toBe(1);
    const { rows } = await db.pool.query(
      `select count(*) filter (where email_status in ('sent','opened','clicked','replied'))::int as emailed,
              count(*) filter (where call_status = 'completed')::int as answered,
              count(*) filter (where call_status in ('failed','no_answer','voicemail','wrong_number','completed','do_not_call'))::int as called
       from campaign_leads where campaign_id = $1`,
      [ids.campaign],
    );
    expect(await value("flow-emailed")).toBe(rows[0].emailed);
    expect(await value("flow-answered")).toBe(rows[0].answered);
    expect(await value("flow-called")).toBe(rows[0].called);
    const due = await server.graphql(`query($id: UUID!) { callsDue(filter: {campaignId: {equalTo: $id}}) { totalCount } }`, {
      id: ids.campaign,
    });
    expect(await value("flow-due")).toBe(due.body.data.callsDue.totalCount);
    await calls.getByText("2 days without a reply").waitFor();
    await calls.getByText("09:00–17:30, Mon–Fri (UTC)").waitFor();
    await calls.getByText("asst_e2e_0001").waitFor();
    await calls.getByText("pn_e2e_0001").waitFor();

    const linkedin = page.getByRole("region", { name: "LinkedIn" });
    expect(await value("kpi-linkedin-connection-sent")).toBe(1);
    expect(await value("kpi-linkedin-message-replied")).toBe(1);
    await linkedin.getByText("100% of invitations").waitFor();

    // Editing the call settings (updateCampaign).
    await calls.getByRole("button", { name: "Edit call settings" }).click();
    const form = page.getByRole("form", { name: "Call settings" });
    await form.getByRole("textbox", { name: "Call after (days)" }).fill("1");
    await form.getByLabel("Call hours from").fill("10:00");
    await form.getByLabel("until").fill("16:00");
    await form.getByText("Fri", { exact: true }).click();
    expect(await form.getByRole("checkbox", { name: "Fri" }).isChecked()).toBe(false);
    await form.getByRole("button", { name: "Save" }).click();
    await calls.getByText("10:00–16:00, Mon–Thu (UTC)").waitFor();
    await calls.getByText("1 day without a reply").waitFor();
    const saved = await db.pool.query(
      "select call_after::text, call_hours_start::text, call_hours_end::text, call_days from campaigns where id = $1",
      [ids.campaign],
    );
    expect(saved.rows[0]).toEqual({
      call_after: "1 day",
      call_hours_start: "10:00:00",
      call_hours_end: "16:00:00",
      call_days: [1, 2, 3, 4],
    });
    expect(errors).toEqual([]);
  });

  it("the Calls page renders on a phone, and says how to set VAPI up when nothing is there", async () => {
    const empty = await createTestDatabase();
    const emptyServer = await startTestServer(empty);
    const { page, errors } = await openPage(emptyServer.url, { viewport: { width: 390, height: 844 } });
    await page.goto("/calls");
    const hint = page.getByText("Calls are not set up yet");
    await hint.waitFor();
    await page.getByText("VAPI_API_KEY=… npm start").waitFor();
    await page.getByText("VAPI_WEBHOOK_SECRET=…").waitFor();
    // (A string: the page's DOM types are not in this project's lib.)
    const overflow = Number(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"));
    expect(overflow).toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);
  });
});
