// POST /webhooks/vapi over real HTTP: the secret in each of VAPI's ways
// (Bearer, X-Vapi-Secret, an HMAC of the body), every refusal with its
// status, `200 {}` at once, repeats counted; and the fake VAPI's own
// deliveries (current and legacy report shapes) stored as sent.
import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ASSISTANT_ID, DEFAULT_PHONE_NUMBER_ID, startFakeVapi } from "../../tools/fake-vapi/server.ts";
import { MAX_VAPI_WEBHOOK_BYTES } from "../../src/sources/vapi/webhooks.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "vapi-webhook-secret";
let db: TestDatabase;
let server: TestServer;
let off: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db, { vapiWebhookSecret: SECRET });
  off = await startTestServer(db);
});

const report = (id: string, timestamp = 1793527200000) => ({
  message: {
    type: "end-of-call-report",
    timestamp,
    endedReason: "customer-ended-call",
    artifact: { transcript: "AI: Hello", presignedMonoUrl: `https://x/${Math.random()}` },
    analysis: { summary: "Said hello." },
    call: { id, createdAt: "2026-11-01T10:00:00Z", updatedAt: "2026-11-01T10:05:00Z" },
  },
});

function post(target: TestServer, body: string, headers: Record<string, string> = {}) {
  return fetch(`${target.url}/webhooks/vapi`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

describe("POST /webhooks/vapi", () => {
  it("answers 503 with what to set when no secret is configured", async () => {
    const response = await post(off, JSON.stringify(report("c0")), { authorization: `Bearer ${SECRET}` });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/VAPI_WEBHOOK_SECRET/);
  });

  it("refuses a missing or wrong secret with 401", async () => {
    expect((await post(server, JSON.stringify(report("c0")))).status).toBe(401);
    expect((await post(server, JSON.stringify(report("c0")), { authorization: "Bearer nope" })).status).toBe(401);
    expect((await post(server, JSON.stringify(report("c0")), { "x-vapi-signature": "00" })).status).toBe(401);
  });

  it("accepts the secret as Bearer, as X-Vapi-Secret and as an HMAC of the body, answering {} and counting repeats", async () => {
    const body = JSON.stringify(report("c1"));
    const bearer = await post(server, body, { authorization: `Bearer ${SECRET}` });
    expect(bearer.status).toBe(200);
    expect(await bearer.json()).toEqual({});
    // The same message again (new presigned URL): a repeat.
    expect((await post(server, JSON.stringify(report("c1")), { "x-vapi-secret": SECRET })).status).toBe(200);
    const other = JSON.stringify(report("c2"));
    const signature = createHmac("sha256", SECRET).update(other).digest("hex");
    expect((await post(server, other, { "x-vapi-signature": signature })).status).toBe(200);
    const { rows } = await db.pool.query("select vapi_call_id, deliveries from vapi_webhooks_raw order by vapi_call_id");
    expect(rows).toEqual([
      { vapi_call_id: "c1", deliveries: 2 },
      { vapi_call_id: "c2", deliveries: 1 },
    ]);
  });

  it("refuses what is not a server message with 400, and a body over the limit with 413", async () => {
    const auth = { authorization: `Bearer ${SECRET}` };
    const broken = await post(server, "{not json", auth);
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/not valid JSON/);
    const wrong = await post(server, JSON.stringify({ type: "end-of-call-report" }), auth);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/server message/);
    const huge = await post(server, JSON.stringify({ message: { type: "x", blob: "a".repeat(MAX_VAPI_WEBHOOK_BYTES) } }), auth);
    expect(huge.status).toBe(413);
  });

  it("stores a message jsonb could not hold with the bad characters replaced, not refused", async () => {
    const message = report("c3");
    (message.message.artifact as Record<string, unknown>).transcript = "nul \u0000 here";
    expect((await post(server, JSON.stringify(message), { authorization: `Bearer ${SECRET}` })).status).toBe(200);
    const { rows } = await db.pool.query(
      "select payload #>> '{message,artifact,transcript}' as t from vapi_webhooks_raw where vapi_call_id = 'c3'",
    );
    expect(rows[0].t).toBe("nul \ufffd here");
  });

  for (const legacy of [false, true]) {
    it(`stores the fake VAPI's deliveries of a call (${legacy ? "legacy" : "current"} report shape)`, async () => {
      const fake = await startFakeVapi({
        apiKey: "k",
        timeScale: 0,
        legacyReports: legacy,
        webhookUrl: `${server.url}/webhooks/vapi`,
        webhookAuth: { kind: legacy ? "x-vapi-secret" : "bearer", secret: SECRET },
      });
      try {
        const response = await fetch(`${fake.url}/call`, {
          method: "POST",
          headers: { authorization: "Bearer k", "content-type": "application/json" },
          body: JSON.stringify({
            assistantId: DEFAULT_ASSISTANT_ID,
            phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
            customer: { number: "+14155550101" },
          }),
        });
        const call = (await response.json()) as { id: string };
        fake.advance(10 * 60_000);
        await fake.flushWebhooks();
        const { rows } = await db.pool.query(
          "select message_type, status, ended_reason from vapi_webhooks_raw where vapi_call_id = $1 order by message_timestamp",
          [call.id],
        );
        expect(rows.map((r) => r.message_type)).toContain("end-of-call-report");
        expect(rows.filter((r) => r.message_type === "status-update").map((r) => r.status)).toEqual(
          expect.arrayContaining(["ringing", "in-progress", "ended"]),
        );
        expect(rows.find((r) => r.message_type === "end-of-call-report").ended_reason).toBe("customer-ended-call");
        expect(fake.stats().webhooks).toMatchObject({ failed: 0 });
      } finally {
        await fake.close();
      }
    });
  }
});
