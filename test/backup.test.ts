// `leadgraph backup` and `leadgraph restore` (src/backup.ts, docs/backup.md)
// against a real app: `leadgraph start` as a process on a data directory of
// its own, an import and an Instantly sync (from the fake Instantly server)
// writing while the backup copies the files.
//
// What "identical at the backup point" is checked against: a physical backup
// restores the state at its stop LSN, and on a server that keeps writing that
// state is gone a moment later. So the test freezes the writers (SIGSTOP to the
// app and the CLI processes) when the files are copied, just before
// pg_backup_stop (the beforeStop hook), waits until no statement of theirs is
// running any more, and reads every table of the source after pg_backup_stop,
// still frozen: nothing commits between the stop LSN and that read, so the
// restored copy must equal it row for row. The freeze only pins the end point:
// the files were copied while the import and the sync wrote (the test checks
// that the source changed between pg_backup_start and the freeze), which is
// what the WAL from the start to the stop LSN has to repair. Transactions the
// writers had open are in neither (they had not committed). Two differences
// are by design: restore releases the jobs the old server's worker held
// (graphile_worker's locked_at, locked_by and is_available, compared without), and a
// sequence comes back up to 32 values ahead (PostgreSQL logs nextval() ahead,
// and recovery resumes from the logged value: gaps, never reuse).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { backupEmbedded } from "../src/backup.ts";
import { projectRoot } from "../src/config.ts";
import { runningEmbeddedUrl, startEmbedded } from "../src/database/embedded.ts";
import { startFakeInstantly, type FakeInstantly } from "../tools/fake-instantly/server.ts";

const bin = path.join(projectRoot, "bin", "leadgraph.js");
const children = new Set<ChildProcess>();
/** Temporary folders: data directories, their copies and the files. */
const workDirs: string[] = [];
let fake: FakeInstantly | undefined;

afterAll(async () => {
  for (const child of children) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
  await fake?.close();
  for (const dir of workDirs) {
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const pid = postmasterPid(path.join(dir, name));
      if (pid && alive(pid)) process.kill(pid, "SIGQUIT");
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of [
    "DATABASE_URL",
    "AUTH_DATABASE_URL",
    "ROOT_DATABASE_URL",
    "SHADOW_DATABASE_URL",
    "LEADGRAPH_PG_PORT",
    "JWT_SECRET",
    "NODE_ENV",
    "INSTANTLY_API_KEY",
  ]) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tempDataDir(name: string): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `leadgraph-${name}-`));
  workDirs.push(work);
  return path.join(work, "data");
}

function spawnLeadgraph(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => (children.delete(child), resolve(code))));
  return { child, exited, output: () => output };
}

function runLeadgraph(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [bin, ...args], { env, encoding: "utf8", timeout: 120_000 });
}

/** `leadgraph start` until it says ready; resolves with its base URL. */
async function startApp(env: NodeJS.ProcessEnv) {
  const app = spawnLeadgraph(["start"], env);
  const deadline = Date.now() + 90_000;
  let url: string | undefined;
  while (!(url = /GraphQL API at (http:\/\/\S+)\/graphql/.exec(app.output())?.[1]) || !/leadgraph: ready/.test(app.output())) {
    if (app.child.exitCode !== null || Date.now() > deadline) throw new Error(`leadgraph start did not get ready:\n${app.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ...app, url };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

// Restore releases the jobs of the old server's workers (src/backup.ts): these
// columns differ on purpose (is_available is generated from locked_at).
const RELEASED_ON_RESTORE: Record<string, string[]> = {
  "graphile_worker._private_jobs": ["locked_at", "locked_by", "is_available"],
  "graphile_worker._private_job_queues": ["locked_at", "locked_by", "is_available"],
};

interface Contents {
  tables: Map<string, { rows: number; digest: string }>;
  sequences: Map<string, { value: number; increment: number }>;
}

/** Every table of every schema of the database (count and a digest of its rows, in one snapshot), and every sequence. */
async function contents(url: string): Promise<Contents> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    const { rows: names } = await client.query<{ name: string; schema: string; table: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name, n.nspname as schema, c.relname as table
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and c.relpersistence <> 't' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
        order by 1`,
    );
    const tables = new Map<string, { rows: number; digest: string }>();
    for (const { name, schema, table } of names) {
      const without = RELEASED_ON_RESTORE[`${schema}.${table}`];
      const row = without ? `(to_jsonb(t) - array[${without.map((c) => `'${c}'`).join(", ")}])::text` : "to_jsonb(t)::text";
      const { rows } = await client.query<{ rows: number; digest: string }>(
        `select count(*)::int as rows, md5(coalesce(string_agg(r, E'\\n' order by r), '')) as digest from (select ${row} as r from ${name} t) s`,
      );
      tables.set(name, rows[0]!);
    }
    const { rows: sequences } = await client.query<{ name: string; value: string | null; increment: string }>(
      "select format('%I.%I', schemaname, sequencename) as name, last_value::text as value, increment_by::text as increment from pg_sequences order by 1",
    );
    await client.query("commit");
    return {
      tables,
      sequences: new Map(sequences.map((s) => [s.name, { value: Number(s.value ?? 0), increment: Number(s.increment) }])),
    };
  } finally {
    await client.end();
  }
}

/** Waits until no client session but ours runs a statement (the frozen writers' backends wait on their client, or are idle). */
async function quiescent(url: string) {
  let quietPolls = 0;
  await until(
    "the frozen writers' statements to finish",
    async () => {
      const [row] = await query<{ running: number }>(
        url,
        `select count(*)::int as running from pg_stat_activity
          where backend_type = 'client backend' and pid <> pg_backend_pid() and state = 'active'
            and wait_event is distinct from 'ClientRead' and wait_event is distinct from 'ClientWrite'`,
      );
      quietPolls = row!.running === 0 ? quietPolls + 1 : 0;
      return quietPolls >= 5;
    },
    30_000,
  );
}

function writeCsv(file: string, rows: number) {
  const lines = ["First Name,Last Name,Company Name,Email,Website"];
  for (let i = 0; i < rows; i++) {
    const company = `company${i % 500}`;
    lines.push(`First${i},Last${i},Company ${i % 500},person${i}@${company}.example,https://${company}.example`);
  }
  fs.writeFileSync(file, lines.join("\n") + "\n");
}

describe("leadgraph backup and restore", () => {
  it("with DATABASE_URL, both say what to use instead and exit non-zero without touching anything", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leadgraph-backup-managed-"));
    workDirs.push(dir);
    const env = cleanEnv({ DATABASE_URL: "postgres://someone@127.0.0.1:1/leadgraph", LEADGRAPH_DATA_DIR: path.join(dir, "data") });
    const file = path.join(dir, "backup.tar.gz");
    const backup = spawnSync(process.execPath, [bin, "backup", file], { env, encoding: "utf8", cwd: dir });
    expect(backup.status).toBe(1);
    expect(backup.stderr).toMatch(/DATABASE_URL is set/);
    expect(backup.stderr).toMatch(/point-in-time recovery/);
    expect(backup.stderr).toMatch(/pg_dump --format=custom/);
    fs.writeFileSync(file, "not a backup");
    const restore = spawnSync(process.execPath, [bin, "restore", file], { env, encoding: "utf8", cwd: dir });
    expect(restore.status).toBe(1);
    expect(restore.stderr).toMatch(/pg_restore/);
    expect(fs.readdirSync(dir)).toEqual(["backup.tar.gz"]);
  });

  it(
    "a backup taken during an import and an Instantly sync restores into a new data directory with every table as the source had it at the backup point",
    { timeout: 300_000 },
    async () => {
      const source = tempDataDir("backup-source");
      const restored = tempDataDir("backup-restored");
      const work = path.dirname(source);
      fake = await startFakeInstantly({ emails: 3000, rateLimits: false });
      const env = cleanEnv({
        LEADGRAPH_DATA_DIR: source,
        PORT: "0",
        INSTANTLY_API_URL: fake.url,
        INSTANTLY_API_KEY: "backup-test-key",
        INSTANTLY_RATE_LIMITS: "false",
      });
      const app = await startApp(env);
      const sourceUrl = (await runningEmbeddedUrl(source, "leadgraph"))!;

      const csv = path.join(work, "leads.csv");
      writeCsv(csv, 20_000);
      const sync = spawnLeadgraph(["sync", "instantly"], env);
      const imported = spawnLeadgraph(["import", csv], env);
      await until("the import to be normalising and the sync to have stored rows", async () => {
        const [row] = await query<{ processing: boolean; synced: boolean }>(
          sourceUrl,
          `select exists (select from csv_import_rows where outcome is not null) and exists (select from csv_import_rows where outcome is null) as processing,
                  exists (select from instantly_emails_raw) as synced`,
        );
        return row!.processing && row!.synced;
      });

      const atStart = await contents(sourceUrl);
      const file = path.join(work, "backup.tar.gz");
      let atFreeze: Contents | undefined;
      const writers = [app, sync, imported].filter((p) => p.child.exitCode === null);
      const result = await backupEmbedded({
        dataDir: source,
        file,
        beforeStop: async () => {
          for (const writer of writers) writer.child.kill("SIGSTOP");
          await quiescent(sourceUrl);
          atFreeze = await contents(sourceUrl);
        },
      });
      // Still frozen: the source as of the stop LSN.
      const reference = await contents(sourceUrl);
      for (const writer of writers) writer.child.kill("SIGCONT");

      expect(result.walSegments).toBeGreaterThan(0);
      expect(result.stopLsn).not.toBe(result.startLsn);
      // The copy ran while they wrote: the source changed between pg_backup_start and the freeze.
      const changed = [...atFreeze!.tables]
        .filter(([name, table]) => atStart.tables.get(name)?.digest !== table.digest)
        .map(([name]) => name);
      expect(changed).toEqual(expect.arrayContaining(["leadgraph_private.csv_import_row_outcomes"]));
      expect(reference.tables).toEqual(atFreeze!.tables);

      // Restore refuses a data directory in use, and one that is not empty.
      const busy = runLeadgraph(["restore", file, "--data-dir", source, "--force"], cleanEnv({}));
      expect(busy.status, busy.stderr).toBe(1);
      expect(busy.stderr).toMatch(/is running on/);

      const restore = runLeadgraph(["restore", file, "--data-dir", restored], cleanEnv({}));
      expect(restore.status, restore.stderr).toBe(0);
      expect(restore.stdout).toMatch(/migrations up to date/);

      const notEmpty = runLeadgraph(["restore", file, "--data-dir", restored], cleanEnv({}));
      expect(notEmpty.status).toBe(1);
      expect(notEmpty.stderr).toMatch(/is not empty: .*--force/);

      // Every table as the source had it at the backup point.
      const server = await startEmbedded({ dataDir: restored });
      let copy: Contents;
      try {
        copy = await contents(server.url("leadgraph"));
        const [{ locked }] = (await query<{ locked: number }>(
          server.url("leadgraph"),
          "select count(*)::int as locked from graphile_worker._private_jobs where locked_by is not null",
        )) as [{ locked: number }];
        expect(locked).toBe(0);
      } finally {
        await server.stop();
      }
      expect([...copy.tables.keys()]).toEqual([...reference.tables.keys()]);
      for (const [name, table] of reference.tables) expect(copy.tables.get(name), name).toEqual(table);
      expect(reference.tables.get("leadgraph_private.csv_import_raw_rows")!.rows).toBe(20_000);
      expect([...copy.sequences.keys()]).toEqual([...reference.sequences.keys()]);
      for (const [name, sequence] of reference.sequences) {
        const value = copy.sequences.get(name)!.value;
        expect(value, name).toBeGreaterThanOrEqual(sequence.value);
        expect(value - sequence.value, name).toBeLessThanOrEqual(32 * Math.abs(sequence.increment));
      }

      await Promise.all([sync.exited, imported.exited]);
      app.child.kill("SIGINT");
      expect(await app.exited).toBe(0);

      // --force keeps the old directory aside; then npm start works on the copy
      // and its worker finishes the import that was half done at the backup point.
      const forced = runLeadgraph(["restore", file, "--data-dir", restored, "--force"], cleanEnv({}));
      expect(forced.status, forced.stderr).toBe(0);
      const aside = /kept in (\S+)/.exec(forced.stdout)?.[1];
      expect(aside && fs.existsSync(path.join(aside, "pg", "PG_VERSION"))).toBe(true);
      const restoredApp = await startApp({ ...env, LEADGRAPH_DATA_DIR: restored });
      const restoredUrl = (await runningEmbeddedUrl(restored, "leadgraph"))!;
      await until(
        "the restored app to finish the import",
        async () =>
          (
            await query<{ done: boolean }>(
              restoredUrl,
              "select bool_and(import_status in ('completed', 'completed_with_errors')) and not exists (select from csv_import_rows where outcome is null) as done from csv_imports_raw",
            )
          )[0]!.done,
        120_000,
      );
      const response = await fetch(`${restoredApp.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ leads { totalCount } }" }),
      });
      expect(((await response.json()) as { data: { leads: { totalCount: number } } }).data.leads.totalCount).toBeGreaterThan(0);
      restoredApp.child.kill("SIGINT");
      expect(await restoredApp.exited).toBe(0);
    },
  );
});
