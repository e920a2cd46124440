// What a hostile probe did to the API (issue 13, section 5), each refused or
// stopped while the server goes on answering: fragment fan-out, aliases,
// huge filter strings, requests past their time budget, clients that go away,
// huge responses.
import { beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seed } from "../helpers/seed.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.pool);
  // A query field that holds its statement as long as asked (the schema is
  // built when a server starts, so it is there for the servers below).
  await db.pool.query(
    "create function public.test_sleep(seconds double precision) returns integer language sql stable as $$ select 1 from pg_sleep(seconds) $$",
  );
  server = await startTestServer(db, { graphql: { maxFields: 500, maxAliases: 20, maxStringLength: 100 } });
});

const firstError = (body: { errors?: Array<{ message: string; extensions?: any }> }) => body.errors?.[0];

/** Statements of the test_sleep queries still running. */
async function sleepingStatements(): Promise<number> {
  const { rows } = await db.pool.query(
    "select count(*)::int as n from pg_stat_activity where state = 'active' and query like '%test_sleep%' and pid <> pg_backend_pid()",
  );
  return rows[0].n;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("query shape", () => {
  it("refuses fragment fan-out by its expanded field count before planning it (MAX_QUERY_FIELDS)", async () => {
    // The probe's shape: each level spreads the one below twice. 2^40 fields
    // expanded: planned, it would block the event loop for days.
    const fragments = ["fragment F0 on Lead { id }"];
    for (let i = 1; i <= 40; i++) fragments.push(`fragment F${i} on Lead { ...F${i - 1} ...F${i - 1} }`);
    const query = `{ leads(first: 1) { nodes { ...F40 } } } ${fragments.join(" ")}`;
    const [refused, health] = await Promise.all([server.graphql(query), fetch(`${server.url}/healthz`)]);
    expect(health.status).toBe(200);
    expect(refused.body.data).toBeUndefined();
    expect(firstError(refused.body)?.message).toMatch(/fields with its fragments expanded, over the maximum of 500 \(MAX_QUERY_FIELDS\)/);
    expect(firstError(refused.body)?.extensions).toMatchObject({ code: "QUERY_TOO_MANY_FIELDS", limit: "MAX_QUERY_FIELDS" });
    // Under the limit the same shape runs.
    const small = fragments.slice(0, 4).join(" ");
    const ok = await server.graphql(`{ leads(first: 1) { nodes { ...F3 } } } ${small}`);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.leads.nodes).toHaveLength(1);
  });

  it("refuses fragment cycles (the standard rules) without looping", async () => {
    const { body } = await server.graphql(
      "{ leads(first: 1) { nodes { ...A } } } fragment A on Lead { id ...B } fragment B on Lead { ...A }",
    );
    expect(firstError(body)?.message).toMatch(/Cannot spread fragment "A" within itself/);
  });

  it("refuses more aliases than MAX_ALIASES, also through fragments", async () => {
    const aliases = Array.from({ length: 900 }, (_, i) => `a${i}: leads(first: 1) { totalCount }`).join(" ");
    const { body } = await server.graphql(`{ ${aliases} }`);
    const aliasError = body.errors?.find((e) => e.extensions?.code === "QUERY_TOO_MANY_ALIASES");
    expect(aliasError?.message).toMatch(/Query has 900 aliased fields, over the maximum of 20 \(MAX_ALIASES\)/);
    const viaFragment = await server.graphql(
      `{ ...Q ...Q2 } fragment Q on Query { ${Array.from({ length: 11 }, (_, i) => `q${i}: offers { totalCount }`).join(" ")} } fragment Q2 on Query { x: offers { totalCount } ...Q }`,
    );
    expect(firstError(viaFragment.body)?.message).toMatch(/Query has 23 aliased fields/);
    const few = await server.graphql(`{ ${Array.from({ length: 20 }, (_, i) => `a${i}: offers { totalCount }`).join(" ")} }`);
    expect(few.body.errors).toBeUndefined();
  });

  it("refuses filter and search strings longer than MAX_FILTER_STRING_LENGTH, literal or variable", async () => {
    const long = "x".repeat(40_000);
    const literal = await server.graphql(`{ leads(filter: { email: { includesInsensitive: "${"y".repeat(101)}" } }) { totalCount } }`);
    expect(firstError(literal.body)?.message).toMatch(/string of 101 characters, over the maximum of 100 \(MAX_FILTER_STRING_LENGTH\)/);
    expect(firstError(literal.body)?.extensions).toMatchObject({ code: "ARGUMENT_TOO_LONG", limit: "MAX_FILTER_STRING_LENGTH" });
    const variable = await server.graphql("query ($q: String!) { searchEvents(query: $q) { totalCount } }", { q: long });
    expect(firstError(variable.body)?.message).toMatch(/string of 40000 characters.*MAX_FILTER_STRING_LENGTH/);
    const nested = await server.graphql("query ($f: LeadFilter) { leads(filter: $f) { totalCount } }", {
      f: { or: [{ email: { equalTo: "a" } }, { fullName: { includesInsensitive: long } }] },
    });
    expect(firstError(nested.body)?.extensions.code).toBe("ARGUMENT_TOO_LONG");
    // A mutation's input is data to store, not a pattern: long notes are fine.
    const lead = await server.graphql("{ leads(first: 1) { nodes { rowId } } }");
    const note = await server.graphql(
      `mutation ($leadId: UUID!, $text: String!) {
        createEvent(input: { event: { eventSource: "manual", eventType: "note_added", leadId: $leadId, noteText: $text } }) { event { rowId } }
      }`,
      { leadId: lead.body.data.leads.nodes[0].rowId, text: "n".repeat(5000) },
    );
    expect(note.body.errors).toBeUndefined();
  });
});

describe("request budget", () => {
  it("cancels a request's statements past REQUEST_TIMEOUT_MS and says so; the server answers meanwhile", async () => {
    const budgeted = await startTestServer(db, { graphql: { requestTimeoutMs: 500, statementTimeout: "60s" } });
    const request = budgeted.graphql("{ a: testSleep(seconds: 60) b: testSleep(seconds: 60) }");
    await until(async () => (await sleepingStatements()) > 0, "the statement to start");
    expect((await fetch(`${budgeted.url}/healthz`)).status).toBe(200);
    const { body } = await request;
    expect(body.data).toBeUndefined();
    expect(firstError(body)?.message).toMatch(/longer than 500 ms \(REQUEST_TIMEOUT_MS\); its statements were cancelled/);
    expect(firstError(body)?.extensions).toMatchObject({ code: "REQUEST_TIMEOUT", limit: "REQUEST_TIMEOUT_MS" });
    await until(async () => (await sleepingStatements()) === 0, "the statement to be cancelled");
    // The connection went back to the pool clean: the next request runs.
    const next = await budgeted.graphql("{ offers { totalCount } }");
    expect(next.body.data.offers.totalCount).toBe(1);
  });

  it("cancels the statements of a client that disconnects", async () => {
    const patient = await startTestServer(db, { graphql: { requestTimeoutMs: 120_000, statementTimeout: "120s" } });
    const controller = new AbortController();
    const request = fetch(`${patient.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ testSleep(seconds: 120) }" }),
      signal: controller.signal,
    }).catch((error: Error) => error);
    await until(async () => (await sleepingStatements()) > 0, "the statement to start");
    controller.abort();
    expect(await request).toBeInstanceOf(Error);
    await until(async () => (await sleepingStatements()) === 0, "the statement to be cancelled");
    expect((await patient.graphql("{ offers { totalCount } }")).body.data.offers.totalCount).toBe(1);
  });

  it("stops a response that grows past MAX_RESPONSE_BYTES with an error naming it", async () => {
    await db.pool.query(
      "insert into csv_import_rows (csv_import_id, row_number, raw_row, outcome, outcome_reason) select id, 1000 + g, jsonb_build_object('blob', repeat('z', 20000)), 'rejected', 'big' from csv_imports_raw, generate_series(1, 20) g",
    );
    const capped = await startTestServer(db, { graphql: { maxResponseBytes: 100_000 } });
    const query = `{ a: csvImportRows(first: 20, orderBy: ROW_NUMBER_DESC) { nodes { rawRow } } b: csvImportRows(first: 20, orderBy: ROW_NUMBER_DESC) { nodes { rawRow } } }`;
    const { body } = await capped.graphql(query);
    expect(body.data).toBeUndefined();
    expect(firstError(body)?.message).toMatch(/grew past 100000 bytes \(MAX_RESPONSE_BYTES\)/);
    expect(firstError(body)?.extensions).toMatchObject({ code: "RESPONSE_TOO_LARGE", limit: "MAX_RESPONSE_BYTES" });
    // Under the limit it answers.
    const small = await capped.graphql(`{ csvImportRows(first: 2, orderBy: ROW_NUMBER_DESC) { nodes { rawRow } } }`);
    expect(small.body.data.csvImportRows.nodes).toHaveLength(2);
  });
});

describe("...ById mutations", () => {
  it("refuse a UUID or another type's Node ID in input.id instead of answering null", async () => {
    const { body } = await server.graphql("{ leads(first: 1) { nodes { id rowId } } offers { nodes { id } } }");
    const lead = body.data.leads.nodes[0];
    const update = 'mutation ($id: ID!) { updateLeadById(input: { id: $id, patch: { jobTitle: "CTO" } }) { lead { jobTitle } } }';
    const uuid = await server.graphql(update, { id: lead.rowId });
    expect(firstError(uuid.body)?.message).toBe(
      "updateLeadById takes a Node ID in input.id (the Lead's `id`), not a UUID; for a UUID use updateLead(input: { rowId }).",
    );
    expect(firstError(uuid.body)?.extensions.code).toBe("INVALID_NODE_ID");
    const literal = await server.graphql(`mutation { deleteLeadById(input: { id: "${lead.rowId}" }) { lead { rowId } } }`);
    expect(firstError(literal.body)?.extensions.code).toBe("INVALID_NODE_ID");
    const offer = await server.graphql(update, { id: body.data.offers.nodes[0].id });
    expect(firstError(offer.body)?.message).toBe("updateLeadById takes a Lead's Node ID in input.id, but this one is an Offer's.");
    const ok = await server.graphql(update, { id: lead.id });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.updateLeadById.lead.jobTitle).toBe("CTO");
  });
});

describe("groupedAggregates", () => {
  it("refuses more groups than MAX_GROUPS with an error naming it", async () => {
    await db.pool.query(
      `insert into events (event_source, event_type, lead_id, event_timestamp)
       select 'manual', 'note_added', l.id, timestamptz '2025-01-01' + g * interval '1 second' from (select id from leads limit 1) l, generate_series(1, 50) g`,
    );
    const grouped = await startTestServer(db, { graphql: { maxGroups: 10 } });
    const { body } = await grouped.graphql("{ events { groupedAggregates(groupBy: [EVENT_TIMESTAMP]) { keys distinctCount { rowId } } } }");
    expect(body.data?.events?.groupedAggregates ?? null).toBeNull();
    expect(firstError(body)?.message).toMatch(/more than 10 groups, the maximum \(MAX_GROUPS\)/);
    expect(firstError(body)?.extensions).toMatchObject({ code: "TOO_MANY_GROUPS", limit: "MAX_GROUPS" });
    // Nested under a relation, each parent's groups are counted on their own.
    const nested = await grouped.graphql("{ leads { nodes { events { groupedAggregates(groupBy: [EVENT_TIMESTAMP]) { keys } } } } }");
    expect(firstError(nested.body)?.extensions.code).toBe("TOO_MANY_GROUPS");
    const few = await grouped.graphql("{ events { groupedAggregates(groupBy: [EVENT_SOURCE]) { keys distinctCount { rowId } } } }");
    expect(few.body.errors).toBeUndefined();
    expect(few.body.data.events.groupedAggregates.length).toBeGreaterThan(0);
  });
});
