// The HTTP API in-process: GraphQL over the seed model, GraphiQL, /healthz.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

let db: TestDatabase;
let server: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, host: "127.0.0.1", port: 0, production: false });
});
afterAll(async () => {
  await server?.close();
});

async function graphql(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

describe("GraphQL", () => {
  it("lists the seed offer with the campaign that promotes it", async () => {
    const result = await graphql(`{
      allOffers { nodes { offerName priceMin campaignsByOfferId { nodes { campaignName campaignStatus usesEmail } } } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data.allOffers.nodes).toEqual([
      {
        offerName: "AI Automation Services",
        priceMin: "2000.00",
        campaignsByOfferId: {
          nodes: [{ campaignName: "AI Automation Outreach (example)", campaignStatus: "draft", usesEmail: true }],
        },
      },
    ]);
  });

  it("exposes the raw layer and the timeline functions", async () => {
    const result = await graphql(`{
      allInstantlyCampaignsRaws { totalCount }
      allCsvImportRows { totalCount }
      getCampaignEventStats(pCampaignId: "00000000-0000-0000-0000-000000000007") { totalCount }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      allInstantlyCampaignsRaws: { totalCount: 0 },
      allCsvImportRows: { totalCount: 0 },
      getCampaignEventStats: { totalCount: 0 },
    });
  });

  it("serves GraphiQL", async () => {
    const response = await fetch(`${server.url}/graphiql`, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/<html/i);
  });
});

describe("/healthz", () => {
  it("answers 200 while the database is reachable and 503 when it is not", async () => {
    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok" });

    // A second server whose database goes away.
    const doomed = await createTestDatabase();
    const other = await startServer({ databaseUrl: doomed.url, host: "127.0.0.1", port: 0, production: false });
    try {
      expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
      const root = new pg.Client({ connectionString: doomed.url.replace(/\/[^/]+$/, "/postgres") });
      await root.connect();
      await root.query(`drop database ${new URL(doomed.url).pathname.slice(1)} with (force)`);
      await root.end();
      const down = await fetch(`${other.url}/healthz`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { status: string }).status).toBe("unavailable");
    } finally {
      await other.close().catch(() => {});
    }
  });
});
