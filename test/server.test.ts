// The HTTP API in-process: GraphQL over the seed model, GraphiQL, /healthz
// and /readyz.
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseUrl } from "../src/database/index.ts";
import { committedMigrations, migrationStatus } from "../src/database/migration-status.ts";
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
    const production = await startTestServer(doomed, { production: true, jwtSecret: "server-test-secret" });
    try {
      expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
      const root = new pg.Client({ connectionString: databaseUrl(doomed.url, "postgres") });
      await root.connect();
      await root.query(`drop database ${new URL(doomed.url).pathname.slice(1)} with (force)`);
      await root.end();
      const down = await fetch(`${other.url}/healthz`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { status: string }).status).toBe("unavailable");
      // In production the answer names nothing internal (the reason is in the log).
      const downInProduction = await fetch(`${production.url}/healthz`);
      expect(downInProduction.status).toBe(503);
      expect(await downInProduction.json()).toEqual({ status: "unavailable" });
      expect((await fetch(`${production.url}/readyz`)).status).toBe(503);
    } finally {
      await other.close().catch(() => {});
      await production.close().catch(() => {});
    }
  });

  it("a full API pool is load, not a database failure: /healthz and /readyz still answer 200", async () => {
    const pool = new pg.Pool({ connectionString: db.authUrl, max: 1 });
    const busy = await startTestServer(db, { pool });
    const held = await pool.connect();
    try {
      expect(pool.totalCount - pool.idleCount).toBe(1);
      const health = await fetch(`${busy.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      expect((await fetch(`${busy.url}/readyz`)).status).toBe(200);
      // A GraphQL request meanwhile waits for the pool.
      expect(pool.waitingCount).toBe(0);
    } finally {
      held.release();
      await busy.close();
      await pool.end();
    }
  });
});

describe("/readyz", () => {
  const last = committedMigrations().at(-1)!;

  it("is not ready while a committed migration is not applied, and /healthz stays 200 (it only asks whether the database answers)", async () => {
    const status = migrationStatus(db.url, { recheckMs: 0 });
    const ready = await startTestServer(db, { pendingMigrations: status.pending });
    const [row] = (await db.pool.query("select * from graphile_migrate.migrations where filename = $1", [last])).rows;
    expect(row).toBeDefined();
    try {
      expect(await (await fetch(`${ready.url}/readyz`)).json()).toEqual({ status: "ready" });
      // The database as a new release finds it: one migration short.
      await db.pool.query("delete from graphile_migrate.migrations where filename = $1", [last]);
      const notReady = await fetch(`${ready.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: "unavailable",
        reason: "1 committed migration is not applied (run `leadgraph migrate`)",
      });
      expect((await fetch(`${ready.url}/healthz`)).status).toBe(200);

      // A server that built its schema meanwhile serves the old one: not ready even once the migration is applied.
      const stale = await startTestServer(db, { pendingMigrations: status.pending });
      expect((await fetch(`${stale.url}/readyz`)).status).toBe(503);
      await db.pool.query("insert into graphile_migrate.migrations (hash, previous_hash, filename, date) values ($1, $2, $3, $4)", [
        row.hash,
        row.previous_hash,
        row.filename,
        row.date,
      ]);
      expect((await fetch(`${ready.url}/readyz`)).status).toBe(200);
      const restartNeeded = await fetch(`${stale.url}/readyz`);
      expect(restartNeeded.status).toBe(503);
      expect(((await restartNeeded.json()) as { reason: string }).reason).toMatch(/restart it to serve the new schema/);
      expect((await fetch(`${stale.url}/healthz`)).status).toBe(200);
      await stale.close();
    } finally {
      await db.pool.query(
        "insert into graphile_migrate.migrations (hash, previous_hash, filename, date) values ($1, $2, $3, $4) on conflict do nothing",
        [row.hash, row.previous_hash, row.filename, row.date],
      );
      await status.close();
    }
  });

  it("counts every committed migration as pending on a database never migrated, and re-reads the database at most every few seconds", async () => {
    const empty = await createTestDatabase({ empty: true });
    const never = migrationStatus(empty.url, { recheckMs: 0 });
    try {
      expect(await never.pending()).toBe(committedMigrations().length);
    } finally {
      await never.close();
    }
    const cached = migrationStatus(db.url);
    const [row] = (await db.pool.query("select * from graphile_migrate.migrations where filename = $1", [last])).rows;
    try {
      expect(await cached.pending()).toBe(0);
      // Within the recheck interval the answer is the one read before (no query per probe).
      await db.pool.query("delete from graphile_migrate.migrations where filename = $1", [last]);
      expect(await cached.pending()).toBe(0);
    } finally {
      await db.pool.query(
        "insert into graphile_migrate.migrations (hash, previous_hash, filename, date) values ($1, $2, $3, $4) on conflict do nothing",
        [row.hash, row.previous_hash, row.filename, row.date],
      );
      await cached.close();
    }
  });
});
