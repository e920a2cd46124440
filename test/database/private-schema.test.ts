// Plumbing lives in leadgraph_private: the API does not show it and a visitor
// (every GraphQL request) can neither read its tables nor call its functions.
// The shared rules of leadgraph_rules are callable by everyone (constraints
// and triggers of tables visitors write use them) but are not in GraphQL.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/config.ts";
import { VISITOR_ROLE } from "../../src/database/roles.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { startTestServer } from "../helpers/server.ts";

const db = await createTestDatabase();

async function asVisitor(sql: string): Promise<{ ok: true } | { ok: false; code: string }> {
  const client = await db.pool.connect();
  try {
    await client.query("begin");
    await client.query(`set local role ${VISITOR_ROLE}`);
    await client.query(sql);
    return { ok: true };
  } catch (error) {
    return { ok: false, code: (error as { code: string }).code };
  } finally {
    await client.query("rollback");
    client.release();
  }
}

describe("leadgraph_private", () => {
  it("holds the queue, the sync cursors, the enqueue and trigger functions, the normalisers' helpers", async () => {
    const { rows } = await db.pool.query<{ name: string }>(
      `select c.relname as name from pg_class c where c.relnamespace = 'leadgraph_private'::regnamespace and c.relkind = 'r'
       union all
       select p.proname from pg_proc p where p.pronamespace = 'leadgraph_private'::regnamespace and p.prorettype <> 'trigger'::regtype
       order by 1`,
    );
    expect(rows.map((r) => r.name)).toEqual([
      "caller_may_change_csv_import",
      "cells_of",
      "claim_instantly_pending",
      "claim_vapi_pending",
      "count_phrase",
      "csv_import_raw_rows",
      "csv_import_row_outcomes",
      "deletion_holders",
      "deletions",
      "enqueue_csv_import_normalization",
      "enqueue_instantly_normalization",
      "enqueue_instantly_sync",
      "enqueue_vapi_call_placement",
      "enqueue_vapi_normalization",
      "enqueue_vapi_sync",
      "instantly_interest_status",
      "instantly_pending",
      "instantly_person",
      "instantly_raw_json",
      "instantly_step_number",
      "instantly_sync_state",
      "instantly_timestamp",
      "instantly_variables",
      "instantly_workflow_stale",
      "leads_last_event_at_stale",
      "merge_leads",
      "refresh_stale_last_event_at",
      "renormalize_csv",
      "renormalize_instantly",
      "renormalize_vapi",
      "revoke_tokens",
      "store_vapi_calls",
      "tier",
      "timestamp_or_null",
      "timestamptz_or_null",
      "token_revocations",
      "vapi_call_matches",
      "vapi_pending",
      "vapi_sync_state",
      "vapi_timestamp",
      "worker_pools",
    ]);
    const { rows: publicTriggers } = await db.pool.query(
      "select proname from pg_proc where pronamespace = 'public'::regnamespace and prorettype = 'trigger'::regtype",
    );
    expect(publicTriggers).toEqual([]);
  });

  it("gives a visitor no access to any of its tables or functions", async () => {
    const { rows: tables } = await db.pool.query<{ name: string }>(
      "select relname as name from pg_class where relnamespace = 'leadgraph_private'::regnamespace and relkind = 'r'",
    );
    const { rows: functions } = await db.pool.query<{ signature: string; args: number }>(
      `select oid::regprocedure::text as signature, pronargs as args from pg_proc
       where pronamespace = 'leadgraph_private'::regnamespace and prorettype <> 'trigger'::regtype`,
    );
    expect(tables.length).toBeGreaterThan(0);
    for (const { name } of tables) {
      expect(await asVisitor(`select * from leadgraph_private.${name}`), name).toEqual({ ok: false, code: "42501" });
    }
    for (const { signature, args } of functions) {
      const call = `select ${signature.replace(/\(.*$/, "")}(${Array(args).fill("null").join(", ")})`;
      expect(await asVisitor(call), signature).toEqual({ ok: false, code: "42501" });
    }
  });

  it("is not in the GraphQL schema, nor are the rules", async () => {
    const schema = fs.readFileSync(path.join(projectRoot, "schema.graphql"), "utf8");
    for (const name of [
      "InstantlyPending",
      "instantlyPendings",
      "InstantlySyncState",
      "instantlySyncStates",
      "normalizeDomain",
      "mergeLeads",
    ]) {
      expect(schema, name).not.toContain(name);
    }
    const server = await startTestServer(db);
    const { body } = await server.graphql("{ __schema { queryType { fields { name } } mutationType { fields { name } } } }");
    const fields = [...body.data.__schema.queryType.fields, ...body.data.__schema.mutationType.fields].map((f: { name: string }) => f.name);
    expect(fields.filter((f: string) => /pending|syncState|normalize|mergeLeads|enqueue|freeMail/i.test(f))).toEqual([]);
    expect(fields).toContain("leadMerges");
  });

  it("still lets a visitor write the tables whose triggers it moved there", async () => {
    // tg__timestamps, tg_leads__normalize and the rollup counters run for writes through the API.
    const server = await startTestServer(db);
    const { body } = await server.graphql(
      `mutation { createLead(input: { lead: { email: " Ünal.Kaya@Example.com ", firstName: "Ünal" } }) { lead { rowId email } } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.createLead.lead.email).toBe("ünal.kaya@example.com");
  });
});

describe("leadgraph_rules", () => {
  it("lets a visitor call the rules (constraints and triggers of API writes need them)", async () => {
    expect(await asVisitor("select leadgraph_rules.normalize_email('A@B.com'), leadgraph_rules.is_email('a@b.com')")).toEqual({
      ok: true,
    });
    expect(await asVisitor("select * from leadgraph_rules.free_mail_domains")).toEqual({ ok: true });
    expect(await asVisitor("insert into leadgraph_rules.free_mail_domains values ('example.org')")).toEqual({ ok: false, code: "42501" });
  });
});
