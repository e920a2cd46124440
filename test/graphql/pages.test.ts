// What the web app's pages ask the API (issue 10, migration 000020), through
// the real server as the visitor: who is signed in, the lead list (quick
// search, facets, last activity), the lead page (status changes and notes in
// the timeline), the company timeline, the imports and Instantly pages.
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_USER_ID, signToken } from "../../src/auth.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { IDS, seed } from "../helpers/seed.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "test-secret-test-secret-test-secret";
const BOB = "40000000-0000-4000-8000-000000000002";
const MULLER = "20000000-0000-4000-8000-000000000010";
const PEOPLE = {
  jose: "30000000-0000-4000-8000-000000000010",
  zoe: "30000000-0000-4000-8000-000000000011",
  alena: "30000000-0000-4000-8000-000000000012",
  zoi: "30000000-0000-4000-8000-000000000013",
  lukasz: "30000000-0000-4000-8000-000000000014",
  soren: "30000000-0000-4000-8000-000000000015",
};

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.pool);
  await db.pool.query("insert into users (id, email, full_name) values ($1, 'bob@example.com', 'Bob')", [BOB]);
  // Leads of several languages and scripts, at a company whose name has an umlaut.
  await db.pool.query(
    `insert into companies (id, company_name, company_domain, industry, employee_count)
     values ($1, 'Müller Logistik GmbH', 'mueller-logistik-example.de', 'logistics', 120)`,
    [MULLER],
  );
  await db.pool.query(
    `insert into leads (id, first_name, last_name, email, seniority, company_id, lead_source, phones, linkedin_url, lead_status)
     values ($1, 'José', 'García', 'jose.garcia@mueller-logistik-example.de', 'Manager', $7, 'instantly', '{+49 30 1234567}', null, 'new'),
            ($2, 'Zoë', 'Ward', 'zoe.ward@example.org', 'Director', null, 'manual', '{}', 'http://www.linkedin.com/in/zoe-ward-example', 'new'),
            ($3, 'Алёна', 'Кузнецова', 'alena@example.ru', null, $7, 'instantly', '{}', null, 'qualified'),
            ($4, 'Ζωή', 'Παπαδοπούλου', 'zoi@example.gr', null, null, 'instantly', '{}', null, 'new'),
            ($5, 'Łukasz', 'Wiśniewski', 'LUKASZ@Example.pl', null, null, 'api', '{}', null, 'new'),
            ($6, 'Søren', 'Ødegaard', null, null, null, 'linkedin', '{}', 'http://www.linkedin.com/in/soren-example', 'new')`,
    [PEOPLE.jose, PEOPLE.zoe, PEOPLE.alena, PEOPLE.zoi, PEOPLE.lukasz, PEOPLE.soren, MULLER],
  );
  await db.pool.query("update leads set mobile_phone = '+1 555 0100' where id = $1", [IDS.tom]);
  server = await startTestServer(db, { jwtSecret: SECRET });
});

async function gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const { status, body } = await server.graphql(query, variables, headers);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data;
}

const names = (connection: { nodes: Array<{ fullName: string }> }) => connection.nodes.map((n) => n.fullName).sort();

describe("viewer", () => {
  it("is the default user without a token, the token's user with one, and refuses a token of no user", async () => {
    const query = "{ viewer { rowId email fullName } }";
    expect((await gql(query)).viewer).toEqual({ rowId: DEFAULT_USER_ID, email: "owner@leadgraph.local", fullName: "Default User" });
    const bob = { authorization: `Bearer ${signToken(BOB, SECRET, "1h")}` };
    expect((await gql(query, {}, bob)).viewer).toEqual({ rowId: BOB, email: "bob@example.com", fullName: "Bob" });
    const nobody = { authorization: `Bearer ${signToken("40000000-0000-4000-8000-00000000dead", SECRET, "1h")}` };
    // A token whose user does not exist is refused (it used to read as nobody).
    const refused = await server.graphql(query, {}, nobody);
    expect(refused.body.errors?.[0]?.message).toMatch(/its user does not exist/);
  });
});

describe("the lead list", () => {
  const search = `query ($q: String, $filter: LeadFilter, $orderBy: [LeadOrderBy!]) {
    searchLeads(query: $q, filter: $filter, orderBy: $orderBy, first: 50) { totalCount nodes { fullName } }
  }`;
  const find = async (q: string, filter?: object) => names((await gql(search, { q, filter })).searchLeads);

  it("quick search ignores case and accents in names, emails and company names, in every script", async () => {
    expect(await find("jose")).toEqual(["José García"]);
    expect(await find("GARCIA")).toEqual(["José García"]);
    expect(await find("muller")).toEqual(["José García", "Алёна Кузнецова"]); // their company: Müller Logistik GmbH
    expect(await find("MÜLLER logistik")).toEqual(["José García", "Алёна Кузнецова"]);
    expect(await find("zoe")).toEqual(["Zoë Ward"]);
    expect(await find("zoë")).toEqual(["Zoë Ward"]);
    expect(await find("алена")).toEqual(["Алёна Кузнецова"]);
    expect(await find("КУЗНЕЦОВА")).toEqual(["Алёна Кузнецова"]);
    expect(await find("ζωη")).toEqual(["Ζωή Παπαδοπούλου"]);
    expect(await find("ΠΑΠΑΔΟΠΟΥΛΟΥ")).toEqual(["Ζωή Παπαδοπούλου"]);
    expect(await find("lukasz wisniewski")).toEqual(["Łukasz Wiśniewski"]);
    expect(await find("soren odegaard")).toEqual(["Søren Ødegaard"]);
    expect(await find("@example.pl")).toEqual(["Łukasz Wiśniewski"]);
    expect(await find("northwind")).toEqual(["Jane Doe", "Tom Berg"]); // email domain and company name
    expect(await find("nobody like this")).toEqual([]);
    // LIKE's wildcards are plain characters in a query.
    expect(await find("%")).toEqual([]);
    expect(await find("_")).toEqual([]);
  });

  it("quick search takes the list's filters, order and totalCount; a blank query finds every lead", async () => {
    const data = await gql(search, { q: "example", filter: { leadSource: { equalTo: "instantly" } }, orderBy: ["FULL_NAME_ASC"] });
    expect(data.searchLeads.totalCount).toBe(3);
    // Names sort in ICU's order: Latin, then Greek, then Cyrillic.
    expect(data.searchLeads.nodes.map((n: any) => n.fullName)).toEqual(["José García", "Ζωή Παπαδοπούλου", "Алёна Кузнецова"]);
    const all = await gql("{ leads { totalCount } }");
    expect((await gql(search, { q: "  " })).searchLeads.totalCount).toBe(all.leads.totalCount);
    expect((await gql(search, { q: null })).searchLeads.totalCount).toBe(all.leads.totalCount);
  });

  it("every facet filters leads and searchLeads alike", async () => {
    const both = async (filter: object) => {
      const data = await gql(
        `query ($filter: LeadFilter) { leads(filter: $filter) { nodes { fullName } } searchLeads(query: "", filter: $filter) { nodes { fullName } } }`,
        { filter },
      );
      expect(names(data.searchLeads)).toEqual(names(data.leads));
      return names(data.leads);
    };
    expect(await both({ leadStatus: { in: ["replied", "qualified"] } })).toEqual(["Jane Doe", "Алёна Кузнецова"]);
    expect(await both({ seniority: { equalTo: "Director" } })).toEqual(["Ana Souza", "Zoë Ward"]);
    expect(await both({ company: { industry: { equalTo: "logistics" } } })).toEqual(["José García", "Алёна Кузнецова"]);
    expect(await both({ company: { employeeCount: { greaterThanOrEqualTo: 10, lessThan: 200 } } })).toEqual([
      "Jane Doe",
      "José García",
      "Tom Berg",
      "Алёна Кузнецова",
    ]);
    expect(
      await both({ campaignLeads: { some: { campaignId: { equalTo: IDS.campaign }, overallStatus: { equalTo: "active" } } } }),
    ).toEqual(["Tom Berg"]);
    expect(await both({ campaignLeads: { some: { emailStatus: { in: ["replied", "bounced"] } } } })).toEqual(["Ana Souza", "Jane Doe"]);
    expect(await both({ leadSource: { equalTo: "linkedin" } })).toEqual(["Søren Ødegaard"]);
    expect(await both({ csvImportId: { equalTo: IDS.csvImport } })).toEqual(["Ana Souza", "Jane Doe", "Tom Berg"]);
    expect(await both({ hasPhone: { equalTo: true } })).toEqual(["José García", "Tom Berg"]);
    expect(await both({ linkedinUrl: { isNull: false } })).toEqual(["Jane Doe", "Søren Ødegaard", "Zoë Ward"]);
  });

  it("lastEventAt is the newest event's time, kept through inserts, moves and deletes; sorting puts leads without events last", async () => {
    const lastEventAt = async (id: string) => {
      const at = (await gql("query ($id: UUID!) { lead(rowId: $id) { lastEventAt } }", { id })).lead.lastEventAt;
      return at === null ? null : new Date(at).toISOString();
    };
    // From the seed's events.
    expect(await lastEventAt(IDS.jane)).toBe("2025-10-23T15:00:00.000Z");
    expect(await lastEventAt(IDS.tom)).toBe("2025-10-24T10:00:00.000Z");
    expect(await lastEventAt(PEOPLE.jose)).toBeNull();

    const sorted = await gql("{ leads(orderBy: [LAST_EVENT_AT_DESC], first: 4) { nodes { fullName lastEventAt } } }");
    expect(sorted.leads.nodes.map((n: any) => n.fullName)).toEqual(["Tom Berg", "Jane Doe", "Ana Souza", expect.any(String)]);
    expect(sorted.leads.nodes[3].lastEventAt).toBeNull();
    const page = await gql(
      `{ leads(orderBy: [LAST_EVENT_AT_DESC], first: 2, filter: { lastEventAt: { greaterThan: "2025-10-22T00:00:00Z" } }) {
           totalCount nodes { fullName } pageInfo { endCursor } } }`,
    );
    expect(page.leads.totalCount).toBe(2);
    const next = await gql(
      `query ($after: Cursor) { leads(orderBy: [LAST_EVENT_AT_DESC], first: 3, after: $after) { nodes { fullName lastEventAt } } }`,
      { after: page.leads.pageInfo.endCursor },
    );
    expect(next.leads.nodes.map((n: any) => n.fullName)[0]).toBe("Ana Souza");

    const client = await db.pool.connect();
    try {
      // A batch insert across leads, then an event moved to another lead, then deleted.
      const { rows } = await client.query(
        `insert into events (event_source, event_type, lead_id, event_timestamp)
         values ('instantly', 'email_sent', $1, '2026-01-01T10:00:00Z'), ('instantly', 'email_opened', $1, '2026-01-02T10:00:00Z'),
                ('instantly', 'email_sent', $2, '2025-01-01T00:00:00Z')
         returning id`,
        [PEOPLE.jose, IDS.tom],
      );
      expect(await lastEventAt(PEOPLE.jose)).toBe("2026-01-02T10:00:00.000Z");
      expect(await lastEventAt(IDS.tom)).toBe("2025-10-24T10:00:00.000Z"); // an older event changes nothing
      await client.query("update events set lead_id = $2 where id = $1", [rows[1].id, PEOPLE.zoe]);
      expect(await lastEventAt(PEOPLE.jose)).toBe("2026-01-01T10:00:00.000Z");
      expect(await lastEventAt(PEOPLE.zoe)).toBe("2026-01-02T10:00:00.000Z");
      await client.query("update events set event_timestamp = '2026-03-01T00:00:00Z' where id = $1", [rows[0].id]);
      expect(await lastEventAt(PEOPLE.jose)).toBe("2026-03-01T00:00:00.000Z");
      await client.query("delete from events where id = any($1)", [rows.map((r) => r.id)]);
      expect(await lastEventAt(PEOPLE.jose)).toBeNull();
      expect(await lastEventAt(PEOPLE.zoe)).toBeNull();
      expect(await lastEventAt(IDS.tom)).toBe("2025-10-24T10:00:00.000Z");
    } finally {
      client.release();
    }
  });
});

describe("the lead page", () => {
  const setStatus = `mutation ($leadId: UUID!, $status: String!, $note: String) {
    setLeadStatus(input: { leadId: $leadId, status: $status, note: $note }) { lead { rowId leadStatus lastEventAt } }
  }`;
  const timeline = `query ($id: UUID!) { lead(rowId: $id) {
    leadStatus
    events(orderBy: [EVENT_TIMESTAMP_DESC, ROW_ID_DESC], first: 3) { nodes { eventSource eventType noteText rawData performer { email } } }
  } }`;

  it("setLeadStatus changes the status and adds a status_changed event by the signed-in user, in the timeline at once", async () => {
    const bob = { authorization: `Bearer ${signToken(BOB, SECRET, "1h")}` };
    const result = await gql(setStatus, { leadId: PEOPLE.zoi, status: "qualified", note: "Budget confirmed" }, bob);
    expect(result.setLeadStatus.lead).toMatchObject({ rowId: PEOPLE.zoi, leadStatus: "qualified" });
    expect(result.setLeadStatus.lead.lastEventAt).not.toBeNull();
    const { lead } = await gql(timeline, { id: PEOPLE.zoi });
    expect(lead.leadStatus).toBe("qualified");
    expect(lead.events.nodes).toEqual([
      {
        eventSource: "manual",
        eventType: "status_changed",
        noteText: "Budget confirmed",
        rawData: { from: "new", to: "qualified" },
        performer: { email: "bob@example.com" },
      },
    ]);
    const summary = await gql("query ($id: UUID!) { getLeadTimeline(leadId: $id) { nodes { eventSummary } } }", { id: PEOPLE.zoi });
    expect(summary.getLeadTimeline.nodes[0].eventSummary).toBe("status new -> qualified: Budget confirmed");

    // The same status again adds nothing.
    await gql(setStatus, { leadId: PEOPLE.zoi, status: "qualified" });
    expect((await gql(timeline, { id: PEOPLE.zoi })).lead.events.nodes).toHaveLength(1);
  });

  it("setLeadStatus refuses an unknown status and an unknown lead, and accepts exactly the statuses of the constraint", async () => {
    const bad = await server.graphql(setStatus, { leadId: PEOPLE.zoi, status: "hot" });
    expect(bad.body.errors?.[0].message).toMatch(/Unknown lead status "hot": a lead's status is one of new, qualified, .*do_not_contact/);
    const missing = await server.graphql(setStatus, { leadId: "30000000-0000-4000-8000-00000000dead", status: "new" });
    expect(missing.body.errors?.[0].message).toMatch(/No lead with id/);
    expect((await gql(timeline, { id: PEOPLE.zoi })).lead.leadStatus).toBe("qualified");

    const { rows } = await db.pool.query(
      "select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'leads'::regclass and conname = 'leads_lead_status_check'",
    );
    const allowed = [...(rows[0].def as string).matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
    expect(allowed).toHaveLength(8);
    for (const status of allowed) {
      const { body } = await server.graphql(setStatus, { leadId: PEOPLE.lukasz, status });
      expect(body.errors, status).toBeUndefined();
    }
  });

  it("a note (createEvent, manual note_added) is the viewer's and shows in the timeline and lastEventAt", async () => {
    const { createEvent } = await gql(
      `mutation ($leadId: UUID!) {
         createEvent(input: { event: { eventSource: "manual", eventType: "note_added", leadId: $leadId, noteText: "Met at the fair" } }) {
           event { rowId eventTimestamp performer { rowId } lead { lastEventAt } }
         }
       }`,
      { leadId: PEOPLE.soren },
    );
    expect(createEvent.event.performer.rowId).toBe(DEFAULT_USER_ID);
    expect(new Date(createEvent.event.lead.lastEventAt)).toEqual(new Date(createEvent.event.eventTimestamp));
    const { lead } = await gql(timeline, { id: PEOPLE.soren });
    expect(lead.events.nodes[0]).toMatchObject({ eventType: "note_added", noteText: "Met at the fair" });
    // Another user's note is not the viewer's to forge.
    const forged = await server.graphql(
      `mutation { createEvent(input: { event: { eventSource: "manual", eventType: "note_added", leadId: "${PEOPLE.soren}", noteText: "x", performedBy: "${BOB}" } }) { event { rowId } } }`,
    );
    expect(forged.body.errors?.[0].message).toMatch(/performedBy/);
  });
});

describe("the company page", () => {
  it("one timeline of all its leads' events, newest first, paginated", async () => {
    const query = `query ($company: UUID!, $after: Cursor) {
      events(filter: { lead: { companyId: { equalTo: $company } } }, orderBy: [EVENT_TIMESTAMP_DESC, ROW_ID_DESC], first: 4, after: $after) {
        totalCount nodes { eventType lead { fullName } } pageInfo { hasNextPage endCursor }
      }
    }`;
    const first = await gql(query, { company: IDS.northwind });
    expect(first.events.totalCount).toBe(7);
    expect(first.events.nodes.map((n: any) => `${n.lead.fullName}: ${n.eventType}`)).toEqual([
      "Tom Berg: email_opened",
      "Tom Berg: email_sent",
      "Jane Doe: call_completed",
      "Jane Doe: note_added",
    ]);
    const rest = await gql(query, { company: IDS.northwind, after: first.events.pageInfo.endCursor });
    expect(rest.events.nodes.map((n: any) => `${n.lead.fullName}: ${n.eventType}`)).toEqual([
      "Jane Doe: email_replied",
      "Tom Berg: email_sent",
      "Jane Doe: email_sent",
    ]);
    expect(rest.events.pageInfo.hasNextPage).toBe(false);
  });
});

describe("the imports page", () => {
  it("an import's rows by outcome, with the row a duplicate repeats", async () => {
    const data = await gql(
      `query ($id: UUID!) { csvImportsRaw(rowId: $id) {
         failedRows duplicateRows
         rejected: rows(condition: { outcome: "rejected" }, orderBy: [ROW_NUMBER_ASC]) { totalCount nodes { rowNumber outcomeReason rawRow } }
         duplicates: rows(filter: { outcome: { equalTo: "duplicate" } }) { nodes { rowNumber duplicateOfRowNumber outcomeReason lead { fullName } } }
       } }`,
      { id: IDS.csvImport },
    );
    expect(data.csvImportsRaw.rejected).toEqual({
      totalCount: 1,
      nodes: [{ rowNumber: 4, outcomeReason: "no email and no LinkedIn URL", rawRow: { "First Name": "", Email: "" } }],
    });
    expect(data.csvImportsRaw.duplicates.nodes).toEqual([
      { rowNumber: 3, duplicateOfRowNumber: 1, outcomeReason: "same email as row 1", lead: { fullName: "Jane Doe" } },
    ]);
  });
});

describe("the Instantly page", () => {
  it("sync runs with their parts, records set aside and webhook deliveries are readable; a visitor may ask for a sync", async () => {
    await db.pool.query(
      `with run as (insert into instantly_sync_runs (triggered_by, status, finished_at, requests_made, rate_limited)
                    values ('cli', 'completed_with_errors', now(), 12, 1) returning id),
            parts as (insert into instantly_sync_run_resources (run_id, resource, status, requests_made, rows_stored, rows_rejected)
                      select id, 'emails', 'completed_with_errors', 10, 250, 1 from run)
       insert into instantly_rejects (run_id, stage, resource, source_id, reason, raw_json)
       select id, 'fetch', 'email', 'e-1', 'email: id is missing', '{}' from run`,
    );
    await db.pool.query(
      'select receive_instantly_webhook(\'{"event_type": "email_opened", "lead_email": "jane.doe@northwind-example.com"}\')',
    );
    const data = await gql(`{
      instantlySyncRuns(orderBy: [STARTED_AT_DESC], first: 5) {
        nodes { status requestsMade rateLimited resources { nodes { resource status rowsStored rowsRejected } } rejects { totalCount } }
      }
      instantlyRejects(first: 5) { nodes { stage resource reason } }
      instantlyWebhooksRaws(orderBy: [RECEIVED_AT_DESC], first: 5) { totalCount nodes { eventType leadEmail deliveries } }
    }`);
    expect(data.instantlySyncRuns.nodes).toEqual([
      {
        status: "completed_with_errors",
        requestsMade: 12,
        rateLimited: 1,
        resources: { nodes: [{ resource: "emails", status: "completed_with_errors", rowsStored: 250, rowsRejected: 1 }] },
        rejects: { totalCount: 1 },
      },
    ]);
    expect(data.instantlyRejects.nodes).toEqual([{ stage: "fetch", resource: "email", reason: "email: id is missing" }]);
    expect(data.instantlyWebhooksRaws.nodes).toEqual([
      { eventType: "email_opened", leadEmail: "jane.doe@northwind-example.com", deliveries: 1 },
    ]);
    const requested = await gql(
      "mutation { createInstantlySyncRequest(input: { instantlySyncRequest: {} }) { instantlySyncRequest { rowId requestedBy } } }",
    );
    expect(requested.createInstantlySyncRequest.instantlySyncRequest.requestedBy).toBe(DEFAULT_USER_ID);
    const { rows } = await db.pool.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'instantly_sync'");
    expect(rows[0].n).toBe(1);
  });
});
