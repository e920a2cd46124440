// The two VAPI requests the placer makes (POST /call, GET /call), behind one
// small interface. API: a stand-in until src/sources/vapi/api/client.ts
// (createCall, listCalls) lands; callsApi() is then the one line to switch.
//
// POST /call has no idempotency key: a timed-out or 5xx attempt may have
// created the call, so it is never retried here (the placer reconciles with
// GET /call first). Only a 429 (refused, nothing created) or a connection
// that never opened is retried. GET /call retries 429, 5xx, timeouts and
// network errors with backoff and full jitter, honouring Retry-After.
import type { Config } from "../../../config.ts";

/** A VAPI Call as far as the placer reads it (the raw layer keeps all of it). */
export interface VapiCall {
  id: string;
  createdAt?: string;
  status?: string;
  customer?: { number?: string; externalId?: string };
  [key: string]: unknown;
}

export interface SubscriptionLimits {
  concurrencyBlocked?: boolean;
  concurrencyLimit?: number;
  remainingConcurrentCalls?: number;
}

export type CreatedCall = VapiCall & { subscriptionLimits?: SubscriptionLimits };

export interface CreateCallBody {
  assistantId: string;
  phoneNumberId: string;
  customer: { number: string; name?: string; externalId: string };
  assistantOverrides?: { variableValues?: Record<string, string> };
  schedulePlan?: { earliestAt: string; latestAt?: string };
}

export interface ListCallsFilters {
  createdAtGe?: string;
  createdAtLt?: string;
  limit?: number;
}

export interface CallsApi {
  createCall(body: CreateCallBody): Promise<CreatedCall>;
  listCalls(filters: ListCallsFilters): Promise<VapiCall[]>;
}

/** A failed request: VAPI's HTTP status, or timeout / network. */
export class VapiRequestError extends Error {
  readonly status: number | "timeout" | "network";
  readonly body: unknown;
  constructor(status: number | "timeout" | "network", message: string, body?: unknown) {
    super(message);
    this.name = "VapiRequestError";
    this.status = status;
    this.body = body;
  }
}

/** The client the placer uses. */
export function callsApi(config: Config): CallsApi {
  const { apiUrl, apiKey, requestTimeoutMs, maxRetries, retryBaseMs } = config.vapiCalls;
  if (!apiKey) throw new Error("VAPI_API_KEY is not set: calls cannot be placed");
  return standInClient({ baseUrl: apiUrl, apiKey, timeoutMs: requestTimeoutMs, maxRetries, retryBaseMs });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** VAPI's error bodies are NestJS's: {message: string | string[], error, statusCode}. */
function messageOf(status: number, body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  const text = Array.isArray(message) ? message.join("; ") : typeof message === "string" ? message : undefined;
  return `VAPI answered ${status}${text ? `: ${text}` : ""}`;
}

function standInClient(options: { baseUrl: string; apiKey: string; timeoutMs: number; maxRetries: number; retryBaseMs: number }): CallsApi {
  async function attempt(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; retryAfterMs?: number }> {
    let response: Response;
    try {
      response = await fetch(`${options.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const err = error as Error & { cause?: { code?: string } };
      if (err.name === "TimeoutError") throw new VapiRequestError("timeout", `${method} ${path} timed out after ${options.timeoutMs} ms`);
      const refused = err.cause?.code === "ECONNREFUSED";
      throw Object.assign(new VapiRequestError("network", `${method} ${path}: ${err.cause?.code ?? err.message}`), { refused });
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new VapiRequestError("timeout", `${method} ${path}: the body did not arrive`);
    }
    let parsed: unknown = text;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      if (response.ok) throw new VapiRequestError("network", `${method} ${path}: a broken body`);
    }
    const retryAfter = Number(response.headers.get("retry-after"));
    return { status: response.status, body: parsed, ...(retryAfter > 0 ? { retryAfterMs: Math.min(retryAfter * 1000, 300_000) } : {}) };
  }

  async function request(method: string, path: string, body: unknown, retryable: (e: VapiRequestError) => boolean): Promise<unknown> {
    for (let retry = 0; ; retry++) {
      let error: VapiRequestError;
      let wait: number | undefined;
      try {
        const result = await attempt(method, path, body);
        if (result.status >= 200 && result.status < 300) return result.body;
        error = new VapiRequestError(result.status, messageOf(result.status, result.body), result.body);
        wait = result.retryAfterMs;
      } catch (e) {
        if (!(e instanceof VapiRequestError)) throw e;
        error = e;
      }
      if (retry >= options.maxRetries || !retryable(error)) throw error;
      await sleep(wait ?? Math.random() * Math.min(30_000, options.retryBaseMs * 2 ** retry));
    }
  }

  return {
    async createCall(body) {
      const call = await request("POST", "/call", body, (e) => e.status === 429 || (e as { refused?: boolean }).refused === true);
      if (typeof (call as VapiCall | null)?.id !== "string") throw new VapiRequestError("network", "POST /call: the answer is not a call");
      return call as CreatedCall;
    },
    async listCalls(filters) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(filters)) if (value !== undefined) query.set(key, String(value));
      const calls = await request(
        "GET",
        `/call?${query}`,
        undefined,
        (e) => e.status === 429 || e.status === "timeout" || e.status === "network" || (typeof e.status === "number" && e.status >= 500),
      );
      if (!Array.isArray(calls)) throw new VapiRequestError("network", "GET /call: the answer is not a list");
      return calls as VapiCall[];
    },
  };
}
