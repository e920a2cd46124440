// npm run bench:collation
//
// What the Unicode decision of migration 000017 costs (docs/decisions.md):
// the same operations on 1M generated names and addresses in many scripts
// under the three collations in question, side by side, in one database:
//   C           byte-wise (what clusters made before had; the baseline)
//   pg_c_utf8   PostgreSQL's builtin C.UTF-8 (the embedded cluster's default now)
//   und-x-icu   ICU's root collation (person and company names, email keys)
// plus leadgraph_rules.normalize_email() against a plain lower(btrim()).
// BENCH_ROWS: rows (default 1,000,000); BENCH_DATABASE_URL: a server to use.
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import pg from "pg";
import { startEmbedded, type EmbeddedPostgres } from "../src/database/embedded.ts";
import { databaseUrl } from "../src/database/index.ts";
import { applyMigrations } from "../src/database/migrations.ts";
import { exitOnSignal, formatPlanBreakdown, formatTable, machineLine, planBreakdown } from "./report.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const COLLATIONS = ["C", "pg_c_utf8", "und-x-icu"] as const;
const log = (message: string) => console.error(`bench: ${message}`);

async function timed(client: pg.Client, sql: string): Promise<number> {
  const started = performance.now();
  await client.query(sql);
  return performance.now() - started;
}

/** Best of three, in ms (the first run also warms the cache). */
async function best(client: pg.Client, sql: string): Promise<number> {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await timed(client, sql));
  return Math.min(...runs);
}

async function main() {
  let embedded: EmbeddedPostgres | undefined;
  const dataDir = path.join(os.tmpdir(), `leadgraph-bench-collation-${process.pid}`);
  let rootUrl = process.env.BENCH_DATABASE_URL;
  try {
    if (!rootUrl) {
      embedded = await startEmbedded({ dataDir, settings: { work_mem: "256MB" }, log });
      rootUrl = embedded.url("postgres");
    }
    const root = new pg.Client({ connectionString: rootUrl });
    await root.connect();
    await root.query("drop database if exists leadgraph_bench_collation with (force)");
    await root.query("create database leadgraph_bench_collation");
    const machine = machineLine((await root.query("show server_version")).rows[0].server_version);
    await root.end();
    const url = databaseUrl(rootUrl, "leadgraph_bench_collation");
    await applyMigrations({ url, rootUrl, shadowUrl: undefined, authenticatorPassword: undefined }, { quiet: true });
    const client = new pg.Client({ connectionString: url });
    await client.connect();

    log(`generating ${ROWS} names and addresses`);
    // Names from several scripts and cases; addresses from them.
    await client.query(`
      create unlogged table people as
      select (array['Łukasz','łukasz','Zoë','ZOË','Åsa','Émile','Jürgen','MÜLLER','Ørsted','Çağrı','Дмитрий','Σοφία','Nguyễn','apple','Bob','zeta'])[1 + i % 16]
             || ' ' || (array['Nowak','Brontë','Öberg','Zola','Müller','van der Berg','Иванов','Παπαδόπουλος','Trần','Smith'])[1 + (i / 16) % 10]
             || ' ' || i as name,
             (array['Łukasz','ZOË','Åsa','émile','JÜRGEN','ørsted','Dmitry','sofia','Nguyen','Bob'])[1 + i % 10] || '.' || i
             || '@Example-' || (i % 5000) || '.COM' as email
      from generate_series(1, ${ROWS}) i`);
    await client.query("analyze people");

    const rows: string[][] = [];
    // Where the time went: each measure is one statement, so its plan's
    // nodes by their own time, under C and under the slowest collation.
    const breakdowns: string[] = [];
    const measures = {
      "lower() of every address": (c: string) => `select count(distinct lower(email collate "${c}")) from people`,
      "ILIKE '%müller%' over every name": (c: string) => `select count(*) from people where (name collate "${c}") ilike '%müller%'`,
      "sort every name": (c: string) => `select max(r) from (select row_number() over (order by name collate "${c}") r from people) s`,
      "build a btree index on name": (c: string) =>
        `drop index if exists people_name_idx; create index people_name_idx on people ((name collate "${c}"))`,
    } as const;
    for (const [what, sql] of Object.entries(measures)) {
      const baseline = await best(client, sql("C"));
      for (const collation of COLLATIONS) {
        const ms = collation === "C" ? baseline : await best(client, sql(collation));
        // How many names the search finds under each collation (the point of the change).
        const matches = what.startsWith("ILIKE") ? String((await client.query(sql(collation))).rows[0].count) : "-";
        rows.push([what, collation, ms.toFixed(0), (ms / baseline).toFixed(2), matches]);
      }
      if (!what.startsWith("build")) {
        // (CREATE INDEX has no plan to explain.)
        const slowest = rows.filter((r) => r[0] === what).sort((a, b) => Number(b[2]) - Number(a[2]))[0]![1]!;
        for (const collation of new Set(["C", slowest]))
          breakdowns.push(`${what}, ${collation}: ${formatPlanBreakdown(await planBreakdown(client, sql(collation)))}`);
      }
    }
    breakdowns.push(
      `email key, normalize_email: ${formatPlanBreakdown(await planBreakdown(client, "select count(distinct leadgraph_rules.normalize_email(email)) from people"))}`,
    );
    const plain = await best(client, "select count(distinct nullif(lower(btrim(email)), '')) from people");
    const rule = await best(client, "select count(distinct leadgraph_rules.normalize_email(email)) from people");
    rows.push(["email key: nullif(lower(btrim(x)), '') (old)", "default", plain.toFixed(0), "1.00", "-"]);
    rows.push(["email key: leadgraph_rules.normalize_email(x)", "und-x-icu + NFC", rule.toFixed(0), (rule / plain).toFixed(2), "-"]);
    const { rows: keys } = await client.query(
      `select count(distinct nullif(lower(btrim(email collate "C")), ''))::int as c, count(distinct leadgraph_rules.normalize_email(email))::int as rule from people`,
    );
    await client.end();

    console.log(`\nleadgraph bench:collation (${ROWS.toLocaleString("en")} rows, best of 3)`);
    console.log(`${machine}\n`);
    for (const line of formatTable(["operation", "collation", "ms", "vs C", "matches"], rows)) console.log(line);
    console.log(
      `\n- distinct address keys: ${keys[0].c} with a C lower() (folds ASCII only), ${keys[0].rule} with normalize_email (every script)`,
    );
    console.log("- ILIKE under C finds only the names already written in lower case; the others fold every script.");
    console.log(
      "\nWhere the time went (EXPLAIN ANALYZE: plan nodes by their own time, share of the statement; a node's time includes the expressions it evaluates, e.g. a Seq Scan's ILIKE):",
    );
    for (const b of breakdowns) console.log(`- ${b}`);
  } finally {
    if (embedded) await embedded.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

exitOnSignal();
await main();
