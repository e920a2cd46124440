// The VAPI raw layer's own rules (migration 000021): one row per call, the
// newest version by updatedAt; presigned URLs never make a new version; a
// repeated webhook delivery counts up; what is queued for the normaliser.
import { beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, rollback, type TestDatabase } from "../helpers/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});

function call(updatedAt: string, extra: Record<string, unknown> = {}) {
  return {
    id: "call-1",
    orgId: "org",
    createdAt: "2026-11-01T10:00:00.000Z",
    updatedAt,
    status: "ended",
    endedReason: "customer-ended-call",
    customer: { number: "+14155550101", externalId: "m-1" },
    artifact: { recordingUrl: "https://storage.vapi.ai/r.wav", presignedMonoUrl: `https://x/r.wav?sig=${Math.random()}` },
    ...extra,
  };
}

describe("vapi_calls_raw", () => {
  it("keeps the newest version by updatedAt and ignores presigned URLs", async () => {
    await rollback(db.pool, async (client) => {
      const store = async (calls: unknown[], source = "api") =>
        (await client.query("select * from leadgraph_private.store_vapi_calls($1::jsonb, $2)", [JSON.stringify(calls), source])).rows[0];
      expect(await store([call("2026-11-01T10:05:00.000Z")])).toEqual({ stored: 1, unchanged: 0 });
      // The same version read again: only its presigned URL differs.
      expect(await store([call("2026-11-01T10:05:00.000Z")])).toEqual({ stored: 0, unchanged: 1 });
      // An older version (a late webhook copy) does not replace it.
      expect(await store([call("2026-11-01T10:01:00.000Z", { status: "in-progress" })], "webhook")).toEqual({ stored: 0, unchanged: 1 });
      // The analysis arrived: a newer updatedAt.
      expect(await store([call("2026-11-01T10:07:00.000Z", { analysis: { summary: "ok" } })])).toEqual({ stored: 1, unchanged: 0 });
      const { rows } = await client.query(
        "select vapi_call_id, status, customer_external_id, raw_json -> 'analysis' as analysis from vapi_calls_raw",
      );
      expect(rows).toEqual([{ vapi_call_id: "call-1", status: "ended", customer_external_id: "m-1", analysis: { summary: "ok" } }]);
      const pending = await client.query("select resource, source_id from leadgraph_private.vapi_pending");
      expect(pending.rows).toEqual([{ resource: "call", source_id: "call-1" }]);
    });
  });
});

describe("leadgraph_rules.vapi_without_presigned", () => {
  it("removes every presigned key at any depth and leaves everything else as it was", async () => {
    const value = {
      id: "c",
      artifact: {
        presignedMonoUrl: "x",
        recording: { mono: { combinedUrl: "r", presignedUrl: "y" } },
        messages: [{ presignedA: 1, role: "bot" }, 2],
      },
      analysis: { summary: "presigned is a word here, not a key" },
      presignedUrlsExpiresAt: "t",
    };
    const { rows } = await db.pool.query("select leadgraph_rules.vapi_without_presigned($1::jsonb) as v", [JSON.stringify(value)]);
    expect(rows[0].v).toEqual({
      id: "c",
      artifact: { recording: { mono: { combinedUrl: "r" } }, messages: [{ role: "bot" }, 2] },
      analysis: { summary: "presigned is a word here, not a key" },
    });
  });
});

describe("receive_vapi_webhook", () => {
  it("counts a repeated delivery, even with new presigned URLs, and queues only the messages the normaliser reads", async () => {
    await rollback(db.pool, async (client) => {
      const receive = async (message: Record<string, unknown>) =>
        (await client.query("select * from receive_vapi_webhook($1::jsonb)", [JSON.stringify({ message })])).rows[0];
      const report = () => ({
        type: "end-of-call-report",
        timestamp: 1793527200000,
        endedReason: "voicemail",
        call: call("2026-11-01T10:05:00.000Z"),
      });
      const first = await receive(report());
      const again = await receive(report());
      expect(again.id).toBe(first.id);
      expect(again.deliveries).toBe(2);
      await receive({ type: "conversation-update", timestamp: 1793527200001, call: { id: "call-1" }, messages: [] });
      const { rows } = await client.query(
        "select message_type, vapi_call_id, ended_reason, message_timestamp = to_timestamp(1793527200) as stamped from vapi_webhooks_raw order by message_type",
      );
      expect(rows).toEqual([
        { message_type: "conversation-update", vapi_call_id: "call-1", ended_reason: null, stamped: false },
        { message_type: "end-of-call-report", vapi_call_id: "call-1", ended_reason: "voicemail", stamped: true },
      ]);
      const pending = await client.query("select resource from leadgraph_private.vapi_pending");
      expect(pending.rows).toEqual([{ resource: "webhook" }]);
    });
  });

  it("refuses a body that is not a server message", async () => {
    await expect(db.pool.query("select * from receive_vapi_webhook($1::jsonb)", [JSON.stringify({ type: "x" })])).rejects.toThrow(
      /message/,
    );
  });
});
