// npm run bench:calls
//
// VAPI calls, side by side with a baseline measured in the same run, on an
// embedded PostgreSQL (durable, as in production):
//   1. normalisation from the raw layer: BENCH_CALLS ended calls (built with
//      the fake VAPI's generators, tools/fake-vapi/calls.ts) for BENCH_CALLS/2
//      leads, each in a calls campaign. Half the calls carry customer.externalId
//      (the membership), half only the number, which the lead has written
//      nationally with country "United States"; ~3% of those are numbers no
//      lead has (rejects). Stored through store_vapi_calls in pages of 1000
//      (the raw layer), then normalizeVapi in this process until vapi_pending
//      is empty. Floor: one set-based insert ... select of the same JSON
//      extractions from vapi_calls_raw into a scratch table.
//      Where the time went: each SQL step's time (collectSqlStepTimes).
//   2. webhook deliveries: autocannon POSTs distinct end-of-call-reports
//      (call id and timestamp vary) with the Bearer secret to a real
//      startServer, in a child process beside the floor: node:http that reads
//      the body, JSON.parses it and inserts it with one query. Afterwards the
//      rows in vapi_webhooks_raw are compared with the 200s answered.
// BENCH_CALLS (100000), BENCH_CONNECTIONS (32), BENCH_SECONDS (10);
// BENCH_DATABASE_URL uses a server of yours instead of the embedded one.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import autocannon from "autocannon";
import pg from "pg";
import { loadConfig } from "../src/config.ts";
import { startEmbedded, type EmbeddedPostgres } from "../src/database/embedded.ts";
import { collectSqlStepTimes } from "../src/database/sql-steps.ts";
import { databaseUrl } from "../src/database/index.ts";
import { applyMigrations } from "../src/database/migrations.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/roles.ts";
import { startServer } from "../src/server.ts";
import { normalizeVapi } from "../src/sources/vapi/normalize/index.ts";
import { storeCalls } from "../src/sources/vapi/raw.ts";
import { createRng, type Rng } from "../tools/fake-instantly/data.ts";
import { artifactAt, hashSeed, historicalCustomer, iso, outcomeFor, scriptFor, withPresignedUrls } from "../tools/fake-vapi/calls.ts";
import type { Call } from "../tools/fake-vapi/types.ts";
import { exitOnSignal, formatTable, machineLine } from "./report.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
/** The server process the webhooks part starts: killed if the bench is stopped (exitOnSignal). */
const children = new Set<ChildProcess>();
const CALLS = env("BENCH_CALLS", 100_000);
const LEADS = Math.max(1, Math.ceil(CALLS / 2));
const CONNECTIONS = env("BENCH_CONNECTIONS", 32);
const SECONDS = env("BENCH_SECONDS", 10);
const PAGE = 1000;
const SECRET = "bench-vapi-secret";
const AUTH_PASSWORD = "bench-authenticator";
const DATABASE = "leadgraph_bench_calls";
const DAY = 86_400_000;

const log = (message: string) => console.error(`bench: ${message}`);

// ---------------------------------------------------------------- the calls

/** Lead i's number: nationally as the lead has it, in E.164 as VAPI sends it (last 8 digits unique). */
const exchange = (i: number) => String(200 + Math.floor(i / 10_000));
const line = (i: number) => String(i % 10_000).padStart(4, "0");
const nationalNumber = (i: number) => `(646) ${exchange(i)}-${line(i)}`;
const e164Number = (i: number) => `+1646${exchange(i)}${line(i)}`;
const callId = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

/** An ended, analysed outbound call as GET /call returns it (the fake's generators, our numbers). */
function endedCall(id: string, start: number, customer: Call["customer"], rng: Rng): Call {
  // The fake's historical customer: a name, variables, and an outcome drawn like a real campaign's (by its suffix).
  const history = historicalCustomer(rng, 0);
  const call: Call = {
    id,
    orgId: "0b8c7a1e-bench-4000-8000-000000000001",
    createdAt: iso(start),
    updatedAt: iso(start),
    type: "outboundPhoneCall",
    status: "queued",
    phoneCallProvider: "twilio",
    phoneCallTransport: "pstn",
    monitor: {
      listenUrl: `wss://phone-call-websocket.aws-us-west-2-backend-production1.vapi.ai/${id}/listen`,
      controlUrl: `https://phone-call-websocket.aws-us-west-2-backend-production1.vapi.ai/${id}/control`,
    },
    customer: { ...customer, name: history.customer?.name },
    assistantId: "5f1c2a8e-3b7d-4e90-a1c6-0d9e8b7a6f01",
    phoneNumberId: "9b3e7c1d-2a4f-4d8b-b6e0-5c1a2f3d4e02",
    assistantOverrides: { variableValues: history.variableValues },
  };
  const script = scriptFor(call, outcomeFor(history.customer?.number), start, rng);
  // The state the fake's lifecycle leaves an ended call in (tools/fake-vapi/server.ts, transition).
  Object.assign(call, {
    status: "ended",
    phoneCallProviderId: `CA${hashSeed(`${id}a`).toString(16).padStart(8, "0")}${id.replace(/-/g, "").slice(0, 24)}`,
    ...(script.startedAt !== undefined ? { startedAt: iso(script.startedAt) } : {}),
    endedAt: iso(script.endedAt),
    endedReason: script.outcome.endedReason,
    ...(script.outcome.endedMessage ? { endedMessage: script.outcome.endedMessage } : {}),
    cost: script.cost,
    costs: script.costs,
    costBreakdown: script.costBreakdown,
    artifact: artifactAt(script, "ended", call),
    analysis: script.analysis,
    updatedAt: iso(script.processedAt),
  });
  // As read from GET /call: presigned recording URLs (the normaliser sets them aside).
  return withPresignedUrls(call, script.processedAt + 60_000, id);
}

/** Call i of the normalisation set: which lead, matched how. */
function benchCall(i: number, memberships: string[], epoch: number): Call {
  const rng = createRng(hashSeed(`bench-calls:${i}`));
  const lead = i % LEADS;
  const byExternalId = i < CALLS / 2;
  const unknown = !byExternalId && i % 33 === 0;
  const customer = byExternalId
    ? { number: e164Number(lead), externalId: memberships[lead]! }
    : { number: unknown ? `+1917300${String(i % 10_000).padStart(4, "0")}` : e164Number(lead) };
  return endedCall(callId("b0000000", i), epoch + Math.floor((i * 30 * DAY) / CALLS), customer, rng);
}

// ----------------------------------------------------------- the database

async function freshDatabase(rootUrl: string): Promise<{ ownerUrl: string; authUrl: string }> {
  const root = new pg.Client({ connectionString: rootUrl });
  await root.connect();
  await root.query(`drop database if exists ${DATABASE} with (force)`);
  await root.query(`create database ${DATABASE}`);
  await root.end();
  const ownerUrl = databaseUrl(rootUrl, DATABASE);
  await applyMigrations({ url: ownerUrl, rootUrl, shadowUrl: undefined, authenticatorPassword: AUTH_PASSWORD }, { quiet: true });
  return { ownerUrl, authUrl: databaseUrl(rootUrl, DATABASE, { user: AUTHENTICATOR_ROLE, password: AUTH_PASSWORD }) };
}

/** LEADS leads with a national number and country, each in one calls campaign; membership ids by lead index. */
async function seedLeads(pool: pg.Pool): Promise<string[]> {
  const { rows: campaign } = await pool.query(
    "insert into campaigns (campaign_name, campaign_status, uses_calls) values ('Bench calls', 'active', true) returning id",
  );
  await pool.query(
    `insert into leads (email, first_name, last_name, phone, country)
     select 'calls-lead-' || g || '@bench.example', 'First' || g, 'Last' || g,
            format('(646) %s-%s', 200 + g / 10000, lpad((g % 10000)::text, 4, '0')), 'United States'
     from generate_series(0, $1::int - 1) g`,
    [LEADS],
  );
  await pool.query(
    `insert into campaign_leads (campaign_id, lead_id, email_status, email_sent_at)
     select $1, id, 'sent', now() - interval '3 days' from leads where email like 'calls-lead-%'`,
    [campaign[0].id],
  );
  await pool.query("vacuum analyze leads, campaign_leads");
  const { rows } = await pool.query<{ i: number; id: string }>(
    `select split_part(split_part(l.email, '@', 1), '-', 3)::int as i, cl.id
     from campaign_leads cl join leads l on l.id = cl.lead_id where l.email like 'calls-lead-%'`,
  );
  const memberships: string[] = [];
  for (const row of rows) memberships[row.i] = row.id;
  const { rows: check } = await pool.query("select phone, phones from leads where email = 'calls-lead-1@bench.example'");
  if (check[0].phone !== nationalNumber(1)) throw new Error(`unexpected seeded phone ${check[0].phone}`);
  return memberships;
}

/** Runs `work` summing each SQL step's time (src/database/sql-steps.ts's collectSqlStepTimes). */
async function profiled<T>(work: () => Promise<T>): Promise<{ result: T; steps: Map<string, { ms: number; runs: number }> }> {
  const times = collectSqlStepTimes();
  const result = await work();
  return { result, steps: new Map([...times].map(([name, time]) => [name, { ms: time.ms, runs: time.calls }])) };
}

const FLOOR_SQL = `
insert into bench_floor_calls
select raw_json ->> 'id', (raw_json ->> 'createdAt')::timestamptz, (raw_json ->> 'startedAt')::timestamptz,
       (raw_json ->> 'endedAt')::timestamptz,
       round(extract(epoch from (raw_json ->> 'endedAt')::timestamptz - (raw_json ->> 'startedAt')::timestamptz))::integer,
       raw_json #>> '{artifact,transcript}', raw_json #>> '{analysis,summary}', raw_json #>> '{artifact,recording,mono,combinedUrl}'
from vapi_calls_raw`;

async function normalisation(ownerUrl: string, table: string[][], notes: string[]) {
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 2 });
  try {
    log(`seeding ${LEADS} leads with phones, each in a calls campaign`);
    const memberships = await seedLeads(pool);

    log(`storing ${CALLS} calls through store_vapi_calls, ${PAGE} a page`);
    const epoch = Date.now() - 31 * DAY;
    let storeMs = 0;
    let buildMs = 0;
    let bytes = 0;
    let stored = 0;
    for (let from = 0; from < CALLS; from += PAGE) {
      const built = performance.now();
      const page = Array.from({ length: Math.min(PAGE, CALLS - from) }, (_, k) => benchCall(from + k, memberships, epoch));
      const started = performance.now();
      buildMs += started - built;
      bytes += JSON.stringify(page).length;
      stored += (await storeCalls(pool, page, "api")).stored;
      storeMs += performance.now() - started;
    }
    log(
      `stored ${stored} in ${(storeMs / 1000).toFixed(1)} s (built in ${(buildMs / 1000).toFixed(1)} s, ${Math.round(bytes / CALLS)} bytes a call)`,
    );
    await pool.query("vacuum analyze vapi_calls_raw, leadgraph_private.vapi_pending");

    await pool.query(`create table bench_floor_calls (vapi_call_id text, created_at timestamptz, started_at timestamptz,
      ended_at timestamptz, duration_seconds integer, transcript text, summary text, recording_url text)`);
    const floorStarted = performance.now();
    const floorRows = (await pool.query(FLOOR_SQL)).rowCount ?? 0;
    const floorSeconds = (performance.now() - floorStarted) / 1000;
    log(`floor: ${floorRows} rows in ${floorSeconds.toFixed(1)} s`);

    // One suspect inside stage-calls, timed alone on a sample: the rule that
    // sets presigned URLs aside walks the whole JSON of every call.
    const sample = Math.min(CALLS, 5000);
    const presignedStarted = performance.now();
    await pool.query(
      "select sum(length(leadgraph_rules.vapi_without_presigned(raw_json)::text)) from (select raw_json from vapi_calls_raw limit $1) r",
      [sample],
    );
    const presignedMsPerCall = (performance.now() - presignedStarted) / sample;

    log("normalizeVapi until vapi_pending is empty");
    const client = await pool.connect();
    let seconds: number;
    let counts: Awaited<ReturnType<typeof normalizeVapi>>;
    let steps: Map<string, { ms: number; runs: number }>;
    try {
      const started = performance.now();
      ({ result: counts, steps } = await profiled(() => normalizeVapi(client)));
      seconds = (performance.now() - started) / 1000;
    } finally {
      client.release();
    }
    log(`normalised: ${JSON.stringify(counts)} in ${seconds.toFixed(1)} s`);
    const { rows } = await pool.query(`select
      (select count(*)::int from leadgraph_private.vapi_pending) as pending,
      (select count(*)::int from events where event_source = 'vapi') as events,
      (select count(*)::int from vapi_rejects where stage = 'normalize') as rejects,
      (select count(*)::int from leadgraph_private.vapi_call_matches where matched_by = 'external_id') as by_external_id,
      (select count(*)::int from leadgraph_private.vapi_call_matches where matched_by = 'phone') as by_phone,
      (select count(*)::int from campaign_leads where call_status is not null) as memberships_with_calls`);
    const r = rows[0];
    const floorRate = floorRows / floorSeconds;
    const normRate = counts.taken / seconds;
    table.push(
      [
        "normalise",
        "floor: insert ... select the JSON fields",
        String(floorRows),
        floorSeconds.toFixed(2),
        String(Math.round(floorRate)),
        "-",
        "-",
        "1.00",
      ],
      [
        "normalise",
        "raw layer: store_vapi_calls, 1000 a page",
        String(stored),
        (storeMs / 1000).toFixed(2),
        String(Math.round(stored / (storeMs / 1000))),
        "-",
        "-",
        (stored / (storeMs / 1000) / floorRate).toFixed(2),
      ],
      [
        "normalise",
        "normalizeVapi (calls taken)",
        String(counts.taken),
        seconds.toFixed(2),
        String(Math.round(normRate)),
        "-",
        "-",
        (normRate / floorRate).toFixed(2),
      ],
    );
    notes.push(
      `normalise: ${CALLS} calls (${Math.round(bytes / CALLS)} bytes of JSON each on average) for ${LEADS} leads; ` +
        `${r.events} events made, ${counts.calls} calls matched (${r.by_external_id} by externalId, ${r.by_phone} by phone), ` +
        `${counts.rejected} rejected (${r.rejects} in vapi_rejects), ${r.pending} left in vapi_pending, ${r.memberships_with_calls} memberships with a call_status`,
    );
    const sqlMs = [...steps.values()].reduce((sum, s) => sum + s.ms, 0);
    const top = [...steps.entries()].sort((a, b) => b[1].ms - a[1].ms);
    notes.push(
      `normalise, where the time went (${(seconds * 1000).toFixed(0)} ms; SQL steps ${sqlMs.toFixed(0)} ms, the rest ${(seconds * 1000 - sqlMs).toFixed(0)} ms in Node): ` +
        top
          .filter(([, s]) => s.ms >= 0.01 * sqlMs)
          .map(([name, s]) => `${name} ${(s.ms / 1000).toFixed(1)} s (${((100 * s.ms) / (seconds * 1000)).toFixed(0)}%)`)
          .join(", ") +
        `; vapi_without_presigned alone takes ${(presignedMsPerCall * 1000).toFixed(0)} µs a call (timed on ${sample}), ` +
        `about ${((presignedMsPerCall * counts.taken) / 1000).toFixed(0)} s for every call once (stage-calls took ${((steps.get("stage-calls")?.ms ?? 0) / 1000).toFixed(0)} s)`,
    );
  } finally {
    await pool.end();
  }
}

// -------------------------------------------------------------- webhooks

/** An end-of-call-report as VAPI sends it now (artifact, analysis), with ID and TIMESTAMP as placeholders. */
const TEMPLATE_ID = "c0ffee00-0000-4000-8000-000000000000";
const TEMPLATE_TIMESTAMP = 4102444800123;

function reportTemplate(k: number): string {
  const rng = createRng(hashSeed(`bench-webhook:${k}`));
  const start = Date.now() - DAY;
  const call = endedCall(TEMPLATE_ID, start, { number: e164Number(k) }, rng);
  const durationSeconds = call.startedAt ? Math.round((Date.parse(call.endedAt!) - Date.parse(call.startedAt)) / 10) / 100 : 0;
  return JSON.stringify({
    message: {
      timestamp: TEMPLATE_TIMESTAMP,
      type: "end-of-call-report",
      endedReason: call.endedReason,
      cost: call.cost,
      costs: call.costs,
      costBreakdown: call.costBreakdown,
      ...(call.startedAt ? { startedAt: call.startedAt } : {}),
      endedAt: call.endedAt,
      durationSeconds,
      artifact: call.artifact,
      analysis: call.analysis,
      call,
      customer: call.customer,
    },
  });
}

/** The child process: the real server and the floor, side by side; prints their ports. */
async function serve() {
  const config = loadConfig();
  const server = await startServer({
    ...config,
    host: "127.0.0.1",
    port: 0,
    production: true,
    jwtSecret: "bench",
    corsOrigins: [],
    databaseUrl: process.env.BENCH_AUTH_URL!,
    vapiWebhookSecret: SECRET,
  });
  const pool = new pg.Pool({ connectionString: process.env.BENCH_AUTH_URL, max: 10 });
  pool.on("error", (error) => console.error("floor:", error.message));
  const floor = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const payload: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      await pool.query("insert into bench_floor (payload) values ($1)", [JSON.stringify(payload)]);
      res.setHeader("content-type", "application/json");
      res.end("{}");
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => floor.listen(0, "127.0.0.1", resolve));
  console.log(JSON.stringify({ server: server.port, floor: (floor.address() as { port: number }).port }));
  process.on("SIGTERM", async () => {
    floor.close();
    await Promise.all([server.close(), pool.end()]);
    process.exit(0);
  });
}

/** Samples what the database's active API backends wait on (CPU when on none). */
function sampleWaits(ownerUrl: string) {
  const client = new pg.Client({ connectionString: ownerUrl });
  const counts = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const done = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query(
        `select coalesce(wait_event_type || ':' || wait_event, 'CPU') as w, count(*)::int as n from pg_stat_activity
         where state = 'active' and usename = $1 and pid <> pg_backend_pid() group by 1`,
        [AUTHENTICATOR_ROLE],
      );
      // A session waiting on another's transaction holds the row's tuple lock: which table the queue is on.
      const { rows: tuples } = await client.query(
        "select 'row of ' || relation::regclass as w, count(*)::int as n from pg_locks where locktype = 'tuple' group by 1",
      );
      samples++;
      for (const row of [...rows, ...tuples]) counts.set(row.w, (counts.get(row.w) ?? 0) + row.n);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.end();
  })();
  return async () => {
    stopped = true;
    await done;
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([w, n]) => `${w} ${(n / Math.max(1, samples)).toFixed(1)}`)
      .join(", ");
  };
}

let sent = 0;
async function load(url: string, templates: string[], seconds: number, label: string) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}` },
        setupRequest: (request: Record<string, unknown>) => {
          const n = ++sent;
          const body = templates[n % templates.length]!.replaceAll(TEMPLATE_ID, callId("e0000000", n)).replace(
            `"timestamp":${TEMPLATE_TIMESTAMP}`,
            `"timestamp":${Date.now() - DAY + n}`,
          );
          return { ...request, body };
        },
      },
    ],
  });
  const ok = (result as unknown as { "2xx": number })["2xx"];
  if (result.non2xx || result.errors) log(`${label}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, ok };
}

async function webhooks(ownerUrl: string, authUrl: string, table: string[][], notes: string[]) {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  await owner.query("create table bench_floor (payload jsonb not null)");
  await owner.query(`grant insert on bench_floor to ${AUTHENTICATOR_ROLE}`);
  const templates = Array.from({ length: 200 }, (_, k) => reportTemplate(k));
  const sizes = templates.map((t) => Buffer.byteLength(t)).sort((a, b) => a - b);
  const child: ChildProcess = spawn(process.execPath, [import.meta.filename, "serve"], {
    env: { ...process.env, BENCH_AUTH_URL: authUrl },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  try {
    const first = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the server process exited (${code})`)));
    });
    const ports = JSON.parse(first) as { server: number; floor: number };
    const serverUrl = `http://127.0.0.1:${ports.server}/webhooks/vapi`;
    const floorUrl = `http://127.0.0.1:${ports.floor}/`;
    const warm = Math.min(SECONDS, 3);
    log(`webhooks: warming up ${warm} s each, then ${SECONDS} s each at ${CONNECTIONS} connections`);
    const warmServer = await load(serverUrl, templates, warm, "webhook warm-up");
    await load(floorUrl, templates, warm, "floor warm-up");
    let stop = sampleWaits(ownerUrl);
    const real = await load(serverUrl, templates, SECONDS, "POST /webhooks/vapi");
    const realWaits = await stop();
    stop = sampleWaits(ownerUrl);
    const base = await load(floorUrl, templates, SECONDS, "floor");
    const floorWaits = await stop();
    // Let requests in flight when autocannon stopped finish before counting.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { rows } = await owner.query(
      "select count(*)::int as n, coalesce(sum(deliveries), 0)::int as deliveries, count(*) filter (where message_type = 'end-of-call-report')::int as reports from vapi_webhooks_raw",
    );
    table.push(
      [
        "webhooks",
        "floor: node:http + JSON.parse + 1 insert",
        String(base.ok),
        String(SECONDS),
        base.rps.toFixed(0),
        String(base.p50),
        String(base.p99),
        "1.00",
      ],
      [
        "webhooks",
        "POST /webhooks/vapi (startServer)",
        String(real.ok),
        String(SECONDS),
        real.rps.toFixed(0),
        String(real.p50),
        String(real.p99),
        (real.rps / base.rps).toFixed(2),
      ],
    );
    const answered = warmServer.ok + real.ok;
    notes.push(
      `webhooks: end-of-call-reports of ${sizes[0]}-${sizes[sizes.length - 1]} bytes (median ${sizes[Math.floor(sizes.length / 2)]}), ${CONNECTIONS} connections; ` +
        `p99 ${real.p99} ms vs ${base.p99} ms (${(real.p99 / Math.max(1, base.p99)).toFixed(2)}x the floor's); ` +
        `vapi_webhooks_raw: ${rows[0].n} rows (${rows[0].reports} end-of-call-reports, ${rows[0].deliveries} deliveries) for ${answered} answered 200 ` +
        `(warm-up included): ${rows[0].n >= answered ? "nothing lost" : `${answered - rows[0].n} LOST`}` +
        (rows[0].n > answered ? ` (${rows[0].n - answered} stored while autocannon stopped, unanswered)` : ""),
      `webhooks, what the API's database sessions did (mean active sessions by wait, and tuple locks held by table, sampled every 50 ms): server ${realWaits || "-"}; floor ${floorWaits || "-"}`,
    );
  } finally {
    await owner.end();
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
}

// ------------------------------------------------------------------ main

async function main() {
  let embedded: EmbeddedPostgres | undefined;
  const dataDir = path.join(os.tmpdir(), `leadgraph-bench-calls-${process.pid}`);
  let rootUrl = process.env.BENCH_DATABASE_URL;
  const table: string[][] = [];
  const notes: string[] = [];
  try {
    if (!rootUrl) {
      embedded = await startEmbedded({ dataDir, log });
      rootUrl = embedded.url("postgres");
    }
    const { ownerUrl, authUrl } = await freshDatabase(rootUrl);
    const version = await (async () => {
      const root = new pg.Client({ connectionString: ownerUrl });
      await root.connect();
      const v = (await root.query("show server_version")).rows[0].server_version as string;
      await root.end();
      return v;
    })();
    const machine = machineLine(version);
    await normalisation(ownerUrl, table, notes);
    await webhooks(ownerUrl, authUrl, table, notes);

    const header = ["part", "what", "rows", "seconds", "per second", "p50 ms", "p99 ms", "vs baseline"];
    console.log(`\nleadgraph bench:calls (VAPI: normalisation from the raw layer, webhook deliveries)`);
    console.log(`${machine}\n`);
    for (const line of formatTable(header, table)) console.log(line);
    console.log("");
    for (const note of notes) console.log(`- ${note}`);
  } finally {
    if (embedded) await embedded.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "serve") await serve();
else {
  exitOnSignal(children);
  await main();
}
