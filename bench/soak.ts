// npm run bench:soak [-- --minutes <n>]
//
// leadgraph as a user runs it (`bin/leadgraph.js start`: an embedded
// PostgreSQL in a temporary data directory, the API and the worker), the fake
// Instantly and fake VAPI servers (in this process, as in bench/sync.ts), and
// for the configured time, all at once:
//   reads      the documented queries (docs/queries: lead timeline, campaign
//              dashboard, company, search, import status) at a few
//              connections, paced to a target rate, with values sampled from
//              what the database holds
//   imports    an Apollo-like CSV (POST /imports) every few seconds, part of
//              its rows already imported before (the dedup path)
//   webhooks   Instantly deliveries (POST /webhooks/instantly) at a steady
//              rate, each a new open or click; VAPI's status updates and
//              end-of-call reports for the inbound calls the fake receives
//   syncs      new emails in the fake workspace, then an Instantly sync (and a
//              VAPI sync) asked for through GraphQL, every so often
// Every interval it prints one line: the memory of leadgraph's Node
// process(es) and of its PostgreSQL, GraphQL req/s and latency, webhook
// latency, the errors of each kind, the job queue and row counts. At the end,
// after the load stops and the queue drains: the first interval against the
// last, the totals, what every delivery and upload became, the machine
// (bench/report.ts) and a verdict line: the measurements against the
// thresholds it prints with them.
//
// Options (environment): SOAK_MINUTES (5; also --minutes), SOAK_INTERVAL_SECONDS
// (30), SOAK_CONNECTIONS (4: GraphQL clients), SOAK_READS_PER_SECOND (40, over
// all clients; they go flat out if the server is slower), SOAK_IMPORT_SECONDS
// (20), SOAK_IMPORT_ROWS (1000), SOAK_WEBHOOKS_PER_SECOND (10), SOAK_SYNC_SECONDS
// (60), SOAK_NEW_EMAILS (300 per sync), SOAK_WEB_CONCURRENCY (1: the API and
// the worker in one Node process, so one RSS to watch); SOAK_KEEP_DATA=1 keeps
// the temporary folder (data directory and leadgraph's log) to look into.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig, projectRoot } from "../src/config.ts";
import { currentDatabaseUrl } from "../src/database/index.ts";
import { startFakeInstantly } from "../tools/fake-instantly/server.ts";
import { webhookPayloadsFor } from "../tools/fake-instantly/webhooks.ts";
import { startFakeVapi } from "../tools/fake-vapi/server.ts";
import { formatTable, machineLine } from "./report.ts";

const { values: flags } = parseArgs({ options: { minutes: { type: "string" } } });
const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${process.env[name]}"`);
  return value;
};
const MINUTES = flags.minutes !== undefined ? Number(flags.minutes) : env("SOAK_MINUTES", 5);
if (!Number.isFinite(MINUTES) || MINUTES <= 0) throw new Error(`--minutes must be a positive number, got "${flags.minutes}"`);
const INTERVAL_SECONDS = env("SOAK_INTERVAL_SECONDS", 30);
const CONNECTIONS = env("SOAK_CONNECTIONS", 4);
const READS_PER_SECOND = env("SOAK_READS_PER_SECOND", 40);
const IMPORT_SECONDS = env("SOAK_IMPORT_SECONDS", 20);
const IMPORT_ROWS = env("SOAK_IMPORT_ROWS", 1000);
const WEBHOOKS_PER_SECOND = env("SOAK_WEBHOOKS_PER_SECOND", 10);
const SYNC_SECONDS = env("SOAK_SYNC_SECONDS", 60);
const NEW_EMAILS = env("SOAK_NEW_EMAILS", 300);
const WEB_CONCURRENCY = env("SOAK_WEB_CONCURRENCY", 1);
/** After the load: how long the worker gets to finish what was queued. */
const DRAIN_SECONDS = 120;

const INSTANTLY_KEY = "soak-instantly-key";
const INSTANTLY_SECRET = "soak-instantly-webhook-secret";
const VAPI_KEY = "soak-vapi-key";
const VAPI_SECRET = "soak-vapi-webhook-secret";
const JWT_SECRET = "soak-jwt-secret";
const METRICS_TOKEN = "soak-metrics-token";

const log = (message: string) => console.error(`bench: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------- measurements

/** Latencies (ms) and counts of one kind of request in one interval. */
class Window {
  latencies: number[] = [];
  ok = 0;
  failed = 0;
  record(ms: number, ok: boolean) {
    this.latencies.push(ms);
    if (ok) this.ok++;
    else this.failed++;
  }
  percentile(p: number): number {
    if (!this.latencies.length) return NaN;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
}

interface Errors {
  /** GraphQL answers that were not 2xx, or no answer (connection refused, reset). */
  graphqlHttp: number;
  /** 2xx answers carrying `errors`. */
  graphqlErrors: number;
  /** Uploads refused, and imports that ended failed. */
  imports: number;
  /** Instantly deliveries not answered 2xx. */
  webhooks: number;
  /** Sync requests refused, and runs that ended other than completed. */
  syncs: number;
}
const noErrors = (): Errors => ({ graphqlHttp: 0, graphqlErrors: 0, imports: 0, webhooks: 0, syncs: 0 });
const errorTotal = (e: Errors) => e.graphqlHttp + e.graphqlErrors + e.imports + e.webhooks + e.syncs;

interface Sample {
  elapsedSeconds: number;
  nodeMb: number;
  /** V8's used heap of leadgraph's processes (prom-client's nodejs_heap_size_used_bytes on /metrics). */
  heapMb: number;
  postgresMb: number;
  graphqlRps: number;
  graphqlP50: number;
  graphqlP99: number;
  webhookRps: number;
  webhookP99: number;
  importsDone: number;
  importP50Seconds: number;
  syncsDone: number;
  errors: Errors;
  queueReady: number;
  queueRunning: number;
  queueFailed: number;
  leads: number;
  events: number;
  webhooksStored: number;
}

/** Every process under `pid` (itself included), from /proc. */
function processTree(pid: number): Array<{ pid: number; command: string }> {
  const all = fs.readdirSync("/proc").flatMap((d) => {
    if (!/^\d+$/.test(d)) return [];
    try {
      const text = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const command = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      return [{ pid: Number(d), ppid: Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]), command }];
    } catch {
      return []; // exited meanwhile
    }
  });
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all)
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
  }
  return all.filter((p) => tree.has(p.pid));
}

/** A /proc/<pid>/<file> field in kB ("VmRSS", "Pss"); 0 when the process is gone or the field missing. */
function procKb(pid: number, file: string, field: string): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/${file}`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Memory under leadgraph's process, MB: its Node processes' VmRSS, and its
 * PostgreSQL processes' proportional set size (Pss: shared pages split between
 * the processes sharing them; summed RSS would count shared_buffers once per
 * backend), VmRSS where the kernel has no smaps_rollup.
 */
function memory(pid: number): { nodeMb: number; postgresMb: number } {
  let node = 0;
  let postgres = 0;
  for (const p of processTree(pid)) {
    if (p.command.startsWith("postgres")) postgres += procKb(p.pid, "smaps_rollup", "Pss") || procKb(p.pid, "status", "VmRSS");
    else node += procKb(p.pid, "status", "VmRSS");
  }
  return { nodeMb: node / 1024, postgresMb: postgres / 1024 };
}

// -------------------------------------------------------------- the load

const HEADER = "First Name,Last Name,Title,Company Name,Email,Email Status,Seniority,Website,City,Country,# Employees,Industry";

/** Import `n`'s CSV: new people, plus a tenth of the previous import's again (duplicates to merge). */
function csvFor(n: number): string {
  const lines = [HEADER];
  const repeat = n > 1 ? Math.floor(IMPORT_ROWS / 10) : 0;
  for (let i = 0; i < IMPORT_ROWS; i++) {
    const person = i < repeat ? `${n - 1}-${i}` : `${n}-${i}`;
    const company = `soak${n % 50}-${i % 100}`;
    lines.push(
      `First${i},Last ${person},Head of Growth,"Soak Company ${company}, Inc.",person${person}@${company}.example,Verified,Director,` +
        `https://${company}.example,Austin,United States,${10 + (i % 500)},computer software`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Values the reads pick from, refreshed every interval from the database (imports and syncs add to them). */
interface Targets {
  emails: string[];
  campaigns: string[];
  domains: string[];
  imports: string[];
}
const SEARCH_WORDS = ["pricing", "meeting", "quick", "question", "follow", "demo", "interested", "call"];

async function sampleTargets(db: pg.Pool): Promise<Targets> {
  const column = async (sql: string) => (await db.query(sql)).rows.map((r) => r.v as string);
  return {
    emails: await column("select email as v from leads where email is not null order by random() limit 500"),
    campaigns: await column("select id as v from campaigns"),
    domains: await column("select company_domain as v from companies where company_domain is not null order by random() limit 200"),
    imports: await column("select id as v from csv_imports_raw order by uploaded_at desc limit 50"),
  };
}

const pick = <T>(items: T[], n: number): T | undefined => items[n % Math.max(1, items.length)];

interface Read {
  name: string;
  query: string;
  variables: (n: number, t: Targets) => Record<string, unknown> | undefined;
}

function reads(): Read[] {
  const read = (name: string) => fs.readFileSync(path.join(projectRoot, "docs", "queries", `${name}.graphql`), "utf8");
  const some = (value: string | undefined, make: (v: string) => Record<string, unknown>) => (value ? make(value) : undefined);
  return [
    {
      name: "lead-timeline",
      query: read("lead-timeline"),
      variables: (n, t) => some(pick(t.emails, n), (email) => ({ email, first: 20 })),
    },
    {
      name: "campaign-dashboard",
      query: read("campaign-dashboard"),
      variables: (n, t) => some(pick(t.campaigns, n), (campaignId) => ({ campaignId })),
    },
    { name: "company", query: read("company"), variables: (n, t) => some(pick(t.domains, n), (domain) => ({ domain })) },
    { name: "search", query: read("search"), variables: (n) => ({ query: SEARCH_WORDS[n % SEARCH_WORDS.length], first: 20 }) },
    { name: "import-status", query: read("import-status"), variables: (n, t) => some(pick(t.imports, n), (importId) => ({ importId })) },
  ];
}

// ------------------------------------------------------------------ leadgraph

async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `bin/leadgraph.js <args>` to its end; its stdout. */
function leadgraphOnce(args: string[], childEnv: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, "bin", "leadgraph.js"), ...args], {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`leadgraph ${args.join(" ")} exited ${code}: ${err}`))));
  });
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]) || undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// --------------------------------------------------------------------- main

async function main() {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "leadgraph-soak-"));
  const dataDir = path.join(tempDir, "data");
  let app: ChildProcess | undefined;
  let db: pg.Pool | undefined;
  const closers: Array<() => Promise<void>> = [];
  // Ctrl-C: stop what we started, remove the data directory.
  let interrupted = false;
  const cleanup = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    closers.length = 0;
    await db?.end().catch(() => {});
    db = undefined;
    if (app && app.exitCode === null && app.signalCode === null) {
      const exited = new Promise((resolve) => app!.once("exit", resolve));
      app.kill("SIGTERM");
      if ((await Promise.race([exited.then(() => true), sleep(60_000).then(() => false)])) === false) app.kill("SIGKILL");
    }
    // A PostgreSQL left behind by a killed leadgraph: ours, by its data directory's postmaster.pid.
    const pid = postmasterPid(dataDir);
    if (alive(pid)) process.kill(pid!, "SIGQUIT");
    if (process.env.SOAK_KEEP_DATA) log(`kept ${tempDir} (SOAK_KEEP_DATA): leadgraph's data directory and log`);
    else fs.rmSync(tempDir, { recursive: true, force: true });
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${signal}: stopping`);
      void cleanup().then(() => process.exit(130));
    });

  try {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const instantly = await startFakeInstantly({ campaigns: 8, accounts: 8, emails: 4000, rateLimits: false, apiKey: INSTANTLY_KEY });
    closers.push(() => instantly.close());
    const vapi = await startFakeVapi({
      apiKey: VAPI_KEY,
      calls: 200,
      // A call's lifecycle (ringing, talk) in seconds rather than minutes.
      timeScale: 30,
      webhookUrl: `${baseUrl}/webhooks/vapi`,
      webhookAuth: { kind: "bearer", secret: VAPI_SECRET },
    });
    closers.push(() => vapi.close());

    const appEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      GRAPHILE_ENV: "production",
      JWT_SECRET,
      LEADGRAPH_DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      PORT: String(port),
      WEB_CONCURRENCY: String(WEB_CONCURRENCY),
      INSTANTLY_API_URL: instantly.url,
      INSTANTLY_API_KEY: INSTANTLY_KEY,
      INSTANTLY_WEBHOOK_SECRET: INSTANTLY_SECRET,
      INSTANTLY_RATE_LIMITS: "false",
      VAPI_API_URL: vapi.url,
      VAPI_API_KEY: VAPI_KEY,
      VAPI_WEBHOOK_SECRET: VAPI_SECRET,
      // /metrics on the API port: its heap figures tell a growing heap from memory the allocator keeps.
      METRICS_TOKEN,
    };
    for (const name of [
      "DATABASE_URL",
      "AUTH_DATABASE_URL",
      "ROOT_DATABASE_URL",
      "SHADOW_DATABASE_URL",
      "LEADGRAPH_PG_PORT",
      "METRICS_PORT",
    ])
      delete appEnv[name];

    // Its log (JSON lines in production) to a file: counted at the end.
    const logFile = path.join(tempDir, "leadgraph.log");
    const logFd = fs.openSync(logFile, "a");
    const startedAt = performance.now();
    app = spawn(process.execPath, [path.join(projectRoot, "bin", "leadgraph.js"), "start"], {
      env: appEnv,
      stdio: ["ignore", logFd, logFd],
    });
    fs.closeSync(logFd);
    const appPid = app.pid!;
    let appExit: string | undefined;
    app.once("exit", (code, signal) => (appExit = `leadgraph exited (${signal ?? code})`));
    for (;;) {
      if (appExit) throw new Error(`${appExit} while starting:\n${fs.readFileSync(logFile, "utf8").slice(-4000)}`);
      if (performance.now() - startedAt > 180_000) throw new Error("leadgraph did not answer /readyz within 180 s");
      const ready = await fetch(`${baseUrl}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      await sleep(200);
    }
    log(`leadgraph ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (pid ${appPid}, ${WEB_CONCURRENCY} HTTP process(es))`);

    const ownerUrl = await currentDatabaseUrl(loadConfig({ ...appEnv }));
    if (!ownerUrl) throw new Error("cannot find the embedded PostgreSQL of the soak's data directory");
    db = new pg.Pool({ connectionString: ownerUrl, max: 2 });
    const postgresVersion = (await db.query("show server_version")).rows[0].server_version as string;
    const machine = machineLine(postgresVersion);
    const token = (await leadgraphOnce(["token", "--email", "soak@example.test", "--expires", "1d"], appEnv)).trim();
    const auth = { authorization: `Bearer ${token}` };

    const graphql = async (query: string, variables?: Record<string, unknown>) => {
      const response = await fetch(`${baseUrl}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify({ query, variables }),
      });
      const body = response.ok ? ((await response.json()) as { data?: any; errors?: Array<{ message: string }> }) : undefined;
      if (!response.ok) await response.body?.cancel();
      return { status: response.status, body };
    };

    // ---- the counters
    let window = { graphql: new Window(), webhooks: new Window(), importSeconds: [] as number[], syncs: 0, errors: noErrors() };
    const totals = {
      graphql: 0,
      webhooksSent: 0,
      webhooksOk: 0,
      uploads: 0,
      uploadedRows: 0,
      imports: 0,
      syncRequests: 0,
      syncs: 0,
      errors: noErrors(),
    };
    const errorMessages = new Map<string, number>();
    /** Every GraphQL latency of the soak, by operation. */
    const byOperation = new Map<string, number[]>();
    const noteError = (kind: keyof Errors, message: string) => {
      window.errors[kind]++;
      totals.errors[kind]++;
      const key = `${kind}: ${message.slice(0, 160)}`;
      errorMessages.set(key, (errorMessages.get(key) ?? 0) + 1);
    };

    // ---- a first sync and import, so that the reads have something to read
    const requestSync = async () => {
      const instantlySync = await graphql(
        "mutation { createInstantlySyncRequest(input: { instantlySyncRequest: {} }) { instantlySyncRequest { rowId } } }",
      );
      const vapiSync = await graphql("mutation { createVapiSyncRequest(input: { vapiSyncRequest: {} }) { vapiSyncRequest { rowId } } }");
      for (const [name, r] of [
        ["instantly", instantlySync],
        ["vapi", vapiSync],
      ] as const) {
        totals.syncRequests++;
        if (r.status !== 200 || r.body?.errors)
          noteError("syncs", `${name} sync request: ${r.status} ${r.body?.errors?.[0]?.message ?? ""}`);
      }
    };
    let importNumber = 0;
    const pendingImports = new Map<string, number>();
    const upload = async () => {
      const n = ++importNumber;
      const started = Date.now();
      try {
        const response = await fetch(`${baseUrl}/imports?filename=soak-${n}.csv`, {
          method: "POST",
          headers: { "content-type": "text/csv", ...auth },
          body: csvFor(n),
        });
        const body = (await response.json().catch(() => ({}))) as { importId?: string; error?: string };
        totals.uploads++;
        if (response.status !== 200 && response.status !== 201) noteError("imports", `upload ${response.status} ${body.error ?? ""}`);
        else {
          totals.uploadedRows += IMPORT_ROWS;
          pendingImports.set(body.importId!, started);
        }
      } catch (error) {
        noteError("imports", `upload: ${(error as Error).message}`);
      }
    };
    await requestSync();
    await upload();
    const seededBy = performance.now() + 120_000;
    for (;;) {
      const { rows } = await db.query(
        `select (select count(*) from instantly_sync_runs where status <> 'running')::int as runs,
                (select count(*) from events)::int as events,
                (select count(*) from csv_imports_raw where import_status like 'completed%')::int as imports`,
      );
      if (rows[0].runs > 0 && rows[0].events > 0 && rows[0].imports > 0) break;
      if (performance.now() > seededBy) throw new Error(`nothing to read after 120 s: ${JSON.stringify(rows[0])}`);
      await sleep(500);
    }
    let targets = await sampleTargets(db);
    log(
      `seeded: ${targets.campaigns.length} campaigns, ${targets.emails.length} sampled emails; soaking for ${MINUTES} min, ` +
        `a line every ${INTERVAL_SECONDS} s`,
    );

    // ---- the load
    const soakStart = performance.now();
    const soakEnd = soakStart + MINUTES * 60_000;
    const running = () => performance.now() < soakEnd && !interrupted;
    const tasks: Array<Promise<void>> = [];
    const operations = reads();
    let readNumber = 0;
    // Paced clients: each has its share of the rate, and runs flat out if the server is slower.
    const gap = (1000 * CONNECTIONS) / READS_PER_SECOND;
    for (let c = 0; c < CONNECTIONS; c++)
      tasks.push(
        (async () => {
          let next = performance.now() + (c * gap) / CONNECTIONS;
          while (running()) {
            await sleep(Math.max(0, next - performance.now()));
            next = Math.max(next + gap, performance.now() - gap);
            const n = readNumber++;
            const op = operations[n % operations.length]!;
            const variables = op.variables(Math.floor(n / operations.length) * 7919 + c, targets);
            if (!variables) continue;
            const started = performance.now();
            try {
              const { status, body } = await graphql(op.query, variables);
              const ms = performance.now() - started;
              totals.graphql++;
              if (status !== 200) noteError("graphqlHttp", `${op.name}: HTTP ${status}`);
              else if (body?.errors?.length) noteError("graphqlErrors", `${op.name}: ${body.errors[0]!.message}`);
              window.graphql.record(ms, status === 200 && !body?.errors?.length);
              if (!byOperation.has(op.name)) byOperation.set(op.name, []);
              byOperation.get(op.name)!.push(ms);
            } catch (error) {
              window.graphql.record(performance.now() - started, false);
              noteError("graphqlHttp", `${op.name}: ${(error as Error).message}`);
            }
          }
        })(),
      );

    // Webhooks: new opens and clicks at a steady rate (each its own time: a new event, not a redelivery).
    const payloads = webhookPayloadsFor(instantly.data, { perType: 200 }).filter((p) =>
      ["email_opened", "link_clicked"].includes((p as { event_type: string }).event_type),
    );
    const webhookStart = Date.now();
    tasks.push(
      (async () => {
        const inFlight = new Set<Promise<void>>();
        for (let n = 0; running(); n++) {
          await sleep(Math.max(0, soakStart + (n * 1000) / WEBHOOKS_PER_SECOND - performance.now()));
          // Its time is its send time: unique per delivery, never in the future.
          const payload = {
            ...payloads[n % payloads.length],
            timestamp: new Date(webhookStart + Math.round((n * 1000) / WEBHOOKS_PER_SECOND)).toISOString(),
          };
          const delivery = (async () => {
            const started = performance.now();
            try {
              const response = await fetch(`${baseUrl}/webhooks/instantly`, {
                method: "POST",
                headers: {
                  "content-type": "application/json",
                  "user-agent": "axios/0.21.4",
                  "x-leadgraph-webhook-secret": INSTANTLY_SECRET,
                },
                body: JSON.stringify(payload),
              });
              await response.body?.cancel();
              totals.webhooksSent++;
              window.webhooks.record(performance.now() - started, response.ok);
              if (response.ok) totals.webhooksOk++;
              else noteError("webhooks", `HTTP ${response.status}`);
            } catch (error) {
              totals.webhooksSent++;
              window.webhooks.record(performance.now() - started, false);
              noteError("webhooks", (error as Error).message);
            }
          })();
          inFlight.add(delivery);
          void delivery.finally(() => inFlight.delete(delivery));
        }
        await Promise.all(inFlight);
      })(),
    );

    const every = (seconds: number, run: () => Promise<void>) =>
      tasks.push(
        (async () => {
          for (let n = 1; ; n++) {
            await sleep(Math.max(0, soakStart + n * seconds * 1000 - performance.now()));
            if (!running()) return;
            await run();
          }
        })(),
      );
    every(IMPORT_SECONDS, upload);
    every(SYNC_SECONDS, async () => {
      instantly.addEmails(NEW_EMAILS);
      for (let i = 0; i < 3; i++) vapi.createInboundCall({ number: `+1512555${String(importNumber * 10 + i).padStart(4, "0")}` });
      await requestSync();
    });

    // ---- each interval
    const samples: Sample[] = [];
    const seenRuns = new Set<string>();
    const checkProgress = async () => {
      // Imports finished since the last look: from the upload's start (this clock) to processing_completed_at (the
      // database's, on this machine), so the time does not depend on when we look.
      if (pendingImports.size) {
        const { rows } = await db!.query(
          "select id, import_status, extract(epoch from processing_completed_at) * 1000 as done_ms from csv_imports_raw where id = any($1)",
          [[...pendingImports.keys()]],
        );
        for (const row of rows) {
          if (!["completed", "completed_with_errors", "failed"].includes(row.import_status)) continue;
          window.importSeconds.push((Number(row.done_ms) - pendingImports.get(row.id)!) / 1000);
          pendingImports.delete(row.id);
          totals.imports++;
          if (row.import_status === "failed") noteError("imports", `import ended ${row.import_status}`);
        }
      }
      const { rows: runs } = await db!.query(
        `select id, 'instantly' as source, status, error from instantly_sync_runs where status <> 'running'
         union all select id, 'vapi', status, error from vapi_sync_runs where status <> 'running'`,
      );
      for (const run of runs) {
        if (seenRuns.has(run.id)) continue;
        seenRuns.add(run.id);
        window.syncs++;
        totals.syncs++;
        if (run.status !== "completed") noteError("syncs", `${run.source} run ${run.status}: ${run.error ?? ""}`);
      }
    };
    const databaseCounts = async () =>
      (
        await db!.query(
          `select count(*) filter (where locked_at is null and attempts < max_attempts and run_at <= now())::int as ready,
                  count(*) filter (where locked_at is not null)::int as running,
                  count(*) filter (where locked_at is null and attempts >= max_attempts)::int as failed,
                  (select count(*) from leads)::int as leads,
                  (select count(*) from events)::int as events,
                  (select coalesce(sum(deliveries), 0) from instantly_webhooks_raw)::int as webhooks
           from graphile_worker.jobs`,
        )
      ).rows[0];

    const columns: Array<[string, number]> = [
      ["elapsed", 7],
      ["node MB", 8],
      ["heap MB", 8],
      ["pg MB", 7],
      ["gql/s", 6],
      ["p50 ms", 7],
      ["p99 ms", 7],
      ["hook/s", 7],
      ["hook p99", 9],
      ["imports", 8],
      ["imp s", 6],
      ["syncs", 6],
      ["errors h/g/i/w/s", 17],
      ["queue r/run/f", 14],
      ["leads", 8],
      ["events", 9],
      ["hooks stored", 12],
    ];
    const line = (cells: string[]) => cells.map((c, i) => c.padStart(columns[i]![1])).join(" ");
    console.log(`\nleadgraph bench:soak: ${MINUTES} min, a line every ${INTERVAL_SECONDS} s`);
    console.log(
      `load: ${CONNECTIONS} GraphQL clients at ${READS_PER_SECOND} req/s in all (${operations.map((o) => o.name).join(", ")}), ` +
        `a ${IMPORT_ROWS}-row CSV every ${IMPORT_SECONDS} s, ${WEBHOOKS_PER_SECOND} Instantly webhooks/s, ` +
        `an Instantly and a VAPI sync every ${SYNC_SECONDS} s (${NEW_EMAILS} new emails, 3 inbound calls each)`,
    );
    console.log(line(columns.map(([name]) => name)));
    const sampleNow = async (): Promise<Sample> => {
      const seconds = INTERVAL_SECONDS;
      await checkProgress();
      const counts = await databaseCounts();
      const w = window;
      window = { graphql: new Window(), webhooks: new Window(), importSeconds: [], syncs: 0, errors: noErrors() };
      const importTimes = [...w.importSeconds].sort((a, b) => a - b);
      return {
        elapsedSeconds: (performance.now() - soakStart) / 1000,
        ...memory(appPid),
        heapMb: await heapMb(),
        graphqlRps: w.graphql.latencies.length / seconds,
        graphqlP50: w.graphql.percentile(50),
        graphqlP99: w.graphql.percentile(99),
        webhookRps: w.webhooks.latencies.length / seconds,
        webhookP99: w.webhooks.percentile(99),
        importsDone: importTimes.length,
        importP50Seconds: importTimes.length ? importTimes[Math.floor(importTimes.length / 2)]! : NaN,
        syncsDone: w.syncs,
        errors: w.errors,
        queueReady: counts.ready,
        queueRunning: counts.running,
        queueFailed: counts.failed,
        leads: counts.leads,
        events: counts.events,
        webhooksStored: counts.webhooks,
      };
    };
    const heapMb = async () => {
      try {
        const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        const text = await response.text();
        const values = [...text.matchAll(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/gm)].map((m) => Number(m[1]));
        return values.length ? values.reduce((a, b) => a + b, 0) / 2 ** 20 : NaN;
      } catch {
        return NaN;
      }
    };
    const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "-");
    const printSample = (s: Sample) =>
      console.log(
        line([
          `${Math.round(s.elapsedSeconds)}s`,
          fmt(s.nodeMb),
          fmt(s.heapMb),
          fmt(s.postgresMb),
          fmt(s.graphqlRps, 1),
          fmt(s.graphqlP50, 1),
          fmt(s.graphqlP99, 1),
          fmt(s.webhookRps, 1),
          fmt(s.webhookP99, 1),
          String(s.importsDone),
          fmt(s.importP50Seconds, 1),
          String(s.syncsDone),
          [s.errors.graphqlHttp, s.errors.graphqlErrors, s.errors.imports, s.errors.webhooks, s.errors.syncs].join("/"),
          `${s.queueReady}/${s.queueRunning}/${s.queueFailed}`,
          String(s.leads),
          String(s.events),
          String(s.webhooksStored),
        ]),
      );
    for (let n = 1; performance.now() < soakEnd - 1000 && !interrupted; n++) {
      await sleep(Math.max(0, soakStart + n * INTERVAL_SECONDS * 1000 - performance.now()));
      if (appExit) throw new Error(`${appExit} during the soak`);
      targets = await sampleTargets(db).catch(() => targets);
      const sample = await sampleNow();
      samples.push(sample);
      printSample(sample);
    }
    await Promise.all(tasks);
    if (interrupted) return;

    // ---- after the load: the queue drains, every upload and delivery is accounted for
    const drainStart = performance.now();
    let drained = false;
    while (performance.now() - drainStart < DRAIN_SECONDS * 1000) {
      await checkProgress();
      const { rows } = await db.query(
        `select (select count(*) from graphile_worker.jobs
                 where locked_at is not null or (attempts < max_attempts and run_at <= now()))::int as jobs,
                (select count(*) from leadgraph_private.instantly_left_to_normalize)::int as instantly,
                (select count(*) from leadgraph_private.vapi_pending)::int as vapi,
                (select count(*) from instantly_sync_runs where status = 'running')::int
                  + (select count(*) from vapi_sync_runs where status = 'running')::int as syncs`,
      );
      if (!pendingImports.size && rows[0].jobs === 0 && rows[0].instantly === 0 && rows[0].vapi === 0 && rows[0].syncs === 0) {
        drained = true;
        break;
      }
      await sleep(500);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    await vapi.flushWebhooks();
    const after = memory(appPid);
    const final = (
      await db.query(
        `select (select coalesce(sum(deliveries), 0) from instantly_webhooks_raw)::int as deliveries,
                (select count(*) from instantly_webhooks_raw)::int as webhook_rows,
                (select count(*) from events e where e.event_source = 'instantly' and e.event_type in ('email_opened', 'link_clicked'))::int as opens_clicks,
                (select count(*) from instantly_webhooks_raw w
                 where not exists (select 1 from events e where e.event_source = 'instantly' and e.raw_data = w.payload))::int as webhooks_without_event,
                (select count(*) from csv_import_rows r join csv_imports_raw i on i.id = r.csv_import_id where i.file_name like 'soak-%')::int as import_rows,
                (select count(*) from csv_imports_raw where file_name like 'soak-%')::int as imports,
                (select count(*) from graphile_worker.jobs where locked_at is null and attempts >= max_attempts)::int as failed_jobs,
                (select count(*) from leads)::int as leads, (select count(*) from events)::int as events,
                (select count(*) from instantly_rejects)::int as instantly_rejects, (select count(*) from vapi_rejects)::int as vapi_rejects,
                pg_database_size(current_database())::float8 / 2^20 as database_mb`,
      )
    ).rows[0];
    const vapiStats = vapi.stats();
    // Which stored webhooks have no event, if any: what the normaliser had to go on.
    const lost = final.webhooks_without_event
      ? (
          await db.query(
            `select w.event_type, w.lead_email, w.event_timestamp, w.received_at,
                    exists (select 1 from leads l where l.email = w.lead_email) as lead_exists,
                    exists (select 1 from leadgraph_private.instantly_pending p where p.resource = 'webhook' and p.source_id = w.id::text) as pending,
                    exists (select 1 from instantly_rejects r where r.resource = 'webhook' and r.source_id = w.id::text) as rejected
             from instantly_webhooks_raw w
             where not exists (select 1 from events e where e.event_source = 'instantly' and e.raw_data = w.payload)
             order by w.received_at limit 5`,
          )
        ).rows
      : [];

    // ---- the log: lines by level (JSON in production; anything else counted as text)
    const levels = new Map<string, number>();
    const warnings = new Map<string, number>();
    for (const text of fs.readFileSync(logFile, "utf8").split("\n")) {
      if (!text.trim()) continue;
      let level = "text";
      let message = text;
      try {
        const entry = JSON.parse(text) as { level?: unknown; msg?: unknown };
        level = String(entry.level ?? "text");
        message = String(entry.msg ?? text);
      } catch {
        // a line that is not JSON (a child's own output)
      }
      levels.set(level, (levels.get(level) ?? 0) + 1);
      if (level === "warn" || level === "error") {
        const key = `${level}: ${message.slice(0, 160)}`;
        warnings.set(key, (warnings.get(key) ?? 0) + 1);
      }
    }

    // ---- the end summary
    const first = samples[0];
    const last = samples[samples.length - 1];
    if (!first || !last) throw new Error("the soak ended before its first interval");
    const change = (a: number, b: number, unit: string, digits = 0) =>
      `${b - a >= 0 ? "+" : ""}${(b - a).toFixed(digits)} ${unit} (${a ? `${b - a >= 0 ? "+" : ""}${(((b - a) / a) * 100).toFixed(0)}%` : "-"})`;
    const max = (get: (s: Sample) => number) => Math.max(...samples.map(get).filter(Number.isFinite));
    const rows: string[][] = [
      ["leadgraph Node VmRSS, MB", fmt(first.nodeMb), fmt(last.nodeMb), fmt(max((s) => s.nodeMb)), change(first.nodeMb, last.nodeMb, "MB")],
      ["its V8 heap used, MB", fmt(first.heapMb), fmt(last.heapMb), fmt(max((s) => s.heapMb)), change(first.heapMb, last.heapMb, "MB")],
      [
        "PostgreSQL Pss, MB",
        fmt(first.postgresMb),
        fmt(last.postgresMb),
        fmt(max((s) => s.postgresMb)),
        change(first.postgresMb, last.postgresMb, "MB"),
      ],
      [
        "GraphQL req/s",
        fmt(first.graphqlRps, 1),
        fmt(last.graphqlRps, 1),
        fmt(
          max((s) => s.graphqlRps),
          1,
        ),
        change(first.graphqlRps, last.graphqlRps, "", 1),
      ],
      [
        "GraphQL p50 ms",
        fmt(first.graphqlP50, 1),
        fmt(last.graphqlP50, 1),
        fmt(
          max((s) => s.graphqlP50),
          1,
        ),
        change(first.graphqlP50, last.graphqlP50, "ms", 1),
      ],
      [
        "GraphQL p99 ms",
        fmt(first.graphqlP99, 1),
        fmt(last.graphqlP99, 1),
        fmt(
          max((s) => s.graphqlP99),
          1,
        ),
        change(first.graphqlP99, last.graphqlP99, "ms", 1),
      ],
      [
        "webhook p99 ms",
        fmt(first.webhookP99, 1),
        fmt(last.webhookP99, 1),
        fmt(
          max((s) => s.webhookP99),
          1,
        ),
        change(first.webhookP99, last.webhookP99, "ms", 1),
      ],
      [
        "import upload to done, p50 s",
        fmt(first.importP50Seconds, 1),
        fmt(last.importP50Seconds, 1),
        fmt(
          max((s) => s.importP50Seconds),
          1,
        ),
        change(first.importP50Seconds, last.importP50Seconds, "s", 1),
      ],
      [
        "jobs ready (queue depth)",
        String(first.queueReady),
        String(last.queueReady),
        fmt(max((s) => s.queueReady)),
        change(first.queueReady, last.queueReady, ""),
      ],
      [
        "errors in the interval",
        String(errorTotal(first.errors)),
        String(errorTotal(last.errors)),
        fmt(max((s) => errorTotal(s.errors))),
        "-",
      ],
    ];
    const e = totals.errors;
    console.log(`\nSummary: the first interval against the last (${samples.length} intervals of ${INTERVAL_SECONDS} s)`);
    for (const text of formatTable(["measure", "first", "last", "max", "last vs first"], rows)) console.log(text);
    const percentile = (values: number[], p: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
    };
    console.log("\nGraphQL over the whole soak, by operation:");
    for (const text of formatTable(
      ["operation", "requests", "p50 ms", "p99 ms", "max ms"],
      [...byOperation].map(([name, ms]) => [
        name,
        String(ms.length),
        fmt(percentile(ms, 50), 1),
        fmt(percentile(ms, 99), 1),
        fmt(Math.max(...ms), 1),
      ]),
    ))
      console.log(text);
    // Memory over the second half by least squares: a leak shows as a steady slope once warm.
    const half = samples.slice(Math.floor(samples.length / 2));
    const slope = (get: (s: Sample) => number) => {
      if (half.length < 2) return NaN;
      const xs = half.map((s) => s.elapsedSeconds / 60);
      const ys = half.map(get);
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      const num = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i]! - my), 0);
      const den = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
      return den ? num / den : NaN;
    };
    const trend = (get: (s: Sample) => number) => fmt(slope(get), 2);
    console.log(
      `memory trend over the second half (${half.length} intervals, least squares): Node VmRSS ${trend((s) => s.nodeMb)} MB/min, ` +
        `its V8 heap ${trend((s) => s.heapMb)} MB/min, PostgreSQL ${trend((s) => s.postgresMb)} MB/min; ` +
        `database ${fmt(final.database_mb)} MB on disk at the end`,
    );
    console.log(
      `totals: ${totals.graphql} GraphQL requests (${e.graphqlHttp} not 2xx or no answer, ${e.graphqlErrors} with errors); ` +
        `${totals.webhooksSent} Instantly webhooks (${e.webhooks} not 2xx); ${totals.uploads} CSV uploads of ${IMPORT_ROWS} rows (${totals.imports} normalised, ` +
        `${e.imports} failed or refused); ${totals.syncRequests} sync requests, ${totals.syncs} sync runs ended (${e.syncs} not completed or refused)`,
    );
    console.log(
      `accounted for after the load (drained ${drained ? "in" : "NOT within"} ${drainSeconds.toFixed(1)} s): ` +
        `Instantly deliveries stored ${final.deliveries} of ${totals.webhooksOk} answered 2xx (${final.webhook_rows} rows), ` +
        `${final.opens_clicks} open/click events, ${final.webhooks_without_event} webhook rows without their event; CSV rows stored ${final.import_rows} of ${totals.uploadedRows} uploaded (${final.imports} imports); ` +
        `VAPI webhooks ${vapiStats.webhooks.delivered} delivered, ${vapiStats.webhooks.failed} failed; ` +
        `jobs failed for good ${final.failed_jobs}; rejects kept: Instantly ${final.instantly_rejects}, VAPI ${final.vapi_rejects}; ` +
        `${final.leads} leads, ${final.events} events`,
    );
    console.log(`leadgraph's log: ${[...levels].map(([level, n]) => `${n} ${level}`).join(", ") || "empty"}`);
    for (const [message, n] of [...warnings].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`  ${n}x ${message}`);
    if (errorMessages.size) {
      console.log("errors by message (first 10):");
      for (const [message, n] of [...errorMessages].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${n}x ${message}`);
    }
    for (const w of lost) console.log(`  stored webhook without its event: ${JSON.stringify(w)}`);
    console.log(`Node after the drain: ${fmt(after.nodeMb)} MB, PostgreSQL ${fmt(after.postgresMb)} MB`);
    console.log(machine);

    // The verdict: measurements against thresholds stated with them, not a judgement.
    const growthMb = last.nodeMb - first.nodeMb;
    const growthShare = growthMb / first.nodeMb;
    const p99Ratio = last.graphqlP99 / first.graphqlP99;
    const findings: string[] = [];
    if (growthMb > 50 || growthShare > 0.2)
      findings.push(`Node memory grew ${growthMb.toFixed(0)} MB (${(growthShare * 100).toFixed(0)}%)`);
    const pgGrowth = last.postgresMb - first.postgresMb;
    if (pgGrowth > 100 || pgGrowth / first.postgresMb > 0.5)
      findings.push(`PostgreSQL memory grew ${pgGrowth.toFixed(0)} MB (${((pgGrowth / first.postgresMb) * 100).toFixed(0)}%)`);
    if (p99Ratio > 2)
      findings.push(`GraphQL p99 went from ${first.graphqlP99.toFixed(1)} to ${last.graphqlP99.toFixed(1)} ms (x${p99Ratio.toFixed(2)})`);
    if (errorTotal(e)) findings.push(`${errorTotal(e)} errors`);
    if (!drained) findings.push(`the queue had not drained ${DRAIN_SECONDS} s after the load`);
    if (final.deliveries !== totals.webhooksOk) findings.push(`${totals.webhooksOk - final.deliveries} accepted webhooks not stored`);
    if (final.webhooks_without_event) findings.push(`${final.webhooks_without_event} stored webhooks without their event`);
    if (final.import_rows !== totals.uploadedRows) findings.push(`${totals.uploadedRows - final.import_rows} uploaded CSV rows not stored`);
    console.log(
      `\nverdict (thresholds: Node memory growth <= 50 MB and <= 20%, PostgreSQL's <= 100 MB and <= 50%, GraphQL p99 <= 2x the first interval's, ` +
        `no errors, queue drained, every accepted webhook and row stored): ${findings.length ? findings.join("; ") : "stable"}` +
        ` (Node ${fmt(first.nodeMb)} -> ${fmt(last.nodeMb)} MB, p99 ${fmt(first.graphqlP99, 1)} -> ${fmt(last.graphqlP99, 1)} ms over ${MINUTES} min;` +
        ` the first interval includes the warm-up: over the second half Node's VmRSS moved ${trend((s) => s.nodeMb)} MB/min, its heap ${trend((s) => s.heapMb)} MB/min)`,
    );
  } finally {
    if (!interrupted) {
      const stopping = performance.now();
      const wasRunning = app !== undefined && app.exitCode === null && app.signalCode === null;
      await cleanup();
      if (wasRunning) log(`leadgraph stopped in ${((performance.now() - stopping) / 1000).toFixed(1)} s (SIGTERM)`);
    }
  }
}

await main();
