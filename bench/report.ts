// What every benchmark prints besides its table: the machine it ran on, and
// where the time went — the top statements from pg_stat_statements (the
// embedded PostgreSQL ships it; start the server with STATEMENT_STATS_SETTINGS)
// and the top self-time functions of a Node CPU profile (profileProcess).
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { projectRoot } from "../src/config.ts";

/** `postgres -c` settings (startEmbedded's `settings`) that load pg_stat_statements. */
export const STATEMENT_STATS_SETTINGS = { shared_preload_libraries: "pg_stat_statements" };

/**
 * Ctrl-C or SIGTERM ends the bench through process.exit, so that "exit"
 * handlers run: the embedded PostgreSQL's stops the server it started
 * (src/database/embedded.ts), and this one kills the bench's `children`
 * still running (read at exit: add to it as they start). Node's default for a
 * signal skips them, and a bench stopped so left its server running and
 * loading the next measurement.
 */
export function exitOnSignal(children: Iterable<ChildProcess> = []): void {
  process.on("exit", () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));
}

/** One line: cores, CPU, memory, Node, PostgreSQL, and the load average (other work on the machine skews numbers). */
export function machineLine(postgresVersion?: string): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return (
    `machine: ${cpus.length} cores (${cpus[0]?.model ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `Node ${process.version}${postgresVersion ? `, PostgreSQL ${postgresVersion}` : ""}, load average ${load} at the start`
  );
}

/**
 * CPU time (user + system, ms) used so far by process `pid` and its
 * descendants (a cluster's backends and parallel workers), those that ended
 * included (their parent's cutime and cstime), from /proc; NaN where there
 * is no /proc. On a shared machine CPU time is steadier than wall time.
 */
/** processTreeCpuMs in seconds; NaN without a process (a server that is not ours to read, as with BENCH_DATABASE_URL). */
export function processTreeCpuSeconds(pid: number | undefined): number {
  return pid ? processTreeCpuMs(pid) / 1000 : NaN;
}

export function processTreeCpuMs(pid: number): number {
  try {
    const stats = fs
      .readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .flatMap((d) => {
        try {
          // Fields after the command name (which may hold spaces): state(3) ppid(4) ...
          const text = fs.readFileSync(`/proc/${d}/stat`, "utf8");
          const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
          // utime(14) stime(15), then cutime(16) cstime(17): the children it reaped.
          const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
          return [{ pid: Number(d), ppid: Number(fields[1]), ticks }];
        } catch {
          return []; // exited meanwhile
        }
      });
    const tree = new Set([pid]);
    for (let grew = true; grew;) {
      grew = false;
      for (const s of stats)
        if (!tree.has(s.pid) && tree.has(s.ppid)) {
          tree.add(s.pid);
          grew = true;
        }
    }
    // Linux reports in USER_HZ, 100 per second on every common platform.
    return stats.filter((s) => tree.has(s.pid)).reduce((sum, s) => sum + s.ticks * 10, 0);
  } catch {
    return NaN;
  }
}

/** Left-aligned columns under a header and a rule. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

/** The slowest steps of a run, "name 1.2 s (35%, 4x), ...", from src/database/sql-steps.ts's times (collectSqlStepTimes, or a worker's LEADGRAPH_PROFILE_SQL lines). */
export function formatSteps(steps: Map<string, { ms: number; calls: number }>, limit = 8): string {
  const sorted = [...steps].sort((a, b) => b[1].ms - a[1].ms);
  const total = sorted.reduce((sum, [, t]) => sum + t.ms, 0);
  return (
    `${(total / 1000).toFixed(1)} s in all: ` +
    sorted
      .slice(0, limit)
      .map(([name, t]) => `${name} ${(t.ms / 1000).toFixed(1)} s (${((t.ms / total) * 100).toFixed(0)}%, ${t.calls}x)`)
      .join(", ")
  );
}

/** Makes pg_stat_statements usable from `client`'s database; false (and why, logged) when the server lacks it. */
export async function enableStatementStats(client: pg.Client, log: (message: string) => void): Promise<boolean> {
  try {
    await client.query("create extension if not exists pg_stat_statements");
    await client.query("select 1 from pg_stat_statements limit 1");
    return true;
  } catch (error) {
    log(`no pg_stat_statements (${(error as Error).message}): no statement breakdown`);
    return false;
  }
}

export async function resetStatementStats(client: pg.Client): Promise<void> {
  await client.query("select pg_stat_statements_reset()");
}

export interface StatementStat {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
}

/** The statements of `client`'s database by total execution time since the last reset (transaction control left out). */
export async function topStatements(client: pg.Client, limit = 8): Promise<StatementStat[]> {
  const { rows } = await client.query(
    `select query, calls::float8 as calls, total_exec_time as "totalMs", mean_exec_time as "meanMs", rows::float8 as rows
     from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database())
       and query !~* '^\\s*(begin|commit|rollback|select pg_stat_statements_reset)'
     order by total_exec_time desc limit $1`,
    [limit],
  );
  return rows as StatementStat[];
}

/** Statements as table lines: calls, mean, total, share of the database time shown, and the start of the text. */
export function formatStatements(stats: StatementStat[], width = 90): string[] {
  const total = stats.reduce((sum, s) => sum + s.totalMs, 0) || 1;
  const text = (q: string) => {
    const flat = q.replace(/\s+/g, " ").trim();
    return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
  };
  return formatTable(
    ["calls", "mean ms", "total ms", "share", "statement"],
    stats.map((s) => [
      String(s.calls),
      s.meanMs.toFixed(3),
      s.totalMs.toFixed(0),
      `${((100 * s.totalMs) / total).toFixed(0)}%`,
      text(s.query),
    ]),
  );
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Where a script lives, short: a package name, node:internal, or a path in the repo. */
function owner(url: string): string {
  if (!url) return "(native)";
  if (url.startsWith("node:")) return "node:internal";
  const file = url.replace(/^file:\/\//, "");
  const modules = file.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const rest = file.slice(modules + "/node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return path.relative(projectRoot, file);
}

export interface ProfileSummary {
  /** Milliseconds sampled, idle left out. */
  busyMs: number;
  functions: Array<{ name: string; where: string; selfMs: number }>;
  owners: Array<{ owner: string; selfMs: number }>;
}

/** Self time per function and per package of a V8 CPU profile (.cpuprofile), idle left out. */
export function summariseProfile(profile: CpuProfile, limit = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const functions = new Map<string, { name: string; where: string; selfMs: number }>();
  const owners = new Map<string, number>();
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (frame.functionName === "(idle)") return;
    busyMs += ms;
    const name = frame.functionName || "(anonymous)";
    const where = frame.url ? `${owner(frame.url)}:${frame.lineNumber + 1}` : "";
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, selfMs: 0 };
    entry.selfMs += ms;
    functions.set(key, entry);
    const o = frame.url ? owner(frame.url) : name.startsWith("(") ? name : "(native)";
    owners.set(o, (owners.get(o) ?? 0) + ms);
  });
  return {
    busyMs,
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, limit),
    owners: [...owners.entries()]
      .map(([o, selfMs]) => ({ owner: o, selfMs }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, limit),
  };
}

/** The summary as lines: the top functions, then the packages, each with its share of the busy time. */
export function formatProfile(summary: ProfileSummary): string[] {
  const share = (ms: number) => `${((100 * ms) / (summary.busyMs || 1)).toFixed(1)}%`;
  return [
    ...formatTable(
      ["self ms", "share", "function", "where"],
      summary.functions.map((f) => [f.selfMs.toFixed(0), share(f.selfMs), f.name, f.where]),
    ),
    "",
    ...formatTable(
      ["self ms", "share", "package"],
      summary.owners.map((o) => [o.selfMs.toFixed(0), share(o.selfMs), o.owner]),
    ),
  ];
}

/**
 * CPU-profiles a Node process started with `--inspect=127.0.0.1:0` while
 * `during` runs: pass the `ws://` address it printed on stderr
 * (inspectorAddress). Uses the Chrome DevTools protocol over Node's WebSocket.
 */
export async function profileProcess<T>(address: string, during: () => Promise<T>, save?: string) {
  const socket = new WebSocket(address);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot reach the inspector at ${address}`));
  });
  let next = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  };
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 500 });
    await send("Profiler.start");
    const result = await during();
    const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
    if (save) fs.writeFileSync(save, JSON.stringify(profile));
    return { result, profile: summariseProfile(profile) };
  } finally {
    socket.close();
  }
}

/** Resolves with the inspector's ws:// address once `stderr` (a child's, piped) prints it; forwards what it reads. */
export function inspectorAddress(stderr: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let seen = "";
    stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      // The inspector's own chatter is noise in a benchmark's output.
      const rest = text
        .split("\n")
        .filter((l) => !/^(Debugger listening on|Debugger ending on|For help, see|Debugger attached|Waiting for the debugger)/.test(l))
        .join("\n");
      if (rest.trim()) process.stderr.write(rest.endsWith("\n") ? rest : `${rest}\n`);
      seen += text;
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
  });
}

interface PlanNode {
  "Node Type": string;
  "Actual Total Time": number;
  "Actual Loops": number;
  Plans?: PlanNode[];
}

/**
 * Where one statement's time went: EXPLAIN ANALYZE's plan nodes by their own
 * time (a node's time less its children's), largest first. Timing each node
 * adds some overhead: compare the shares, not the sum with an untimed run.
 */
export async function planBreakdown(client: pg.Client, sql: string, limit = 3) {
  const { rows } = await client.query(`explain (analyze, format json) ${sql}`);
  const [top] = rows[0]["QUERY PLAN"] as Array<{ Plan: PlanNode; "Execution Time": number }>;
  const steps: Array<{ node: string; selfMs: number }> = [];
  const walk = (node: PlanNode) => {
    const total = (n: PlanNode) => n["Actual Total Time"] * n["Actual Loops"];
    const children = node.Plans ?? [];
    steps.push({ node: node["Node Type"], selfMs: Math.max(0, total(node) - children.reduce((sum, c) => sum + total(c), 0)) });
    children.forEach(walk);
  };
  walk(top!.Plan);
  return { totalMs: top!["Execution Time"], steps: steps.sort((a, b) => b.selfMs - a.selfMs).slice(0, limit) };
}

/** "Sort 812 ms (80%), Seq Scan 150 ms (15%)". */
export function formatPlanBreakdown(breakdown: Awaited<ReturnType<typeof planBreakdown>>): string {
  return breakdown.steps
    .map((s) => `${s.node} ${s.selfMs.toFixed(0)} ms (${((100 * s.selfMs) / (breakdown.totalMs || 1)).toFixed(0)}%)`)
    .join(", ");
}
