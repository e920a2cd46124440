// Abuse limits, in every mode: each rejection names the limit it hit, and
// the server goes on answering other requests.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { QUERIES_DIR } from "../../src/graphile.config.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seed } from "../helpers/seed.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.pool);
  server = await startTestServer(db, {
    graphql: { maxDepth: 8, maxCost: 200, defaultPageSize: 2, maxPageSize: 10, maxRequestBytes: 4000 },
  });
});

const firstError = (body: { errors?: Array<{ message: string }> }) => body.errors?.[0]?.message ?? "";

describe("limits", () => {
  it("applies a default page size when first/last are omitted, and caps them", async () => {
    const omitted = await server.graphql("{ leads { totalCount nodes { email } } }");
    expect(omitted.body.data.leads.totalCount).toBe(3);
    expect(omitted.body.data.leads.nodes).toHaveLength(2);
    const tooMany = await server.graphql("{ leads(first: 11) { nodes { email } } }");
    expect(firstError(tooMany.body)).toMatch(/between 0 and 10 \(MAX_PAGE_SIZE\), got 11/);
    const viaVariable = await server.graphql("query ($n: Int) { events(last: $n) { nodes { rowId } } }", { n: 1000 });
    expect(firstError(viaVariable.body)).toMatch(/MAX_PAGE_SIZE/);
    // Nested relations and function results are capped and paged the same way.
    const nested = await server.graphql(
      '{ companyByCompanyDomain(companyDomain: "northwind-example.com") { leads(first: 50) { nodes { email } } } }',
    );
    expect(firstError(nested.body)).toMatch(/MAX_PAGE_SIZE/);
    const fn = await server.graphql('{ searchEvents(query: "quick", first: 50) { nodes { rowId } } }');
    expect(firstError(fn.body)).toMatch(/MAX_PAGE_SIZE/);
    const fnDefault = await server.graphql('{ searchEvents(query: "quick") { totalCount nodes { rowId } } }');
    expect(fnDefault.body.data.searchEvents.totalCount).toBe(4);
    expect(fnDefault.body.data.searchEvents.nodes).toHaveLength(2);
  });

  it("rejects queries deeper than MAX_QUERY_DEPTH", async () => {
    const deep = `{ leads(first: 1) { nodes { company { leads(first: 1) { nodes { company { leads(first: 1) { nodes { company { companyName } } } } } } } } } }`;
    const { body } = await server.graphql(deep);
    expect(body.data).toBeUndefined();
    expect(firstError(body)).toMatch(/Query depth 9 exceeds the maximum depth of 8 \(MAX_QUERY_DEPTH\)/);
  });

  it("rejects queries costlier than MAX_QUERY_COST", async () => {
    const costly = `{ leads(first: 10) { nodes { events(first: 10) { nodes { campaign { campaignLeads(first: 10) { nodes { rowId } } } } } } } }`;
    const { body } = await server.graphql(costly);
    expect(firstError(body)).toMatch(/Query cost 1321 exceeds the maximum cost of 200 \(MAX_QUERY_COST\)/);
  });

  it("rejects bodies larger than MAX_REQUEST_BYTES", async () => {
    const response = await server.graphql(`{ __typename } # ${"x".repeat(5000)}`);
    expect(response.status).toBe(413);
    expect(firstError(response.body)).toMatch(/exceeds the maximum of 4000 bytes \(MAX_REQUEST_BYTES\)/);
  });

  it("cancels statements that run past STATEMENT_TIMEOUT", async () => {
    await db.pool.query("insert into leads (email) select 'bulk' || g || '@example.com' from generate_series(1, 100000) g");
    const slow = await startTestServer(db, { graphql: { statementTimeout: "1ms" } });
    const { body } = await slow.graphql('{ leads(filter: { email: { includesInsensitive: "9" } }) { totalCount } }');
    expect(firstError(body)).toMatch(/statement timeout \(STATEMENT_TIMEOUT\)/);
    expect(body.errors?.[0] && (body.errors[0] as any).extensions.code).toBe("STATEMENT_TIMEOUT");
  });

  it("counts every fetched row, and spreads of a fragment cost no extra work to check", async () => {
    // 400 aliases of a 10-row page: 4,000 rows.
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: leads(first: 10) { nodes { email } }`).join(" ");
    expect(firstError((await server.graphql(`{ ${aliases} }`)).body)).toMatch(/Query cost 440 exceeds/);
    // A fragment spread twice per level, 40 levels deep: 2^40 paths (the test times out if they are walked).
    const fragments = ["fragment F0 on Query { offers(first: 1) { totalCount } }"];
    for (let i = 1; i <= 40; i++) fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
    const { body } = await server.graphql(`query { ...F40 } ${fragments.join(" ")}`);
    expect(firstError(body)).toMatch(/MAX_QUERY_COST/);
  });

  it("keeps answering other requests after rejecting some", async () => {
    const ok = await server.graphql("{ offers { nodes { offerName } } }");
    expect(ok.body.data.offers.nodes).toEqual([{ offerName: "AI Automation Services" }]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe("persisted operations only (GRAPHQL_PERSISTED_ONLY)", () => {
  it("runs the operations of docs/queries by their sha256 and nothing else", async () => {
    const persisted = await startTestServer(db, { graphql: { persistedOnly: true } });
    const text = fs.readFileSync(path.join(QUERIES_DIR, "company.graphql"), "utf8");
    const documentId = crypto.createHash("sha256").update(text).digest("hex");
    const byId = await fetch(`${persisted.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ documentId, variables: { domain: "northwind-example.com" } }),
    });
    const known = (await byId.json()) as any;
    expect(known.errors).toBeUndefined();
    expect(known.data.company.companyName).toBe("Northwind Labs");
    const adHoc = await persisted.graphql("{ leads { totalCount } }");
    expect(adHoc.body.data).toBeUndefined();
    expect(firstError(adHoc.body)).toMatch(/persisted/i);
  });
});

describe("CORS (CORS_ORIGINS)", () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/graphql`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });

  it("allows only the configured frontend origins, and none by default", async () => {
    const withOrigins = await startTestServer(db, { corsOrigins: ["https://app.example.com"] });
    const allowed = await preflight(withOrigins.url, "https://app.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    const other = await preflight(withOrigins.url, "https://evil.example.com");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const byDefault = await preflight(server.url, "https://app.example.com");
    expect(byDefault.headers.get("access-control-allow-origin")).toBeNull();
  });
});
