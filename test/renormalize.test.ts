// `leadgraph renormalize` as a user runs it (a real process, a real worker)
// on the demo workspace, which has every source: a CSV import, a LinkedIn
// activity import, an Instantly sync with webhook deliveries, VAPI calls,
// notes and statuses set by users. Rebuilding from raw gives back the same
// normalised layer, repairs what was lost, keeps the manual data, and running
// it again changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_USER_ID } from "../src/auth.ts";
import { loadConfig } from "../src/config.ts";
import { startWorker, type RunningWorker } from "../src/worker.ts";
import { runLeadgraph } from "./helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

let db: TestDatabase;
let worker: RunningWorker | undefined;
/** The lead the user wrote a note on and qualified. */
let userLead: string;

function leadgraph(args: string[]) {
  return runLeadgraph(args, db.url);
}

/**
 * The normalised layer, ids and bookkeeping times aside: every event (by its
 * content), lead, company, campaign and membership, sorted. Event ids change
 * when a source's events are rebuilt; nothing points at an event. Two
 * columns are not a function of the raw layer and stay out: a membership's
 * last_activity_at is also stamped with the time its status changed (the
 * 000008 trigger), and an Instantly campaign's timezone follows Instantly's
 * schedule (src/sources/instantly/normalize/10-campaigns.sql), which the demo
 * overrides for its calls.
 */
async function normalisedLayer() {
  const { rows } = await db.pool.query<{ part: string; rows: string[] }>(`
    select 'events' as part, array_agg(row(event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp,
             email_subject, md5(coalesce(email_body, '')), email_quoted_text, email_from, email_to, instantly_email_id,
             call_duration_seconds, call_recording_url, md5(coalesce(call_transcript, '')), call_outcome, vapi_call_id,
             call_summary, call_success_evaluation, linkedin_message_text, linkedin_profile_url, note_text, performed_by,
             md5(coalesce(raw_data::text, '')))::text order by 1) as rows from events
    union all
    select 'leads', array_agg((to_jsonb(l) - 'updated_at')::text order by 1) from leads l
    union all
    select 'companies', array_agg((to_jsonb(c) - 'updated_at')::text order by 1) from companies c
    union all
    select 'campaigns', array_agg((to_jsonb(c) - 'updated_at' - 'timezone')::text order by 1) from campaigns c
    union all
    select 'campaign_leads', array_agg((to_jsonb(cl) - 'updated_at' - 'last_activity_at')::text order by 1) from campaign_leads cl
    union all
    -- No call placed, cancelled or scheduled again by replaying the calls.
    select 'call_requests', array_agg((to_jsonb(r) - 'updated_at')::text order by 1) from vapi_call_requests r
    union all
    select 'set_aside', array_agg(x order by 1) from (
      select 'instantly ' || stage || ' ' || resource || ' ' || source_id || ': ' || reason as x from instantly_rejects
      union all select 'vapi ' || stage || ' ' || resource || ' ' || source_id || ': ' || reason from vapi_rejects) r
    union all
    select 'import_counts', array_agg(row(file_name, import_status, total_rows, processed_rows, leads_inserted, leads_updated,
             leads_unchanged, duplicate_rows, failed_rows, companies_inserted, companies_matched, events_inserted)::text order by 1)
      from csv_imports_raw`);
  return Object.fromEntries(rows.map((r) => [r.part, r.rows]));
}

/** What differs between two layers, part by part: only the rows that do (a whole-layer diff is unreadable). */
function differences(before: Record<string, string[]>, after: Record<string, string[]>) {
  const out: Record<string, { gone: string[]; new: string[] }> = {};
  for (const part of Object.keys(before)) {
    const was = new Set(before[part] ?? []);
    const now = new Set(after[part] ?? []);
    const gone = [...was].filter((r) => !now.has(r));
    const added = [...now].filter((r) => !was.has(r));
    if (gone.length || added.length || (before[part] ?? []).length !== (after[part] ?? []).length) out[part] = { gone, new: added };
  }
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const demo = await leadgraph(["demo", "--size", "small"]);
  expect(demo.code, demo.stderr).toBe(0);
  // A user's own data on a lead that Instantly and the CSV both know.
  const client = await db.pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('jwt.claims.user_id', $1, true)", [DEFAULT_USER_ID]);
    const { rows } = await client.query<{ id: string }>(
      `select l.id from leads l where l.csv_import_id is not null
         and exists (select 1 from events e where e.lead_id = l.id and e.event_source = 'instantly') order by l.email limit 1`,
    );
    userLead = rows[0]!.id;
    await client.query(
      "insert into events (event_source, event_type, lead_id, note_text) values ('manual', 'note_added', $1, 'Call back after the board meeting')",
      [userLead],
    );
    await client.query("select set_lead_status($1, 'converted', 'Budget confirmed')", [userLead]);
    await client.query("commit");
  } finally {
    client.release();
  }
  // Without DATABASE_URL's embedded server of its own, the command waits for a worker: this one.
  worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 2, shutdownTimeoutMs: 10_000, quiet: true });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
});

describe("leadgraph renormalize", () => {
  it("rebuilds every source from raw: the same layer, repaired, manual data kept, idempotent", { timeout: 240_000 }, async () => {
    const before = await normalisedLayer();
    expect(before.events!.length).toBeGreaterThan(100);
    const bySource = async () =>
      (
        await db.pool.query<{ event_source: string; n: number }>(
          "select event_source, count(*)::int as n from events group by 1 order by 1",
        )
      ).rows;
    const sourcesBefore = await bySource();
    expect(sourcesBefore.map((r) => r.event_source)).toEqual(["instantly", "linkedin", "manual", "vapi"]);

    // What a logic change or a bad step could have done to the derived rows.
    await db.pool.query(`delete from events where id in (select id from events where event_source = 'instantly' order by id limit 25)`);
    await db.pool.query(
      `update events set email_subject = 'garbled' where id = (select id from events where event_source = 'instantly' order by id limit 1)`,
    );
    await db.pool.query(`update events set call_summary = 'garbled' where event_source = 'vapi'`);
    await db.pool.query(`update leads set job_title = null where csv_import_id is not null and job_title is not null`);

    const all = await leadgraph(["renormalize", "all", "--wait"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/csv: \d+ CSV imports \(\d+ rows\) queued for normalisation again/);
    expect(all.stderr).toMatch(/instantly renormalized in [\d.]+ s/);
    expect(all.stderr).toMatch(/vapi renormalized in [\d.]+ s/);
    expect(differences(before, await normalisedLayer())).toEqual({});
    expect(await bySource()).toEqual(sourcesBefore);
    const kept = await db.pool.query(
      `select l.lead_status as status, array(select e.event_type || ': ' || e.note_text from events e
                                             where e.lead_id = l.id and e.event_source = 'manual' order by 1) as manual
       from leads l where l.id = $1`,
      [userLead],
    );
    expect(kept.rows[0].status).toBe("converted");
    expect(kept.rows[0].manual).toEqual(
      expect.arrayContaining(["note_added: Call back after the board meeting", "status_changed: Budget confirmed"]),
    );

    // Again, one source: nothing changes, no event twice.
    const again = await leadgraph(["renormalize", "instantly", "--wait"]);
    expect(again.code, again.stderr).toBe(0);
    expect(differences(before, await normalisedLayer())).toEqual({});
  });

  it("without --wait queues the work for the worker; names the sources it knows", async () => {
    const queued = await leadgraph(["renormalize", "vapi"]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stderr).toMatch(/vapi: \d+ VAPI raw rows queued for normalisation again; the worker runs it/);
    const wrong = await leadgraph(["renormalize", "hubspot"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/unknown source "hubspot": leadgraph renormalizes csv, instantly, vapi or all/);
  });
});
