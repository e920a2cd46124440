// The graphile-worker runner: executes the jobs that triggers in the database
// enqueue (tasks/*.ts, one task per file) and the crontab's recurring jobs.
import path from "node:path";
import { run, type Runner } from "graphile-worker";
import { projectRoot } from "./config.ts";

export interface WorkerOptions {
  databaseUrl: string;
  concurrency: number;
  /** How long stop() lets running jobs finish before aborting them. */
  shutdownTimeoutMs: number;
  /** Defaults to the project's tasks/ folder. */
  taskDirectory?: string;
}

export interface RunningWorker {
  runner: Runner;
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const runner = await run({
    connectionString: options.databaseUrl,
    concurrency: options.concurrency,
    // Our CLI owns the signals and stops the worker in order (see cli.ts).
    noHandleSignals: true,
    taskDirectory: options.taskDirectory ?? path.join(projectRoot, "tasks"),
    crontabFile: path.join(projectRoot, "crontab"),
    gracefulShutdownAbortTimeout: options.shutdownTimeoutMs,
  });
  return {
    runner,
    async stop() {
      await runner.stop("leadgraph is shutting down");
      await runner.promise.catch(() => {});
    },
  };
}
