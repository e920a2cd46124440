// The fault suite's processes: leadgraph as a user runs it (bin/leadgraph.js),
// killed with real signals. Only processes spawned here are ever killed: the
// embedded PostgreSQL's pid is read from postmaster.pid in our own data dir.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll } from "vitest";
import { projectRoot } from "../../src/config.ts";

export const bin = path.join(projectRoot, "bin", "leadgraph.js");
const children = new Set<ChildProcess>();
const dataDirs = new Set<string>();
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  for (const dataDir of dataDirs) {
    const pid = postmasterPid(dataDir);
    if (alive(pid)) process.kill(pid!, "SIGQUIT");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

/** A fresh data directory, removed (its PostgreSQL stopped) after the file. */
export function tempDataDir(): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "leadgraph-faults-"));
  dataDirs.add(dataDir);
  return dataDir;
}

/** This process's environment without the settings that would point leadgraph elsewhere. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WEB_CONCURRENCY: "1", ...extra };
  for (const name of [
    "DATABASE_URL",
    "AUTH_DATABASE_URL",
    "ROOT_DATABASE_URL",
    "SHADOW_DATABASE_URL",
    "LEADGRAPH_PG_PORT",
    "JWT_SECRET",
    "NODE_ENV",
    "HOST",
    "INSTANTLY_API_KEY",
    "INSTANTLY_API_URL",
    "INSTANTLY_WEBHOOK_SECRET",
  ]) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

export interface Leadgraph {
  child: ChildProcess;
  /** Resolves with the base URL once it says "ready" (rejects if it exits first). */
  ready: Promise<string>;
  exited: Promise<number | null>;
  output(): string;
  /** Resolves once the output matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function leadgraph(args: string[], env: NodeJS.ProcessEnv): Leadgraph {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal ? -1 : null));
    }),
  );
  const onData = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const waitForOutput = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void exited.then(() => (done = true));
    while (!pattern.test(output)) {
      if (done) throw new Error(`leadgraph ${args.join(" ")} exited before printing ${pattern}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`leadgraph ${args.join(" ")} did not print ${pattern}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const ready = waitForOutput(/leadgraph: ready/).then(() => output.match(/GraphQL API at (http:\/\/\S+)\/graphql/)![1]!);
  ready.catch(() => {});
  return { child, ready, exited, output: () => output, waitForOutput };
}

export function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return undefined;
  }
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string | (() => string | Promise<string>),
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "string" ? what : await what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A GraphQL request as the default user (no token: the app on 127.0.0.1). */
export async function graphql(baseUrl: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

/**
 * `pool()`'s query, retried while the database is away: connection refused
 * or reset, the server shutting down or starting (57P01, 57P03, 08xxx); the
 * test's own connections break when PostgreSQL does.
 */
export function queryThroughOutages(pool: () => pg.Pool) {
  return async function query<R extends pg.QueryResultRow = any>(sql: string, values: unknown[] = []): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await pool().query<R>(sql, values)).rows;
      } catch (error) {
        const code = (error as { code?: string }).code;
        const transient = !code || /^(08|57|E)/.test(code);
        if (!transient || attempt > 300) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
}
