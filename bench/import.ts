// npm run bench:import
//
// Generates Apollo-like CSV files (synthetic, deterministic) of 100k and 1M
// rows: ~4 leads per company, ~3% duplicate emails differing in case or
// spaces, ~2% empty emails, quoted multi-value cells. For each, side by side:
//   parse only      openCsv over the file (the streaming reader)
//   COPY ceiling    PostgreSQL's COPY of the same file into an unlogged table
//   end-to-end      leadgraph's upload + the worker's normalisation (dedup)
// in rows/s, with the peak RSS of this node process during each phase, the
// ratio to COPY measured in the same run, and where the end-to-end time went
// (upload, waiting for the worker, normalisation and its slowest SQL steps).
// BENCH_DATABASE_URL: a server to use (default: an embedded PostgreSQL in a
// temporary folder); BENCH_SIZES: e.g. "100000,1000000".
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { loadConfig } from "../src/config.ts";
import { startEmbedded, type EmbeddedPostgres } from "../src/database/embedded.ts";
import { databaseUrl } from "../src/database/index.ts";
import { applyMigrations } from "../src/database/migrations.ts";
import { runRenormalize } from "../src/renormalize.ts";
import { collectSqlStepTimes } from "../src/database/sql-steps.ts";
import { openCsv } from "../src/sources/csv/reader.ts";
import { uploadCsv } from "../src/sources/csv/upload.ts";
import { startWorker } from "../src/worker.ts";
import { exitOnSignal, formatSteps, formatTable, machineLine, processTreeCpuSeconds } from "./report.ts";

const SIZES = (process.env.BENCH_SIZES ?? "100000,1000000").split(",").map(Number);
const log = (message: string) => console.error(`bench: ${message}`);

const HEADER =
  "First Name,Last Name,Title,Company Name,Email,Email Status,Seniority,Departments,Mobile Phone,Corporate Phone,# Employees,Industry,Keywords,Person Linkedin Url,Website,City,State,Country,Technologies,Annual Revenue,Apollo Contact Id,Apollo Account Id";

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate(file: string, rows: number) {
  if (fs.existsSync(file)) return;
  const next = random(42);
  const out = fs.createWriteStream(file);
  const write = (line: string) => (out.write(line) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r())));
  await write(HEADER + "\n");
  const industries = [
    "information technology & services",
    "marketing & advertising",
    "health, wellness & fitness",
    "real estate",
    "computer software",
  ];
  for (let i = 1; i <= rows; i++) {
    const company = Math.ceil(i / 4);
    const r = next();
    let email = `person${i}@company${company}.example`;
    if (r < 0.02) email = "";
    else if (r < 0.05 && i > 10) email = ` Person${i - 7}@Company${Math.ceil((i - 7) / 4)}.EXAMPLE`; // a duplicate in other case, with a space
    const website = next() < 0.5 ? `http://www.company${company}.example` : `https://company${company}.example/`;
    await write(
      `First${i},Last${i},${next() < 0.1 ? "VP Sales " : "Head of Growth"},"Company ${company}, Inc.",${email},${email ? "Verified" : "Unavailable"},` +
        `${next() < 0.5 ? "Vp" : "Director"},"Sales, Marketing",'+1 555-555-${String(i % 10000).padStart(4, "0")},'+1 555-555-0100,${5 + (company % 500)},` +
        `"${industries[company % industries.length]}","saas, data, analytics, b2b",http://www.linkedin.com/in/person-${i},${website},Austin,Texas,United States,` +
        `"Gmail, Google Apps, Slack, HubSpot, ",${1_000_000 + company},${(0x6a1f0c2b9e8d7c00n + BigInt(i)).toString(16)},${(0x6a1f0c2b9e8d0000n + BigInt(company)).toString(16)}\n`,
    );
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

/** The embedded server's postmaster (its processes' CPU time is PostgreSQL's); undefined with BENCH_DATABASE_URL. */
let postmasterPid: number | undefined;

interface Measured<T> {
  seconds: number;
  peakMb: number;
  /** CPU seconds of PostgreSQL (every process of the embedded server; NaN for a server elsewhere) and of this process (reader, uploader, worker). */
  cpu: { postgres: number; node: number };
  result: T;
}

/** Runs `fn`, sampling this process's RSS; returns seconds, peak MB and CPU time. */
async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const postgresBefore = processTreeCpuSeconds(postmasterPid);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  try {
    const result = await fn();
    const node = process.cpuUsage(nodeBefore);
    return {
      seconds: (performance.now() - started) / 1000,
      peakMb: Math.round(Math.max(peak, process.memoryUsage().rss) / 2 ** 20),
      cpu: {
        postgres: processTreeCpuSeconds(postmasterPid) - postgresBefore,
        node: (node.user + node.system) / 1e6,
      },
      result,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** The table's CPU cells: PostgreSQL's and Node's seconds. */
const cpuCells = (m: Measured<unknown>) => [Number.isNaN(m.cpu.postgres) ? "-" : m.cpu.postgres.toFixed(1), m.cpu.node.toFixed(1)];

async function main() {
  let embedded: EmbeddedPostgres | undefined;
  const dataDir = path.join(os.tmpdir(), `leadgraph-bench-import-${process.pid}`);
  let rootUrl = process.env.BENCH_DATABASE_URL;
  try {
    if (!rootUrl) {
      embedded = await startEmbedded({ dataDir, log });
      rootUrl = embedded.url("postgres");
      postmasterPid = embedded.pid;
    }
    const root = new pg.Client({ connectionString: rootUrl });
    await root.connect();
    await root.query("drop database if exists leadgraph_bench_import with (force)");
    await root.query("create database leadgraph_bench_import");
    const machine = machineLine((await root.query("show server_version")).rows[0].server_version);
    await root.end();
    const dbUrl = databaseUrl(rootUrl, "leadgraph_bench_import");
    await applyMigrations({ url: dbUrl, rootUrl, shadowUrl: undefined, authenticatorPassword: undefined }, { quiet: true });
    const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
    const worker = await startWorker({ databaseUrl: dbUrl, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 60_000, quiet: true });

    const table: string[][] = [];
    const splits: string[] = [];
    for (const size of SIZES) {
      const file = path.join(os.tmpdir(), `leadgraph-bench-apollo-${size}.csv`);
      log(`generating ${file}`);
      await generate(file, size);

      const parse = await measure(async () => {
        const { records } = await openCsv(fs.createReadStream(file), { maxFileBytes: 2 ** 34, maxRecordBytes: 2 ** 20 });
        let n = 0;
        for await (const _ of records) n++;
        return n;
      });
      log(`parse only: ${parse.result} rows in ${parse.seconds.toFixed(1)} s`);

      const copy = await measure(async () => {
        const client = await pool.connect();
        try {
          const columns = HEADER.split(",")
            .map((_, i) => `c${i} text`)
            .join(", ");
          await client.query(`drop table if exists copy_ceiling; create unlogged table copy_ceiling (${columns})`);
          await pipeline(fs.createReadStream(file), client.query(copyFrom("copy copy_ceiling from stdin (format csv, header true)")));
          return (await client.query("select count(*)::int as n from copy_ceiling")).rows[0].n as number;
        } finally {
          client.release();
        }
      });
      log(`COPY: ${copy.result} rows in ${copy.seconds.toFixed(1)} s`);

      const steps = collectSqlStepTimes();
      let uploadSeconds = 0;
      const endToEnd = await measure(async () => {
        const started = performance.now();
        const { importId } = await uploadCsv(pool, fs.createReadStream(file), {
          fileName: path.basename(file),
          limits: { maxFileBytes: 2 ** 34, maxRecordBytes: 2 ** 20 },
        });
        uploadSeconds = (performance.now() - started) / 1000;
        for (;;) {
          const { rows } = await pool.query(
            `select import_status, leads_inserted, duplicate_rows, failed_rows, companies_inserted,
                    extract(epoch from processing_completed_at - processing_started_at)::float8 as normalise_seconds
               from csv_imports_raw where id = $1`,
            [importId],
          );
          if (["completed", "completed_with_errors", "failed"].includes(rows[0].import_status)) return rows[0];
          await new Promise((r) => setTimeout(r, 100));
        }
      });
      const { normalise_seconds: normaliseSeconds, ...counts } = endToEnd.result;
      splits.push(
        `${size} rows: upload ${uploadSeconds.toFixed(1)} s (COPY while parsing), ` +
          `waiting for the worker ${(endToEnd.seconds - uploadSeconds - normaliseSeconds).toFixed(1)} s, ` +
          `normalisation ${normaliseSeconds.toFixed(1)} s; its SQL steps: ${formatSteps(steps)}`,
      );
      log(`end-to-end: ${JSON.stringify(counts)} in ${endToEnd.seconds.toFixed(1)} s`);
      const rate = (seconds: number) => Math.round(size / seconds);
      table.push(
        [
          String(size),
          "parse only (openCsv)",
          parse.seconds.toFixed(1),
          String(rate(parse.seconds)),
          "-",
          ...cpuCells(parse),
          String(parse.peakMb),
        ],
        [
          String(size),
          "COPY into unlogged table",
          copy.seconds.toFixed(1),
          String(rate(copy.seconds)),
          "1.00",
          ...cpuCells(copy),
          String(copy.peakMb),
        ],
        [
          String(size),
          "end-to-end import",
          endToEnd.seconds.toFixed(1),
          String(rate(endToEnd.seconds)),
          (copy.seconds / endToEnd.seconds).toFixed(2),
          ...cpuCells(endToEnd),
          String(endToEnd.peakMb),
        ],
      );
      await pool.query("truncate copy_ceiling");

      // `leadgraph renormalize csv --wait`: every import so far normalised again from its stored rows.
      const { rows: queued } = await pool.query<{ n: number; imports: number }>(
        "select coalesce(sum(total_rows), 0)::int as n, count(*)::int as imports from csv_imports_raw",
      );
      const renormalizeSteps = collectSqlStepTimes();
      const renormalize = await measure(() => runRenormalize("csv", { wait: true }, { url: dbUrl, embedded: undefined }, loadConfig()));
      if (renormalize.result !== 0) throw new Error(`renormalize csv exited with ${renormalize.result}`);
      const n = queued[0]!.n;
      table.push([
        String(size),
        `renormalize csv (${queued[0]!.imports} imports, ${n} rows)`,
        renormalize.seconds.toFixed(1),
        String(Math.round(n / renormalize.seconds)),
        (copy.seconds / size / (renormalize.seconds / n)).toFixed(2),
        ...cpuCells(renormalize),
        String(renormalize.peakMb),
      ]);
      splits.push(`renormalize csv after the ${size}-row import (${n} rows): its SQL steps: ${formatSteps(renormalizeSteps, 5)}`);
    }
    await worker.stop();
    await pool.end();

    const header = ["rows", "what", "seconds", "rows/s", "vs COPY", "PostgreSQL CPU s", "Node CPU s", "peak RSS MB"];
    console.log(`\nleadgraph bench:import (Apollo-like CSV, deterministic seed)`);
    console.log(`${machine}\n`);
    for (const line of formatTable(header, table)) console.log(line);
    console.log("\nWhere the end-to-end time went:");
    for (const split of splits) console.log(`  ${split}`);
    console.log(
      "\nGoals: 100k rows end-to-end <= 10 s; >= 25% of the COPY ceiling; peak RSS <= 300 MB on 1M rows. (Peak RSS and Node CPU are this process: reader, uploader and worker. " +
        "PostgreSQL CPU is every process of the embedded server: on a busy machine it is steadier than the seconds; above the seconds, both cores worked.)",
    );
  } finally {
    if (embedded) await embedded.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

exitOnSignal();
await main();
