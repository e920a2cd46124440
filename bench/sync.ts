// npm run bench:sync
//
// The Instantly sync against the fake Instantly server (in this process), with
// the worker in a child process (`leadgraph worker`) and an embedded
// PostgreSQL, side by side with a baseline measured in the same run:
//   1. limits off (50 campaigns, 200 accounts, 200k emails by default):
//      fetch floor   every /emails page of every campaign with plain fetch,
//                    4 campaigns at once, nothing stored: what HTTP + JSON cost
//      raw alone     a sync with the normaliser held off (the bench holds its
//                    advisory lock): fetch + store into the raw layer only
//      normalise     then the normaliser let go on that stored backlog alone
//      sync          a second sync (fresh database) from the request to the
//                    last event, everything at once: emails/s end-to-end, its
//                    ratio to the fetch floor and to the raw layer alone, and
//                    where the normaliser's time went (LEADGRAPH_PROFILE_SQL
//                    in the worker: its SQL steps by time)
//      renormalize then `leadgraph renormalize instantly --wait` on that
//                    workspace: every raw row back through the normaliser,
//                    its events rebuilt (docs/renormalize.md)
//   2. Instantly's real limits on, time-compressed (BENCH_TIME_SCALE, default
//      60: a minute lasts a second), a smaller workspace: the share of the
//      /emails ceiling (20 requests x 100 emails a minute) the sync reaches,
//      and the 429s it got.
// BENCH_EMAILS, BENCH_CAMPAIGNS, BENCH_ACCOUNTS, BENCH_LIMITED_EMAILS,
// BENCH_LIMITED_CAMPAIGNS, BENCH_TIME_SCALE override the sizes;
// BENCH_DATABASE_URL uses a server of yours instead of the embedded one.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../src/config.ts";
import { startEmbedded, type EmbeddedPostgres } from "../src/database/embedded.ts";
import { databaseUrl } from "../src/database/index.ts";
import { LOCK_CLASS, LOCKS } from "../src/database/locks.ts";
import { applyMigrations } from "../src/database/migrations.ts";
import { startFakeInstantly, type FakeInstantly } from "../tools/fake-instantly/server.ts";
import type { SqlStepTime } from "../src/database/sql-steps.ts";
import { exitOnSignal, formatSteps, formatTable, machineLine, processTreeCpuSeconds } from "./report.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const EMAILS = env("BENCH_EMAILS", 200_000);
const CAMPAIGNS = env("BENCH_CAMPAIGNS", 50);
const ACCOUNTS = env("BENCH_ACCOUNTS", 200);
const LIMITED_EMAILS = env("BENCH_LIMITED_EMAILS", 40_000);
const LIMITED_CAMPAIGNS = env("BENCH_LIMITED_CAMPAIGNS", 20);
const TIME_SCALE = env("BENCH_TIME_SCALE", 60);
const KEY = "bench-key";

const log = (message: string) => console.error(`bench: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freshDatabase(rootUrl: string, name: string): Promise<string> {
  const root = new pg.Client({ connectionString: rootUrl });
  await root.connect();
  await root.query(`drop database if exists ${name} with (force)`);
  await root.query(`create database ${name}`);
  await root.end();
  const url = databaseUrl(rootUrl, name);
  await applyMigrations({ url, rootUrl, shadowUrl: undefined, authenticatorPassword: undefined }, { quiet: true });
  return url;
}

// Workers still running when the bench stops (Ctrl-C, an error) would keep
// loading the machine and skew the next measurement.
const workers = new Set<ChildProcess>();
exitOnSignal(workers);

/** The normaliser's "[sql] N ms  step" / "[js] N ms  ..." lines (LEADGRAPH_PROFILE_SQL), summed per step. */
type StepTimes = Map<string, SqlStepTime>;

function startWorkerProcess(dbUrl: string, fake: FakeInstantly, limits: boolean, profile?: StepTimes): ChildProcess {
  const child = spawn(
    path.join(projectRoot, "node_modules/.bin/node"),
    [path.join(projectRoot, "bin/leadgraph.js"), "worker", "--no-migrate"],
    {
      env: {
        ...process.env,
        DATABASE_URL: dbUrl,
        GRAPHILE_ENV: "production",
        NODE_ENV: "production",
        INSTANTLY_API_URL: fake.url,
        INSTANTLY_API_KEY: KEY,
        INSTANTLY_RATE_LIMITS: limits ? "true" : "false",
        INSTANTLY_RATE_LIMIT_TIME_SCALE: String(TIME_SCALE),
        // No cron run in the middle of the measurement.
        INSTANTLY_SYNC_SCHEDULE: "0 0 1 1 *",
        LEADGRAPH_PROFILE_SQL: profile ? "1" : "",
      },
      stdio: ["ignore", "ignore", profile ? "pipe" : "inherit"],
    },
  );
  workers.add(child);
  if (profile) {
    let rest = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        const step = /^\[(sql|js)\]\s+(\d+) ms {2}(.*)$/.exec(line);
        if (!step) {
          process.stderr.write(`${line}\n`);
          continue;
        }
        // "[js] body text of 2648 emails": one name for every batch.
        const name = step[1] === "js" ? `(js) ${step[3]!.replace(/\d+/g, "N")}` : step[3]!;
        const sum = profile.get(name) ?? { ms: 0, calls: 0 };
        sum.ms += Number(step[2]);
        sum.calls += 1;
        profile.set(name, sum);
      }
    });
  }
  return child;
}

async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

interface SyncTimes {
  seconds: number;
  rawSeconds: number;
  emails: number;
  events: number;
  requests: number;
  rateLimited: number;
  status: string;
}

/** What the normaliser has still to do (before migration 000029 only its queue: the bench also measures older code). */
let LEFT_TO_NORMALISE = "(select count(*) from leadgraph_private.instantly_pending)";
async function findDrainQueues(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query("select to_regclass('leadgraph_private.instantly_left_to_normalize') is not null as known");
  if (rows[0].known) LEFT_TO_NORMALISE = "(select count(*) from leadgraph_private.instantly_left_to_normalize)";
}

/** Waits until the normaliser has nothing left to do; returns the seconds it took. */
async function waitNormalised(pool: pg.Pool): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { rows } = await pool.query(`select (${LEFT_TO_NORMALISE})::int as left`);
    if (rows[0].left === 0) return (performance.now() - started) / 1000;
    await sleep(100);
  }
}

/** Each step's time, copied (the profile goes on adding up). */
const snapshot = (profile: StepTimes): StepTimes => new Map([...profile].map(([name, t]) => [name, { ...t }]));

/** What `after` adds to `before`, step by step. */
function since(before: StepTimes, after: StepTimes): StepTimes {
  const out: StepTimes = new Map();
  for (const [name, t] of after) {
    const was = before.get(name) ?? { ms: 0, calls: 0 };
    if (t.calls > was.calls) out.set(name, { ms: t.ms - was.ms, calls: t.calls - was.calls });
  }
  return out;
}

/**
 * `leadgraph renormalize <source> --wait` against `dbUrl`, as a user runs it
 * (the worker process does the work); its seconds, or undefined on code that
 * has no such command (the bench also measures older code).
 */
async function renormalize(pool: pg.Pool, dbUrl: string, source: string): Promise<number | undefined> {
  const { rows } = await pool.query("select to_regproc('leadgraph_private.renormalize_instantly') is not null as known");
  if (!rows[0].known) return undefined;
  const started = performance.now();
  const child = spawn(
    path.join(projectRoot, "node_modules/.bin/node"),
    [path.join(projectRoot, "bin/leadgraph.js"), "renormalize", source, "--wait"],
    {
      env: { ...process.env, DATABASE_URL: dbUrl, GRAPHILE_ENV: "production", NODE_ENV: "production" },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const code = await new Promise((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`leadgraph renormalize ${source} exited with ${String(code)}`);
  return (performance.now() - started) / 1000;
}

/**
 * Asks for a sync; waits for the run and for the normalisation of everything
 * it fetched (with `rawOnly`, for the run alone: the normaliser is held off).
 */
async function runSync(pool: pg.Pool, options: { rawOnly?: boolean } = {}): Promise<SyncTimes> {
  const started = performance.now();
  const { rows } = await pool.query<{ id: string }>("insert into instantly_sync_requests (triggered_by) values ('cli') returning id");
  for (;;) {
    const { rows: run } = await pool.query(
      `select r.status, r.requests_made, r.rate_limited, ${options.rawOnly ? "0" : `(${LEFT_TO_NORMALISE})::int`} as pending
       from instantly_sync_requests q join instantly_sync_runs r on r.id = q.run_id where q.id = $1`,
      [rows[0]!.id],
    );
    if (run[0] && run[0].status !== "running" && run[0].pending === 0) {
      const seconds = (performance.now() - started) / 1000;
      const { rows: emails } = await pool.query(
        `select rows_stored, extract(epoch from finished_at - (select started_at from instantly_sync_runs where id = r.run_id))::float as raw_seconds
         from instantly_sync_run_resources r join instantly_sync_requests q on q.run_id = r.run_id where q.id = $1 and r.resource = 'emails'`,
        [rows[0]!.id],
      );
      const { rows: events } = await pool.query(
        "select count(*)::int as n from events where event_source = 'instantly' and instantly_email_id is not null",
      );
      return {
        seconds,
        rawSeconds: emails[0].raw_seconds,
        emails: emails[0].rows_stored,
        events: events[0].n,
        requests: run[0].requests_made,
        rateLimited: run[0].rate_limited,
        status: run[0].status,
      };
    }
    await sleep(100);
  }
}

/** The fetch floor: every /emails page of every campaign, plain fetch, `concurrency` campaigns at once. */
async function fetchFloor(fake: FakeInstantly, concurrency: number): Promise<{ seconds: number; emails: number }> {
  const started = performance.now();
  const campaigns = fake.data.campaigns.map((c) => c.id);
  let emails = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < campaigns.length) {
        const campaign = campaigns[next++]!;
        let cursor: string | undefined;
        for (;;) {
          const url = new URL(`${fake.url}/emails`);
          url.searchParams.set("campaign_id", campaign);
          url.searchParams.set("limit", "100");
          if (cursor) url.searchParams.set("starting_after", cursor);
          const page = (await (await fetch(url, { headers: { authorization: `Bearer ${KEY}` } })).json()) as {
            items: unknown[];
            next_starting_after?: string;
          };
          if (!page.items.length || !page.next_starting_after) break;
          emails += page.items.length;
          cursor = page.next_starting_after;
        }
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, emails };
}

/** Samples the fake's /emails request count to time the first and the last request. */
function watchEmailRequests(fake: FakeInstantly) {
  let count = 0;
  let first = 0;
  let last = 0;
  const timer = setInterval(() => {
    const now = fake.stats.byEndpoint["GET /emails"] ?? 0;
    if (now !== count) {
      if (count === 0) first = performance.now();
      last = performance.now();
      count = now;
    }
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return { requests: count, seconds: (last - first) / 1000 };
    },
  };
}

async function main() {
  let embedded: EmbeddedPostgres | undefined;
  const dataDir = path.join(os.tmpdir(), `leadgraph-bench-sync-${process.pid}`);
  let rootUrl = process.env.BENCH_DATABASE_URL;
  const table: string[][] = [];
  const notes: string[] = [];
  try {
    if (!rootUrl) {
      embedded = await startEmbedded({ dataDir, log });
      rootUrl = embedded.url("postgres");
    }
    // CPU seconds of the embedded server's processes (NaN for a server elsewhere).
    const postgresCpu = () => processTreeCpuSeconds(embedded?.pid);
    const cpuText = (seconds: number) => (Number.isNaN(seconds) ? "-" : `${seconds.toFixed(1)} s`);
    const version = await (async () => {
      const root = new pg.Client({ connectionString: rootUrl });
      await root.connect();
      const v = (await root.query("show server_version")).rows[0].server_version as string;
      await root.end();
      return v;
    })();
    const machine = machineLine(version);

    // 1. Limits off.
    log(`generating the fake workspace: ${CAMPAIGNS} campaigns, ${ACCOUNTS} accounts, ${EMAILS} emails`);
    const generation = performance.now();
    const fake = await startFakeInstantly({ campaigns: CAMPAIGNS, accounts: ACCOUNTS, emails: EMAILS, rateLimits: false });
    log(`generated in ${((performance.now() - generation) / 1000).toFixed(1)} s`);
    const floor = await fetchFloor(fake, 4);
    log(`fetch floor: ${floor.emails} emails in ${floor.seconds.toFixed(1)} s`);

    // The raw layer alone, then the normaliser alone on what it stored.
    const aloneUrl = await freshDatabase(rootUrl, "leadgraph_bench_sync_alone");
    const alonePool = new pg.Pool({ connectionString: aloneUrl, max: 2 });
    await findDrainQueues(alonePool);
    const holder = await alonePool.connect();
    await holder.query("select pg_advisory_lock($1, $2)", [LOCK_CLASS, LOCKS.instantlyNormalizer]);
    const aloneWorker = startWorkerProcess(aloneUrl, fake, false);
    fake.resetStats();
    const rawAlone = await runSync(alonePool, { rawOnly: true });
    log(`raw layer alone: ${JSON.stringify(rawAlone)}`);
    await holder.query("select pg_advisory_unlock($1, $2)", [LOCK_CLASS, LOCKS.instantlyNormalizer]);
    holder.release();
    const aloneCpu = { postgres: postgresCpu(), worker: processTreeCpuSeconds(aloneWorker.pid) };
    await alonePool.query("select leadgraph_private.enqueue_instantly_normalization()");
    const normaliseSeconds = await waitNormalised(alonePool);
    aloneCpu.postgres = postgresCpu() - aloneCpu.postgres;
    aloneCpu.worker = processTreeCpuSeconds(aloneWorker.pid) - aloneCpu.worker;
    log(`normaliser alone: ${normaliseSeconds.toFixed(1)} s`);
    await stopWorkerProcess(aloneWorker);
    await alonePool.end();

    // Everything at once, the normaliser profiled.
    const dbUrl = await freshDatabase(rootUrl, "leadgraph_bench_sync");
    const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
    const profile: StepTimes = new Map();
    const worker = startWorkerProcess(dbUrl, fake, false, profile);
    fake.resetStats();
    const syncCpu = { postgres: postgresCpu(), worker: processTreeCpuSeconds(worker.pid), bench: process.cpuUsage() };
    const sync = await runSync(pool);
    const benchCpu = process.cpuUsage(syncCpu.bench);
    syncCpu.postgres = postgresCpu() - syncCpu.postgres;
    syncCpu.worker = processTreeCpuSeconds(worker.pid) - syncCpu.worker;
    log(`sync: ${JSON.stringify(sync)}`);
    const syncSteps = snapshot(profile);
    const eventsBefore = (await pool.query("select count(*)::int as n from events where event_source = 'instantly'")).rows[0].n;
    const renormalizeSeconds = await renormalize(pool, dbUrl, "instantly");
    const eventsAfter = (await pool.query("select count(*)::int as n from events where event_source = 'instantly'")).rows[0].n;
    const renormalizeSteps = since(syncSteps, profile);
    if (renormalizeSeconds !== undefined)
      log(`renormalize instantly: ${renormalizeSeconds.toFixed(1)} s, events ${eventsBefore} -> ${eventsAfter}`);
    await stopWorkerProcess(worker);
    await pool.end();
    await fake.close();
    const rate = (n: number, s: number) => String(Math.round(n / s));
    const floorRate = floor.emails / floor.seconds;
    const rawAloneRate = rawAlone.emails / rawAlone.rawSeconds;
    // A limits-off row: emails/s, and its ratios to the floor and to the raw layer alone.
    const offRow = (what: string, emails: number, seconds: number) => [
      "limits off",
      what,
      String(emails),
      seconds.toFixed(1),
      rate(emails, seconds),
      (emails / seconds / floorRate).toFixed(2),
      (emails / seconds / rawAloneRate).toFixed(2),
    ];
    table.push(
      [...offRow("fetch floor (plain fetch, no database)", floor.emails, floor.seconds).slice(0, 6), "-"],
      offRow("raw layer alone (normaliser held off)", rawAlone.emails, rawAlone.rawSeconds),
      offRow("normaliser alone (the stored backlog)", rawAlone.emails, normaliseSeconds),
      offRow("sync into the raw layer (normaliser running)", sync.emails, sync.rawSeconds),
      offRow("sync end-to-end (raw + events)", sync.events, sync.seconds),
    );
    if (renormalizeSeconds !== undefined) {
      table.push(offRow("renormalize instantly (every raw row again)", sync.emails, renormalizeSeconds));
      notes.push(
        `renormalize instantly: ${eventsBefore} Instantly events before, ${eventsAfter} after (rebuilt); its normaliser steps: ${formatSteps(renormalizeSteps)}`,
      );
    }
    // Where the time went: the three stages one at a time, then the
    // normaliser's steps in the end-to-end run (they overlap the fetch).
    const storeSeconds = Math.max(0, rawAlone.rawSeconds - floor.seconds);
    notes.push(
      `one stage at a time: fetch ${floor.seconds.toFixed(1)} s (the floor), store ${storeSeconds.toFixed(1)} s (raw layer alone minus the floor), ` +
        `normalise ${normaliseSeconds.toFixed(1)} s; together ${(floor.seconds + storeSeconds + normaliseSeconds).toFixed(1)} s, ` +
        `end-to-end with the three overlapping ${sync.seconds.toFixed(1)} s`,
    );
    notes.push(
      `CPU time (steadier than the seconds on a busy machine): normaliser alone, PostgreSQL ${cpuText(aloneCpu.postgres)} and the worker process ` +
        `${cpuText(aloneCpu.worker)} in ${normaliseSeconds.toFixed(1)} s; end to end, PostgreSQL ${cpuText(syncCpu.postgres)}, the worker process ` +
        `${cpuText(syncCpu.worker)} and the fake Instantly server (this process) ${cpuText((benchCpu.user + benchCpu.system) / 1e6)} in ${sync.seconds.toFixed(1)} s`,
    );
    notes.push(
      `the normaliser's steps in the end-to-end run ((js) runs while the SQL steps after bodies-to-convert do): ${formatSteps(syncSteps)}`,
    );
    notes.push(
      `limits off: run ${sync.status}, ${sync.requests} requests, ${sync.rateLimited} answered 429; ${sync.events} email events from ${sync.emails} emails stored ` +
        `(goal: >= 5,000 emails/s end-to-end: ${sync.events / sync.seconds >= 5000 ? "MET" : "NOT MET"})`,
    );

    // 2. Limits on, time-compressed.
    log(`limits on, time x${TIME_SCALE}: ${LIMITED_CAMPAIGNS} campaigns, ${LIMITED_EMAILS} emails`);
    const limited = await startFakeInstantly({
      campaigns: LIMITED_CAMPAIGNS,
      accounts: 20,
      emails: LIMITED_EMAILS,
      rateLimits: true,
      timeScale: TIME_SCALE,
      seed: 2,
    });
    const limitedUrl = await freshDatabase(rootUrl, "leadgraph_bench_sync_limited");
    const limitedPool = new pg.Pool({ connectionString: limitedUrl, max: 2 });
    await findDrainQueues(limitedPool);
    const limitedWorker = startWorkerProcess(limitedUrl, limited, true);
    limited.resetStats();
    const watch = watchEmailRequests(limited);
    const paced = await runSync(limitedPool);
    const emailsPhase = watch.stop();
    log(`sync: ${JSON.stringify(paced)}; /emails: ${JSON.stringify(emailsPhase)}`);
    await stopWorkerProcess(limitedWorker);
    await limitedPool.end();
    const fake429 = limited.stats.rateLimited;
    await limited.close();
    // The ceiling, in compressed time: 20 requests (of up to 100 emails) per 60 s / TIME_SCALE.
    const ceilingRequestsPerSecond = (20 * TIME_SCALE) / 60;
    const requestShare = (emailsPhase.requests - 1) / emailsPhase.seconds / ceilingRequestsPerSecond;
    const emailShare = paced.emails / emailsPhase.seconds / (ceilingRequestsPerSecond * 100);
    table.push(
      ["limits on", "/emails ceiling (20 req/min x 100)", "-", "-", String(Math.round(ceilingRequestsPerSecond * 100)), "1.00", "-"],
      [
        "limits on",
        "sync /emails requests",
        String(emailsPhase.requests),
        emailsPhase.seconds.toFixed(1),
        `${((emailsPhase.requests - 1) / emailsPhase.seconds).toFixed(1)} req/s`,
        requestShare.toFixed(2),
        "-",
      ],
      [
        "limits on",
        "sync emails into the raw layer",
        String(paced.emails),
        emailsPhase.seconds.toFixed(1),
        rate(paced.emails, emailsPhase.seconds),
        emailShare.toFixed(2),
        "-",
      ],
    );
    notes.push(
      `limits on (time x${TIME_SCALE}): run ${paced.status}, ${paced.requests} requests, ${fake429} answered 429 by the fake (${paced.rateLimited} seen by the sync); ` +
        `share of the /emails ceiling: ${(requestShare * 100).toFixed(1)}% of the requests, ${(emailShare * 100).toFixed(1)}% of the emails ` +
        `(a campaign's last page is partial and ends with an empty page) ` +
        `(goal: >= 90% and zero 429s: ${requestShare >= 0.9 && fake429 === 0 ? "MET" : "NOT MET"} by requests, ${emailShare >= 0.9 && fake429 === 0 ? "MET" : "NOT MET"} by emails)`,
    );

    const header = ["limits", "what", "emails", "seconds", "emails/s", "vs baseline", "vs raw alone"];
    console.log(`\nleadgraph bench:sync (fake Instantly in the bench process, worker in its own process, deterministic data)`);
    console.log(`${machine}\n`);
    for (const line of formatTable(header, table)) console.log(line);
    console.log("");
    for (const note of notes) console.log(`- ${note}`);
  } finally {
    if (embedded) await embedded.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
