// No N+1: the lead-timeline operation costs the same number of SQL
// statements however many events and campaigns the lead has.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { QUERIES_DIR } from "../../src/graphile.config.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let db: TestDatabase;
let server: TestServer;
const statements: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // The API's pool, counting every statement PostGraphile sends.
  const pool = new pg.Pool({ connectionString: db.authUrl, max: 4 });
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      statements.push(typeof first === "string" ? first : (first?.text ?? ""));
      return query(...args);
    };
  });
  server = await startTestServer(db, { pool });
});

/** A lead with `campaigns` memberships and `events` events spread over them. */
async function leadWith(email: string, campaigns: number, events: number) {
  await db.pool.query(
    `with lead as (insert into leads (first_name, email) values ('N', $1) returning id),
          camps as (insert into campaigns (campaign_name) select 'c' || g || ' ' || $1 from generate_series(1, $2) g returning id),
          members as (insert into campaign_leads (campaign_id, lead_id) select camps.id, lead.id from camps, lead returning id, campaign_id, lead_id),
          numbered as (select members.*, row_number() over () - 1 as n from members)
     insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject)
     select 'instantly', 'email_sent', m.lead_id, m.campaign_id, m.id, now() - g * interval '1 hour', 'Subject ' || g
     from generate_series(1, $3) g join numbered m on m.n = g % $2`,
    [email, campaigns, events],
  );
}

async function countStatements(email: string) {
  statements.length = 0;
  const { body } = await server.graphql(fs.readFileSync(path.join(QUERIES_DIR, "lead-timeline.graphql"), "utf8"), { email, first: 50 });
  expect(body.errors).toBeUndefined();
  // Transaction control and the per-request settings are not data queries.
  const data = statements.filter((s) => !/^\s*(begin|commit|rollback)\b/i.test(s) && !/set_config/.test(s));
  return { data, lead: body.data.lead };
}

describe("lead-timeline", () => {
  it("runs one data statement per root field, whatever the number of events and campaigns", async () => {
    await leadWith("small@example.com", 1, 1);
    await leadWith("large@example.com", 5, 40);
    const small = await countStatements("small@example.com");
    const large = await countStatements("large@example.com");
    expect(small.lead.timeline.totalCount).toBe(1);
    expect(large.lead.timeline.totalCount).toBe(40);
    expect(large.lead.timeline.nodes).toHaveLength(40);
    expect(large.lead.campaignLeads.nodes).toHaveLength(5);
    expect(small.data.length).toBe(1);
    expect(large.data.length).toBe(small.data.length);
  });
});
