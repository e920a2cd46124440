// Delivery of server-URL messages as VAPI sends them: one POST per message, the
// configured credential (Bearer, X-Vapi-Secret or an HMAC-SHA256 signature of the
// raw body), a real (unscaled) 20 s timeout and no retry. Messages of one call go
// out in order, different calls in parallel.
import crypto from "node:crypto";

export type WebhookAuthKind = "bearer" | "x-vapi-secret" | "hmac";

export interface WebhookAuth {
  kind: WebhookAuthKind;
  secret: string;
}

/** VAPI's default Server.timeoutSeconds. */
export const WEBHOOK_TIMEOUT_MS = 20_000;

export interface WebhookStats {
  /** POSTs made (duplicates included). */
  sent: number;
  /** Answered 2xx. */
  delivered: number;
  /** Non-2xx, network error or no answer within the timeout (never retried). */
  failed: number;
  /** Not sent at all (fault "drop"). */
  dropped: number;
  /** Extra copies sent (fault "duplicate"). */
  duplicated: number;
  /** POSTs by message type. */
  byType: Record<string, number>;
}

export function emptyWebhookStats(): WebhookStats {
  return { sent: 0, delivered: 0, failed: 0, dropped: 0, duplicated: 0, byType: {} };
}

export function authHeaders(auth: WebhookAuth | undefined, body: string): Record<string, string> {
  if (!auth) return {};
  switch (auth.kind) {
    case "bearer":
      return { authorization: `Bearer ${auth.secret}` };
    case "x-vapi-secret":
      return { "x-vapi-secret": auth.secret };
    case "hmac":
      return { "x-vapi-signature": crypto.createHmac("sha256", auth.secret).update(body).digest("hex") };
  }
}

export class WebhookSender {
  url: string;
  auth: WebhookAuth | undefined;
  stats: WebhookStats;
  private chains = new Map<string, Promise<void>>();
  private pending = new Set<Promise<void>>();
  private aborter = new AbortController();

  constructor(url: string, auth: WebhookAuth | undefined, stats: WebhookStats) {
    this.url = url;
    this.auth = auth;
    this.stats = stats;
  }

  /** Queues one POST after the earlier ones of the same call; `body` is built when it is sent (presigned URLs are per send). */
  enqueue(callId: string, type: string, body: () => string): void {
    const previous = this.chains.get(callId) ?? Promise.resolve();
    const next = previous.then(() => this.post(type, body()));
    this.chains.set(callId, next);
    this.pending.add(next);
    void next.finally(() => {
      this.pending.delete(next);
      if (this.chains.get(callId) === next) this.chains.delete(callId);
    });
  }

  private async post(type: string, body: string): Promise<void> {
    if (this.aborter.signal.aborted) return;
    this.stats.sent++;
    this.stats.byType[type] = (this.stats.byType[type] ?? 0) + 1;
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...authHeaders(this.auth, body) },
        body,
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) this.stats.delivered++;
      else this.stats.failed++;
    } catch {
      this.stats.failed++;
    }
  }

  /** Resolves when every queued POST was attempted (including ones queued meanwhile). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Aborts POSTs in flight; queued ones are not sent. */
  close(): void {
    this.aborter.abort();
  }
}
