// POST /webhooks/instantly: Instantly's webhook deliveries. Instantly signs
// nothing; the only authentication it offers is custom headers set on the
// webhook, so we require a shared secret in one (INSTANTLY_WEBHOOK_SECRET).
// The payload is stored as received (./raw.ts storeWebhook) and answered
// at once; the insert queues it for the normaliser, which makes the event.
import { timingSafeEqual } from "node:crypto";
import express, { type Router } from "express";
import type pg from "pg";
import { VISITOR_ROLE } from "../../database/roles.ts";
import { inTransaction } from "../../database/transaction.ts";
import { unstorableJson } from "../../database/jsonb.ts";
import { storeWebhook } from "./raw.ts";
import { log } from "../../log.ts";
import { recordRefusedWebhook, storablePayload } from "../webhook-refusals.ts";

export const WEBHOOK_PATH = "/webhooks/instantly";
export const WEBHOOK_SECRET_HEADER = "x-leadgraph-webhook-secret";
/** Reply bodies carry the quoted thread as HTML; this is far above any real payload. */
const MAX_WEBHOOK_BYTES = 1024 * 1024;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The secret from our header, or from `Authorization: Bearer <secret>`. */
function givenSecret(req: express.Request): string | undefined {
  const header = req.headers[WEBHOOK_SECRET_HEADER];
  if (typeof header === "string" && header) return header;
  const authorization = req.headers.authorization;
  if (authorization?.toLowerCase().startsWith("bearer ")) return authorization.slice(7).trim();
  return undefined;
}

/** Each request's body as received (set by the JSON parser's verify hook; gone with the request). */
const rawBodies = new WeakMap<object, Buffer>();

export function instantlyWebhookRouter(options: { pool: pg.Pool; secret: string | undefined }): Router {
  const router = express.Router();
  router.post(
    WEBHOOK_PATH,
    (req, res, next) => {
      if (!options.secret) {
        res.status(503).json({
          error:
            "Instantly webhooks are off: set INSTANTLY_WEBHOOK_SECRET on the server and the same value in the webhook's X-Leadgraph-Webhook-Secret header.",
        });
        return;
      }
      const given = givenSecret(req);
      if (!given || !sameSecret(given, options.secret)) {
        res
          .status(401)
          .json({ error: `Missing or wrong webhook secret: send INSTANTLY_WEBHOOK_SECRET in the X-Leadgraph-Webhook-Secret header.` });
        return;
      }
      next();
    },
    // Instantly sends application/json; accept any type rather than lose an event over a header.
    // The body as received is kept beside the parsed one, for the record of a refused delivery.
    express.json({ limit: MAX_WEBHOOK_BYTES, type: () => true, strict: false, verify: (req, _res, body) => rawBodies.set(req, body) }),
    async (req, res) => {
      const payload: unknown = req.body;
      const refuse = async (error: string) => {
        await recordRefusedWebhook(options.pool, "instantly", error, rawBodies.get(req)?.toString("utf8") ?? "");
        res.status(400).json({ error });
      };
      // (An empty body parses as {}: no event either.)
      if (!payload || typeof payload !== "object" || Array.isArray(payload) || Object.keys(payload).length === 0) {
        await refuse("Expected one Instantly webhook event: a JSON object with event_type, timestamp, ...");
        return;
      }
      // Nothing to store and nothing a retry changes: a 400 (a 500 would be retried forever).
      const unstorable = unstorableJson(payload);
      if (unstorable) {
        await refuse(`The webhook cannot be stored: ${unstorable}.`);
        return;
      }
      // (connecting inside the try: a database that is away gets the same JSON 500 as a failed insert)
      let client: pg.PoolClient | undefined;
      try {
        client = await options.pool.connect();
        const connected = client;
        const row = await inTransaction(connected, async () => {
          await connected.query("select set_config('role', $1, true)", [VISITOR_ROLE]);
          // jsonb stores no NUL characters or lone surrogates (in values or keys): such a
          // payload is kept with them replaced (U+FFFD) rather than refused forever
          // (Instantly would retry, then switch the webhook off).
          return storeWebhook(connected, storablePayload("instantly", payload));
        });
        res.status(200).json({ id: row.id, duplicate: row.deliveries > 1 });
      } catch (error) {
        log.error("Instantly webhook not stored", { error: (error as Error).message });
        // A 5xx makes Instantly retry the delivery.
        res.status(500).json({ error: "The webhook could not be stored; Instantly will retry." });
      } finally {
        client?.release();
      }
    },
  );
  // Malformed JSON from the body parser: a clear 400, not an HTML page.
  // (Past the secret check: these deliveries are recorded too.)
  router.use(WEBHOOK_PATH, ((error, _req, res, next) => {
    const answer = (status: number, message: string, body: string | undefined) =>
      void recordRefusedWebhook(options.pool, "instantly", message, body).then(() => res.status(status).json({ error: message }));
    if (error?.type === "entity.parse.failed") answer(400, `The body is not valid JSON: ${error.message}`, String(error.body ?? ""));
    else if (error?.type === "entity.too.large") answer(413, `The body exceeds ${MAX_WEBHOOK_BYTES} bytes.`, undefined);
    else next(error);
  }) as express.ErrorRequestHandler);
  return router;
}
