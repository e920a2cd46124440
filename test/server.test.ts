// The HTTP API in-process: GraphQL over the seed model, GraphiQL, /healthz.
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseUrl } from "../src/database/index.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
});

async function graphql(query: string) {
  const { status, body } = await server.graphql(query);
  expect(status).toBe(200);
  return body;
}

describe("GraphQL", () => {
  it("lists the seed offer with the campaign that promotes it", async () => {
    const result = await graphql(`
      {
        offers {
          nodes {
            offerName
            priceMin
            campaigns {
              nodes {
                campaignName
                campaignStatus
                usesEmail
              }
            }
          }
        }
      }
    `);
    expect(result.errors).toBeUndefined();
    expect(result.data.offers.nodes).toEqual([
      {
        offerName: "AI Automation Services",
        priceMin: "2000.00",
        campaigns: {
          nodes: [{ campaignName: "AI Automation Outreach (example)", campaignStatus: "draft", usesEmail: true }],
        },
      },
    ]);
  });

  it("exposes the raw layer and the timeline functions", async () => {
    const result = await graphql(`
      {
        instantlyCampaignsRaws {
          totalCount
        }
        csvImportRows {
          totalCount
        }
        getCampaignEventStats(campaignId: "00000000-0000-0000-0000-000000000007") {
          totalCount
        }
      }
    `);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      instantlyCampaignsRaws: { totalCount: 0 },
      csvImportRows: { totalCount: 0 },
      getCampaignEventStats: { totalCount: 0 },
    });
  });

  it("serves GraphiQL, opening with the lead-timeline example", async () => {
    const response = await fetch(`${server.url}/graphiql`, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/<html/i);
    expect(html).toContain("query LeadTimeline");
  });
});

describe("/healthz", () => {
  it("answers 200 while the database is reachable and 503 when it is not", async () => {
    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok" });

    // A second server whose database goes away.
    const doomed = await createTestDatabase();
    const other = await startTestServer(doomed);
    try {
      expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
      const root = new pg.Client({ connectionString: databaseUrl(doomed.url, "postgres") });
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
