// Webhook bodies PostgreSQL's jsonb cannot store as sent (issue 13, §5.12): a
// 500 makes Instantly retry forever, so each either is stored (characters
// repaired) or answers 400 with the reason. One definition for both sources:
// src/database/jsonb.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, jsonbRefuses, sanitized, unstorableJson } from "../src/database/jsonb.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const SECRET = "whsec-hostile-8e21";
let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db, { instantlyWebhookSecret: SECRET, vapiWebhookSecret: SECRET });
});

const nested = (depth: number, inner: string) => "[".repeat(depth) + inner + "]".repeat(depth);

async function post(path: string, body: string) {
  const headers: Record<string, string> =
    path === "/webhooks/instantly" ? { "x-leadgraph-webhook-secret": SECRET } : { authorization: `Bearer ${SECRET}` };
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error?: string; id?: string } };
}

const count = async (table: string) => (await db.pool.query(`select count(*)::int as n from ${table}`)).rows[0].n as number;

describe("the jsonb rule", () => {
  it("repairs NUL characters and lone surrogates in keys as in strings", () => {
    const raw = { "a\u0000b": "x\u0000", nested: [{ "\ud800": 1 }] };
    expect(jsonbRefuses(raw)).toBe(true);
    expect(sanitized(raw)).toEqual({ "a\ufffdb": "x\ufffd", nested: [{ "\ufffd": 1 }] });
    expect(jsonbRefuses(sanitized(raw))).toBe(false);
  });

  it("refuses nesting past the limit without recursing (a million levels)", () => {
    expect(unstorableJson(JSON.parse(nested(MAX_JSON_DEPTH, "1")))).toBeUndefined();
    expect(unstorableJson(JSON.parse(nested(MAX_JSON_DEPTH + 1, "1")))).toMatch(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(unstorableJson(JSON.parse(nested(1_000_000, "")))).toMatch("nested deeper");
  });
});

describe.each([
  {
    path: "/webhooks/instantly",
    table: "instantly_webhooks_raw",
    rejects: "instantly_rejects",
    data: "{data}",
    envelope: (inner: string) =>
      `{"event_type":"reply_received","timestamp":"2026-12-01T10:00:00Z","lead_email":"deep@example.com","data":${inner}}`,
  },
  {
    path: "/webhooks/vapi",
    table: "vapi_webhooks_raw",
    rejects: "vapi_rejects",
    data: "{message,data}",
    envelope: (inner: string) => `{"message":{"type":"status-update","status":"ended","call":{"id":"call-hostile"},"data":${inner}}}`,
  },
])("$path", ({ path, table, rejects, data, envelope }) => {
  it("answers 400 with the reason for a body nested 5,000 and 100,000 levels, and stores nothing", async () => {
    const before = await count(table);
    for (const depth of [5_000, 100_000]) {
      const response = await post(path, envelope(nested(depth, "1")));
      expect(response.status).toBe(400);
      expect(response.body.error).toMatch(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    expect(await count(table)).toBe(before);
    // The server still answers.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("records every refused delivery in the rejects with the reason and the body; a resent one counts up", async () => {
    const refused = (body: string) =>
      db.pool.query(
        `select reason, deliveries, raw_json ->> 'body' as body, (raw_json ->> 'characters')::int as characters
           from ${rejects} where stage = 'receive' and resource = 'webhook' and source_id = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
        [body],
      );
    const deep = envelope(nested(4_321, "1")); // (not a body an earlier test sent)
    const bodies = [deep, '{"event_type": "reply_received", truncated', "[1, 2, 3]", "null"];
    for (const body of bodies) expect((await post(path, body)).status).toBe(400);
    expect((await post(path, deep)).status).toBe(400);
    const [deepRow] = (await refused(deep)).rows;
    expect(deepRow).toMatchObject({ deliveries: 2, characters: deep.length });
    expect(deepRow.reason).toMatch(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(deepRow.body).toBe(deep.slice(0, 65_536));
    for (const body of bodies.slice(1)) {
      const [row] = (await refused(body)).rows;
      expect(row, body).toMatchObject({ deliveries: 1, body });
      expect(row.reason).toMatch(/not valid JSON|Expected/);
    }
    // Without the secret nothing is recorded (anyone could fill the table).
    const before = await count(rejects);
    const anonymous = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: "[1]" });
    expect(anonymous.status).toBe(401);
    expect(await count(rejects)).toBe(before);
  });

  it("stores a body with a NUL in a key (and in a value), the characters replaced", async () => {
    const before = await count(table);
    const response = await post(path, envelope(`{"key\\u0000with nul": "value\\u0000with nul", "\\ud83d": "lone"}`));
    expect(response.status).toBe(200);
    expect(await count(table)).toBe(before + 1);
    const { rows } = await db.pool.query(`select payload #> $1 as data from ${table} order by received_at desc limit 1`, [data]);
    expect(rows[0].data).toEqual({ "key\ufffdwith nul": "value\ufffdwith nul", "\ufffd": "lone" });
  });
});
