// Every write to VAPI's raw layer (migration 000021): calls through
// leadgraph_private.store_vapi_calls (the newest version by updatedAt; a read
// that changed only presigned URLs writes nothing), webhook deliveries
// through receive_vapi_webhook (a repeat counts up). The sync, the webhook
// endpoint, the call placer and the tests all write through these, so they
// start from the same rows; the tables' triggers queue them for the normaliser.
import type { QueryResult, QueryResultRow } from "pg";

/** A pool, a client or a job's helpers: anything that runs one statement. */
export interface Queryable {
  query<R extends QueryResultRow = any>(sql: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** Stores Call objects as received; says how many were new versions. */
export async function storeCalls(
  db: Queryable,
  calls: unknown[],
  source: "api" | "webhook",
): Promise<{ stored: number; unchanged: number }> {
  if (!calls.length) return { stored: 0, unchanged: 0 };
  const { rows } = await db.query<{ stored: number; unchanged: number }>(
    "select * from leadgraph_private.store_vapi_calls($1::jsonb, $2)",
    [JSON.stringify(calls), source],
  );
  return rows[0]!;
}

/** Stores one server message (`{"message": {...}}`) as delivered. */
export async function storeWebhook(
  db: Queryable,
  payload: unknown,
): Promise<{ id: string; deliveries: number; message_type: string | null }> {
  const { rows } = await db.query<{ id: string; deliveries: number; message_type: string | null }>(
    "select * from receive_vapi_webhook($1::jsonb)",
    [JSON.stringify(payload)],
  );
  return rows[0]!;
}
