// VAPI's API as leadgraph uses it: GET /call, GET /call/{id}, POST /call
// (docs/sources/vapi.md). Bearer auth with VAPI_API_KEY; requests paced
// (VAPI publishes no rate limit: VAPI_REQUESTS_PER_SECOND, 5 by default);
// 429, 5xx, timeouts and network errors retried with backoff and full
// jitter, Retry-After honoured; 401/403 never retried.
//
// POST /call has no idempotency key: a timed-out or 5xx attempt may have
// created the call, so it is never retried here (the placer reconciles with
// GET /call first, src/sources/vapi/calls/place.ts). Only a 429 (refused,
// nothing created) or a connection that never opened is retried.
import type { Config } from "../../../config.ts";

/** A VAPI Call as far as leadgraph's code reads it (the raw layer keeps all of it). */
export interface VapiCall {
  id: string;
  createdAt?: string;
  updatedAt?: string;
  status?: string;
  endedReason?: string;
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

/** GET /call's query: every filter VAPI documents. */
export interface ListCallsFilters {
  id?: string;
  assistantId?: string;
  phoneNumberId?: string;
  limit?: number;
  createdAtGt?: string;
  createdAtLt?: string;
  createdAtGe?: string;
  createdAtLe?: string;
  updatedAtGt?: string;
  updatedAtLt?: string;
  updatedAtGe?: string;
  updatedAtLe?: string;
}

/** What the call placer needs (tests may pass their own). */
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
  /** VAPI refused the key: retrying cannot help. */
  get refusedKey(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export interface VapiClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  /** Most requests started per second (0: unpaced). */
  requestsPerSecond: number;
}

/** VAPI's error bodies are NestJS's: {message: string | string[], error, statusCode}. */
function messageOf(status: number, body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  const text = Array.isArray(message) ? message.join("; ") : typeof message === "string" ? message : undefined;
  const hint = status === 401 || status === 403 ? " (check VAPI_API_KEY: it must be the private API key of the organisation)" : "";
  return `VAPI answered ${status}${text ? `: ${text}` : ""}${hint}`;
}

/** Retry-After: seconds or an HTTP date; at most 5 minutes. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 300_000) : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const retryAnything = (e: VapiRequestError) =>
  e.status === 429 || e.status === "timeout" || e.status === "network" || (typeof e.status === "number" && e.status >= 500);

export class VapiClient implements CallsApi {
  /** HTTP requests sent (retries included), and 429s received, since the client was made. */
  requestsMade = 0;
  rateLimited = 0;
  private nextSlot = 0;
  private readonly options: VapiClientOptions;

  constructor(options: VapiClientOptions) {
    this.options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, "") };
  }

  private async pace(): Promise<void> {
    const { requestsPerSecond } = this.options;
    if (!requestsPerSecond) return;
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / requestsPerSecond;
    if (slot > now) await sleep(slot - now);
  }

  private async attempt(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; retryAfterMs?: number }> {
    await this.pace();
    this.requestsMade++;
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const err = error as Error & { cause?: { code?: string } };
      if (err.name === "TimeoutError")
        throw new VapiRequestError("timeout", `${method} ${path} timed out after ${this.options.timeoutMs} ms`);
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
    if (response.status === 429) this.rateLimited++;
    const wait = retryAfterMs(response.headers.get("retry-after"));
    return { status: response.status, body: parsed, ...(wait ? { retryAfterMs: wait } : {}) };
  }

  private async request(method: string, path: string, body: unknown, retryable: (e: VapiRequestError) => boolean): Promise<unknown> {
    for (let retry = 0; ; retry++) {
      let error: VapiRequestError;
      let wait: number | undefined;
      try {
        const result = await this.attempt(method, path, body);
        if (result.status >= 200 && result.status < 300) return result.body;
        error = new VapiRequestError(result.status, messageOf(result.status, result.body), result.body);
        wait = result.retryAfterMs;
      } catch (e) {
        if (!(e instanceof VapiRequestError)) throw e;
        error = e;
      }
      if (retry >= this.options.maxRetries || error.refusedKey || !retryable(error)) throw error;
      await sleep(wait ?? Math.random() * Math.min(30_000, this.options.retryBaseMs * 2 ** retry));
    }
  }

  async createCall(body: CreateCallBody): Promise<CreatedCall> {
    const call = await this.request("POST", "/call", body, (e) => e.status === 429 || (e as { refused?: boolean }).refused === true);
    if (typeof (call as VapiCall | null)?.id !== "string") throw new VapiRequestError("network", "POST /call: the answer is not a call");
    return call as CreatedCall;
  }

  /** GET /call: a bare array, in no documented order. */
  async listCalls(filters: ListCallsFilters): Promise<VapiCall[]> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value !== undefined) query.set(key, String(value));
    const calls = await this.request("GET", `/call?${query}`, undefined, retryAnything);
    if (!Array.isArray(calls)) throw new VapiRequestError("network", "GET /call: the answer is not a list");
    return calls as VapiCall[];
  }

  /** GET /call/{id}; null when VAPI no longer has it. */
  async getCall(id: string): Promise<VapiCall | null> {
    try {
      const call = await this.request("GET", `/call/${encodeURIComponent(id)}`, undefined, retryAnything);
      if (typeof (call as VapiCall | null)?.id !== "string")
        throw new VapiRequestError("network", `GET /call/${id}: the answer is not a call`);
      return call as VapiCall;
    } catch (error) {
      if (error instanceof VapiRequestError && error.status === 404) return null;
      throw error;
    }
  }
}

/** The client with the configured settings (VAPI_API_URL, VAPI_API_KEY, ...). */
export function vapiClient(config: Config): VapiClient {
  const { apiUrl, apiKey, requestTimeoutMs, maxRetries, retryBaseMs, requestsPerSecond } = config.vapi;
  if (!apiKey) throw new Error("VAPI_API_KEY is not set: leadgraph needs VAPI's private API key to sync calls and place them");
  return new VapiClient({ baseUrl: apiUrl, apiKey, timeoutMs: requestTimeoutMs, maxRetries, retryBaseMs, requestsPerSecond });
}
