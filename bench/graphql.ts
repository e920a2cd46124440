// npm run bench:graphql
//
// Seeds a realistic volume into a scratch database (100k leads, 20k
// companies, 10 campaigns, 300k campaign_leads, 1M events over 90 days), then
// drives the lead-timeline and campaign-dashboard operations over HTTP with
// autocannon at fixed concurrency, leadgraph with one HTTP process and with
// WEB_CONCURRENCY of them, side by side with the floor: the very same
// SQL statements (captured from PostGraphile) run through `pg` by a minimal
// HTTP handler. Prints one table with req/s, p50, p99, the server CPU per
// request and the ratios, then where the time went: pg_stat_statements and a
// CPU profile of the one-process server (bench/report.ts).
//
// Options (environment): BENCH_DATABASE_URL (a server to create the scratch
// database on; default: an embedded PostgreSQL in a temporary folder),
// BENCH_DATA_DIR (keep the embedded cluster there and reuse its data next
// time), BENCH_CONNECTIONS (32), BENCH_SECONDS (10), BENCH_WEB_CONCURRENCY
// (the second leadgraph server's HTTP processes; default one per core).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { loadConfig, projectRoot } from "../src/config.ts";
import { startEmbedded, type EmbeddedPostgres } from "../src/database/embedded.ts";
import { databaseUrl } from "../src/database/index.ts";
import { applyMigrations } from "../src/database/migrations.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/roles.ts";
import { startServer } from "../src/server.ts";
import {
  enableStatementStats,
  exitOnSignal,
  formatProfile,
  formatStatements,
  formatTable,
  inspectorAddress,
  machineLine,
  processTreeCpuMs,
  profileProcess,
  resetStatementStats,
  STATEMENT_STATS_SETTINGS,
  topStatements,
  type ProfileSummary,
  type StatementStat,
} from "./report.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PROFILE_SECONDS = Math.min(SECONDS, 5);
const WEB_CONCURRENCY = Number(process.env.BENCH_WEB_CONCURRENCY ?? os.availableParallelism());
const AUTH_PASSWORD = "bench-authenticator";
const DATABASE = "leadgraph_bench";

const log = (message: string) => console.error(`bench: ${message}`);

const SEED_SQL = `
insert into companies (company_name, company_domain, industry, employee_count, city, country)
select 'Company ' || g, 'company' || g || '.example', (array['saas', 'fintech', 'health', 'retail', 'logistics'])[1 + g % 5],
       5 + (g * 37) % 500, 'City ' || (g % 300), 'Country ' || (g % 40)
from generate_series(1, 20000) g;

create temp table numbered_companies as select id, row_number() over (order by company_domain) as n from companies;

insert into leads (first_name, last_name, email, job_title, seniority, company_id, lead_source, lead_status)
select 'First' || g, 'Last' || g, 'lead' || g || '@company' || (1 + g % 20000) || '.example',
       (array['CEO', 'CTO', 'VP Sales', 'Head of Marketing', 'Engineer'])[1 + g % 5],
       (array['Founder', 'C suite', 'Vp', 'Head', 'Senior'])[1 + g % 5], c.id, 'csv',
       (array['new', 'contacted', 'replied', 'interested'])[1 + g % 4]
from generate_series(1, 100000) g join numbered_companies c on c.n = 1 + g % 20000;

insert into campaigns (campaign_name, offer_id, campaign_status, uses_email)
select 'Bench campaign ' || g, '00000000-0000-0000-0000-000000000004', 'active', true from generate_series(1, 10) g;

create temp table numbered_campaigns as
  select id, row_number() over (order by campaign_name) as n from campaigns where campaign_name like 'Bench campaign %';
create temp table numbered_leads as select id, row_number() over (order by email) as n from leads;

-- Each lead in 3 of the 10 campaigns: 300k memberships.
insert into campaign_leads (campaign_id, lead_id, email_status, email_sent_at, email_replied_at, overall_status, sequence_step)
select c.id, l.id,
       (array['sent', 'opened', 'replied', 'bounced', 'pending', 'sent'])[1 + (l.n + k) % 6],
       now() - ((l.n * 13 + k) % 90) * interval '1 day',
       case when (l.n + k) % 6 = 2 then now() - ((l.n * 13 + k) % 80) * interval '1 day' end,
       case when (l.n + k) % 6 = 2 then 'replied' when (l.n + k) % 6 = 3 then 'bounced' else 'active' end,
       1 + (l.n + k) % 3
from numbered_leads l cross join generate_series(0, 2) k
join numbered_campaigns c on c.n = 1 + (l.n + k * 3) % 10;

create temp table numbered_memberships as
  select id, lead_id, campaign_id, row_number() over (order by id) as n from campaign_leads;

-- 1M events over the last 90 days, ~3.3 per membership.
insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject, email_body)
select 'instantly', (array['email_sent', 'email_opened', 'email_sent', 'email_replied', 'link_clicked', 'email_bounced'])[1 + g % 6],
       m.lead_id, m.campaign_id, m.id,
       now() - ((g::bigint * 7919) % 129600) * interval '1 minute',
       'Quick question ' || (g % 1000), 'Hi, following up about automation and pricing, note ' || (g % 5000)
from generate_series(1, 1000000) g join numbered_memberships m on m.n = 1 + g % 300000;
`;

async function seed(ownerUrl: string) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query("select count(*)::int as n from events");
    if (rows[0].n >= 1_000_000) {
      log("scratch database already seeded");
      return;
    }
    const started = Date.now();
    await client.query(SEED_SQL);
    await client.query("vacuum analyze");
    log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await client.end();
  }
}

interface Operation {
  name: string;
  query: string;
  /** Variables for the nth request (varied so that caches do not flatter anyone). */
  variables: (n: number) => Record<string, unknown>;
  /** The variable whose value appears in the SQL parameters. */
  parameter: string;
}

/** Runs each operation once through an instrumented pool and keeps the SQL PostGraphile sent. */
async function captureSql(authUrl: string, operations: Operation[]) {
  const statements: Array<{ text: string; values: unknown[] }> = [];
  const pool = new pg.Pool({ connectionString: authUrl, max: 2 });
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
      if (typeof first === "string") statements.push({ text: first, values: Array.isArray(second) ? second : [] });
      else statements.push({ text: first.text, values: first.values ?? [] });
      return query(...args);
    };
  });
  const config = loadConfig();
  const server = await startServer({
    ...config,
    host: "127.0.0.1",
    port: 0,
    production: false,
    corsOrigins: [],
    databaseUrl: authUrl,
    pool,
  });
  const captured: Record<string, { statements: Array<{ text: string; values: unknown[] }>; parameterValue: unknown }> = {};
  for (const op of operations) {
    const variables = op.variables(0);
    // Twice: the first request also prepares the schema.
    for (let i = 0; i < 2; i++) {
      statements.length = 0;
      const response = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: op.query, variables }),
      });
      const body = (await response.json()) as { errors?: unknown };
      if (body.errors) throw new Error(`${op.name}: ${JSON.stringify(body.errors)}`);
    }
    captured[op.name] = { statements: [...statements], parameterValue: variables[op.parameter] };
  }
  await server.close();
  await pool.end();
  return captured;
}

async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url} exited early`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become healthy`);
}

/** Drives `url` for SECONDS at CONNECTIONS concurrency; each request gets its own variables. */
async function load(
  url: string,
  headers: Record<string, string>,
  makeBody: (n: number) => unknown,
  label: string,
  seconds = SECONDS,
  pid?: number,
) {
  let n = 0;
  const cpuBefore = pid ? processTreeCpuMs(pid) : NaN;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        setupRequest: (request: Record<string, unknown>) => ({ ...request, body: JSON.stringify(makeBody(++n)) }),
      },
    ],
  });
  if (result.non2xx || result.errors) log(`${label}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  const cpuMsPerRequest = (processTreeCpuMs(pid ?? 0) - cpuBefore) / result.requests.total;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    cpuMsPerRequest,
  };
}

async function main() {
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let rootUrl = process.env.BENCH_DATABASE_URL;
  const children: ChildProcess[] = [];
  exitOnSignal(children);
  try {
    if (!rootUrl) {
      dataDir = process.env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), `leadgraph-bench-${process.pid}`);
      embedded = await startEmbedded({
        dataDir,
        settings: {
          ...STATEMENT_STATS_SETTINGS,
          fsync: "off",
          synchronous_commit: "off",
          full_page_writes: "off",
        },
        log,
      });
      rootUrl = embedded.url("postgres");
    }
    const root = new pg.Client({ connectionString: rootUrl });
    await root.connect();
    const exists = await root.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (!exists.rowCount) await root.query(`create database ${DATABASE}`);
    const machine = machineLine((await root.query("show server_version")).rows[0].server_version);
    await root.end();
    const ownerUrl = databaseUrl(rootUrl, DATABASE);
    const authUrl = databaseUrl(rootUrl, DATABASE, { user: AUTHENTICATOR_ROLE, password: AUTH_PASSWORD });
    await applyMigrations({ url: ownerUrl, rootUrl, shadowUrl: undefined, authenticatorPassword: AUTH_PASSWORD }, { quiet: true });
    await seed(ownerUrl);
    // Statement times (as the superuser: the extension is not trusted).
    const stats = new pg.Client({ connectionString: ownerUrl });
    await stats.connect();
    const haveStats = await enableStatementStats(stats, log);

    const sample = new pg.Client({ connectionString: ownerUrl });
    await sample.connect();
    const emails = (await sample.query("select email from leads where email like 'lead%' order by md5(email) limit 2000")).rows.map(
      (r) => r.email,
    );
    const campaigns = (await sample.query("select id from campaigns where campaign_name like 'Bench campaign %' order by 1")).rows.map(
      (r) => r.id,
    );
    await sample.end();

    const read = (name: string) => fs.readFileSync(path.join(projectRoot, "docs", "queries", `${name}.graphql`), "utf8");
    const operations: Operation[] = [
      {
        name: "lead-timeline",
        query: read("lead-timeline"),
        variables: (n) => ({ email: emails[n % emails.length], first: 20 }),
        parameter: "email",
      },
      {
        name: "campaign-dashboard",
        query: read("campaign-dashboard"),
        variables: (n) => ({ campaignId: campaigns[n % campaigns.length] }),
        parameter: "campaignId",
      },
    ];
    const captured = await captureSql(authUrl, operations);
    const capturedFile = path.join(os.tmpdir(), `leadgraph-bench-sql-${process.pid}.json`);
    fs.writeFileSync(capturedFile, JSON.stringify(captured));

    // The servers under test, each in its own processes: leadgraph with one
    // HTTP process and with WEB_CONCURRENCY of them, and the floor.
    const node = process.execPath;
    // The one-process server listens for an inspector, so that its CPU can be
    // profiled after its measurement (an idle inspector costs nothing).
    let inspector: Promise<string> | undefined;
    const startGraphql = async (concurrency: number) => {
      const port = await freePort();
      const profiled = concurrency === 1;
      const args = [
        ...(profiled ? ["--inspect=127.0.0.1:0"] : []),
        path.join(projectRoot, "bin", "leadgraph.js"),
        "server",
        "--no-migrate",
      ];
      const child = spawn(node, args, {
        env: {
          ...process.env,
          DATABASE_URL: ownerUrl,
          AUTH_DATABASE_URL: authUrl,
          PORT: String(port),
          NODE_ENV: "production",
          JWT_SECRET: "bench",
          WEB_CONCURRENCY: String(concurrency),
        },
        stdio: ["ignore", "ignore", profiled ? "pipe" : "inherit"],
      });
      if (profiled) inspector = inspectorAddress(child.stderr!);
      children.push(child);
      const url = `http://127.0.0.1:${port}`;
      await waitForHealth(url, child);
      return { url, pid: child.pid! };
    };
    const servers = [{ label: "GraphQL, 1 HTTP process", ...(await startGraphql(1)) }];
    if (WEB_CONCURRENCY > 1)
      servers.push({ label: `GraphQL, ${WEB_CONCURRENCY} HTTP processes`, ...(await startGraphql(WEB_CONCURRENCY)) });
    const floorPort = await freePort();
    const floor = spawn(node, [path.join(projectRoot, "bench", "floor-server.ts")], {
      env: { ...process.env, DATABASE_URL: authUrl, PORT: String(floorPort), CAPTURED_SQL: capturedFile },
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(floor);
    const floorUrl = `http://127.0.0.1:${floorPort}`;
    await waitForHealth(floorUrl, floor);

    const { signToken } = await import("../src/auth.ts");
    const token = signToken("00000000-0000-0000-0000-000000000001", "bench", "1h");
    const auth = { authorization: `Bearer ${token}` };
    const rows: string[][] = [];
    const breakdowns: Array<{
      op: string;
      floorDbMs: number;
      graphqlDbMs: number;
      statements: StatementStat[];
      profile: ProfileSummary;
      rps: number;
    }> = [];
    const databaseMs = async () => (await topStatements(stats, 1000)).reduce((sum, s) => sum + s.totalMs, 0);
    for (const op of operations) {
      const graphqlBody = (n: number) => ({ query: op.query, variables: op.variables(n) });
      const floorBody = (n: number) => ({ op: op.name, value: op.variables(n)[op.parameter] });
      // Warm each up briefly, then measure each back to back.
      await load(`${floorUrl}/`, {}, floorBody, `${op.name} floor warm-up`);
      if (haveStats) await resetStatementStats(stats);
      const base = await load(`${floorUrl}/`, {}, floorBody, `${op.name} floor`, SECONDS, floor.pid);
      const floorDbMs = haveStats ? (await databaseMs()) / base.requests : NaN;
      for (const [i, server] of servers.entries()) {
        await load(`${server.url}/graphql`, auth, graphqlBody, `${op.name} ${server.label} warm-up`);
        if (haveStats) await resetStatementStats(stats);
        const gql = await load(`${server.url}/graphql`, auth, graphqlBody, `${op.name} ${server.label}`, SECONDS, server.pid);
        if (i === 0) {
          // Where the one process's time went: the database's statements
          // during the measurement, then a CPU profile of a further run.
          const statements = haveStats ? await topStatements(stats, 5) : [];
          const graphqlDbMs = haveStats ? (await databaseMs()) / gql.requests : NaN;
          const { result, profile } = await profileProcess(await inspector!, () =>
            load(`${server.url}/graphql`, auth, graphqlBody, `${op.name} profiled`, PROFILE_SECONDS),
          );
          breakdowns.push({ op: op.name, floorDbMs, graphqlDbMs, statements, profile, rps: result.rps });
        }
        rows.push([
          op.name,
          server.label,
          gql.rps.toFixed(0),
          `${gql.p50}`,
          `${gql.p99}`,
          `${(gql.rps / base.rps).toFixed(2)}`,
          `${(gql.p99 / base.p99).toFixed(2)}`,
          gql.cpuMsPerRequest.toFixed(2),
          (gql.cpuMsPerRequest / base.cpuMsPerRequest).toFixed(2),
        ]);
      }
      rows.push([
        op.name,
        "floor: same SQL via pg",
        base.rps.toFixed(0),
        `${base.p50}`,
        `${base.p99}`,
        "1.00",
        "1.00",
        base.cpuMsPerRequest.toFixed(2),
        "1.00",
      ]);
    }

    const header = ["operation", "server", "req/s", "p50 ms", "p99 ms", "req/s vs floor", "p99 vs floor", "CPU ms/req", "CPU vs floor"];
    console.log(`\nleadgraph bench:graphql: ${CONNECTIONS} connections, ${SECONDS} s each`);
    console.log(machine);
    console.log("data: 100k leads, 20k companies, 10 campaigns, 300k campaign_leads, 1M events over 90 days\n");
    for (const line of formatTable(header, rows)) console.log(line);
    console.log("(CPU ms/req: the server's processes' CPU time over the requests served, steadier than req/s on a shared machine.)");
    console.log(
      "\nGoals (issue 12): lead-timeline >= 0.8 of the floor's req/s with p99 <= 1.5x its p99; campaign-dashboard >= 0.6, p99 <= 2x.",
    );
    console.log("\nWhere the time went (GraphQL, 1 HTTP process):");
    for (const b of breakdowns) {
      const perRequest = (1000 / b.rps).toFixed(2);
      console.log(`\n${b.op}:`);
      if (b.statements.length) {
        console.log(
          `  database time per request: ${b.graphqlDbMs.toFixed(2)} ms (the floor's: ${b.floorDbMs.toFixed(2)} ms); top statements (pg_stat_statements):`,
        );
        for (const line of formatStatements(b.statements, 80)) console.log(`    ${line}`);
      }
      console.log(
        `  Node CPU, profiled for ${PROFILE_SECONDS} s at ${b.rps.toFixed(0)} req/s (${perRequest} ms of wall time per request); ` +
          `${b.profile.busyMs.toFixed(0)} ms busy, top self time:`,
      );
      for (const line of formatProfile(b.profile)) console.log(`    ${line}`);
    }
    await stats.end();
  } finally {
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null ? undefined : new Promise((resolve) => (child.once("exit", resolve), child.kill("SIGTERM"))),
      ),
    );
    if (embedded) await embedded.stop();
    // A BENCH_DATA_DIR is kept (and its seeded data reused next time).
    if (dataDir && !process.env.BENCH_DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
