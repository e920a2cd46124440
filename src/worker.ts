// The graphile-worker runner: executes the jobs that triggers in the database
// enqueue (tasks/*.ts, one task per file) and the crontab's recurring jobs.
import path from "node:path";
import { Logger, run, type Runner } from "graphile-worker";
import pg from "pg";
import fs from "node:fs";
import { loadConfig, projectRoot } from "./config.ts";

export interface WorkerOptions {
  databaseUrl: string;
  concurrency: number;
  /** How long stop() lets running jobs finish before aborting them. */
  shutdownTimeoutMs: number;
  /** Defaults to the project's tasks/ folder. */
  taskDirectory?: string;
  /** Only warnings and errors (for a worker inside a CLI command). */
  quiet?: boolean;
}

// tasks/: one graphile-worker task per file, named <table>__<action>.ts after
// what it works on, default export. The file name is the task identifier that
// graphile_worker.add_job('<name>', ...) enqueues (from SQL triggers). Tasks
// validate their payload, are safe to run twice (jobs run at least once), and
// succeed quietly when their subject is gone.

const quietLogger = new Logger((scope) => (level, message) => {
  if (level === "error" || level === "warning")
    console.error(`[worker${scope.taskIdentifier ? `:${scope.taskIdentifier}` : ""}] ${message}`);
});

/**
 * The crontab file, plus the Instantly sync on INSTANTLY_SYNC_SCHEDULE when an
 * API key is configured (without one there is nothing to sync).
 */
export function crontab(): string {
  const lines = [fs.readFileSync(path.join(projectRoot, "crontab"), "utf8").trimEnd()];
  const { apiKey, syncSchedule } = loadConfig().instantly;
  if (apiKey) {
    lines.push(`${syncSchedule} instantly_sync ?jobKey=instantly_sync&jobKeyMode=preserve_run_at&max=3 {"triggeredBy":"cron"}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * For a CLI command that waits on the worker: when this process owns the
 * embedded PostgreSQL nobody else uses it, so no worker runs: start one here.
 * Returns how to stop it (nothing to stop otherwise).
 */
export async function startLocalWorker(
  db: { url: string; embedded?: { owned: boolean } },
  options: { concurrency: number; shutdownTimeoutMs: number },
): Promise<() => Promise<void>> {
  if (!db.embedded?.owned) return async () => {};
  const worker = await startWorker({ databaseUrl: db.url, ...options, quiet: true });
  return () => worker.stop();
}

export interface RunningWorker {
  runner: Runner;
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  // Our own pool, so that we end it only once every query is done: the worker
  // records a finished job without awaiting it, and a pool ended under that
  // query would leave the job locked (to be run again ~4 hours later).
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.concurrency * 2 + 2 });
  const logError = (error: Error) => console.error("worker database error:", error.message);
  pool.on("error", logError);
  pool.on("connect", (client) => client.on("error", logError));
  const runner = await run({
    pgPool: pool,
    concurrency: options.concurrency,
    // Our CLI owns the signals and stops the worker in order (see cli.ts).
    noHandleSignals: true,
    taskDirectory: options.taskDirectory ?? path.join(projectRoot, "tasks"),
    crontab: crontab(),
    gracefulShutdownAbortTimeout: options.shutdownTimeoutMs,
    ...(options.quiet ? { logger: quietLogger } : {}),
  });
  return {
    runner,
    async stop() {
      await runner.stop("leadgraph is shutting down");
      await runner.promise.catch(() => {});
      await new Promise((resolve) => setImmediate(resolve));
      const deadline = Date.now() + 5000;
      while ((pool.waitingCount > 0 || pool.idleCount < pool.totalCount) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await pool.end();
    },
  };
}
