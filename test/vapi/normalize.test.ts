// From VAPI's raw layer (what the sync and the webhook endpoint store, through
// the same SQL functions) to one event per ended call and the membership's
// call workflow: the real triggers that queue raw rows, the real normaliser.
// Shapes follow docs/sources/vapi-normalize.md (values synthetic).
import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { normalizeVapi, type VapiNormalizeOptions } from "../../src/sources/vapi/normalize/index.ts";
import { regionOf, toE164 } from "../../src/sources/vapi/normalize/phones.ts";
import { startWorker, type RunningWorker } from "../../src/worker.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

let db: TestDatabase;
let campaignId: string;
let otherCampaignId: string;

const MINUTE = 60_000;
const T0 = Date.parse("2026-11-02T15:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  db = await createTestDatabase();
  campaignId = (
    await db.pool.query("insert into campaigns (campaign_name, uses_calls, campaign_status) values ('Calls', true, 'active') returning id")
  ).rows[0].id;
  otherCampaignId = (await db.pool.query("insert into campaigns (campaign_name, uses_calls) values ('Email only', false) returning id"))
    .rows[0].id;
});

// ---------------------------------------------------------------------------
// Fixtures and helpers.

let serial = 0;
const uniq = () => `${++serial}-${crypto.randomBytes(3).toString("hex")}`;

/** A lead (with its phones and country) in the calls campaign; returns lead and membership ids. */
async function lead(o: { phones?: string[]; country?: string; campaign?: string | null } = {}) {
  const { rows } = await db.pool.query(
    `insert into leads (email, first_name, phone, phones, country) values ($1, 'Jane', $2, $3, $4) returning id`,
    [`lead-${uniq()}@calls.example`, o.phones?.[0] ?? null, o.phones ?? [], o.country ?? null],
  );
  const leadId: string = rows[0].id;
  const campaign = o.campaign === undefined ? campaignId : o.campaign;
  let membershipId: string | null = null;
  if (campaign) {
    membershipId = (
      await db.pool.query("insert into campaign_leads (campaign_id, lead_id) values ($1, $2) returning id", [campaign, leadId])
    ).rows[0].id;
  }
  return { leadId, membershipId };
}

interface CallOptions {
  id?: string;
  externalId?: string | null;
  number?: string | null;
  status?: string;
  endedReason?: string;
  created?: number;
  started?: number | null;
  ended?: number | null;
  updated?: number;
  analysis?: Record<string, unknown>;
  artifact?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** A Call object as GET /call returns it. */
function call(o: CallOptions = {}) {
  const created = o.created ?? T0;
  const status = o.status ?? (o.endedReason ? "ended" : "queued");
  const started = o.started === undefined ? (status === "queued" ? null : created + 10_000) : o.started;
  const ended = o.ended === undefined ? (status === "ended" && started ? started + 95_400 : null) : o.ended;
  return {
    id: o.id ?? `call-${uniq()}`,
    orgId: "org-1",
    type: "outboundPhoneCall",
    createdAt: iso(created),
    updatedAt: iso(o.updated ?? (ended ?? created) + 1000),
    status,
    ...(o.endedReason ? { endedReason: o.endedReason } : {}),
    ...(started ? { startedAt: iso(started) } : {}),
    ...(ended ? { endedAt: iso(ended) } : {}),
    assistantId: "asst-1",
    phoneNumberId: "pn-1",
    customer: {
      ...(o.number === null ? {} : { number: o.number ?? "+14155550100" }),
      ...(o.externalId ? { externalId: o.externalId } : {}),
    },
    ...(o.analysis ? { analysis: o.analysis } : {}),
    ...(o.artifact ? { artifact: o.artifact } : {}),
    ...o.extra,
  };
}

type Call = ReturnType<typeof call>;

async function store(calls: Call[]) {
  const { rows } = await db.pool.query("select * from leadgraph_private.store_vapi_calls($1::jsonb, 'api')", [JSON.stringify(calls)]);
  return rows[0];
}

async function deliver(message: Record<string, unknown>) {
  const { rows } = await db.pool.query("select * from receive_vapi_webhook($1::jsonb)", [JSON.stringify({ message })]);
  return rows[0];
}

const statusUpdate = (c: Call, status: string, at: number, endedReason?: string) =>
  deliver({ type: "status-update", status, ...(endedReason ? { endedReason } : {}), timestamp: at, call: { ...c, status } });

/** An end-of-call-report as VAPI sends it now (artifact, analysis). */
const report = (c: Call, at: number, o: { analysis?: Record<string, unknown>; artifact?: Record<string, unknown> } = {}) =>
  deliver({
    type: "end-of-call-report",
    timestamp: at,
    endedReason: c.endedReason,
    startedAt: c.startedAt,
    endedAt: c.endedAt,
    call: c,
    customer: c.customer,
    artifact: o.artifact ?? { transcript: "AI: Hello\nUser: Hi", messages: [] },
    analysis: o.analysis ?? {},
  });

async function normalize(options: VapiNormalizeOptions = {}) {
  const client = await db.pool.connect();
  try {
    return await normalizeVapi(client, options);
  } finally {
    client.release();
  }
}

async function eventsOf(callId: string) {
  const { rows } = await db.pool.query(
    `select id, event_source, event_type, call_outcome, lead_id, campaign_id, campaign_lead_id, event_timestamp,
            call_duration_seconds, call_recording_url, call_transcript, call_summary, call_success_evaluation, raw_data
       from events where vapi_call_id = $1`,
    [callId],
  );
  return rows;
}

async function membership(id: string | null) {
  const { rows } = await db.pool.query(
    `select call_status, call_scheduled_at, call_completed_at, call_duration_seconds from campaign_leads where id = $1`,
    [id],
  );
  return rows[0];
}

async function rejectOf(callId: string) {
  const { rows } = await db.pool.query(
    "select stage, resource, reason from vapi_rejects where stage = 'normalize' and resource = 'call' and source_id = $1",
    [callId],
  );
  return rows[0];
}

// ---------------------------------------------------------------------------

describe("endedReason", () => {
  // The table of docs/sources/vapi-normalize.md, row by row.
  const table: [string, string, string | null, string][] = [
    ["customer-ended-call", "call_completed", "answered", "completed"],
    ["assistant-ended-call", "call_completed", "answered", "completed"],
    ["assistant-ended-call-after-message-spoken", "call_completed", "answered", "completed"],
    ["assistant-said-end-call-phrase", "call_completed", "answered", "completed"],
    ["silence-timed-out", "call_completed", "answered", "completed"],
    ["exceeded-max-duration", "call_completed", "answered", "completed"],
    ["assistant-forwarded-call", "call_completed", "answered", "completed"],
    ["call.in-progress.twilio-completed-call", "call_completed", "answered", "completed"],
    ["call.in-progress.sip-completed-call", "call_completed", "answered", "completed"],
    ["voicemail", "call_voicemail", "voicemail", "voicemail"],
    ["customer-did-not-answer", "call_no_answer", "no_answer", "no_answer"],
    ["twilio-failed-to-connect-call", "call_no_answer", "no_answer", "no_answer"],
    ["vonage-failed-to-connect-call", "call_no_answer", "no_answer", "no_answer"],
    ["call.ringing.hook-executed-say", "call_no_answer", "no_answer", "no_answer"],
    ["customer-busy", "call_no_answer", "busy", "no_answer"],
    ["twilio-reported-customer-misdialed", "call_failed", "wrong_number", "wrong_number"],
    ["manually-canceled", "call_canceled", null, "not_scheduled"],
    ["scheduled-call-deleted", "call_canceled", null, "not_scheduled"],
    ["call-deleted", "call_canceled", null, "not_scheduled"],
    ["call.start.error-get-assistant", "call_failed", null, "failed"],
    ["pipeline-error-openai-llm-failed", "call_failed", null, "failed"],
    ["call.in-progress.error-vapifault-openai-llm-failed", "call_failed", null, "failed"],
    ["call.in-progress.error-providerfault-deepgram-transcriber-failed", "call_failed", null, "failed"],
    ["worker-shutdown", "call_failed", null, "failed"],
    ["some-reason-vapi-adds-next-year", "call_failed", null, "failed"],
  ];

  it("maps every reason to the event type, outcome and call status of the table (rules)", async () => {
    const { rows } = await db.pool.query(
      `select r as reason, leadgraph_rules.vapi_call_event_type(r) as event_type, leadgraph_rules.vapi_call_outcome(r) as outcome,
              leadgraph_rules.call_status_of_event(leadgraph_rules.vapi_call_event_type(r), leadgraph_rules.vapi_call_outcome(r)) as status
         from unnest($1::text[]) with ordinality u (r, n) order by n`,
      [table.map((row) => row[0])],
    );
    expect(rows.map((r) => [r.reason, r.event_type, r.outcome, r.status])).toEqual(table);
    const { rows: open } = await db.pool.query(
      "select leadgraph_rules.vapi_call_event_type(null) as a, leadgraph_rules.vapi_call_event_type('') as b",
    );
    expect(open).toEqual([{ a: null, b: null }]);
  });

  it("gives each ended call its event and its membership the status (through the normaliser), the unknown reason kept", async () => {
    const cases = [];
    for (const [reason, eventType, outcome, status] of table) {
      const { membershipId } = await lead();
      const c = call({ externalId: membershipId!, endedReason: reason });
      cases.push({ c, membershipId, eventType, outcome, status });
    }
    await store(cases.map((x) => x.c));
    await normalize();
    for (const x of cases) {
      const events = await eventsOf(x.c.id);
      expect(
        events.map((e) => [e.event_source, e.event_type, e.call_outcome]),
        x.c.endedReason,
      ).toEqual([["vapi", x.eventType, x.outcome]]);
      expect(events[0].raw_data.endedReason).toBe(x.c.endedReason);
      expect((await membership(x.membershipId)).call_status, x.c.endedReason).toBe(x.status);
    }
  });
});

describe("the event", () => {
  it("has the duration from startedAt/endedAt (never a duration field), the timestamp, the recording and no presigned URLs", async () => {
    const { leadId, membershipId } = await lead();
    const c = call({
      externalId: membershipId!,
      endedReason: "customer-ended-call",
      started: T0 + 5_000,
      ended: T0 + 5_000 + 61_600,
      extra: { durationSeconds: 999 },
      artifact: {
        transcript: "AI: Hi Jane, this is Alex from Acme.",
        recordingUrl: "https://storage.vapi.ai/old-field.wav",
        recording: { mono: { combinedUrl: "https://storage.vapi.ai/mono.wav", assistantUrl: "https://a", customerUrl: "https://c" } },
        presignedMonoUrl: "https://storage.vapi.ai/mono.wav?X-Amz-Signature=abc",
      },
      analysis: { summary: "Jane wants a demo next Tuesday.", successEvaluation: "true", structuredData: { interested: true } },
    });
    await store([c]);
    await normalize();
    const [event] = await eventsOf(c.id);
    expect(event).toMatchObject({
      lead_id: leadId,
      campaign_id: campaignId,
      campaign_lead_id: membershipId,
      event_timestamp: new Date(T0 + 5_000),
      call_duration_seconds: 62,
      call_recording_url: "https://storage.vapi.ai/mono.wav",
      call_transcript: "AI: Hi Jane, this is Alex from Acme.",
      call_summary: "Jane wants a demo next Tuesday.",
      call_success_evaluation: "true",
    });
    expect(JSON.stringify(event.raw_data)).not.toMatch(/presigned|X-Amz/);
    expect(event.raw_data.artifact.recording.mono.combinedUrl).toBe("https://storage.vapi.ai/mono.wav");
    expect(await membership(membershipId)).toEqual({
      call_status: "completed",
      call_scheduled_at: new Date(T0),
      call_completed_at: new Date(T0 + 5_000 + 61_600),
      call_duration_seconds: 62,
    });
  });

  it("takes artifact.recordingUrl without a mono recording, and createdAt as the time of a call that never started", async () => {
    const { membershipId } = await lead();
    const c = call({ externalId: membershipId!, endedReason: "customer-did-not-answer", started: null, ended: null });
    const d = call({ externalId: membershipId!, endedReason: "voicemail", artifact: { recordingUrl: "https://storage.vapi.ai/vm.wav" } });
    await store([c, d]);
    await normalize();
    const [noAnswer] = await eventsOf(c.id);
    expect(noAnswer).toMatchObject({ event_timestamp: new Date(T0), call_duration_seconds: null, call_recording_url: null });
    expect((await eventsOf(d.id))[0].call_recording_url).toBe("https://storage.vapi.ai/vm.wav");
  });

  it("reads a legacy end-of-call-report (top-level transcript, summary, recordingUrl, messages) when only the webhook came", async () => {
    const { membershipId } = await lead();
    const c = call({ externalId: membershipId!, endedReason: "assistant-ended-call" });
    await deliver({
      type: "end-of-call-report",
      timestamp: T0 + 3 * MINUTE,
      endedReason: "assistant-ended-call",
      call: c,
      transcript: "AI: Hello Jane\nUser: Not interested, thanks.",
      summary: "Jane is not interested this quarter.",
      recordingUrl: "https://storage.vapi.ai/legacy.wav",
      messages: [{ role: "bot", message: "Hello Jane", time: T0, secondsFromStart: 0 }],
      durationSeconds: 42.7,
    });
    await normalize();
    expect(await eventsOf(c.id)).toMatchObject([
      {
        event_type: "call_completed",
        call_transcript: "AI: Hello Jane\nUser: Not interested, thanks.",
        call_summary: "Jane is not interested this quarter.",
        call_recording_url: "https://storage.vapi.ai/legacy.wav",
        call_duration_seconds: 95,
      },
    ]);
  });

  it("is one event for the webhook's and the sync's copies of a call, updated in place when the analysis arrives later", async () => {
    const { membershipId } = await lead();
    const ended = call({ externalId: membershipId!, endedReason: "customer-ended-call", artifact: { transcript: "AI: Hi" } });
    await statusUpdate(ended, "ended", T0 + 2 * MINUTE, "customer-ended-call");
    await normalize();
    const [first] = await eventsOf(ended.id);
    expect(first).toMatchObject({ event_type: "call_completed", call_summary: null });
    await store([ended]); // the sync's copy, no analysis yet
    await report(ended, T0 + 3 * MINUTE, {
      artifact: { transcript: "AI: Hi\nUser: Send me the pricing." },
      analysis: { summary: "Asked for pricing by email.", successEvaluation: "7" },
    });
    await normalize();
    // A later sync read without the analysis in it (VAPI fills it after the end) undoes nothing.
    await store([{ ...ended, artifact: { transcript: "AI: Hi\nUser: Send me the pricing." }, updatedAt: iso(T0 + 4 * MINUTE) }]);
    await normalize();
    const events = await eventsOf(ended.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: first.id,
      call_transcript: "AI: Hi\nUser: Send me the pricing.",
      call_summary: "Asked for pricing by email.",
      call_success_evaluation: "7",
    });
    const { rows } = await db.pool.query(
      "select event_count::int from campaign_event_counts where campaign_id = $1 and event_source = 'vapi' and event_type = 'call_completed' and event_date = $2",
      [campaignId, iso(T0).slice(0, 10)],
    );
    expect(rows[0].event_count).toBeGreaterThan(0);
  });

  it("is not undone by deliveries out of order: the report first, an older status-update after, an older API version", async () => {
    const { membershipId } = await lead();
    const c = call({ externalId: membershipId!, endedReason: "voicemail" });
    await report(c, T0 + 3 * MINUTE, { analysis: { summary: "Left a voicemail." } });
    await normalize();
    await statusUpdate(c, "ringing", T0 + MINUTE);
    await statusUpdate(c, "in-progress", T0 + 1.5 * MINUTE);
    await store([{ ...c, status: "in-progress", endedReason: undefined, endedAt: undefined, updatedAt: iso(T0 + 20_000) } as Call]);
    await normalize();
    expect(await eventsOf(c.id)).toMatchObject([{ event_type: "call_voicemail", call_summary: "Left a voicemail." }]);
    expect((await membership(membershipId)).call_status).toBe("voicemail");
  });

  it("does not exist for a call not ended yet, whose membership is scheduled from the call's creation", async () => {
    const { membershipId } = await lead();
    const c = call({ externalId: membershipId!, status: "queued", created: T0 - 30 * MINUTE });
    await store([c]);
    await normalize();
    expect(await eventsOf(c.id)).toEqual([]);
    expect(await membership(membershipId)).toMatchObject({ call_status: "scheduled", call_scheduled_at: new Date(T0 - 30 * MINUTE) });
    await statusUpdate(c, "ended", T0, "customer-busy");
    await normalize();
    expect(await eventsOf(c.id)).toMatchObject([{ event_type: "call_no_answer", call_outcome: "busy" }]);
    expect((await membership(membershipId)).call_status).toBe("no_answer");
  });

  it("is found by searchEvents / search_events by words of the summary and the transcript", async () => {
    const { membershipId } = await lead();
    const c = call({
      externalId: membershipId!,
      endedReason: "customer-ended-call",
      artifact: { transcript: "User: we run our warehouse on spreadsheets" },
      analysis: { summary: "Prospect mentioned a forklift shortage." },
    });
    await store([c]);
    await normalize();
    for (const query of ["forklift", "warehouse spreadsheets"]) {
      const { rows } = await db.pool.query("select vapi_call_id from search_events($1)", [query]);
      expect(
        rows.map((r) => r.vapi_call_id),
        query,
      ).toContain(c.id);
    }
  });
});

describe("the lead", () => {
  it("is the membership customer.externalId names, whatever the number", async () => {
    const { leadId, membershipId } = await lead({ phones: ["+14155550111"] });
    const c = call({ externalId: membershipId!, number: "+4930123456", endedReason: "customer-ended-call" });
    await store([c]);
    await normalize();
    expect(await eventsOf(c.id)).toMatchObject([{ lead_id: leadId, campaign_lead_id: membershipId }]);
  });

  it("is found by the number in E.164 against phones written nationally, in the lead's country named in any language", async () => {
    expect([regionOf("Deutschland"), regionOf("États-Unis"), regionOf("United Kingdom"), regionOf("Atlantis")]).toEqual([
      "DE",
      "US",
      "GB",
      undefined,
    ]);
    expect(toE164("0151 2345678")).toBeUndefined(); // no country: only international numbers
    const de = await lead({ phones: ["0151 2345678"], country: "Deutschland" });
    const us = await lead({ phones: ["(646) 555-0142", "+1 212 555 0199"], country: "États-Unis" });
    const fr = await lead({ phones: ["06 12 34 56 78"], country: "Francia", campaign: otherCampaignId }); // in no calling campaign
    const a = call({ number: "+491512345678", endedReason: "customer-ended-call" });
    const b = call({ number: "+16465550142", endedReason: "voicemail" });
    const f = call({ number: "+33612345678", endedReason: "customer-did-not-answer" });
    await store([a, b, f]);
    await normalize();
    expect(await eventsOf(a.id)).toMatchObject([{ lead_id: de.leadId, campaign_id: campaignId, campaign_lead_id: de.membershipId }]);
    expect(await eventsOf(b.id)).toMatchObject([{ lead_id: us.leadId, campaign_lead_id: us.membershipId }]);
    expect(await eventsOf(f.id)).toMatchObject([{ lead_id: fr.leadId, campaign_id: null, campaign_lead_id: null }]);
    expect((await membership(de.membershipId)).call_status).toBe("completed");
  });

  it("sets aside an unknown or ambiguous number with the reason, and tries again when a lead with the number comes", async () => {
    await lead({ phones: ["+1 (303) 555-0177"] });
    await lead({ phones: ["303-555-0177"], country: "USA" });
    const ambiguous = call({ number: "+13035550177", endedReason: "customer-ended-call" });
    const unknown = call({ number: "+13125550188", endedReason: "customer-ended-call" });
    const garbage = call({ number: "not a number", endedReason: "customer-ended-call" });
    const webCall = call({ number: null, endedReason: "customer-ended-call" });
    await store([ambiguous, unknown, garbage, webCall]);
    await normalize();
    expect(await rejectOf(ambiguous.id)).toEqual({ stage: "normalize", resource: "call", reason: "number +13035550177 matches 2 leads" });
    expect((await rejectOf(unknown.id)).reason).toBe("no lead has +13125550188");
    expect((await rejectOf(garbage.id)).reason).toBe('customer number "not a number" is not an international phone number');
    expect((await rejectOf(webCall.id)).reason).toBe("the call has neither a customer number nor an externalId");
    expect(await eventsOf(unknown.id)).toEqual([]);

    const later = await lead({ phones: ["(312) 555-0188"], country: "United States" });
    await normalize();
    expect(await rejectOf(unknown.id)).toBeUndefined();
    expect(await eventsOf(unknown.id)).toMatchObject([{ lead_id: later.leadId, event_type: "call_completed" }]);
    expect(await rejectOf(ambiguous.id)).toBeDefined();
  });
});

describe("the membership's call_status", () => {
  it("never moves backwards, and a canceled call undoes only a scheduled one", async () => {
    const { membershipId } = await lead();
    const completed = call({ externalId: membershipId!, endedReason: "customer-ended-call", created: T0 });
    const laterFailed = call({ externalId: membershipId!, endedReason: "pipeline-error-openai-llm-failed", created: T0 + 60 * MINUTE });
    await store([laterFailed]);
    await normalize();
    expect((await membership(membershipId)).call_status).toBe("failed");
    await store([completed]);
    await normalize();
    expect((await membership(membershipId)).call_status).toBe("completed");
    const retry = call({ externalId: membershipId!, status: "queued", created: T0 + 120 * MINUTE });
    await store([retry]);
    await normalize();
    expect((await membership(membershipId)).call_status).toBe("completed");

    const other = await lead();
    const placed = call({ externalId: other.membershipId!, status: "scheduled" });
    await store([placed]);
    await normalize();
    expect((await membership(other.membershipId)).call_status).toBe("scheduled");
    await store([{ ...placed, status: "ended", endedReason: "manually-canceled", updatedAt: iso(T0 + 10 * MINUTE) }]);
    await normalize();
    expect((await membership(other.membershipId)).call_status).toBe("not_scheduled");
    expect(await eventsOf(placed.id)).toMatchObject([{ event_type: "call_canceled" }]);

    const third = await lead();
    await store([call({ externalId: third.membershipId!, endedReason: "customer-did-not-answer" })]);
    await store([call({ externalId: third.membershipId!, endedReason: "call-deleted", created: T0 + MINUTE })]);
    await normalize();
    expect((await membership(third.membershipId)).call_status).toBe("no_answer");
  });

  it("is do_not_call when the structured data says so, and stays so", async () => {
    const { membershipId } = await lead();
    const c = call({ externalId: membershipId!, endedReason: "customer-ended-call", analysis: { structuredData: { doNotCall: true } } });
    await store([c]);
    await normalize();
    expect((await membership(membershipId)).call_status).toBe("do_not_call");
    await store([call({ externalId: membershipId!, endedReason: "customer-ended-call", created: T0 + 60 * MINUTE })]);
    await normalize();
    expect((await membership(membershipId)).call_status).toBe("do_not_call");
    const counts = await db.pool.query(
      `select call_status, lead_count::int from campaign_call_counts where campaign_id = $1 and lead_count > 0 order by 1`,
      [campaignId],
    );
    const actual = await db.pool.query(
      "select call_status, count(*)::int as lead_count from campaign_leads where campaign_id = $1 group by 1 order by 1",
      [campaignId],
    );
    expect(counts.rows).toEqual(actual.rows);
  });
});

describe("the normaliser", () => {
  const state = async () => {
    const events = await db.pool.query(
      `select vapi_call_id, event_type, call_outcome, lead_id, campaign_lead_id, event_timestamp, call_duration_seconds,
              call_recording_url, call_transcript, call_summary, call_success_evaluation, raw_data
         from events where event_source = 'vapi' order by vapi_call_id`,
    );
    const memberships = await db.pool.query(
      `select id, call_status, call_scheduled_at, call_completed_at, call_duration_seconds from campaign_leads order by id`,
    );
    const rejects = await db.pool.query("select resource, source_id, reason from vapi_rejects order by resource, source_id");
    return { events: events.rows, memberships: memberships.rows, rejects: rejects.rows };
  };

  /** Everything normalised again from the raw layer, from scratch. */
  async function redo(options: VapiNormalizeOptions) {
    await db.pool.query("delete from events where event_source = 'vapi'");
    await db.pool.query("delete from leadgraph_private.vapi_call_matches");
    await db.pool.query("delete from vapi_rejects");
    await db.pool.query(
      "update campaign_leads set call_status = 'not_scheduled', call_scheduled_at = null, call_completed_at = null, call_duration_seconds = null",
    );
    await db.pool.query(
      `insert into leadgraph_private.vapi_pending (resource, source_id)
       select 'call', vapi_call_id from vapi_calls_raw
       union select 'webhook', id::text from vapi_webhooks_raw where message_type in ('status-update', 'end-of-call-report')
       on conflict do nothing`,
    );
    await normalize(options);
    return state();
  }

  it("gives the same state whatever the batch size, and again when run twice", async () => {
    await normalize();
    const before = await state();
    expect(before.events.length).toBeGreaterThan(30);
    for (const batchSize of [1, 2, 7, 1000]) {
      expect(await redo({ batchSize }), `batch size ${batchSize}`).toEqual(before);
    }
    await normalize({ retryRejects: true });
    expect(await state()).toEqual(before);
  });

  it("runs in the worker when the raw layer gets a call (job vapi_raw__normalize)", async () => {
    const { membershipId } = await lead();
    const c = call({ externalId: membershipId!, endedReason: "customer-ended-call" });
    let worker: RunningWorker | undefined;
    try {
      worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 5000, quiet: true });
      await report(c, T0 + 3 * MINUTE, { analysis: { summary: "Worker-normalised call." } });
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !(await eventsOf(c.id)).length) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await eventsOf(c.id)).toMatchObject([{ event_type: "call_completed", call_summary: "Worker-normalised call." }]);
      const { rows } = await db.pool.query("select count(*)::int as n from leadgraph_private.vapi_pending");
      expect(rows[0].n).toBe(0);
    } finally {
      await worker?.stop();
    }
  });
});

// After the normaliser's own tests: these set call statuses by hand.
describe("the rules", () => {
  it("phone_keys: the last 8 digits of each number, the extension left out; the GIN index serves the lookup", async () => {
    const { rows } = await db.pool.query(
      "select leadgraph_rules.phone_keys(array['+49 151 2345678', '0151-2345678', '(415) 555-0101 ext. 12', '123', null]) as keys",
    );
    expect(rows[0].keys.sort()).toEqual(["12345678", "55550101"]);
    const { rows: plan } = await db.pool.query(
      "explain (costs off) select id from leads where leadgraph_rules.phone_keys(phones) @> array['12345678']",
    );
    expect(plan.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/leads_phone_keys_idx|Seq Scan/);
  });

  it("merge_leads keeps the further call_status of two memberships of one campaign (do_not_call absorbs)", async () => {
    const a = await lead();
    const b = await lead();
    await db.pool.query("update campaign_leads set call_status = 'completed' where id = $1", [a.membershipId]);
    await db.pool.query("update campaign_leads set call_status = 'do_not_call' where id = $1", [b.membershipId]);
    await db.pool.query("select leadgraph_private.merge_leads($1, $2, 'test')", [a.leadId, b.leadId]);
    expect((await membership(a.membershipId)).call_status).toBe("do_not_call");
    const c = await lead();
    const d = await lead();
    await db.pool.query("update campaign_leads set call_status = 'voicemail' where id = $1", [c.membershipId]);
    await db.pool.query("update campaign_leads set call_status = 'scheduled' where id = $1", [d.membershipId]);
    await db.pool.query("select leadgraph_private.merge_leads($1, $2, 'test')", [c.leadId, d.leadId]);
    expect((await membership(c.membershipId)).call_status).toBe("voicemail");
  });
});
