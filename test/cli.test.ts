// The leadgraph command as a user runs it: real processes, real signals.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../src/config.ts";
import { createTestDatabase } from "./helpers/db.ts";

const bin = path.join(projectRoot, "bin", "leadgraph.js");
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
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
  ]) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** Starts `leadgraph <args>` and resolves with the GraphiQL URL it prints when ready. */
function start(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => (children.delete(child), resolve(code))));
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/open GraphiQL at (http:\/\/\S+)\/graphiql/) ?? output.match(/GraphQL API at (http:\/\/\S+)\/graphql/);
      if (match && /ready/.test(output)) resolve(match[1]);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`leadgraph exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, ready, exited, output: () => output };
}

async function listOffers(baseUrl: string) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ offers { nodes { offerName campaigns { totalCount } } } }" }),
  });
  return ((await response.json()) as any).data.offers.nodes;
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("leadgraph CLI", () => {
  it("has --help for every subcommand", () => {
    for (const args of [
      [],
      ["start"],
      ["server"],
      ["worker"],
      ["migrate"],
      ["db-url"],
      ["db"],
      ["token"],
      ["schema"],
      ["import"],
      ["sync"],
      ["renormalize"],
      ["demo"],
      ["backup"],
      ["restore"],
    ]) {
      const result = spawnSync(process.execPath, [bin, ...args, "--help"], { encoding: "utf8" });
      expect(result.status, `leadgraph ${args.join(" ")} --help`).toBe(0);
      expect(result.stdout).toMatch(/Usage: leadgraph/);
    }
  });

  it("runs Grafast in development mode unless NODE_ENV=production, with no warning about GRAPHILE_ENV", () => {
    // As a user's shell has it: no GRAPHILE_ENV (vitest sets one for the tests).
    const env = { ...process.env };
    delete env.GRAPHILE_ENV;
    delete env.NODE_ENV;
    const result = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8", env });
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/GRAPHILE_ENV/);
  });

  it("token mints a Bearer token for a user (created if new) that the API accepts", async () => {
    const db = await createTestDatabase();
    const env = cleanEnv({ DATABASE_URL: db.url, JWT_SECRET: "cli-test-secret" });
    const result = spawnSync(process.execPath, [bin, "token", "--email", "New.Person@Example.com", "--expires", "2h"], {
      env,
      encoding: "utf8",
    });
    expect(result.status, result.stderr).toBe(0);
    const token = result.stdout.trim();
    expect(token.split(".")).toHaveLength(3);
    const { authenticate } = await import("../src/auth.ts");
    const userId = authenticate(`Bearer ${token}`, { jwtSecret: "cli-test-secret", anonymousIsDefaultUser: false });
    const { rows } = await db.pool.query("select email from users where id = $1", [userId]);
    expect(rows).toEqual([{ email: "new.person@example.com" }]);
    const again = spawnSync(process.execPath, [bin, "token", "--email", "new.person@example.com"], { env, encoding: "utf8" });
    expect(authenticate(`Bearer ${again.stdout.trim()}`, { jwtSecret: "cli-test-secret", anonymousIsDefaultUser: false })).toBe(userId);
    const noSecret = spawnSync(process.execPath, [bin, "token", "--email", "x@example.com"], {
      env: cleanEnv({ DATABASE_URL: db.url }),
      encoding: "utf8",
    });
    expect(noSecret.status).toBe(1);
    expect(noSecret.stderr).toMatch(/JWT_SECRET is not set/);
    // Not past JWT_MAX_AGE (30 days by default), which the server would refuse.
    const tooLong = spawnSync(process.execPath, [bin, "token", "--email", "new.person@example.com", "--expires", "100y"], {
      env,
      encoding: "utf8",
    });
    expect(tooLong.status).toBe(1);
    expect(tooLong.stderr).toMatch(/longer than JWT_MAX_AGE/);
    // --revoke voids the tokens minted so far; the next one carries the new version.
    const revoke = spawnSync(process.execPath, [bin, "token", "--email", "new.person@example.com", "--revoke"], { env, encoding: "utf8" });
    expect(revoke.status, revoke.stderr).toBe(0);
    expect(revoke.stderr).toMatch(/revoked/);
    const after = spawnSync(process.execPath, [bin, "token", "--email", "new.person@example.com"], { env, encoding: "utf8" });
    const { verifyToken } = await import("../src/auth.ts");
    expect(verifyToken(`Bearer ${token}`, { jwtSecret: "cli-test-secret" }).version).toBe(0);
    expect(verifyToken(`Bearer ${after.stdout.trim()}`, { jwtSecret: "cli-test-secret" }).version).toBe(1);
  });

  it("import stores a CSV, normalises it (--wait), reprocesses it, and rejects bad files clearly", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "leadgraph-import-"));
    const env = cleanEnv({ LEADGRAPH_DATA_DIR: dataDir });
    const csv = path.join(dataDir, "apollo-contacts-export.csv");
    fs.writeFileSync(
      csv,
      "\uFEFFFirst Name,Last Name,Company Name,Email,Website\r\nJane,Doe,Northwind,jane@northwind-example.com,https://northwind-example.com\r\n" +
        "Tom,Berg,Northwind,TOM@northwind-example.com ,http://www.northwind-example.com/\r\nNo,Email,Acme,,https://acme.example\r\n",
    );
    try {
      const run = (...args: string[]) => spawnSync(process.execPath, [bin, "import", ...args], { env, encoding: "utf8" });
      const imported = run(csv, "--wait", "--campaign", "00000000-0000-0000-0000-000000000007");
      expect(imported.status, imported.stderr).toBe(0);
      const importId = imported.stdout.trim();
      expect(importId).toMatch(/^[0-9a-f-]{36}$/);
      expect(imported.stderr, imported.stderr).toMatch(/import .*: completed_with_errors/);
      expect(imported.stderr).toMatch(/leads inserted\s+2\n/);
      expect(imported.stderr).toMatch(/companies inserted\s+1\n/);
      expect(imported.stderr).toMatch(/1 x no email and no LinkedIn URL/);
      const again = run("--reprocess", importId, "--wait");
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/leads inserted\s+2\n/);

      const binary = path.join(dataDir, "export.xlsx");
      fs.writeFileSync(binary, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0xff]));
      const bad = run(binary);
      expect(bad.status, bad.stderr).toBe(1);
      expect(bad.stderr).toMatch(/not CSV text/);
      const tooBig = spawnSync(process.execPath, [bin, "import", csv], {
        env: { ...env, LEADGRAPH_IMPORT_MAX_BYTES: "10" },
        encoding: "utf8",
      });
      expect(tooBig.status, tooBig.stderr).toBe(1);
      expect(tooBig.stderr).toMatch(/over the limit of 10 bytes \(LEADGRAPH_IMPORT_MAX_BYTES\)/);
      const noCampaign = run(csv, "--campaign", "10000000-0000-4000-8000-000000000000");
      expect(noCampaign.status, noCampaign.stderr).toBe(1);
      expect(noCampaign.stderr).toMatch(/no campaign with id/);
    } finally {
      const pid = postmasterPid(dataDir);
      if (alive(pid)) process.kill(pid!, "SIGQUIT");
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses to serve in production without JWT_SECRET", async () => {
    const db = await createTestDatabase();
    const result = spawnSync(process.execPath, [bin, "server"], {
      env: cleanEnv({ DATABASE_URL: db.url, NODE_ENV: "production", PORT: "0" }),
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JWT_SECRET must be set when NODE_ENV=production/);
  });

  it("server with WEB_CONCURRENCY serves from that many processes on one port, replaces one that dies, and stops them all", async () => {
    const db = await createTestDatabase();
    const app = start(["server", "--no-migrate"], cleanEnv({ DATABASE_URL: db.url, PORT: "0", WEB_CONCURRENCY: "3" }));
    const url = await app.ready;
    expect(app.output()).toMatch(/3 HTTP processes, WEB_CONCURRENCY/);
    const httpProcesses = () =>
      fs
        .readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .filter((pid) => {
          try {
            return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(app.child.pid);
          } catch {
            return false;
          }
        })
        .map(Number);
    expect(httpProcesses()).toHaveLength(3);
    const answers = await Promise.all(Array.from({ length: 12 }, () => listOffers(url)));
    expect(answers.every((offers) => offers.length === 1)).toBe(true);
    // One dies: the others serve, the primary starts another.
    process.kill(httpProcesses()[0]!, "SIGKILL");
    // (Once the primary has seen it die: a kept-alive connection of this
    // client to the dead process is reset, as for any client, until the
    // client has seen it close.)
    for (let i = 0; i < 200 && !/starting another/.test(app.output()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(app.output()).toMatch(/exited \(SIGKILL\); starting another/);
    expect(await listOffers(url)).toHaveLength(1);
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(httpProcesses()).toEqual([]);
  });

  it("start with DATABASE_URL serves GraphQL and runs the worker, and stops cleanly on SIGTERM", async () => {
    const db = await createTestDatabase({ empty: true });
    const app = start(["start"], cleanEnv({ DATABASE_URL: db.url, PORT: "0" }));
    const url = await app.ready;
    expect(await listOffers(url)).toEqual([{ offerName: "AI Automation Services", campaigns: { totalCount: 1 } }]);
    // graphile-worker's schema is installed and the runner is connected.
    const { rows } = await db.pool.query("select count(*)::int as n from pg_namespace where nspname = 'graphile_worker'");
    expect(rows[0].n).toBe(1);
    expect(app.output()).toMatch(/worker running/);
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(app.output()).toMatch(/SIGTERM received, shutting down/);
  });

  it("without DATABASE_URL runs an embedded PostgreSQL: db-url works, Ctrl-C leaves no postgres, restarts work even after kill -9", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "leadgraph-cli-"));
    const env = cleanEnv({ LEADGRAPH_DATA_DIR: dataDir, PORT: "0" });
    try {
      // First run: creates the cluster.
      let app = start(["start"], env);
      let url = await app.ready;
      expect(await listOffers(url)).toHaveLength(1);
      const dbUrl = spawnSync(process.execPath, [bin, "db-url"], { env, encoding: "utf8" }).stdout.trim();
      expect(dbUrl).toMatch(/^postgres:\/\/postgres:.+@127\.0\.0\.1:\d+\/leadgraph$/);
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      expect((await client.query("select count(*)::int as n from campaigns")).rows[0].n).toBe(1);
      await client.end();
      const firstPostgres = postmasterPid(dataDir);
      expect(alive(firstPostgres)).toBe(true);

      app.child.kill("SIGINT");
      expect(await app.exited).toBe(0);
      expect(alive(firstPostgres)).toBe(false);
      expect(postmasterPid(dataDir)).toBeUndefined();
      expect(spawnSync(process.execPath, [bin, "db-url"], { env }).status).toBe(1);

      // Second run: reuses the data directory; then the app is killed hard.
      app = start(["start"], env);
      url = await app.ready;
      expect(await listOffers(url)).toHaveLength(1);
      const orphan = postmasterPid(dataDir);
      app.child.kill("SIGKILL");
      await app.exited;
      expect(alive(orphan)).toBe(true); // postgres survives its owner...

      // ...and the next start adopts it, then takes it down on exit.
      app = start(["start"], env);
      url = await app.ready;
      expect(app.output()).toMatch(/adopting the PostgreSQL left running/);
      expect(await listOffers(url)).toHaveLength(1);
      app.child.kill("SIGINT");
      expect(await app.exited).toBe(0);
      expect(alive(orphan)).toBe(false);
    } finally {
      const pid = postmasterPid(dataDir);
      if (alive(pid)) process.kill(pid!, "SIGQUIT");
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
