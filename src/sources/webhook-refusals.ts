// What becomes of a webhook delivery jsonb cannot hold as sent. One that
// passed its secret and is refused (400, 413) is
// recorded in its source's rejects (stage receive) with the reason and the
// body as text: every delivery that came in is either in the raw layer or
// there (migration 000035, refuse_webhook). The answer does not wait on it
// failing: a refusal that cannot be recorded is logged instead.
import type pg from "pg";
import { VISITOR_ROLE } from "../database/roles.ts";
import { jsonbRefuses, sanitized } from "../database/jsonb.ts";
import { inTransaction } from "../database/transaction.ts";
import { log } from "../log.ts";

export type WebhookSource = "instantly" | "vapi";

const NAMES: Record<WebhookSource, string> = { instantly: "Instantly", vapi: "VAPI" };

/** Logs the refusal and records it; `body` is the delivery as text, undefined when it was not read (too large). */
export async function recordRefusedWebhook(pool: pg.Pool, source: WebhookSource, reason: string, body: string | undefined): Promise<void> {
  log.warn(`${NAMES[source]} webhook refused: ${reason}`);
  try {
    const client = await pool.connect();
    try {
      await inTransaction(client, async () => {
        await client.query("select set_config('role', $1, true)", [VISITOR_ROLE]);
        // Text columns hold no NUL either; the reason says the body was refused, this keeps what can be kept.
        const text = body === undefined ? null : body.replaceAll("\u0000", "\ufffd").toWellFormed();
        await client.query("select refuse_webhook($1, $2, $3)", [source, reason, text]);
      });
    } finally {
      client.release();
    }
  } catch (error) {
    log.error(`${NAMES[source]} webhook refusal not recorded`, { error: (error as Error).message });
  }
}

/** The payload as jsonb can hold it (src/database/jsonb.ts); a repaired one is said in the log, not silently. */
export function storablePayload(source: WebhookSource, payload: unknown): unknown {
  if (!jsonbRefuses(payload)) return payload;
  log.warn(`${NAMES[source]} webhook stored with NUL characters or lone surrogates replaced by U+FFFD (jsonb cannot hold them)`);
  return sanitized(payload);
}
