// Deletes through the API (issue 13, 5.5): a visitor's delete that would take
// rows it could not delete itself (events from a source, other users' notes,
// call requests) is refused with 23001 and a message counting them; every
// row a request deletes is kept in leadgraph_private.deletions; the owner
// (worker, renormalize, tests) is neither held nor recorded.
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../src/auth.ts";
import { describeDatabaseError } from "../../src/graphql/errors.ts";
import { VISITOR_ROLE } from "../../src/database/roles.ts";
import { createTestDatabase, rollback, type TestDatabase } from "../helpers/db.ts";
import { IDS, seed } from "../helpers/seed.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "test-secret-test-secret-test-secret";
const BOB = "40000000-0000-4000-8000-000000000002";
const LEAD_HINT = "it cannot be deleted through the API: set its status to unqualified or do_not_contact instead (setLeadStatus).";
let db: TestDatabase;
let prod: TestServer;
const bearer = (userId: string) => ({ authorization: `Bearer ${signToken(userId, SECRET, "1h")}` });

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.pool);
  await db.pool.query("insert into users (id, email, full_name) values ($1, 'bob@example.com', 'Bob')", [BOB]);
  prod = await startTestServer(db, { jwtSecret: SECRET, production: true });
});

async function one<T = Record<string, unknown>>(client: pg.PoolClient, sql: string, params: unknown[] = []): Promise<T> {
  return (await client.query(sql, params)).rows[0] as T;
}

/** Runs `sql` as the API does (the visitor role, as `userId`), in a savepoint; the error, if any. */
async function asVisitor(
  client: pg.PoolClient,
  userId: string,
  sql: string,
  params: unknown[] = [],
): Promise<{ code?: string; message?: string } | undefined> {
  await client.query("savepoint visitor");
  try {
    await client.query(`set local role ${VISITOR_ROLE}`);
    await client.query("select set_config('jwt.claims.user_id', $1, true)", [userId]);
    await client.query(sql, params);
    await client.query("reset role");
    await client.query("release savepoint visitor");
    return undefined;
  } catch (error) {
    await client.query("rollback to savepoint visitor");
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
}

const lead = async (client: pg.PoolClient, email: string) =>
  (await one<{ id: string }>(client, "insert into leads (email) values ($1) returning id", [email])).id;
const note = (client: pg.PoolClient, leadId: string, userId: string | null) =>
  client.query(
    "insert into events (event_source, event_type, lead_id, note_text, performed_by) values ('manual', 'note_added', $1, 'a note', $2)",
    [leadId, userId],
  );
const count = async (client: pg.PoolClient, sql: string, params: unknown[] = []) =>
  (await one<{ n: number }>(client, `select count(*)::int as n from ${sql}`, params)).n;
const deletions = async (client: pg.PoolClient) =>
  (
    await client.query<{
      table_name: string;
      row_id: string;
      deleted_by: string | null;
      old_row: Record<string, unknown>;
      same_tx: boolean;
    }>(
      `select table_name, row_id, deleted_by, old_row, transaction_id = pg_current_xact_id() as same_tx
         from leadgraph_private.deletions order by id`,
    )
  ).rows;

describe("a visitor deleting a lead", () => {
  it("deletes one with only its own notes and memberships, and records every row that went", () =>
    rollback(db.pool, async (client) => {
      const id = await lead(client, "only-mine@example.com");
      await note(client, id, IDS.defaultUser);
      const membership = await one<{ id: string }>(
        client,
        "insert into campaign_leads (campaign_id, lead_id) values ($1, $2) returning id",
        [IDS.campaign, id],
      );
      expect(await asVisitor(client, IDS.defaultUser, "delete from leads where id = $1", [id])).toBeUndefined();
      expect(await count(client, "leads where id = $1", [id])).toBe(0);
      const rows = await deletions(client);
      expect(rows.map((r) => [r.table_name, r.deleted_by, r.same_tx]).sort()).toEqual([
        ["campaign_leads", IDS.defaultUser, true],
        ["events", IDS.defaultUser, true],
        ["leads", IDS.defaultUser, true],
      ]);
      expect(rows.find((r) => r.table_name === "leads")).toMatchObject({ row_id: id, old_row: { id, email: "only-mine@example.com" } });
      expect(rows.find((r) => r.table_name === "campaign_leads")?.row_id).toBe(membership.id);
      expect(rows.find((r) => r.table_name === "events")?.old_row).toMatchObject({ note_text: "a note", lead_id: id });
      expect(rows.find((r) => r.table_name === "events")?.old_row).not.toHaveProperty("search_vector");
    }));

  it("is refused for one with events from Instantly and notes of other users; they stay", () =>
    rollback(db.pool, async (client) => {
      const id = await lead(client, "synced@example.com");
      await client.query(
        "insert into events (event_source, event_type, lead_id) select 'instantly', 'email_sent', $1 from generate_series(1, 12)",
        [id],
      );
      await note(client, id, BOB);
      await note(client, id, BOB);
      await note(client, id, IDS.defaultUser);
      expect(await asVisitor(client, IDS.defaultUser, "delete from leads where id = $1", [id])).toEqual({
        code: "23001",
        message: `This lead has 12 events from Instantly and 2 notes or other manual events of other users; ${LEAD_HINT}`,
      });
      expect(await count(client, "events where lead_id = $1", [id])).toBe(15);
      expect(await count(client, "leadgraph_private.deletions")).toBe(0);
    }));

  it("is refused for one with another user's note alone, or a note of no user", () =>
    rollback(db.pool, async (client) => {
      const bobs = await lead(client, "bobs-note@example.com");
      await note(client, bobs, BOB);
      expect((await asVisitor(client, IDS.defaultUser, "delete from leads where id = $1", [bobs]))?.message).toBe(
        `This lead has 1 note or other manual event of other users; ${LEAD_HINT}`,
      );
      // Bob may delete it: the note is his.
      expect(await asVisitor(client, BOB, "delete from leads where id = $1", [bobs])).toBeUndefined();
      // A manual event the worker or a script wrote (no performer) is no visitor's to delete.
      const nobodys = await lead(client, "nobodys-note@example.com");
      await note(client, nobodys, null);
      expect((await asVisitor(client, BOB, "delete from leads where id = $1", [nobodys]))?.code).toBe("23001");
    }));

  it("is refused for one with call requests or a merged duplicate", () =>
    rollback(db.pool, async (client) => {
      const id = await lead(client, "called@example.com");
      const membership = await one<{ id: string }>(
        client,
        "insert into campaign_leads (campaign_id, lead_id) values ($1, $2) returning id",
        [IDS.campaign, id],
      );
      await client.query(
        `insert into vapi_call_requests (campaign_lead_id, lead_id, campaign_id, reason, customer_number, state)
         values ($1, $2, $3, 'manual', '+15555550100', 'canceled')`,
        [membership.id, id, IDS.campaign],
      );
      await client.query(
        "insert into lead_merges (kept_lead_id, merged_lead_id, merged_lead, reason) values ($1, gen_random_uuid(), '{}', 'test')",
        [id],
      );
      expect((await asVisitor(client, IDS.defaultUser, "delete from leads where id = $1", [id]))?.message).toBe(
        `This lead has 1 call request and 1 merged duplicate; ${LEAD_HINT}`,
      );
      // Removing it from the campaign would take the call request too.
      expect((await asVisitor(client, IDS.defaultUser, "delete from campaign_leads where id = $1", [membership.id]))?.message).toBe(
        "This campaign membership has 1 call request; it cannot be deleted through the API: set its overall status to disqualified or completed instead.",
      );
      expect(await count(client, "vapi_call_requests where lead_id = $1", [id])).toBe(1);
    }));
});

describe("a visitor deleting a campaign or a company", () => {
  it("a campaign whose events came from a source is refused; one with only memberships goes, recorded", () =>
    rollback(db.pool, async (client) => {
      const synced = await one<{ id: string }>(client, "insert into campaigns (campaign_name) values ('Synced') returning id");
      await client.query(
        "insert into events (event_source, event_type, lead_id, campaign_id) values ('instantly', 'email_sent', $1, $2), ('vapi', 'call_completed', $1, $2)",
        [IDS.tom, synced.id],
      );
      expect((await asVisitor(client, IDS.defaultUser, "delete from campaigns where id = $1", [synced.id]))?.message).toBe(
        "This campaign has 1 event from Instantly and 1 event from VAPI; it cannot be deleted through the API: set its status to archived instead.",
      );
      expect(await count(client, "events where campaign_id = $1", [synced.id])).toBe(2);

      const empty = await one<{ id: string }>(client, "insert into campaigns (campaign_name) values ('Empty') returning id");
      await client.query("insert into campaign_leads (campaign_id, lead_id) values ($1, $2)", [empty.id, IDS.tom]);
      expect(await asVisitor(client, BOB, "delete from campaigns where id = $1", [empty.id])).toBeUndefined();
      expect((await deletions(client)).map((r) => [r.table_name, r.deleted_by])).toEqual(
        expect.arrayContaining([
          ["campaigns", BOB],
          ["campaign_leads", BOB],
        ]),
      );
    }));

  it("a company goes (its leads stay, unlinked), recorded", () =>
    rollback(db.pool, async (client) => {
      expect(await asVisitor(client, BOB, "delete from companies where id = $1", [IDS.corpao])).toBeUndefined();
      expect(await one(client, "select company_id from leads where id = $1", [IDS.ana])).toEqual({ company_id: null });
      expect((await deletions(client)).map((r) => [r.table_name, r.row_id, r.deleted_by])).toEqual([["companies", IDS.corpao, BOB]]);
    }));
});

describe("the owner (worker, renormalize, maintenance)", () => {
  it("is neither held nor recorded", () =>
    rollback(db.pool, async (client) => {
      await note(client, IDS.jane, BOB);
      await client.query("delete from leads where id = $1", [IDS.jane]);
      await client.query("delete from campaigns where id = $1", [IDS.campaign]);
      await client.query("delete from events where event_source = 'instantly'");
      expect(await count(client, "leads where id = $1", [IDS.jane])).toBe(0);
      expect(await count(client, "leadgraph_private.deletions")).toBe(0);
    }));
});

describe("through GraphQL in production", () => {
  it("a refused delete says what holds the row, with a code of its own", async () => {
    const { body } = await prod.graphql(
      "mutation ($id: UUID!) { deleteLead(input: { rowId: $id }) { lead { rowId } } }",
      { id: IDS.jane },
      bearer(BOB),
    );
    expect(body.errors?.[0].message).toBe(
      `This lead has 2 events from Instantly, 1 event from VAPI and 1 note or other manual event of other users; ${LEAD_HINT}`,
    );
    expect(body.errors?.[0].extensions).toMatchObject({ code: "DELETE_RESTRICTED", sqlstate: "23001" });
    const campaign = await prod.graphql(
      "mutation ($id: UUID!) { deleteCampaign(input: { rowId: $id }) { campaign { rowId } } }",
      { id: IDS.campaign },
      bearer(IDS.defaultUser),
    );
    expect(campaign.body.errors?.[0].message).toBe(
      "This campaign has 7 events from Instantly and 1 event from VAPI; it cannot be deleted through the API: set its status to archived instead.",
    );
    expect((await db.pool.query("select count(*)::int as n from events where lead_id = $1", [IDS.jane])).rows[0].n).toBe(4);
  });

  it("a lead nothing holds is deleted, and the deletion names the token's user", async () => {
    const created = await prod.graphql(
      `mutation { createLead(input: { lead: { email: "short-lived@example.com" } }) { lead { id rowId } } }`,
      {},
      bearer(BOB),
    );
    const { id, rowId } = created.body.data.createLead.lead;
    const deleted = await prod.graphql(
      "mutation ($id: ID!) { deleteLeadById(input: { id: $id }) { lead { rowId } } }",
      { id },
      bearer(BOB),
    );
    expect(deleted.body.errors).toBeUndefined();
    expect(deleted.body.data.deleteLeadById.lead.rowId).toBe(rowId);
    const { rows } = await db.pool.query(
      "select table_name, deleted_by, old_row->>'email' as email from leadgraph_private.deletions where row_id = $1",
      [rowId],
    );
    expect(rows).toEqual([{ table_name: "leads", deleted_by: BOB, email: "short-lived@example.com" }]);
  });
});

describe("describeDatabaseError", () => {
  it("passes a delete guard's message through; a foreign key's RESTRICT stays STILL_REFERENCED", () => {
    const message = `This lead has 1 call request; ${LEAD_HINT}`;
    expect(describeDatabaseError({ code: "23001", message, table: "leads" })).toEqual({ message, code: "DELETE_RESTRICTED" });
    expect(
      describeDatabaseError({
        code: "23001",
        message:
          'update or delete on table "offers" violates RESTRICT setting of foreign key constraint "campaigns_offer_id_fkey" on table "campaigns"',
      })?.code,
    ).toBe("STILL_REFERENCED");
  });
});
