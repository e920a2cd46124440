// POST /webhooks/vapi: VAPI's server messages. VAPI authenticates them with a
// credential set on the assistant or phone number: a Bearer token (default
// header Authorization), the legacy X-Vapi-Secret header, or an HMAC-SHA256
// signature of the body in X-Vapi-Signature; all three are checked against
// VAPI_WEBHOOK_SECRET. The message is stored as delivered (./raw.ts) and
// answered `200 {}` at once: VAPI waits at most 20 s and does not retry. The
// insert queues status-update and end-of-call-report for the normaliser;
// other types are kept and ignored.
import { createHmac, timingSafeEqual } from "node:crypto";
import express, { type Router } from "express";
import type pg from "pg";
import { unstorableJson } from "../../database/jsonb.ts";
import { VISITOR_ROLE } from "../../database/roles.ts";
import { inTransaction } from "../../database/transaction.ts";
import { storeWebhook } from "./raw.ts";
import { log } from "../../log.ts";
import { recordRefusedWebhook, storablePayload } from "../webhook-refusals.ts";

export const VAPI_WEBHOOK_PATH = "/webhooks/vapi";
/** An end-of-call report carries the whole transcript and every message of the call. */
export const MAX_VAPI_WEBHOOK_BYTES = 5 * 1024 * 1024;

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of `Authorization: Bearer <secret>` or `X-Vapi-Secret: <secret>`. */
function givenSecret(req: express.Request): string | undefined {
  const legacy = req.headers["x-vapi-secret"];
  if (typeof legacy === "string" && legacy) return legacy;
  const authorization = req.headers.authorization;
  if (authorization?.toLowerCase().startsWith("bearer ")) return authorization.slice(7).trim();
  return undefined;
}

/** X-Vapi-Signature: hex HMAC-SHA256 of the raw body (an optional "sha256=" prefix). */
function signatureMatches(req: express.Request, body: Buffer, secret: string): boolean {
  const header = req.headers["x-vapi-signature"];
  if (typeof header !== "string" || !header) return false;
  const expected = createHmac("sha256", secret).update(body).digest("hex");
  return same(header.replace(/^sha256=/i, "").toLowerCase(), expected);
}

export function vapiWebhookRouter(options: { pool: pg.Pool; secret: string | undefined }): Router {
  const router = express.Router();
  router.post(
    VAPI_WEBHOOK_PATH,
    (req, res, next) => {
      if (!options.secret) {
        res.status(503).json({
          error:
            "VAPI webhooks are off: set VAPI_WEBHOOK_SECRET on the server, and in VAPI a Bearer credential with the same value on the assistant's or phone number's server URL (docs/sources/vapi.md).",
        });
        return;
      }
      next();
    },
    // The raw bytes: the HMAC is over them. Any content type, rather than lose a call over a header.
    express.raw({ limit: MAX_VAPI_WEBHOOK_BYTES, type: () => true }),
    async (req, res) => {
      const secret = options.secret!;
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const given = givenSecret(req);
      if (!(given && same(given, secret)) && !signatureMatches(req, body, secret)) {
        res.status(401).json({
          error: "Missing or wrong webhook secret: send VAPI_WEBHOOK_SECRET as Authorization: Bearer <secret> (or X-Vapi-Secret).",
        });
        return;
      }
      const refuse = async (error: string) => {
        await recordRefusedWebhook(options.pool, "vapi", error, body.toString("utf8"));
        res.status(400).json({ error });
      };
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString("utf8"));
      } catch (error) {
        await refuse(`The body is not valid JSON: ${(error as Error).message}`);
        return;
      }
      const message = (payload as { message?: { type?: unknown } } | null)?.message;
      if (!message || typeof message !== "object" || Array.isArray(message) || typeof message.type !== "string") {
        await refuse('Expected a VAPI server message: {"message": {"type": "end-of-call-report", "call": {...}, ...}}');
        return;
      }
      // Nothing to store and nothing a resend would change: a 400 with the reason.
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
        await inTransaction(connected, async () => {
          await connected.query("select set_config('role', $1, true)", [VISITOR_ROLE]);
          await storeWebhook(connected, storablePayload("vapi", payload));
        });
        // VAPI reads nothing from the answer to these messages.
        res.status(200).json({});
      } catch (error) {
        log.error("VAPI webhook not stored", { error: (error as Error).message });
        res.status(500).json({ error: "The webhook could not be stored; the next VAPI sync fetches the call." });
      } finally {
        client?.release();
      }
    },
  );
  router.use(VAPI_WEBHOOK_PATH, ((error, req, res, next) => {
    if (error?.type !== "entity.too.large") return next(error);
    const message = `The body exceeds ${MAX_VAPI_WEBHOOK_BYTES} bytes.`;
    // Recorded only when a secret header authenticates it (an HMAC needs the body, which was not read).
    const given = givenSecret(req);
    const recorded =
      given && same(given, options.secret!) ? recordRefusedWebhook(options.pool, "vapi", message, undefined) : Promise.resolve();
    void recorded.then(() => res.status(413).json({ error: message }));
  }) as express.ErrorRequestHandler);
  return router;
}
