// HTTP client for the Instantly API v2 endpoints the sync reads
// (reference: docs/sources/instantly-api.md).
//
// - Bearer key, an explicit User-Agent, Node's fetch (undici, keep-alive).
// - Every attempt (retries too) goes through the process-wide rate limiter.
// - 429, 5xx, timeouts, network errors and broken bodies are retried with
//   exponential backoff and full jitter, honouring Retry-After; 401/403 stop at
//   once (InstantlyAuthError); other 4xx are not retried (InstantlyApiError).
// - Cursor pagination with limit=100, stopping on an empty page (the last page
//   may still carry a cursor) or a missing cursor; a repeated cursor is an error.
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../../../config.ts";
import { describeError, parseRetryAfter, retryDelay, sleep } from "../../http-retry.ts";
import type { RateLimitBucket, RateLimiter, RateLimitSlot } from "./rate-limiter.ts";

/** Page size of every list call: Instantly's maximum (its default is 10). */
export const PAGE_LIMIT = 100;
/** The scopes leadgraph's API key needs. */
const REQUIRED_SCOPES = ["campaigns:read", "accounts:read", "emails:read", "leads:read"] as const;

function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8"));
    const version = (pkg as { version?: unknown } | null)?.version;
    return typeof version === "string" ? version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export const DEFAULT_USER_AGENT = `leadgraph/${packageVersion()} (+https://github.com/leadgraph)`;

export { parseRetryAfter };

export type RequestStatus = number | "timeout" | "network" | "bad_body";

export interface InstantlyClientOptions {
  /** INSTANTLY_API_URL (no trailing slash needed). */
  baseUrl: string;
  apiKey: string;
  userAgent?: string;
  /** Paces every attempt: the one limiter of this workspace in the process (sharedRateLimiter), so clients together stay under its limits. */
  limiter: RateLimiter;
  /** Per attempt, including reading the body. Default 30,000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 6. */
  maxRetries?: number;
  /** First backoff ceiling; doubles per retry (full jitter). Default 500. */
  retryBaseMs?: number;
  /** Largest backoff ceiling. Default 30,000. */
  retryMaxMs?: number;
  /** Aborts waits, attempts and backoff; the abort reason is thrown. */
  signal?: AbortSignal;
  /** Called after each attempt. */
  onRequest?: (info: { method: string; path: string; status: RequestStatus; attempt: number; ms: number }) => void;
}

export interface Page {
  items: unknown[];
  /** The next page's cursor (Instantly's next_starting_after); undefined on the last page. */
  nextCursor: string | undefined;
  /** The cursor this page was requested with; undefined for the first page. */
  cursor: string | undefined;
}

export type QueryValue = string | number | boolean | string[] | undefined;

/** Instantly refused the key (401) or the key lacks a scope (403). Never retried. */
export class InstantlyAuthError extends Error {
  readonly status: 401 | 403;
  readonly body: unknown;
  constructor(status: 401 | 403, message: string, body?: unknown) {
    super(message);
    this.name = "InstantlyAuthError";
    this.status = status;
    this.body = body;
  }
}

/** Any other failure: a 4xx that is not worth retrying, retries exhausted, a repeated cursor. */
export class InstantlyApiError extends Error {
  /** The HTTP status of the (last) response; undefined when there was none (timeout, network). */
  readonly status: number | undefined;
  /** The (last) response body, parsed JSON when it was JSON. */
  readonly body: unknown;
  constructor(message: string, status?: number, body?: unknown) {
    super(message);
    this.name = "InstantlyApiError";
    this.status = status;
    this.body = body;
  }
}

type Outcome =
  | { ok: true; status: number; json: unknown }
  | {
      ok: false;
      /** What onRequest reports. */
      status: RequestStatus;
      httpStatus: number | undefined;
      body: unknown;
      reason: string;
      retryAfterMs?: number;
      /** Set when the failure must not be retried: thrown after onRequest saw the attempt. */
      fatal?: Error;
    };

/** Returns why a 2xx body is unusable (then it is retried like a broken body), or undefined. */
type BodyCheck = (json: unknown) => string | undefined;

interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
}

export class InstantlyClient {
  readonly stats = { requests: 0, retries: 0, rateLimited: 0 };
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly userAgent: string;
  private readonly limiter: RateLimiter;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onRequest: InstantlyClientOptions["onRequest"];

  constructor(options: InstantlyClientOptions) {
    if (!options.apiKey) throw new Error("InstantlyClient: an API key is required (INSTANTLY_API_KEY)");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.limiter = options.limiter;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = Math.max(0, options.maxRetries ?? 6);
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.signal = options.signal;
    this.onRequest = options.onRequest;
  }

  /** One call with retries; answers the parsed JSON body. */
  request(method: "GET" | "POST", path: string, options: RequestOptions = {}): Promise<unknown> {
    return this.send(method, path, options, undefined);
  }

  /** GET /campaigns, every page. */
  listCampaigns(options: { startingAfter?: string } = {}): AsyncGenerator<Page> {
    return this.paginate("GET", "/campaigns", options.startingAfter, (cursor) => ({
      query: { limit: PAGE_LIMIT, starting_after: cursor },
    }));
  }

  /** GET /campaigns/analytics for every campaign (one plain array, not paginated). */
  async campaignAnalytics(): Promise<unknown[]> {
    return (await this.send("GET", "/campaigns/analytics", {}, expectArray)) as unknown[];
  }

  /** GET /campaigns/analytics/daily: one campaign's days, or the workspace totals without campaignId. */
  async dailyAnalytics(options: { campaignId?: string; startDate: string; endDate: string }): Promise<unknown[]> {
    const query = { campaign_id: options.campaignId, start_date: options.startDate, end_date: options.endDate };
    return (await this.send("GET", "/campaigns/analytics/daily", { query }, expectArray)) as unknown[];
  }

  /** GET /accounts, every page. */
  listAccounts(options: { startingAfter?: string } = {}): AsyncGenerator<Page> {
    return this.paginate("GET", "/accounts", options.startingAfter, (cursor) => ({
      query: { limit: PAGE_LIMIT, starting_after: cursor },
    }));
  }

  /** GET /emails (20 requests/min!), newest first, every page; mode=emode_all. */
  listEmails(options: { campaignId?: string; minTimestampCreated?: string; startingAfter?: string }): AsyncGenerator<Page> {
    return this.paginate("GET", "/emails", options.startingAfter, (cursor) => ({
      query: {
        limit: PAGE_LIMIT,
        mode: "emode_all",
        campaign_id: options.campaignId,
        min_timestamp_created: options.minTimestampCreated,
        starting_after: cursor,
      },
    }));
  }

  /** POST /leads/list, every page; the filters and the cursor go in the JSON body. */
  listLeads(options: { campaignId?: string; startingAfter?: string }): AsyncGenerator<Page> {
    return this.paginate("POST", "/leads/list", options.startingAfter, (cursor) => ({
      body: { limit: PAGE_LIMIT, campaign: options.campaignId, starting_after: cursor },
    }));
  }

  private async *paginate(
    method: "GET" | "POST",
    path: string,
    startingAfter: string | undefined,
    build: (cursor: string | undefined) => RequestOptions,
  ): AsyncGenerator<Page> {
    let cursor = startingAfter || undefined;
    const seen = new Set<string>();
    if (cursor !== undefined) seen.add(cursor);
    for (;;) {
      const json = (await this.send(method, path, build(cursor), expectPage)) as {
        items: unknown[];
        next_starting_after?: string | null;
      };
      const { items } = json;
      // The last page can still carry a cursor: an empty page is the end.
      if (items.length === 0) return;
      const nextCursor = json.next_starting_after || undefined;
      yield { items, nextCursor, cursor };
      if (nextCursor === undefined) return;
      if (seen.has(nextCursor)) {
        throw new InstantlyApiError(
          `Instantly ${method} ${path} returned the cursor "${nextCursor}" again (after ${seen.size} pages): stopping instead of looping`,
        );
      }
      seen.add(nextCursor);
      cursor = nextCursor;
    }
  }

  private async send(method: "GET" | "POST", path: string, options: RequestOptions, check: BodyCheck | undefined): Promise<unknown> {
    const url = this.url(path, options.query);
    const bucket: RateLimitBucket = method === "GET" && path === "/emails" ? "emails" : "default";
    const attempts = this.maxRetries + 1;
    let last: Extract<Outcome, { ok: false }> | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (last) {
        this.stats.retries++;
        await sleep(retryDelay(attempt - 1, last.retryAfterMs, { baseMs: this.retryBaseMs, maxMs: this.retryMaxMs }), this.signal);
      }
      const slot = await this.limiter.acquireSlot(bucket, this.signal);
      const started = performance.now();
      let outcome: Outcome;
      try {
        this.stats.requests++;
        outcome = await this.attempt(method, path, url, options.body, slot, check);
      } finally {
        slot.release();
      }
      this.onRequest?.({ method, path, status: outcome.status, attempt, ms: performance.now() - started });
      if (outcome.ok) return outcome.json;
      if (outcome.fatal) throw outcome.fatal;
      last = outcome;
    }
    throw new InstantlyApiError(
      `Instantly ${method} ${path} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}; last failure: ${last!.reason}`,
      last!.httpStatus,
      last!.body,
    );
  }

  /** One HTTP exchange: a success, or a failure (with `fatal` set when it must not be retried). Throws only the caller's abort. */
  private async attempt(
    method: "GET" | "POST",
    path: string,
    url: string,
    body: unknown,
    slot: RateLimitSlot,
    check: BodyCheck | undefined,
  ): Promise<Outcome> {
    if (this.signal?.aborted) throw this.signal.reason;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    // The caller's signal aborts this attempt too (a listener rather than AbortSignal.any,
    // which keeps every attempt's signal alive as long as the caller's).
    const callerSignal = this.signal;
    const onCallerAbort = () => controller.abort(callerSignal!.reason);
    callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
    const signal = controller.signal;
    const fail = (
      status: RequestStatus,
      reason: string,
      httpStatus?: number,
      responseBody?: unknown,
      extra: { retryAfterMs?: number; fatal?: Error } = {},
    ): Outcome => ({ ok: false, status, httpStatus, body: responseBody, reason, ...extra });
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${this.apiKey}`,
        "user-agent": this.userAgent,
        accept: "application/json",
      };
      if (body !== undefined) headers["content-type"] = "application/json";
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
        });
      } catch (error) {
        if (this.signal?.aborted) throw this.signal.reason;
        if (timedOut) return fail("timeout", `no response within ${this.timeoutMs} ms`);
        return fail("network", `network error: ${describeError(error)}`);
      }
      // The server has counted the request by now.
      slot.release();
      const status = response.status;
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (this.signal?.aborted) throw this.signal.reason;
        if (timedOut) return fail("timeout", `HTTP ${status}, but the body did not arrive within ${this.timeoutMs} ms`, status);
        return fail("bad_body", `HTTP ${status}, but the body broke off: ${describeError(error)}`, status);
      }
      const parsed = parseJson(text);

      if (status >= 200 && status < 300) {
        if (!parsed.ok) return fail("bad_body", `HTTP ${status} with a body that is not JSON (truncated?): ${snippet(text)}`, status, text);
        const problem = check?.(parsed.value);
        if (problem) return fail("bad_body", `HTTP ${status} with an unusable body: ${problem}`, status, parsed.value);
        return { ok: true, status, json: parsed.value };
      }

      const responseBody = parsed.ok ? parsed.value : text;
      const detail = errorDetail(status, response.statusText, responseBody);
      if (status === 401) {
        const fatal = new InstantlyAuthError(401, `Instantly rejected the API key (${detail}): check INSTANTLY_API_KEY`, responseBody);
        return fail(status, detail, status, responseBody, { fatal });
      }
      if (status === 403) {
        const fatal = new InstantlyAuthError(
          403,
          `Instantly refused ${method} ${path} (${detail}): the API key lacks the scope for it. ` +
            `leadgraph needs an Instantly API key with the scopes ${REQUIRED_SCOPES.join(", ")} (or all:read); ` +
            "create one under Settings > Integrations > API Keys and set INSTANTLY_API_KEY",
          responseBody,
        );
        return fail(status, detail, status, responseBody, { fatal });
      }
      if (status === 429 || status >= 500 || status === 408) {
        if (status === 429) this.stats.rateLimited++;
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
        return fail(status, detail, status, responseBody, { retryAfterMs });
      }
      const fatal = new InstantlyApiError(`Instantly ${method} ${path} failed: ${detail}`, status, responseBody);
      return fail(status, detail, status, responseBody, { fatal });
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    }
  }

  private url(path: string, query: Record<string, QueryValue> | undefined): string {
    const url = new URL(this.baseUrl + (path.startsWith("/") ? path : `/${path}`));
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      // Arrays are repeated (?ids=a&ids=b), as Instantly expects.
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
    }
    return url.toString();
  }
}

function expectPage(json: unknown): string | undefined {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return `expected a page object, got ${typeName(json)}`;
  const page = json as { items?: unknown; next_starting_after?: unknown };
  if (!Array.isArray(page.items)) return `the page's items is ${typeName(page.items)}, not an array`;
  const next = page.next_starting_after;
  if (next !== undefined && next !== null && typeof next !== "string") {
    return `the page's next_starting_after is ${typeName(next)}, not a string`;
  }
  return undefined;
}

function expectArray(json: unknown): string | undefined {
  return Array.isArray(json) ? undefined : `expected an array, got ${typeName(json)}`;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function snippet(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat === "") return "(empty)";
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** "403 Forbidden: <Instantly's message>" from Instantly's error envelope {statusCode, error, message}. */
function errorDetail(status: number, statusText: string, body: unknown): string {
  let label = statusText;
  let message: string | undefined;
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const envelope = body as { error?: unknown; message?: unknown };
    if (typeof envelope.error === "string" && envelope.error) label = envelope.error;
    if (typeof envelope.message === "string" && envelope.message) message = envelope.message;
  } else if (typeof body === "string" && body.trim()) {
    message = snippet(body);
  }
  const head = label ? `${status} ${label}` : `HTTP ${status}`;
  return message ? `${head}: ${message}` : head;
}
