// /metrics in Prometheus' text format (prom-client), described in
// docs/operations.md#metrics. What each process measures itself: its HTTP and
// GraphQL requests, its worker's jobs, its pools, the default process metrics.
// What the database knows (the queue, imports, syncs, rejects, what is left to
// normalise) is read at scrape time, by the process that owns the database
// connection (observeDatabase), in one cheap query with a short timeout.
//
// Several HTTP processes (WEB_CONCURRENCY, src/http-processes.ts) share one
// port, so a scrape lands on any of them: the one that gets it asks the
// primary, which adds up its own metrics and every HTTP process's
// (prom-client's AggregatorRegistry.aggregate); one scrape is the whole server.
import cluster from "node:cluster";
import crypto from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { NextFunction, Request, Response } from "express";
import pg from "pg";
import client from "prom-client";
import type { Config } from "./config.ts";
import type { Database } from "./database/index.ts";
import { log } from "./log.ts";

const { AggregatorRegistry, Counter, Gauge, Histogram, register } = client;

let defaultsStarted = false;
/** The default process metrics (CPU, memory, event loop lag, GC), once per process. */
function startDefaultMetrics() {
  if (defaultsStarted) return;
  defaultsStarted = true;
  client.collectDefaultMetrics({ register });
}
startDefaultMetrics();

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

// --- HTTP -----------------------------------------------------------------

const httpDuration = new Histogram({
  name: "leadgraph_http_request_duration_seconds",
  help: "HTTP requests by route, method and status: latency until the response is sent.",
  labelNames: ["route", "method", "status"] as const,
  buckets: LATENCY_BUCKETS,
});
const httpErrors = new Counter({
  name: "leadgraph_http_request_errors_total",
  help: "HTTP responses with a status of 400 or more, by route, method and status.",
  labelNames: ["route", "method", "status"] as const,
});

/** The route label: the paths the server has, so a scan of random URLs adds no series. */
export function routeOf(path: string, method: string): string {
  const known = /^\/(graphql|graphiql|imports|healthz|readyz|metrics|webhooks\/instantly|webhooks\/vapi)\/?$/.exec(path);
  if (known) return `/${known[1]}`;
  if (path.startsWith("/ruru-static/")) return "/ruru-static";
  if (path.startsWith("/assets/")) return "/assets";
  return method === "GET" || method === "HEAD" ? "web app" : "other";
}

/**
 * The request's path as it arrived, without the query string. Not req.path:
 * a router mounted on a path (the webhooks' error handlers) shortens it, and
 * a response sent from there would be labelled "/" when it finishes.
 */
export function requestPath(req: Request): string {
  return (req.originalUrl || req.url).split("?")[0]!;
}

const METHODS = new Set(["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]);

/** Records a request's latency and status once its response is sent (or its client went away). */
export function recordHttpRequest(req: Request, res: Response, seconds: number): void {
  const method = METHODS.has(req.method) ? req.method : "other";
  const labels = { route: routeOf(requestPath(req), req.method), method, status: String(res.statusCode) };
  httpDuration.observe(labels, seconds);
  if (res.statusCode >= 400) httpErrors.inc(labels);
}

// --- GraphQL --------------------------------------------------------------

const graphqlDuration = new Histogram({
  name: "leadgraph_graphql_request_duration_seconds",
  help: "GraphQL requests by operation name (bounded: see docs/operations.md) and outcome (ok or error).",
  labelNames: ["operation", "outcome"] as const,
  buckets: LATENCY_BUCKETS,
});
const graphqlErrors = new Counter({
  name: "leadgraph_graphql_errors_total",
  help: "Errors in GraphQL responses by operation name and error code (extensions.code, SQLSTATE_xxxxx, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, HTTP_<status> or UNKNOWN).",
  labelNames: ["operation", "code"] as const,
});

/** Most distinct operation names one process labels; later new names count as "other". */
export const MAX_OPERATION_NAMES = 200;
const MAX_OPERATION_NAME_LENGTH = 64;
const seenOperations = new Set<string>();

/**
 * The operation label of a request's operation name. Names are user input:
 * a name that is not a GraphQL name, or longer than 64 characters, is
 * "invalid"; none is "anonymous"; past MAX_OPERATION_NAMES distinct names,
 * a new one is "other", so no client can grow the series without bound.
 */
export function operationLabel(name: unknown): string {
  if (name === undefined || name === null || name === "") return "anonymous";
  if (typeof name !== "string" || name.length > MAX_OPERATION_NAME_LENGTH || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return "invalid";
  if (seenOperations.has(name)) return name;
  if (seenOperations.size >= MAX_OPERATION_NAMES) return "other";
  seenOperations.add(name);
  return name;
}

/**
 * An error's code label: a short upper-case extensions.code, the SQLSTATE of
 * a database error, BAD_USER_INPUT for a request-level error without either
 * (variables that do not coerce), else (a field's error) UNKNOWN.
 */
export function errorCodeLabel(error: { extensions?: { code?: unknown }; originalError?: unknown; path?: unknown }): string {
  const code = error.extensions?.code;
  if (typeof code === "string" && /^[A-Z][A-Z0-9_]{0,47}$/.test(code)) return code;
  const sqlstate = (error.originalError as { code?: unknown } | undefined)?.code;
  if (typeof sqlstate === "string" && /^[0-9A-Z]{5}$/.test(sqlstate)) return `SQLSTATE_${sqlstate}`;
  // Without a path the error is the request's, not a field's: variables that do not coerce, an unknown operationName.
  if (!error.path) return "BAD_USER_INPUT";
  return "UNKNOWN";
}

/** What the GraphQL plugin learns about one HTTP request (see graphqlMetricsPlugin). */
interface GraphqlObservation {
  operation: string;
  codes: string[];
  /** Reached execution (else refused by parsing, validation or a limit). */
  executed: boolean;
}
const observations = new WeakMap<object, GraphqlObservation>();

/** The first operation's name in a document, when the request names none (cheap: no parse). */
function operationNameIn(query: unknown): string | undefined {
  if (typeof query !== "string") return undefined;
  return /^\s*(?:#[^\n]*\n\s*)*(?:query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(query.slice(0, 2000))?.[1];
}

/**
 * A Grafserv/Grafast plugin: the operation name of each request
 * (processGraphQLRequestBody) and the codes of its errors, from validation
 * (processRequest sees the small error-only response) or execution (execute,
 * before errors are masked). The HTTP middleware records them when the
 * response is sent.
 */
export const graphqlMetricsPlugin: GraphileConfig.Plugin = {
  name: "LeadgraphMetricsPlugin",
  version: "1.0.0",
  grafserv: {
    middleware: {
      processGraphQLRequestBody(next, event) {
        const req = event.request?.requestContext?.node?.req;
        if (req) {
          const body = event.body as { operationName?: unknown; query?: unknown };
          observations.set(req, {
            operation: operationLabel(body.operationName ?? operationNameIn(body.query)),
            codes: [],
            executed: false,
          });
        }
        return next();
      },
    },
  },
  grafast: {
    middleware: {
      execute(next, event) {
        const req = (event.args.requestContext as { node?: { req?: object } } | undefined)?.node?.req;
        const observation = req ? observations.get(req) : undefined;
        const result = next();
        if (!observation) return result;
        const note = (value: unknown) => {
          const errors = (
            value as { errors?: ReadonlyArray<{ extensions?: { code?: unknown }; originalError?: unknown; path?: unknown }> } | null
          )?.errors;
          if (Array.isArray(errors)) for (const error of errors) observation.codes.push(errorCodeLabel(error));
          observation.executed = true;
          return value;
        };
        return (result instanceof Promise ? result.then(note) : note(result)) as typeof result;
      },
    },
  },
};

/** Records the GraphQL part of a finished /graphql request, if the plugin saw it. */
function recordGraphqlRequest(req: Request, res: Response, seconds: number, body: () => Buffer | undefined): void {
  const observation = observations.get(req);
  if (!observation) return;
  if (!observation.executed && res.statusCode < 500) {
    // Refused before execution (parse, validation, limits): the response is
    // only {"errors": [...]}, small; read the codes from it.
    const text = body();
    try {
      const parsed = text && text.length < 65_536 ? (JSON.parse(text.toString("utf8")) as { errors?: unknown }) : undefined;
      if (Array.isArray(parsed?.errors))
        for (const error of parsed.errors as Array<{ extensions?: { code?: unknown } }>)
          observation.codes.push(typeof error?.extensions?.code === "string" ? errorCodeLabel(error) : "GRAPHQL_VALIDATION_FAILED");
    } catch {
      observation.codes.push("UNKNOWN");
    }
  }
  if (res.statusCode >= 400 && observation.codes.length === 0) observation.codes.push(`HTTP_${res.statusCode}`);
  graphqlDuration.observe({ operation: observation.operation, outcome: observation.codes.length ? "error" : "ok" }, seconds);
  for (const code of observation.codes) graphqlErrors.inc({ operation: observation.operation, code });
}

/** The operation label of a request (for its log line), once the plugin has seen it. */
export function operationOf(req: Request): string | undefined {
  return observations.get(req)?.operation;
}

/**
 * Express middleware: measures every request. For /graphql it keeps the
 * first 64 KiB written, to read the codes of a request refused before execution.
 */
export function httpMetrics(onFinished?: (req: Request, res: Response, seconds: number) => void) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    let head: Buffer[] | undefined;
    if (req.path === "/graphql") {
      head = [];
      let kept = 0;
      const write = res.write.bind(res) as (...args: unknown[]) => boolean;
      const end = res.end.bind(res) as (...args: unknown[]) => Response;
      const keep = (chunk: unknown) => {
        if (kept >= 65_536 || chunk === undefined || typeof chunk === "function") return;
        const buffer = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : undefined;
        if (buffer) {
          head!.push(buffer);
          kept += buffer.length;
        }
      };
      res.write = ((...args: unknown[]) => {
        keep(args[0]);
        return write(...args);
      }) as typeof res.write;
      res.end = ((...args: unknown[]) => {
        keep(args[0]);
        return end(...args);
      }) as typeof res.end;
    }
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      recordHttpRequest(req, res, seconds);
      if (head) recordGraphqlRequest(req, res, seconds, () => Buffer.concat(head!));
      onFinished?.(req, res, seconds);
    };
    res.once("finish", finish);
    res.once("close", finish);
    next();
  };
}

// --- Worker ---------------------------------------------------------------

const workerJobs = new Counter({
  name: "leadgraph_worker_jobs_total",
  help: "Worker job attempts by task and outcome: success, retry (failed, to be retried), failed (failed its last attempt).",
  labelNames: ["task", "outcome"] as const,
});
const workerJobDuration = new Histogram({
  name: "leadgraph_worker_job_duration_seconds",
  help: "How long worker job attempts ran, by task and outcome (success or error).",
  labelNames: ["task", "outcome"] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
});

interface JobEvent {
  job: { id: string; task_identifier: string; attempts: number; max_attempts: number };
}
interface WorkerEvents {
  on(event: "job:start" | "job:success", listener: (event: JobEvent) => void): unknown;
  on(event: "job:error" | "job:failed" | "job:complete", listener: (event: JobEvent & { error: unknown }) => void): unknown;
}

/** Counts a graphile-worker runner's jobs (its events emitter) by task and outcome. */
export function observeWorker(events: WorkerEvents): void {
  const started = new Map<string, bigint>();
  events.on("job:start", ({ job }) => started.set(job.id, process.hrtime.bigint()));
  events.on("job:success", ({ job }) => workerJobs.inc({ task: job.task_identifier, outcome: "success" }));
  // job:failed follows job:error on the last attempt.
  events.on("job:error", ({ job }) => {
    if (job.attempts < job.max_attempts) workerJobs.inc({ task: job.task_identifier, outcome: "retry" });
  });
  events.on("job:failed", ({ job }) => workerJobs.inc({ task: job.task_identifier, outcome: "failed" }));
  events.on("job:complete", ({ job, error }) => {
    const start = started.get(job.id);
    started.delete(job.id);
    if (start === undefined) return;
    workerJobDuration.observe(
      { task: job.task_identifier, outcome: error ? "error" : "success" },
      Number(process.hrtime.bigint() - start) / 1e9,
    );
  });
}

// --- Pools ----------------------------------------------------------------

const pools = new Map<string, pg.Pool>();

new Gauge({
  name: "leadgraph_db_pool_connections",
  help: "Connections of this process's PostgreSQL pools: total open, idle, and in use (busy).",
  labelNames: ["pool", "state"] as const,
  collect() {
    this.reset();
    for (const [name, pool] of pools) {
      this.set({ pool: name, state: "total" }, pool.totalCount);
      this.set({ pool: name, state: "idle" }, pool.idleCount);
      this.set({ pool: name, state: "busy" }, pool.totalCount - pool.idleCount);
    }
  },
});
new Gauge({
  name: "leadgraph_db_pool_waiting",
  help: "Queries waiting for a connection of a full pool.",
  labelNames: ["pool"] as const,
  collect() {
    this.reset();
    for (const [name, pool] of pools) this.set({ pool: name }, pool.waitingCount);
  },
});
new Gauge({
  name: "leadgraph_db_pool_max",
  help: "The most connections each pool opens.",
  labelNames: ["pool"] as const,
  collect() {
    this.reset();
    for (const [name, pool] of pools) this.set({ pool: name }, pool.options.max ?? 10);
  },
});

/** Reports `pool`'s usage as `name` (api, health, worker) until it ends. */
export function observePool(name: string, pool: pg.Pool): void {
  pools.set(name, pool);
  const end = pool.end.bind(pool);
  pool.end = ((...args: Parameters<typeof pool.end>) => {
    if (pools.get(name) === pool) pools.delete(name);
    return end(...args);
  }) as typeof pool.end;
}

// --- What the database knows, read at scrape time -------------------------

/** How long a scrape's database query may take. */
const DATABASE_SCRAPE_TIMEOUT_MS = 1500;

// Cheap aggregates: status columns are indexed or small, the queues are what
// is waiting. Owner connection: graphile_worker and leadgraph_private are not
// the API's.
const DATABASE_SNAPSHOT = `
select
  (select coalesce(json_agg(q), '[]') from (
     select task_identifier as task,
            case when locked_at is not null then 'running'
                 when attempts >= max_attempts then 'failed'
                 when run_at > now() then 'scheduled'
                 else 'ready' end as state,
            count(*)::int as n
     from graphile_worker.jobs group by 1, 2) q) as queue,
  (select coalesce(json_agg(i), '[]') from (
     select import_status as status, count(*)::int as n,
            coalesce(sum(greatest(total_rows - processed_rows, 0)) filter (where import_status in ('uploaded', 'processing')), 0)::bigint as pending_rows,
            coalesce(sum(failed_rows), 0)::bigint as rejected_rows
     from csv_imports_raw group by 1) i) as imports,
  (select coalesce(json_agg(r), '[]') from (
     select 'instantly' as source, stage, resource, count(*)::int as n from instantly_rejects group by 2, 3
     union all
     select 'vapi', stage, resource, count(*)::int from vapi_rejects group by 2, 3) r) as rejects,
  (select coalesce(json_agg(p), '[]') from (
     select 'instantly' as source, what, count(*)::int as n from leadgraph_private.instantly_left_to_normalize group by 2
     union all
     select 'vapi', resource, count(*)::int from leadgraph_private.vapi_pending group by 2) p) as pending,
  (select coalesce(json_agg(s), '[]') from (
     select 'instantly' as source, status, count(*)::int as n, extract(epoch from max(started_at))::float8 as last_started from instantly_sync_runs group by 2
     union all
     select 'vapi', status, count(*)::int, extract(epoch from max(started_at))::float8 from vapi_sync_runs group by 2) s) as syncs`;

interface Snapshot {
  queue: Array<{ task: string; state: string; n: number }>;
  imports: Array<{ status: string; n: number; pending_rows: string; rejected_rows: string }>;
  rejects: Array<{ source: string; stage: string; resource: string; n: number }>;
  pending: Array<{ source: string; what: string; n: number }>;
  syncs: Array<{ source: string; status: string; n: number; last_started: number | null }>;
}

let databasePool: pg.Pool | undefined;
/** The query under way: a scrape's gauges (collected at once) and concurrent scrapes share it. */
let inFlight: Promise<{ snapshot?: Snapshot; seconds: number }> | undefined;

function snapshot(): Promise<{ snapshot?: Snapshot; seconds: number }> {
  const pool = databasePool;
  if (!pool) return Promise.resolve({ seconds: 0 });
  if (inFlight) return inFlight;
  const started = process.hrtime.bigint();
  const result = pool
    .query<Snapshot>(DATABASE_SNAPSHOT)
    .then(({ rows }) => ({ snapshot: rows[0], seconds: Number(process.hrtime.bigint() - started) / 1e9 }))
    .catch((error: Error) => {
      log.warn("metrics: reading the database's counts failed", { error: error.message });
      return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    });
  inFlight = result;
  // Kept until this scrape's other gauges have read it (they are collected in one go).
  void result.then(() => setImmediate(() => (inFlight = inFlight === result ? undefined : inFlight)));
  return result;
}

/** A gauge filled from the scrape's snapshot (none when no database is observed). */
function snapshotGauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  fill: (gauge: client.Gauge<L>, snapshot: Snapshot) => void,
) {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    async collect() {
      this.reset();
      const { snapshot: current } = await snapshot();
      if (current) fill(this, current);
    },
  });
}

const IMPORT_STATUSES = ["uploaded", "processing", "completed", "completed_with_errors", "failed"];

snapshotGauge(
  "leadgraph_worker_queue_jobs",
  "graphile-worker jobs in the queue by task and state: ready (waiting for a worker), scheduled (run_at later: retries, crons), running, failed (no attempts left).",
  ["task", "state"],
  (gauge, s) => s.queue.forEach((q) => gauge.set({ task: q.task, state: q.state }, q.n)),
);
snapshotGauge("leadgraph_csv_imports", "CSV imports by status.", ["status"], (gauge, s) => {
  for (const status of IMPORT_STATUSES) gauge.set({ status }, 0);
  s.imports.forEach((i) => gauge.set({ status: i.status }, i.n));
});
snapshotGauge(
  "leadgraph_csv_import_rows_pending",
  "Rows of uploaded or processing CSV imports not normalised yet (import progress).",
  [],
  (gauge, s) => gauge.set(s.imports.reduce((sum, i) => sum + Number(i.pending_rows), 0)),
);
snapshotGauge("leadgraph_csv_import_rows_rejected", "CSV rows rejected by the normaliser, over every stored import.", [], (gauge, s) =>
  gauge.set(s.imports.reduce((sum, i) => sum + Number(i.rejected_rows), 0)),
);
snapshotGauge(
  "leadgraph_source_rejects",
  "Instantly and VAPI records kept as rejects (instantly_rejects, vapi_rejects) by stage and resource.",
  ["source", "stage", "resource"],
  (gauge, s) => s.rejects.forEach((r) => gauge.set({ source: r.source, stage: r.stage, resource: r.resource }, r.n)),
);
snapshotGauge(
  "leadgraph_normalization_pending",
  "What the Instantly and VAPI normalisers have still to do, by source and kind (0: normalised).",
  ["source", "what"],
  (gauge, s) => {
    gauge.set({ source: "instantly", what: "all" }, 0);
    gauge.set({ source: "vapi", what: "all" }, 0);
    for (const p of s.pending) {
      gauge.set({ source: p.source, what: p.what }, p.n);
      gauge.inc({ source: p.source, what: "all" }, p.n);
    }
  },
);
snapshotGauge("leadgraph_sync_runs", "Instantly and VAPI sync runs by status (running: under way now).", ["source", "status"], (gauge, s) =>
  s.syncs.forEach((r) => gauge.set({ source: r.source, status: r.status }, r.n)),
);
snapshotGauge(
  "leadgraph_sync_last_started_timestamp_seconds",
  "When the newest sync run of each source started (Unix time).",
  ["source"],
  (gauge, s) => {
    const newest = new Map<string, number>();
    for (const r of s.syncs) if (r.last_started !== null) newest.set(r.source, Math.max(newest.get(r.source) ?? 0, r.last_started));
    for (const [source, at] of newest) gauge.set({ source }, at);
  },
);
new Gauge({
  name: "leadgraph_database_scrape_up",
  help: "1 when this scrape read the database's counts (queue, imports, syncs), 0 when that failed or timed out.",
  async collect() {
    if (!databasePool) return;
    const { snapshot: current } = await snapshot();
    this.set(current ? 1 : 0);
  },
});

new Gauge({
  name: "leadgraph_database_scrape_duration_seconds",
  help: "How long this scrape's read of the database's counts took (the part of a scrape that runs SQL).",
  async collect() {
    if (!databasePool) return;
    this.set((await snapshot()).seconds);
  },
});

/**
 * Reads the queue, imports, syncs and rejects at each scrape through a pool of
 * one owner connection (the process that holds it: `leadgraph start` and
 * `server`'s primary). Returns how to stop.
 */
export function observeDatabase(ownerUrl: string): () => Promise<void> {
  const pool = new pg.Pool({
    connectionString: ownerUrl,
    max: 1,
    connectionTimeoutMillis: DATABASE_SCRAPE_TIMEOUT_MS,
    statement_timeout: DATABASE_SCRAPE_TIMEOUT_MS,
    query_timeout: DATABASE_SCRAPE_TIMEOUT_MS + 500,
    idleTimeoutMillis: 60_000,
    application_name: "leadgraph metrics",
  });
  pool.on("error", (error) => log.warn("metrics database connection lost", { error: error.message }));
  databasePool = pool;
  inFlight = undefined;
  return async () => {
    if (databasePool === pool) databasePool = undefined;
    await pool.end();
  };
}

// --- Scraping, across the HTTP processes ----------------------------------

const COLLECT = "leadgraph:metrics-collect";
const COLLECTED = "leadgraph:metrics-collected";
const SCRAPE = "leadgraph:metrics-scrape";
const SCRAPED = "leadgraph:metrics-scraped";
const CLUSTER_TIMEOUT_MS = 3000;

type MetricsJson = Awaited<ReturnType<typeof register.getMetricsAsJSON>>;
let requestCounter = 0;
const pending = new Map<number, (value: unknown) => void>();

/** In the primary: its own metrics added to every HTTP process's (one that does not answer in time is left out). */
async function primaryMetrics(): Promise<string> {
  const own = await register.getMetricsAsJSON();
  const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker?.isConnected());
  const theirs = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<MetricsJson | undefined>((resolve) => {
          const id = ++requestCounter;
          const timer = setTimeout(() => {
            pending.delete(id);
            resolve(undefined);
          }, CLUSTER_TIMEOUT_MS);
          pending.set(id, (metrics) => {
            clearTimeout(timer);
            resolve(metrics as MetricsJson);
          });
          worker!.send({ type: COLLECT, id });
        }),
    ),
  );
  if (workers.length === 0) return register.metrics();
  return AggregatorRegistry.aggregate([own, ...theirs.filter((m): m is MetricsJson => m !== undefined)]).metrics();
}

if (cluster.isPrimary) {
  cluster.on("message", (worker, message: { type?: string; id?: number; metrics?: unknown }) => {
    if (message?.type === COLLECTED && message.id !== undefined) {
      pending.get(message.id)?.(message.metrics);
      pending.delete(message.id);
    } else if (message?.type === SCRAPE) {
      void primaryMetrics().then(
        (text) => worker.send({ type: SCRAPED, id: message.id, text }),
        (error: Error) => worker.send({ type: SCRAPED, id: message.id, error: error.message }),
      );
    }
  });
} else if (process.send) {
  process.on("message", (message: { type?: string; id?: number; text?: string; error?: string }) => {
    if (message?.type === COLLECT) {
      void register.getMetricsAsJSON().then((metrics) => process.send!({ type: COLLECTED, id: message.id, metrics }));
    } else if (message?.type === SCRAPED && message.id !== undefined) {
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    }
  });
}

/** The whole server's metrics, in Prometheus' text format, from whichever process is asked. */
export async function scrapeMetrics(): Promise<string> {
  if (cluster.isPrimary || !process.send) return primaryMetrics();
  const id = ++requestCounter;
  const answer = await new Promise<{ text?: string; error?: string } | undefined>((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve(undefined);
    }, CLUSTER_TIMEOUT_MS * 2);
    pending.set(id, (value) => {
      clearTimeout(timer);
      resolve(value as { text?: string; error?: string });
    });
    process.send!({ type: SCRAPE, id });
  });
  if (answer?.text !== undefined) return answer.text;
  log.warn("metrics: the primary process did not answer; this HTTP process's metrics only", { error: answer?.error });
  return register.metrics();
}

export const METRICS_CONTENT_TYPE = register.contentType;

// --- Access ---------------------------------------------------------------

export type MetricsAccess = Pick<Config, "production"> & { metrics: Config["metrics"] };

/** Whether the API port serves /metrics: "open" (development), "token" (METRICS_TOKEN), or "off". */
export function metricsOnApiPort(config: MetricsAccess): "open" | "token" | "off" {
  if (config.metrics.token) return "token";
  if (!config.production) return "open";
  return "off";
}

/** One line saying where /metrics is served and how it is protected (logged at start). */
export function describeMetricsAccess(config: MetricsAccess & Pick<Config, "host">): string {
  const where = metricsOnApiPort(config);
  const port = config.metrics.port
    ? `, and on port ${config.metrics.port} (METRICS_PORT, ${config.metrics.host ?? config.host}${config.metrics.token ? ", token required" : ""})`
    : "";
  if (where === "off") {
    return config.metrics.port
      ? `/metrics on METRICS_PORT ${config.metrics.port} only (set METRICS_TOKEN to serve it on the API port too)`
      : "/metrics is off in production: set METRICS_TOKEN (scrapers send Authorization: Bearer <token>) or METRICS_PORT (a port only your network reaches) to turn it on";
  }
  return `/metrics on the API port${where === "token" ? " (Bearer METRICS_TOKEN)" : " (open: not production)"}${port}`;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1]?.trim();
  if (!given) return false;
  const a = crypto.createHash("sha256").update(given).digest();
  const b = crypto.createHash("sha256").update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

/** The GET /metrics handler: 404 when off, 401 without the token, else the scrape. */
export function metricsHandler(config: MetricsAccess, mode: "api" | "port" = "api") {
  const access = mode === "port" ? (config.metrics.token ? "token" : "open") : metricsOnApiPort(config);
  return async (req: Request, res: Response) => {
    if (access === "off") {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    if (access === "token" && !tokenMatches(req.headers.authorization, config.metrics.token!)) {
      res.status(401).set("WWW-Authenticate", "Bearer").type("text/plain").send("Send Authorization: Bearer <METRICS_TOKEN>.\n");
      return;
    }
    try {
      const text = await scrapeMetrics();
      res.status(200).set("Content-Type", METRICS_CONTENT_TYPE).send(text);
    } catch (error) {
      log.error("metrics scrape failed", { error });
      res.status(500).type("text/plain").send("The metrics could not be collected.\n");
    }
  };
}

/** METRICS_PORT: /metrics on a port of its own (in the primary: it adds up every process). */
export async function startMetricsServer(
  config: MetricsAccess & Pick<Config, "host">,
): Promise<{ port: number; close(): Promise<void> } | undefined> {
  if (!config.metrics.port) return undefined;
  const handler = metricsHandler(config, "port");
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      return;
    }
    void handler(req as unknown as Request, expressLike(res) as unknown as Response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.metrics.port, config.metrics.host ?? config.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The few express Response methods metricsHandler uses, over a plain node response. */
function expressLike(res: import("node:http").ServerResponse) {
  const wrapped = {
    status(code: number) {
      res.statusCode = code;
      return wrapped;
    },
    set(name: string, value: string) {
      res.setHeader(name, value);
      return wrapped;
    },
    type(type: string) {
      res.setHeader("Content-Type", type);
      return wrapped;
    },
    send(body: string) {
      res.end(body);
      return wrapped;
    },
  };
  return wrapped;
}

/**
 * In the primary of `leadgraph start`, `server` and `worker`: the database's
 * counts for the API's scrapes (once, here, not in each HTTP process), the
 * METRICS_PORT listener, and a line saying where /metrics is. Returns how to stop.
 */
export async function startMonitoring(
  config: MetricsAccess & Pick<Config, "host">,
  db: Pick<Database, "url">,
  parts: { api: boolean },
): Promise<() => Promise<void>> {
  const stopObserving = parts.api ? observeDatabase(db.url) : async () => {};
  const server = await startMetricsServer(config);
  if (parts.api) (metricsOnApiPort(config) === "off" && !config.metrics.port ? log.warn : log.info)(describeMetricsAccess(config));
  else if (server) log.info(`worker metrics on port ${server.port} (METRICS_PORT)`);
  return async () => {
    await server?.close();
    await stopObserving();
  };
}
