// The server's and worker's log (docs/operations.md#logs): JSON lines in
// production, one readable line each in development, at LOG_LEVEL and above.
// Everything written goes through redact(): no token, secret or password in
// a log line, whatever a caller passes in. CLI commands' own output (progress,
// summaries) is not logging and stays on stdout as it is.
import { AsyncLocalStorage } from "node:async_hooks";
import { format, inspect } from "node:util";
import type { Config } from "./config.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

interface LogSettings {
  level: LogLevel;
  json: boolean;
}

function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): LogSettings {
  const level = (env.LOG_LEVEL ?? "").toLowerCase();
  const format = (env.LOG_FORMAT ?? "").toLowerCase();
  return {
    level: (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : "info",
    json: format === "json" || (format !== "text" && env.NODE_ENV === "production"),
  };
}

let settings = settingsFromEnv();
/** Where lines go (tests replace it): debug and info to stdout, warnings and errors to stderr, in either format. */
let write: (line: string, level: LogLevel, json: boolean) => void = (line, level) =>
  (level === "debug" || level === "info" ? process.stdout : process.stderr).write(line + "\n");

/** Reads LOG_LEVEL and LOG_FORMAT again (config.ts validates them; tests change them). */
export function configureLog(options: Partial<LogSettings> = {}, env: NodeJS.ProcessEnv = process.env): void {
  settings = { ...settingsFromEnv(env), ...options };
}

/**
 * A server or worker process's logging, from its settings: LOG_LEVEL,
 * LOG_FORMAT, and every secret the config holds, so no log line shows them.
 */
export function observeLogConfig(config: Config): void {
  configureLog({ level: config.logLevel, json: config.logFormat === "json" });
  if (config.logFormat === "json") routeConsole();
  registerSecrets([
    config.jwtSecret,
    config.metrics.token,
    config.instantly.apiKey,
    config.instantly.webhookSecret,
    config.vapi.apiKey,
    config.vapi.webhookSecret,
    config.databaseUrl,
    config.authDatabaseUrl,
    config.rootDatabaseUrl,
    config.shadowDatabaseUrl,
  ]);
}

/** Sends every line to `sink` instead of stdout/stderr; returns how to undo it. */
export function captureLog(sink: (line: string) => void): () => void {
  const previous = write;
  write = (line) => sink(line);
  return () => {
    write = previous;
  };
}

let consoleRouted = false;
/**
 * console.* through emit(): libraries write there (grafserv prints an error
 * thrown while preparing a request, with its stack, and every error it masks),
 * and in JSON mode those must be JSON lines and redacted like ours.
 */
function routeConsole(): void {
  if (consoleRouted) return;
  consoleRouted = true;
  const to =
    (level: LogLevel) =>
    (...args: unknown[]) =>
      emit(level, format(...args), { component: "console" });
  console.log = to("info");
  console.info = to("info");
  console.debug = to("debug");
  console.warn = to("warn");
  console.error = to("error");
  console.trace = to("error");
  console.dir = (value: unknown) => emit("info", inspect(value), { component: "console" });
}

// --- Redaction -------------------------------------------------------------

/** Values that must never be written: the configured secrets (registerSecrets). */
const secrets = new Set<string>();

/** Field names whose values are never written, whatever they hold. */
const SECRET_KEY = /authorization|cookie|password|passwd|secret|token|api[-_]?key|jwt/i;

const REDACTED = "[redacted]";

/** Adds the configured secrets (tokens, keys, webhook secrets, passwords of connection strings) to what redact() hides. */
export function registerSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) {
    if (!value || value.length < 4) continue;
    secrets.add(value);
    // A connection string's password, alone and as percent-encoded in the URL.
    try {
      const url = new URL(value);
      if (url.password) {
        secrets.add(url.password);
        secrets.add(decodeURIComponent(url.password));
      }
    } catch {
      // not a URL
    }
  }
}

/** `text` with credentials in URLs, Bearer tokens, JWTs, password=... settings and registered secrets replaced. */
export function redact(text: string): string {
  let out = text
    // postgres://user:password@host -> postgres://user:[redacted]@host
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, `$1${REDACTED}@`)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`)
    // A JWT: three base64url parts, the first a JSON header ("eyJ").
    .replace(/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED)
    // libpq key=value strings and query strings: password=..., secret=..., token=...
    .replace(/\b(password|passwd|secret|token|api_?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"']+)/gi, `$1$2${REDACTED}`);
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

function redactValue(key: string, value: unknown, depth = 0): unknown {
  if (value === undefined || value === null) return value;
  if (SECRET_KEY.test(key)) return REDACTED;
  if (typeof value === "string") return redact(value);
  if (value instanceof Error) return redact(value.stack ?? `${value.name}: ${value.message}`);
  if (typeof value !== "object") return value;
  if (depth > 4) return "[...]";
  if (Array.isArray(value)) return value.map((item) => redactValue("", item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(k, v, depth + 1)]));
}

// --- Context: the request a line belongs to ---------------------------------

const context = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` (e.g. the request id) added to every line logged inside it, across awaits. */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

/** The fields of the surrounding withLogContext (e.g. request_id). */
export function logContext(): LogFields {
  return context.getStore() ?? {};
}

// --- Writing ---------------------------------------------------------------

function enabled(level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(settings.level);
}

function readable(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

function emit(level: LogLevel, msg: string, fields: LogFields = {}): void {
  if (!enabled(level)) return;
  const all = { ...logContext(), ...fields };
  const safe = redactValue("", all) as LogFields;
  const message = redact(msg);
  if (settings.json) {
    write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...safe }), level, true);
    return;
  }
  const prefix = level === "info" ? "" : level === "warn" ? "warning: " : `${level}: `;
  const rest = Object.entries(safe)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${readable(v)}`)
    .join(" ");
  write(`leadgraph: ${prefix}${message}${rest ? `  ${rest}` : ""}`, level, false);
}

export const log = {
  debug: (msg: string, fields?: LogFields) => emit("debug", msg, fields),
  info: (msg: string, fields?: LogFields) => emit("info", msg, fields),
  warn: (msg: string, fields?: LogFields) => emit("warn", msg, fields),
  error: (msg: string, fields?: LogFields) => emit("error", msg, fields),
  enabled,
};
