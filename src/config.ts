// Every setting leadgraph reads from the environment, in one place: read once
// per process and passed to what needs it (the server, the worker and its
// tasks). README.md's configuration table documents each of these.
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LOG_LEVELS, type LogLevel } from "./log.ts";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Instantly's API (INSTANTLY_API_URL's default). */
const DEFAULT_INSTANTLY_API_URL = "https://api.instantly.ai/api/v2";
/** Largest CSV file accepted for import by default: 512 MiB (LEADGRAPH_IMPORT_MAX_BYTES). */
export const DEFAULT_IMPORT_MAX_BYTES = 512 * 2 ** 20;

/** JWT_MAX_AGE's default: 30 days (`leadgraph token`'s default lifetime). */
export const DEFAULT_JWT_MAX_AGE_SECONDS = 30 * 86_400;

type Env = NodeJS.ProcessEnv;

function integer(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = (env[name] ?? "").toLowerCase();
  if (["", "0", "false", "no", "off"].includes(raw)) return false;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

const DURATION_UNITS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_557_600 } as const;

/** "30d", "12h", "90m" (or a bare number of seconds) in seconds; undefined if it is none of these. */
export function durationSeconds(text: string): number | undefined {
  const match = /^(\d+)\s*([smhdwy]?)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS[(match[2] || "s") as keyof typeof DURATION_UNITS];
}

function duration(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const seconds = durationSeconds(raw);
  if (seconds === undefined || seconds === 0) throw new Error(`${name} must be a duration like 30d, 12h or 90m, got "${raw}"`);
  return seconds;
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === "" ? undefined : raw;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = (env[name] ?? "").toLowerCase();
  if (raw === "") return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${values.join(", ")}, got "${env[name]}"`);
  return raw as T;
}

/** A comma-separated list ("a, b" -> ["a", "b"]). */
function list(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

export interface Config {
  /** A PostgreSQL given by the user; when absent an embedded one is started. */
  databaseUrl: string | undefined;
  /** The API's login (authenticator role); defaults to DATABASE_URL. */
  authDatabaseUrl: string | undefined;
  /** Superuser connection, needed by graphile-migrate only for reset and the shadow database. */
  rootDatabaseUrl: string | undefined;
  shadowDatabaseUrl: string | undefined;
  /** Where the embedded PostgreSQL keeps its cluster. */
  dataDir: string;
  /** Port for the embedded PostgreSQL; 0 = reuse the last one if free, else any free port. */
  pgPort: number;
  port: number;
  host: string;
  production: boolean;
  workerConcurrency: number;
  /** WEB_CONCURRENCY: HTTP processes `server` and `start` run, sharing the port (default: one per core). */
  webConcurrency: number;
  /** How long shutdown waits for running jobs before aborting them. */
  shutdownTimeoutMs: number;
  /** HS256 secret for Bearer tokens; required in production. */
  jwtSecret: string | undefined;
  /** JWT_MAX_AGE: the longest lifetime a token may have (the server refuses longer ones; `leadgraph token` will not mint them). */
  jwtMaxAgeSeconds: number;
  /** Browser origins allowed to call the API (CORS); none by default. */
  corsOrigins: string[];
  /** Largest CSV file accepted for import, in bytes. */
  importMaxBytes: number;
  graphql: {
    maxDepth: number;
    maxCost: number;
    defaultPageSize: number;
    maxPageSize: number;
    maxRequestBytes: number;
    /** Fields of an operation with its fragments expanded where spread. */
    maxFields: number;
    /** Aliased fields of an operation. */
    maxAliases: number;
    /** Longest string in a query's arguments (filters, search), literal or variable. */
    maxStringLength: number;
    /** Largest response body; a request whose data grows past it is stopped. */
    maxResponseBytes: number;
    /** Most groups one `groupedAggregates` returns; more is an error. */
    maxGroups: number;
    /** PostgreSQL statement_timeout for each statement of a request, e.g. "15s". */
    statementTimeout: string;
    /** A request's whole time budget: past it, its running statements are cancelled. */
    requestTimeoutMs: number;
    /** Accept only the operations in docs/queries (by hash). */
    persistedOnly: boolean;
  };
  instantly: {
    /** Instantly API v2 base URL (the fake server's for trying without an account). */
    apiUrl: string;
    /** API key (Bearer); the sync is off without one. */
    apiKey: string | undefined;
    /** Shared secret Instantly sends in the X-Leadgraph-Webhook-Secret header; webhooks are refused without it. */
    webhookSecret: string | undefined;
    /** Cron schedule (UTC) of the automatic sync. */
    syncSchedule: string;
    /** Client-side rate limits (Instantly's: 100/s, 6,000/min, GET /emails 20/min); off only for benchmarks against the fake server. */
    rateLimits: boolean;
    /** Divides the rate-limit windows (for a time-compressed fake server only). */
    rateLimitTimeScale: number;
    /** Per request attempt. */
    requestTimeoutMs: number;
    /** Retries of one request (429, 5xx, timeouts, broken bodies) before its job fails and graphile-worker retries the job. */
    maxRetries: number;
    /** First backoff ceiling, doubling per retry (full jitter), at most 30 s; Retry-After wins when Instantly sends it. */
    retryBaseMs: number;
  };
  /** VAPI: calls (docs/sources/vapi.md). */
  vapi: {
    /** VAPI_API_URL: VAPI's API, or the fake (npm run dev:vapi). */
    apiUrl: string;
    /** VAPI_API_KEY, the organisation's private key: without it nothing is synced or placed. */
    apiKey: string | undefined;
    /** VAPI_WEBHOOK_SECRET: what POST /webhooks/vapi requires (Bearer or X-Vapi-Secret); unset, it answers 503. */
    webhookSecret: string | undefined;
    /** Cron schedule (UTC) of the sync. */
    syncSchedule: string;
    /** How far back the first sync reaches. */
    syncSinceDays: number;
    /** Only calls of these assistants / phone numbers (none: every call of the organisation). */
    assistantIds: string[];
    phoneNumberIds: string[];
    requestTimeoutMs: number;
    maxRetries: number;
    retryBaseMs: number;
    /** VAPI publishes no rate limit: requests started per second. */
    requestsPerSecond: number;
  };
  /** The workflow "email -> no reply -> call" (docs/sources/vapi-calls.md). */
  /** /metrics (docs/operations.md#metrics). */
  metrics: {
    /** METRICS_TOKEN: scrapers send Authorization: Bearer <token>; with it /metrics is on in production too. */
    token: string | undefined;
    /** METRICS_PORT: also serve /metrics on this port (the primary: every HTTP process and the worker added up). */
    port: number | undefined;
    /** METRICS_HOST: the address METRICS_PORT listens on (default: HOST). */
    host: string | undefined;
  };
  /** LOG_LEVEL: debug, info, warn or error. */
  logLevel: LogLevel;
  /** LOG_FORMAT: json or text (default: json in production, text otherwise). */
  logFormat: "json" | "text";
  vapiCalls: {
    /** Cron schedule (UTC) of the job that queues the due calls. */
    schedule: string;
    /** Most calls leadgraph has under way at VAPI at once (VAPI's default concurrency is 10). */
    maxConcurrentCalls: number;
    /** First wait before placing a call again after an unclear failure (doubles per attempt, at most 15 min); also the wait while the concurrency is full. */
    retryDelayMs: number;
  };
}

/** The settings of `env` (this process's environment unless given). */
export function loadConfig(env: Env = process.env): Config {
  return {
    databaseUrl: optional(env, "DATABASE_URL"),
    authDatabaseUrl: optional(env, "AUTH_DATABASE_URL"),
    rootDatabaseUrl: optional(env, "ROOT_DATABASE_URL"),
    shadowDatabaseUrl: optional(env, "SHADOW_DATABASE_URL"),
    dataDir: path.resolve(projectRoot, optional(env, "LEADGRAPH_DATA_DIR") ?? ".data"),
    pgPort: integer(env, "LEADGRAPH_PG_PORT", 0),
    port: integer(env, "PORT", 5678),
    host: optional(env, "HOST") ?? "127.0.0.1",
    production: env.NODE_ENV === "production",
    workerConcurrency: integer(env, "WORKER_CONCURRENCY", 4),
    webConcurrency: integer(env, "WEB_CONCURRENCY", os.availableParallelism()) || 1,
    shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 20_000),
    jwtSecret: optional(env, "JWT_SECRET"),
    jwtMaxAgeSeconds: duration(env, "JWT_MAX_AGE", DEFAULT_JWT_MAX_AGE_SECONDS),
    importMaxBytes: integer(env, "LEADGRAPH_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES),
    corsOrigins: (optional(env, "CORS_ORIGINS") ?? "")
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
    graphql: {
      maxDepth: integer(env, "MAX_QUERY_DEPTH", 15),
      maxCost: integer(env, "MAX_QUERY_COST", 50_000),
      defaultPageSize: integer(env, "DEFAULT_PAGE_SIZE", 50),
      maxPageSize: integer(env, "MAX_PAGE_SIZE", 500),
      maxRequestBytes: integer(env, "MAX_REQUEST_BYTES", 100_000),
      maxFields: integer(env, "MAX_QUERY_FIELDS", 2000),
      maxAliases: integer(env, "MAX_ALIASES", 50),
      maxStringLength: integer(env, "MAX_FILTER_STRING_LENGTH", 1000),
      maxResponseBytes: integer(env, "MAX_RESPONSE_BYTES", 20 * 2 ** 20),
      maxGroups: integer(env, "MAX_GROUPS", 1000),
      statementTimeout: optional(env, "STATEMENT_TIMEOUT") ?? "15s",
      requestTimeoutMs: integer(env, "REQUEST_TIMEOUT_MS", 30_000),
      persistedOnly: flag(env, "GRAPHQL_PERSISTED_ONLY"),
    },
    instantly: {
      apiUrl: (optional(env, "INSTANTLY_API_URL") ?? DEFAULT_INSTANTLY_API_URL).replace(/\/+$/, ""),
      apiKey: optional(env, "INSTANTLY_API_KEY"),
      webhookSecret: optional(env, "INSTANTLY_WEBHOOK_SECRET"),
      syncSchedule: optional(env, "INSTANTLY_SYNC_SCHEDULE") ?? "*/10 * * * *",
      rateLimits: env.INSTANTLY_RATE_LIMITS === undefined || env.INSTANTLY_RATE_LIMITS === "" ? true : flag(env, "INSTANTLY_RATE_LIMITS"),
      rateLimitTimeScale: integer(env, "INSTANTLY_RATE_LIMIT_TIME_SCALE", 1) || 1,
      requestTimeoutMs: integer(env, "INSTANTLY_REQUEST_TIMEOUT_MS", 30_000),
      maxRetries: integer(env, "INSTANTLY_MAX_RETRIES", 6),
      retryBaseMs: integer(env, "INSTANTLY_RETRY_BASE_MS", 500),
    },
    vapi: {
      apiUrl: (optional(env, "VAPI_API_URL") ?? "https://api.vapi.ai").replace(/\/+$/, ""),
      apiKey: optional(env, "VAPI_API_KEY"),
      webhookSecret: optional(env, "VAPI_WEBHOOK_SECRET"),
      syncSchedule: optional(env, "VAPI_SYNC_SCHEDULE") ?? "*/10 * * * *",
      syncSinceDays: integer(env, "VAPI_SYNC_SINCE_DAYS", 90),
      assistantIds: list(optional(env, "VAPI_ASSISTANT_IDS")),
      phoneNumberIds: list(optional(env, "VAPI_PHONE_NUMBER_IDS")),
      requestTimeoutMs: integer(env, "VAPI_REQUEST_TIMEOUT_MS", 30_000),
      maxRetries: integer(env, "VAPI_MAX_RETRIES", 6),
      retryBaseMs: integer(env, "VAPI_RETRY_BASE_MS", 500),
      requestsPerSecond: integer(env, "VAPI_REQUESTS_PER_SECOND", 5),
    },
    metrics: {
      token: optional(env, "METRICS_TOKEN"),
      port: integer(env, "METRICS_PORT", 0) || undefined,
      host: optional(env, "METRICS_HOST"),
    },
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    logFormat: oneOf(env, "LOG_FORMAT", ["json", "text"] as const, env.NODE_ENV === "production" ? "json" : "text"),
    vapiCalls: {
      schedule: optional(env, "VAPI_CALL_SCHEDULE") ?? "* * * * *",
      maxConcurrentCalls: integer(env, "VAPI_MAX_CONCURRENT_CALLS", 10) || 1,
      retryDelayMs: integer(env, "VAPI_CALL_RETRY_MS", 15_000),
    },
  };
}

/** The API refuses to start in production without a secret to verify tokens with. */
export function checkJwtSecret(options: Pick<Config, "production" | "jwtSecret">): void {
  if (options.production && !options.jwtSecret) {
    throw new Error("JWT_SECRET must be set when NODE_ENV=production: every request needs a token signed with it.");
  }
}
