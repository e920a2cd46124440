// /metrics: the series a scrape shows after GraphQL requests (one refused, one
// failing) and worker jobs, the database's counts, who may scrape, and one
// scrape adding up several HTTP processes.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import type { TaskList } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, projectRoot } from "../src/config.ts";
import { MAX_OPERATION_NAMES, observeDatabase, operationLabel, startMetricsServer } from "../src/metrics.ts";
import { startWorker } from "../src/worker.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  const stop = observeDatabase(db.url);
  afterAll(stop);
});

/** The samples of a Prometheus text exposition: `name{labels}` -> value. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The value of the sample `name` whose labels include all of `labels` (summed over the others). */
function value(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const [key, v] of samples) {
    const brace = key.indexOf("{");
    if ((brace === -1 ? key : key.slice(0, brace)) !== name) continue;
    if (!Object.entries(labels).every(([k, want]) => key.includes(`${k}="${want}"`))) continue;
    total = (total ?? 0) + v;
  }
  return total;
}

async function scrape(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/metrics`, { headers });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("/metrics", () => {
  it("shows HTTP, GraphQL, worker, queue, import, pool and process series with their labels", async () => {
    expect((await server.graphql("query OfferNames { offers { nodes { offerName } } }")).body.errors).toBeUndefined();
    expect((await server.graphql("query OfferNames { offers { nodes { offerName } } }")).body.errors).toBeUndefined();
    // Refused at validation: no such field.
    const refused = await server.graphql("query Broken { offers { nodes { noSuchField } } }");
    expect(refused.body.errors).toBeDefined();
    // Fails in execution: a variable that is not a UUID.
    const failing = await server.graphql("query BadVariable($id: UUID!) { lead(rowId: $id) { id } }", { id: "not-a-uuid" });
    expect(failing.body.errors).toBeDefined();
    // A name that is not a GraphQL name, and no name at all.
    await server.graphql("{ offers { totalCount } }", {}, {});
    await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ offers { totalCount } }", operationName: "x".repeat(500) }),
    });

    // Worker jobs: one succeeds, one fails its only attempt; one waits for later.
    const taskList: TaskList = {
      metrics_ok: async () => {},
      metrics_broken: async () => {
        throw new Error("broken on purpose");
      },
    };
    const worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 5000, taskList });
    try {
      await db.pool.query(`select graphile_worker.add_job('metrics_ok', '{}')`);
      await db.pool.query(`select graphile_worker.add_job('metrics_broken', '{}', max_attempts => 1)`);
      await db.pool.query(`select graphile_worker.add_job('metrics_ok', '{}', run_at => now() + interval '1 hour')`);
      await waitFor(async () => {
        const samples = parse((await scrape(server.url)).text);
        return (
          (value(samples, "leadgraph_worker_jobs_total", { task: "metrics_broken", outcome: "failed" }) ?? 0) >= 1 &&
          (value(samples, "leadgraph_worker_jobs_total", { task: "metrics_ok", outcome: "success" }) ?? 0) >= 1
        );
      });
    } finally {
      await worker.stop();
    }
    // A CSV import waiting for the worker, with rows.
    await db.pool.query(`
      with i as (insert into csv_imports_raw (file_name, total_rows, failed_rows) values ('metrics.csv', 3, 0) returning id)
      insert into csv_import_rows (csv_import_id, row_number, raw_row) select id, n, '{"email": "a@b.c"}' from i, generate_series(1, 3) n`);

    const { status, type, text } = await scrape(server.url);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parse(text);

    // HTTP by route, method and status.
    expect(
      value(samples, "leadgraph_http_request_duration_seconds_count", { route: "/graphql", method: "POST", status: "200" }),
    ).toBeGreaterThanOrEqual(5);
    expect(text).toContain("# TYPE leadgraph_http_request_errors_total counter");
    // GraphQL by operation name and outcome; errors by operation and code.
    expect(value(samples, "leadgraph_graphql_request_duration_seconds_count", { operation: "OfferNames", outcome: "ok" })).toBe(2);
    expect(value(samples, "leadgraph_graphql_request_duration_seconds_count", { operation: "Broken", outcome: "error" })).toBe(1);
    expect(value(samples, "leadgraph_graphql_errors_total", { operation: "Broken", code: "GRAPHQL_VALIDATION_FAILED" })).toBe(1);
    expect(value(samples, "leadgraph_graphql_errors_total", { operation: "BadVariable", code: "BAD_USER_INPUT" })).toBe(1);
    expect(value(samples, "leadgraph_graphql_request_duration_seconds_count", { operation: "anonymous" })).toBeGreaterThanOrEqual(1);
    expect(value(samples, "leadgraph_graphql_request_duration_seconds_count", { operation: "invalid" })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("x".repeat(100));
    // Worker jobs by task and outcome, and how long they ran.
    expect(value(samples, "leadgraph_worker_jobs_total", { task: "metrics_ok", outcome: "success" })).toBe(1);
    expect(value(samples, "leadgraph_worker_jobs_total", { task: "metrics_broken", outcome: "failed" })).toBe(1);
    expect(value(samples, "leadgraph_worker_job_duration_seconds_count", { task: "metrics_ok", outcome: "success" })).toBe(1);
    // The queue, read from the database at scrape time.
    expect(value(samples, "leadgraph_worker_queue_jobs", { task: "metrics_ok", state: "scheduled" })).toBe(1);
    expect(value(samples, "leadgraph_worker_queue_jobs", { task: "metrics_broken", state: "failed" })).toBe(1);
    // Imports by status, their progress and rejects; the sources' rejects and what is left to normalise.
    expect(value(samples, "leadgraph_csv_imports", { status: "uploaded" })).toBe(1);
    expect(value(samples, "leadgraph_csv_imports", { status: "failed" })).toBe(0);
    expect(value(samples, "leadgraph_csv_import_rows_pending")).toBe(3);
    expect(value(samples, "leadgraph_csv_import_rows_rejected")).toBe(0);
    expect(value(samples, "leadgraph_normalization_pending", { source: "instantly", what: "all" })).toBe(0);
    expect(value(samples, "leadgraph_normalization_pending", { source: "vapi", what: "all" })).toBe(0);
    expect(text).toContain("# TYPE leadgraph_source_rejects gauge");
    expect(text).toContain("# TYPE leadgraph_sync_runs gauge");
    expect(value(samples, "leadgraph_database_scrape_up")).toBe(1);
    expect(value(samples, "leadgraph_database_scrape_duration_seconds")).toBeGreaterThan(0);
    // Pools: the API's and the health check's own.
    expect(value(samples, "leadgraph_db_pool_max", { pool: "health" })).toBe(1);
    expect(value(samples, "leadgraph_db_pool_connections", { pool: "api", state: "total" })).toBeGreaterThanOrEqual(1);
    expect(value(samples, "leadgraph_db_pool_waiting", { pool: "api" })).toBe(0);
    // The default process metrics.
    expect(value(samples, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(value(samples, "nodejs_eventloop_lag_seconds")).toBeDefined();
  });

  it("bounds the operation label: invalid and over-long names, and new names past the cap", () => {
    expect(operationLabel(undefined)).toBe("anonymous");
    expect(operationLabel("Lead Timeline")).toBe("invalid");
    expect(operationLabel("a".repeat(65))).toBe("invalid");
    expect(operationLabel(42)).toBe("invalid");
    for (let i = 0; i < MAX_OPERATION_NAMES + 10; i++) operationLabel(`Generated${i}`);
    expect(operationLabel("GeneratedAfterTheCap")).toBe("other");
    // Names seen before the cap keep their label.
    expect(operationLabel("Generated0")).toBe("Generated0");
  });

  it("is off in production without a token (404), and asks for the token when one is set (401)", async () => {
    const off = await startTestServer(db, {
      production: true,
      jwtSecret: "metrics-test-secret",
      metrics: { token: undefined, port: undefined, host: undefined },
    });
    expect((await scrape(off.url)).status).toBe(404);
    const token = "metrics-test-token-1234";
    const guarded = await startTestServer(db, {
      production: true,
      jwtSecret: "metrics-test-secret",
      metrics: { token, port: undefined, host: undefined },
    });
    expect((await scrape(guarded.url)).status).toBe(401);
    expect((await scrape(guarded.url, { authorization: "Bearer wrong-token" })).status).toBe(401);
    const ok = await scrape(guarded.url, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("leadgraph_http_request_duration_seconds");
  });

  it("serves METRICS_PORT on a port of its own", async () => {
    const port = await freePort();
    const metricsServer = await startMetricsServer({
      production: true,
      host: "127.0.0.1",
      metrics: { token: undefined, port, host: "127.0.0.1" },
    });
    try {
      const { status, text } = await scrape(`http://127.0.0.1:${port}`);
      expect(status).toBe(200);
      expect(text).toContain("leadgraph_worker_jobs_total");
      expect((await fetch(`http://127.0.0.1:${port}/graphql`)).status).toBe(404);
    } finally {
      await metricsServer!.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe("/metrics with several HTTP processes", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill("SIGKILL");
  });

  it("adds up every process in one scrape, whichever process answers", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: db.url,
      AUTH_DATABASE_URL: db.authUrl,
      PORT: String(await freePort()),
      WEB_CONCURRENCY: "2",
    };
    for (const name of ["ROOT_DATABASE_URL", "SHADOW_DATABASE_URL", "NODE_ENV", "JWT_SECRET", "METRICS_TOKEN", "METRICS_PORT"])
      delete env[name];
    child = spawn(process.execPath, [path.join(projectRoot, "bin", "leadgraph.js"), "server", "--no-migrate"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /GraphQL API at (http:\/\/\S+)\/graphql/.exec(output);
        if (match && /ready/.test(output)) resolve(match[1]!);
      };
      child!.stdout!.on("data", onData);
      child!.stderr!.on("data", onData);
      child!.once("exit", (code) => reject(new Error(`leadgraph server exited (${code}):\n${output}`)));
    });
    const requests = 12;
    for (let i = 0; i < requests; i++) {
      // A new connection each time, so the primary hands them to both processes.
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", connection: "close" },
        body: JSON.stringify({ query: "query ClusterCount { offers { totalCount } }" }),
      });
      expect(response.status).toBe(200);
    }
    // Readiness in an HTTP process asks the primary, which holds the owner connection, about migrations.
    for (let i = 0; i < 2; i++)
      expect(await (await fetch(`${url}/readyz`, { headers: { connection: "close" } })).json()).toEqual({ status: "ready" });
    for (let i = 0; i < 3; i++) {
      const { status, text } = await scrape(url, { connection: "close" });
      expect(status).toBe(200);
      const samples = parse(text);
      expect(value(samples, "leadgraph_graphql_request_duration_seconds_count", { operation: "ClusterCount" })).toBe(requests);
      // The primary's database counts are in it once.
      expect(value(samples, "leadgraph_database_scrape_up")).toBe(1);
      expect(value(samples, "leadgraph_db_pool_max", { pool: "health" })).toBe(2);
    }
  }, 60_000);
});
