// npm run bench:web
//
// The web app in headless Chromium on seeded data: a lead with 1,000 events
// among 100k leads, and a campaign with 100k memberships. Measures
//   - the bundle: what the first page loads (JS and CSS, gzip) and the lazy chunks;
//   - navigation to a usable lead page (profile and the first page of its
//     timeline on screen) and to a usable campaign dashboard (KPI cards and the
//     daily chart drawn), cold (new browser context) and warm (same context);
// side by side with the baseline measured in the same run: the same page's
// GraphQL requests sent by Node (what the browser cannot beat), as ratios.
// Goals (issue 10): lead page <= 500 ms, dashboard <= 1 s, initial JS <= 300 kB gzip.
//
// Options (environment): BENCH_DATABASE_URL, BENCH_DATA_DIR (as bench:graphql),
// BENCH_RUNS (10), CHROMIUM_PATH (/usr/bin/chromium).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import pg from "pg";
import type { BrowserContext, Page, Request } from "playwright-core";
import { projectRoot } from "../src/config.ts";
import { startEmbedded, type EmbeddedPostgres } from "../src/database/embedded.ts";
import { databaseUrl } from "../src/database/index.ts";
import { applyMigrations } from "../src/database/migrations.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/roles.ts";
import { WEB_DIST } from "../src/web.ts";
import { CHROMIUM_PATH, launchChromium } from "../web/chromium.ts";
import {
  enableStatementStats,
  formatStatements,
  machineLine,
  resetStatementStats,
  STATEMENT_STATS_SETTINGS,
  topStatements,
  type StatementStat,
} from "./report.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const AUTH_PASSWORD = "bench-authenticator";
const DATABASE = "leadgraph_bench_web";
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
values ('Bench web campaign', '00000000-0000-0000-0000-000000000004', 'active', true);

-- Every lead in the campaign: 100k memberships.
insert into campaign_leads (campaign_id, lead_id, email_status, email_sent_at, email_replied_at, overall_status, sequence_step)
select c.id, l.id,
       (array['sent', 'opened', 'replied', 'bounced', 'pending', 'sent'])[1 + n % 6],
       now() - ((n * 13) % 90) * interval '1 day',
       case when n % 6 = 2 then now() - ((n * 13) % 80) * interval '1 day' end,
       case when n % 6 = 2 then 'replied' when n % 6 = 3 then 'bounced' else 'active' end,
       1 + n % 3
from (select id, row_number() over (order by email) as n from leads) l
cross join (select id from campaigns where campaign_name = 'Bench web campaign') c;

-- 300k events over 90 days across the memberships, and 1,000 for lead 1.
insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject, email_body)
select 'instantly', (array['email_sent', 'email_opened', 'email_sent', 'email_replied', 'link_clicked', 'email_bounced'])[1 + g % 6],
       m.lead_id, m.campaign_id, m.id, now() - ((g::bigint * 7919) % 129600) * interval '1 minute',
       'Quick question ' || (g % 1000), 'Hi, following up about automation and pricing, note ' || (g % 5000)
from generate_series(1, 300000) g
join (select id, lead_id, campaign_id, row_number() over (order by id) as n from campaign_leads) m on m.n = 1 + g % 100000;

insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject, email_body)
select 'instantly', (array['email_sent', 'email_opened', 'email_replied', 'link_clicked'])[1 + g % 4],
       m.lead_id, m.campaign_id, m.id, now() - g * interval '2 hours',
       'Following up ' || g, 'Hi First1, a longer body to expand, number ' || g
from generate_series(1, 1000) g
join campaign_leads m on m.lead_id = (select id from leads where email = 'lead1@company2.example');
`;

async function seed(ownerUrl: string) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    if ((await client.query("select count(*)::int as n from campaign_leads")).rows[0].n >= 100_000)
      return log("scratch database already seeded");
    const started = Date.now();
    await client.query(SEED_SQL);
    await client.query("vacuum analyze");
    log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await client.end();
  }
}

function bundle() {
  const html = fs.readFileSync(path.join(WEB_DIST, "index.html"), "utf8");
  const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]));
  const rows = fs.readdirSync(path.join(WEB_DIST, "assets")).map((name) => {
    const bytes = fs.readFileSync(path.join(WEB_DIST, "assets", name));
    return { name, initial: initial.has(`assets/${name}`), raw: bytes.length, gzip: gzipSync(bytes).length };
  });
  return rows.sort((a, b) => Number(b.initial) - Number(a.initial) || b.gzip - a.gzip);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function main() {
  if (!fs.existsSync(path.join(WEB_DIST, "index.html"))) throw new Error("web/dist is not built: npm run build:web");
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let rootUrl = process.env.BENCH_DATABASE_URL;
  let server: ChildProcess | undefined;
  try {
    if (!rootUrl) {
      dataDir = process.env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), `leadgraph-bench-web-${process.pid}`);
      embedded = await startEmbedded({
        dataDir,
        settings: { ...STATEMENT_STATS_SETTINGS, fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
        log,
      });
      rootUrl = embedded.url("postgres");
    }
    const root = new pg.Client({ connectionString: rootUrl });
    await root.connect();
    if (!(await root.query("select 1 from pg_database where datname = $1", [DATABASE])).rowCount)
      await root.query(`create database ${DATABASE}`);
    const machine = machineLine((await root.query("show server_version")).rows[0].server_version);
    await root.end();
    const ownerUrl = databaseUrl(rootUrl, DATABASE);
    const authUrl = databaseUrl(rootUrl, DATABASE, { user: AUTHENTICATOR_ROLE, password: AUTH_PASSWORD });
    await applyMigrations({ url: ownerUrl, rootUrl, shadowUrl: undefined, authenticatorPassword: AUTH_PASSWORD }, { quiet: true });
    await seed(ownerUrl);
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    const leadId = (await client.query("select id from leads where email = 'lead1@company2.example'")).rows[0].id;
    const campaignId = (await client.query("select id from campaigns where campaign_name = 'Bench web campaign'")).rows[0].id;
    const leadEvents = (await client.query("select count(*)::int as n from events where lead_id = $1", [leadId])).rows[0].n;
    await client.end();
    // The database's share: statements per page (as the superuser: the extension is not trusted).
    const stats = new pg.Client({ connectionString: ownerUrl });
    await stats.connect();
    const haveStats = await enableStatementStats(stats, log);
    const statementsOf: Record<string, StatementStat[]> = {};

    // The app as users get it: `leadgraph server` in development mode on loopback (no token).
    const port = await freePort();
    server = spawn(process.execPath, [path.join(projectRoot, "bin", "leadgraph.js"), "server", "--no-migrate"], {
      env: {
        ...process.env,
        DATABASE_URL: ownerUrl,
        AUTH_DATABASE_URL: authUrl,
        PORT: String(port),
        HOST: "127.0.0.1",
        NODE_ENV: "development",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 300) throw new Error("the server did not become healthy");
      await new Promise((r) => setTimeout(r, 100));
    }

    const browser = await launchChromium();
    const pages = [
      {
        name: "lead page",
        route: `/leads/${leadId}`,
        ready: [(page: Page) => page.getByRole("region", { name: "Timeline" }).locator("[data-event-source]").first()],
        goal: 500,
      },
      {
        name: "campaign dashboard",
        route: `/campaigns/${campaignId}`,
        ready: [(page: Page) => page.getByTestId("kpi-contacted"), (page: Page) => page.locator(".recharts-surface").first()],
        goal: 1000,
      },
    ];
    // The browser's own floor: a fresh context loading a tiny response from the same server.
    const floor: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(`${base}/healthz`);
      if (run > 0) floor.push(Date.now() - started);
      await context.close();
    }
    const results: Array<{ name: string; mode: string; times: number[]; graphql: number[]; goal: number; requests: string[] }> = [];
    for (const target of pages) {
      if (haveStats) await resetStatementStats(stats);
      for (const mode of ["cold", "warm"] as const) {
        const times: number[] = [];
        const graphql: number[] = [];
        let requests: string[] = [];
        let context: BrowserContext | undefined;
        for (let run = 0; run <= RUNS; run++) {
          if (mode === "cold" || !context) {
            await context?.close();
            context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
          }
          const page = await context.newPage();
          const bodies: string[] = [];
          page.on("request", (request: Request) => {
            if (request.url().endsWith("/graphql") && request.method() === "POST") bodies.push(request.postData() ?? "");
          });
          if (mode === "warm") await page.goto(`${base}/`, { waitUntil: "networkidle" });
          const started = Date.now();
          if (mode === "warm")
            // Inside the app: as a click on a link does (react-router follows popstate).
            await page.evaluate(`history.pushState({}, "", ${JSON.stringify(target.route)}); dispatchEvent(new PopStateEvent("popstate"))`);
          else await page.goto(`${base}${target.route}`);
          for (const ready of target.ready) await ready(page).waitFor({ timeout: 30_000 });
          const elapsed = Date.now() - started;
          // Baseline: the same GraphQL requests from Node, one after another as the page needs them.
          const requestStarted = Date.now();
          for (const body of bodies.filter((b) => !b.includes("query Viewer")))
            await (await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body })).text();
          const requestTime = Date.now() - requestStarted;
          await page.close();
          if (run === 0) continue; // warm-up
          times.push(elapsed);
          graphql.push(requestTime);
          requests = bodies.map((b) => (JSON.parse(b).query as string).match(/(query|mutation)\s+(\w+)/)?.[2] ?? "anonymous");
        }
        await context?.close();
        results.push({ name: target.name, mode, times, graphql, goal: target.goal, requests });
      }
      if (haveStats) statementsOf[target.name] = await topStatements(stats, 5);
    }
    await browser.close();
    await stats.end();

    console.log(`\nleadgraph bench:web: ${RUNS} runs each`);
    console.log(machine);
    console.log(`data: 100k leads, a campaign with 100k memberships, a lead with ${leadEvents} events\n`);
    const files = bundle();
    const initialJs = files.filter((f) => f.initial && f.name.endsWith(".js")).reduce((s, f) => s + f.gzip, 0);
    const initialCss = files.filter((f) => f.initial && f.name.endsWith(".css")).reduce((s, f) => s + f.gzip, 0);
    console.log("bundle                                   raw        gzip   loaded");
    for (const f of files)
      console.log(`  ${f.name.padEnd(36)} ${kb(f.raw).padStart(10)} ${kb(f.gzip).padStart(10)}   ${f.initial ? "first page" : "lazily"}`);
    console.log(
      `  initial JS ${kb(initialJs)} gzip (goal <= 300 kB: ${initialJs <= 300 * 1024 ? "met" : "NOT met"}), CSS ${kb(initialCss)}\n`,
    );
    console.log("page                 mode   usable p50   p90    GraphQL alone p50   ratio   goal");
    for (const r of results) {
      const [p, g] = [median(r.times), median(r.graphql)];
      console.log(
        `${r.name.padEnd(20)} ${r.mode.padEnd(6)} ${`${p} ms`.padStart(8)} ${`${p90(r.times)} ms`.padStart(7)} ${`${g} ms`.padStart(14)} ${`${(p / Math.max(g, 1)).toFixed(1)}x`.padStart(10)}   <= ${r.goal} ms ${p <= r.goal ? "met" : "NOT met"}`,
      );
    }
    console.log(`\nbrowser floor (a fresh context loading /healthz): p50 ${median(floor)} ms, p90 ${p90(floor)} ms`);
    console.log("where the time goes: 'GraphQL alone' is the page's own requests replayed from Node (server + database);");
    console.log("the rest is loading and parsing the bundle (cold), React rendering and, on the dashboard, drawing the chart.");
    for (const r of results.filter((x) => x.mode === "cold")) console.log(`  ${r.name} requests: ${r.requests.join(", ")}`);
    for (const [name, statements] of Object.entries(statementsOf)) {
      console.log(`\n${name}: the database's top statements over its runs, both modes and the replays (pg_stat_statements):`);
      for (const line of formatStatements(statements, 80)) console.log(`  ${line}`);
    }
  } finally {
    server?.kill("SIGTERM");
    if (embedded) await embedded.stop();
    if (dataDir && !process.env.BENCH_DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
