// POST /webhooks/vapi over real HTTP: each credential VAPI can send (Bearer,
// X-Vapi-Secret, HMAC of the body), what is refused and why (503 without a
// secret, 401, 400, 413), duplicate deliveries counted, every message type
// kept, and the fake VAPI delivering a whole call's messages to the endpoint
// (current and legacy report shapes).
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_VAPI_WEBHOOK_BYTES } from "../../src/sources/vapi/webhooks.ts";
import { DEFAULT_ASSISTANT_ID, DEFAULT_PHONE_NUMBER_ID, startFakeVapi, type FakeVapi } from "../../tools/fake-vapi/server.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "vapi-whsec-7d1e0c";

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db, { vapiWebhookSecret: SECRET });
});

let seq = 0;
function statusUpdate(status: string, callId = `call-${++seq}`, timestamp = 1_764_000_000_000 + seq) {
  return {
    message: {
      type: "status-update",
      status,
      timestamp,
      call: { id: callId, orgId: "org", createdAt: "2026-11-01T10:00:00.000Z", updatedAt: "2026-11-01T10:00:01.000Z", status },
      artifact: { presignedMonoUrl: `https://storage.vapi.ai/r.wav?sig=${Math.random()}` },
    },
  };
}

async function post(body: string | object, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }, base = server.url) {
  const response = await fetch(`${base}/webhooks/vapi`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json };
}

async function rowsFor(callId: string) {
  const { rows } = await db.pool.query<{ message_type: string; status: string | null; deliveries: number }>(
    "select message_type, status, deliveries from vapi_webhooks_raw where vapi_call_id = $1 order by received_at",
    [callId],
  );
  return rows;
}

describe("POST /webhooks/vapi", () => {
  it("accepts the secret as Authorization: Bearer, as X-Vapi-Secret, or as an HMAC-SHA256 of the body", async () => {
    const bearer = statusUpdate("ringing");
    expect(await post(bearer)).toEqual({ status: 200, body: {} });
    const legacy = statusUpdate("ringing");
    expect(await post(legacy, { "x-vapi-secret": SECRET })).toEqual({ status: 200, body: {} });
    const signed = JSON.stringify(statusUpdate("ringing"));
    const signature = createHmac("sha256", SECRET).update(signed).digest("hex");
    expect(await post(signed, { "x-vapi-signature": signature })).toEqual({ status: 200, body: {} });
    expect(await post(signed.replace("ringing", "ended"), { "x-vapi-signature": signature })).toMatchObject({ status: 401 });
    for (const message of [bearer, legacy, JSON.parse(signed)]) {
      expect(await rowsFor(message.message.call.id)).toEqual([{ message_type: "status-update", status: "ringing", deliveries: 1 }]);
    }
  });

  it("refuses a missing or wrong secret with 401 and stores nothing", async () => {
    const message = statusUpdate("queued");
    const refused: Record<string, string>[] = [
      {},
      { authorization: "Bearer nope" },
      { authorization: SECRET },
      { "x-vapi-secret": `${SECRET}x` },
    ];
    for (const headers of refused) {
      const answer = await post(message, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(/VAPI_WEBHOOK_SECRET/);
    }
    expect(await rowsFor(message.message.call.id)).toEqual([]);
  });

  it("answers 503 saying what to set when no secret is configured", async () => {
    const off = await startTestServer(db, { vapiWebhookSecret: undefined });
    const answer = await post(statusUpdate("queued"), { authorization: `Bearer ${SECRET}` }, off.url);
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatch(/VAPI_WEBHOOK_SECRET/);
  });

  it("refuses what is not a VAPI server message with 400", async () => {
    for (const body of ["{not json", "[]", '{"type": "status-update"}', '{"message": {"status": "ended"}}', '{"message": "x"}', "null"]) {
      const answer = await post(body);
      expect(answer.status, body).toBe(400);
      expect(typeof answer.body.error).toBe("string");
    }
  });

  it("refuses a body over the size limit with 413, and takes a big transcript under it", async () => {
    const big = statusUpdate("ended");
    (big.message as Record<string, unknown>).transcript = "AI: hello\n".repeat(Math.ceil(MAX_VAPI_WEBHOOK_BYTES / 10));
    expect((await post(big)).status).toBe(413);
    const large = statusUpdate("ended");
    (large.message as Record<string, unknown>).transcript = "AI: hello\n".repeat(200_000); // 2 MB
    expect((await post(large)).status).toBe(200);
  });

  it("counts repeated deliveries, even when only the presigned URLs differ", async () => {
    const first = statusUpdate("in-progress");
    const again = structuredClone(first);
    again.message.artifact.presignedMonoUrl = "https://storage.vapi.ai/r.wav?sig=other";
    expect((await post(first)).status).toBe(200);
    expect((await post(again)).status).toBe(200);
    expect((await post(first, { "x-vapi-secret": SECRET })).status).toBe(200);
    expect(await rowsFor(first.message.call.id)).toEqual([{ message_type: "status-update", status: "in-progress", deliveries: 3 }]);
  });

  it("keeps every message type (only status-update and end-of-call-report are normalised)", async () => {
    const callId = `call-${++seq}`;
    const call = { id: callId, orgId: "org", createdAt: "2026-11-01T10:00:00.000Z", updatedAt: "2026-11-01T10:00:01.000Z" };
    for (const type of ["conversation-update", "speech-update", "hang", "end-of-call-report", "some-future-type"]) {
      expect((await post({ message: { type, timestamp: 1_764_000_000_000, call, endedReason: "customer-ended-call" } })).status).toBe(200);
    }
    expect((await rowsFor(callId)).map((r) => r.message_type).sort()).toEqual(
      ["conversation-update", "end-of-call-report", "hang", "some-future-type", "speech-update"].sort(),
    );
    const { rows } = await db.pool.query(
      `select w.message_type from leadgraph_private.vapi_pending p join vapi_webhooks_raw w on w.id::text = p.source_id
        where p.resource = 'webhook' and w.vapi_call_id = $1`,
      [callId],
    );
    expect(rows.map((r) => r.message_type)).toEqual(["end-of-call-report"]);
  });

  it("keeps a message whose text jsonb cannot store, with the characters replaced", async () => {
    const message = statusUpdate("ended");
    (message.message as Record<string, unknown>).endedMessage = "bad\u0000byte";
    expect((await post(message)).status).toBe(200);
    const { rows } = await db.pool.query(
      "select payload #>> '{message,endedMessage}' as m from vapi_webhooks_raw where vapi_call_id = $1",
      [message.message.call.id],
    );
    expect(rows).toEqual([{ m: "bad\ufffdbyte" }]);
  });
});

describe("the fake VAPI delivering to POST /webhooks/vapi", () => {
  const fakes: FakeVapi[] = [];
  afterAll(async () => {
    for (const fake of fakes) await fake.close();
  });

  for (const [index, kind] of (["bearer", "x-vapi-secret", "hmac"] as const).entries()) {
    it(`stores a whole call's messages, authenticated with ${kind}, duplicates counted`, async () => {
      const fake = await startFakeVapi({
        apiKey: "k",
        // Call ids come from the seed: one per fake.
        seed: 3 + index,
        timeScale: 0,
        webhookUrl: `${server.url}/webhooks/vapi`,
        webhookAuth: { kind, secret: SECRET },
      });
      fakes.push(fake);
      fake.setFaults([{ kind: "duplicate", endpoint: "end-of-call-report" }]);
      const response = await fetch(`${fake.url}/call`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({
          assistantId: DEFAULT_ASSISTANT_ID,
          phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
          customer: { number: "+14155550101", externalId: "m-1" },
        }),
      });
      const placed = (await response.json()) as { id: string };
      for (let i = 0; i < 20; i++) fake.advance(15_000);
      await fake.flushWebhooks();
      const stats = fake.stats().webhooks;
      expect(stats.failed).toEqual(0);
      const rows = await rowsFor(placed.id);
      expect(rows.filter((r) => r.message_type === "status-update").map((r) => r.status)).toEqual(["ringing", "in-progress", "ended"]);
      expect(rows.filter((r) => r.message_type === "end-of-call-report")).toEqual([
        { message_type: "end-of-call-report", status: null, deliveries: 2 },
      ]);
    });
  }

  it("stores the legacy end-of-call-report shape (top-level transcript, summary, recordingUrl) as sent", async () => {
    const fake = await startFakeVapi({
      apiKey: "k",
      seed: 9,
      timeScale: 0,
      legacyReports: true,
      webhookUrl: `${server.url}/webhooks/vapi`,
      webhookAuth: { kind: "x-vapi-secret", secret: SECRET },
    });
    fakes.push(fake);
    const response = await fetch(`${fake.url}/call`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({
        assistantId: DEFAULT_ASSISTANT_ID,
        phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
        customer: { number: "+14155550101" },
      }),
    });
    const placed = (await response.json()) as { id: string };
    fake.advance(10 * 60_000);
    await fake.flushWebhooks();
    const { rows } = await db.pool.query(
      `select ended_reason, payload -> 'message' ? 'transcript' as transcript, payload -> 'message' ? 'artifact' as artifact
         from vapi_webhooks_raw where vapi_call_id = $1 and message_type = 'end-of-call-report'`,
      [placed.id],
    );
    expect(rows).toEqual([{ ended_reason: "customer-ended-call", transcript: true, artifact: false }]);
  });
});
