// The graphile-worker runner: executes the jobs that triggers in the database
// enqueue (tasks/*.ts, one task per file: see tasks/README.md) and the
// crontab's recurring jobs. The tasks are built once, at start, from the
// settings the worker was given: no task reads the environment itself.
import { EventEmitter } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Logger, run, type Runner, type Task, type TaskList, type WorkerEvents } from "graphile-worker";
import pg from "pg";
import { projectRoot, type Config } from "./config.ts";
import { recoverDeadWorkerPools, registerWorkerPool, releaseEndedPool, SWEEP_MS, type RegisteredPool } from "./database/worker-pools.ts";
import { log } from "./log.ts";
import { observePool, observeWorker } from "./metrics.ts";

/** What each tasks/*.ts file default-exports: its task, made with the worker's settings. */
export type TaskFactory = (config: Config) => Task;

const TASKS_DIR = path.join(projectRoot, "tasks");

export interface WorkerOptions {
  databaseUrl: string;
  /** The settings the tasks and the crontab run with. */
  config: Config;
  concurrency: number;
  /** How long stop() lets running jobs finish before aborting them. */
  shutdownTimeoutMs: number;
  /** Instead of the project's tasks (a test's own jobs). */
  taskList?: TaskList;
  /** Only warnings and errors (for a worker inside a CLI command). */
  quiet?: boolean;
}

/** graphile-worker's log lines through src/log.ts (quiet: warnings and errors only, for a worker inside a CLI command). */
function workerLogger(quiet: boolean) {
  return new Logger((scope) => (level, message) => {
    const fields = { component: "worker", task: scope.taskIdentifier, job_id: scope.jobId };
    if (level === "error") log.error(message, fields);
    else if (level === "warning") log.warn(message, fields);
    else if (quiet) return;
    else if (level === "info") log.info(message, fields);
    else log.debug(message, fields);
  });
}

/**
 * The tasks of tasks/, each made with `config`. A file's name is its task
 * identifier, the name graphile_worker.add_job('<name>', ...) enqueues.
 */
export async function makeTasks(config: Config): Promise<TaskList> {
  const tasks: TaskList = {};
  for (const file of fs.readdirSync(TASKS_DIR).filter((name) => name.endsWith(".ts"))) {
    const { default: makeTask } = (await import(pathToFileURL(path.join(TASKS_DIR, file)).href)) as { default?: unknown };
    if (typeof makeTask !== "function") throw new Error(`tasks/${file} must default-export a function (config) => task`);
    tasks[path.basename(file, ".ts")] = (makeTask as TaskFactory)(config);
  }
  return tasks;
}

/**
 * The crontab file, plus the Instantly sync on INSTANTLY_SYNC_SCHEDULE when an
 * API key is configured (without one there is nothing to sync), and the VAPI
 * sync on VAPI_SYNC_SCHEDULE and the call
 * workflow on VAPI_CALL_SCHEDULE when a VAPI key is.
 */
export function crontab(config: Config): string {
  const lines = [fs.readFileSync(path.join(projectRoot, "crontab"), "utf8").trimEnd()];
  const { apiKey, syncSchedule } = config.instantly;
  if (apiKey) {
    lines.push(`${syncSchedule} instantly_sync ?jobKey=instantly_sync&jobKeyMode=preserve_run_at&max=3 {"triggeredBy":"cron"}`);
  }
  if (config.vapi.apiKey) {
    lines.push(`${config.vapi.syncSchedule} vapi_sync ?jobKey=vapi_sync&jobKeyMode=preserve_run_at&max=3 {"triggeredBy":"cron"}`);
    // The VAPI call workflow: queues the due calls (docs/sources/vapi-calls.md).
    lines.push(`${config.vapiCalls.schedule} vapi_calls__schedule ?jobKey=vapi_calls__schedule&jobKeyMode=preserve_run_at&max=1`);
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
  options: { config: Config; concurrency: number; shutdownTimeoutMs: number },
): Promise<() => Promise<void>> {
  if (!db.embedded?.owned) return async () => {};
  const worker = await startWorker({ databaseUrl: db.url, ...options, quiet: true });
  return () => worker.stop();
}

export interface RunningWorker {
  /** The graphile-worker runner (a new one after a restart, see below). */
  readonly runner: Runner;
  stop(): Promise<void>;
}

/** How long a worker whose runner died waits before starting a new one. */
const RESTART_DELAY_MS = 2_000;
/**
 * How long past SHUTDOWN_TIMEOUT_MS a stopping runner may take to end before
 * it is given up on. graphile-worker's pool waits for every running job, and
 * one deaf to the abort signal never ends (test/faults/database-away.test.ts);
 * a pool that shut down by itself in test/faults/kill.test.ts never ended in
 * CI either. Waited on for ever, such a runner left the worker idle, and the
 * process's shutdown waited on nothing until Node exited 0.
 */
const STUCK_STOP_GRACE_MS = 10_000;

/** Resolves with what `promise` settled with, or with `timedOut` after `ms`. */
function settledWithin<T>(promise: Promise<unknown>, ms: number, timedOut: T): Promise<T | undefined | Error> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(timedOut), ms)));
  const settled = promise.then(
    () => undefined,
    (error: Error) => error,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}

/** The jobs a runner's workers are running (for saying what a stuck runner waits on). */
function trackRunningJobs(events: WorkerEvents): () => string {
  const running = new Map<string, string>();
  events.on("job:start", ({ job }) => running.set(job.id, job.task_identifier));
  events.on("job:complete", ({ job }) => running.delete(job.id));
  return () => (running.size ? [...running].map(([id, task]) => `job ${id} (${task})`).join(", ") : "no job");
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const taskList = options.taskList ?? (await makeTasks(options.config));
  // Our own pool, so that we end it only once every query is done: the worker
  // records a finished job without awaiting it, and a pool ended under that
  // query would leave the job locked (to be run again ~4 hours later).
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.concurrency * 2 + 2 });
  const logError = (error: Error) => log.error("worker database error", { error: error.message });
  pool.on("error", logError);
  pool.on("connect", (client) => client.on("error", logError));
  observePool("worker", pool);
  const say = options.quiet ? () => {} : (message: string) => log.info(message);
  /** How long a stopping runner may take to end, whoever began stopping it. */
  const stopLimitMs = options.shutdownTimeoutMs + STUCK_STOP_GRACE_MS;
  const warn = (message: string) => log.warn(message);

  // Jobs that workers killed meanwhile left locked go back to the queue first
  // (src/database/worker-pools.ts), then once a minute for workers that die later.
  const sweep = () => recoverDeadWorkerPools(pool, warn).catch((error: Error) => warn(`looking for dead workers failed: ${error.message}`));
  await sweep();
  const sweeper = setInterval(() => void sweep(), SWEEP_MS);
  sweeper.unref();

  let stopping = false;
  let current: { runner: Runner; registered: Promise<RegisteredPool | undefined> };
  const start = async () => {
    const events: WorkerEvents = new EventEmitter();
    let poolId: string | undefined;
    events.once("pool:create", ({ workerPool }) => (poolId = workerPool.id));
    const runner = await run({
      pgPool: pool,
      concurrency: options.concurrency,
      // Our CLI owns the signals and stops the worker in order (see cli.ts).
      noHandleSignals: true,
      taskList,
      crontab: crontab(options.config),
      gracefulShutdownAbortTimeout: options.shutdownTimeoutMs,
      events,
      logger: workerLogger(options.quiet ?? false),
      // Without batching (the default, -1) graphile-worker 0.18 records a
      // job's outcome with a promise nobody handles: the database away at
      // that moment (the embedded PostgreSQL killed mid-job) was an unhandled
      // rejection that crashed the whole process with a stack trace
      // (test/faults/kill.test.ts). Batched, even with no delay, a failure to
      // record ends the runner instead, which is restarted below.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    observeWorker(runner.events);
    const runningJobs = trackRunningJobs(events);
    // Ended by itself: its pool began shutting down (it could not record a
    // job's outcome while the database was away) without our asking.
    const shutDownByItself = new Promise<string>((resolve) =>
      events.once("pool:gracefulShutdown", ({ message }) => {
        if (!stopping) resolve(message);
      }),
    );
    // Registered until it works (the database may be away right now).
    const register = async (id: string): Promise<RegisteredPool | undefined> => {
      for (let attempt = 1; !stopping; attempt++) {
        try {
          return await registerWorkerPool(options.databaseUrl, id, warn, () => void runner.stop("declared dead by another worker"));
        } catch (error) {
          if (attempt === 1) warn(`could not register worker pool ${id} yet (${(error as Error).message}); trying again`);
          await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
        }
      }
      return undefined;
    };
    const registered = poolId ? register(poolId) : Promise.resolve(undefined);
    current = { runner, registered };
    // A runner that ends by itself (it could not record a job's outcome while
    // the database was away, or another worker declared it dead) is replaced:
    // the app keeps working its queue without a restart.
    const ended = Promise.race([
      runner.promise.then(
        () => undefined,
        (error: Error) => error,
      ),
      shutDownByItself.then(async (message) => {
        const stuck = new Error(
          `it began stopping (${message}) and had not ended ${stopLimitMs / 1000} s later, waiting on ${runningJobs()}`,
        );
        const outcome = await settledWithin(runner.promise, stopLimitMs, stuck);
        if (outcome !== stuck) return outcome;
        // Given up on: its jobs go back to the queue below, as a dead pool's would.
        void runner.kill().catch(() => {});
        return stuck;
      }),
    ]);
    void ended.then(async (error) => {
      if (stopping) return;
      await (await registered)?.stop();
      warn(`the worker stopped by itself${error ? ` (${error.message})` : ""}; starting it again in ${RESTART_DELAY_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      let released = !poolId;
      while (!stopping) {
        try {
          // The ended runner's jobs first (the database may have been away
          // when it ended: they are still locked by it), so that they run
          // now rather than after STALE_MS.
          if (!released) {
            const count = await releaseEndedPool(pool, poolId!);
            if (count) warn(`gave back ${count} job${count === 1 ? "" : "s"} of the stopped worker pool ${poolId} to the queue`);
            released = true;
          }
          await start();
          say("worker running again");
          return;
        } catch (startError) {
          warn(`starting the worker again failed (${(startError as Error).message}); trying again in ${RESTART_DELAY_MS / 1000} s`);
          await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
        }
      }
    });
  };
  await start();

  return {
    get runner() {
      return current.runner;
    },
    async stop() {
      stopping = true;
      clearInterval(sweeper);
      const { runner, registered } = current;
      const stuck = await settledWithin(
        Promise.allSettled([runner.stop("leadgraph is shutting down"), runner.promise]),
        stopLimitMs,
        "stuck" as const,
      );
      if (stuck === "stuck") warn(`the worker had not stopped ${stopLimitMs / 1000} s after being asked to; stopping without it`);
      await (await registered)?.stop();
      await new Promise((resolve) => setImmediate(resolve));
      const deadline = Date.now() + 5000;
      while ((pool.waitingCount > 0 || pool.idleCount < pool.totalCount) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // (a client a stuck job holds is never given back: not waited for)
      await settledWithin(pool.end(), 5000, "stuck");
    },
  };
}
