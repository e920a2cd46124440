// /healthz and /readyz (docs/operations.md#health-and-readiness).
// /healthz: this process is alive and the database answers. It asks through
// a connection of its own (a pool of one), not the API's pool: a pool that
// GraphQL requests fill, or a slow search, is load, not a dead database, and
// must not make an orchestrator restart a healthy process.
// /readyz: ready to take traffic: the database answers, the migrations this
// code needs are applied (src/database/migration-status.ts) and were when the
// GraphQL schema was built, and the process is not shutting down (503 while
// it drains, so a load balancer stops sending before it stops). The port
// listens only once the schema is built (src/server.ts), so a process still
// building answers neither.
import type { Request, Response, Router } from "express";
import express from "express";
import pg from "pg";
import { log } from "./log.ts";
import { observePool } from "./metrics.ts";

const HEALTH_TIMEOUT_MS = 2000;

export interface Health {
  router: Router;
  /** /readyz answers 503 from now on (shutdown). */
  drain(): void;
  close(): Promise<void>;
}

export interface HealthOptions {
  databaseUrl: string;
  production: boolean;
  /** Committed migrations the database lacks now (re-read at most every few seconds); without it readiness does not look. */
  pendingMigrations?: () => Promise<number>;
  /** Migrations were pending when this process built its GraphQL schema: it serves the old schema until restarted. */
  schemaBuiltBeforeMigrations?: boolean;
}

export function healthChecks(options: HealthOptions): Health {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 1,
    connectionTimeoutMillis: HEALTH_TIMEOUT_MS,
    statement_timeout: HEALTH_TIMEOUT_MS,
    query_timeout: HEALTH_TIMEOUT_MS + 500,
    application_name: "leadgraph health",
  });
  // A check's connection killed under it (database restart) must not crash us: the next check reconnects.
  pool.on("error", (error) => log.warn("health check connection lost", { error: error.message }));
  observePool("health", pool);

  let draining = false;
  let inFlight: Promise<void> | undefined;
  let lastProblem: string | undefined;
  let lastUnready: string | undefined;

  /** One database round trip at a time: concurrent checks share it, so a flood of probes is one query. */
  function databaseAnswers(): Promise<void> {
    inFlight ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          pool.query("select 1"),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  /** Logs what went wrong once per change (a probe every second would flood the log). */
  function note(problem: string | undefined) {
    if (problem === lastProblem) return;
    if (problem) log.error(`health: ${problem}`);
    else if (lastProblem) log.info("health: the database answers again");
    lastProblem = problem;
  }

  /** Logs why this process is not ready once per change (the database's own problems: note()). */
  function noteReadiness(reason: string | undefined) {
    if (reason === lastUnready) return;
    if (reason) log.warn(`not ready: ${reason}`);
    else if (lastUnready) log.info("ready again");
    lastUnready = reason;
  }

  /** Why this process should not take traffic, beyond the database not answering (undefined: ready). */
  async function migrationsProblem(): Promise<string | undefined> {
    if (!options.pendingMigrations) return undefined;
    let pending: number;
    try {
      pending = await options.pendingMigrations();
    } catch (error) {
      return `cannot read the applied migrations: ${(error as Error).message}`;
    }
    if (pending > 0) return `${pending} committed migration${pending === 1 ? " is" : "s are"} not applied (run \`leadgraph migrate\`)`;
    if (options.schemaBuiltBeforeMigrations)
      return "migrations were applied after this process built its GraphQL schema: restart it to serve the new schema";
    return undefined;
  }

  const unavailable = (res: Response, reason: string) => {
    // Details stay in the log in production: no hostnames or error messages to whoever asks.
    res.status(503).json(options.production ? { status: "unavailable" } : { status: "unavailable", reason });
  };

  async function check(): Promise<string | undefined> {
    try {
      await databaseAnswers();
      note(undefined);
      return undefined;
    } catch (error) {
      const problem = `the database does not answer: ${(error as Error).message}`;
      note(problem);
      return problem;
    }
  }

  const router = express.Router();
  router.get("/healthz", async (_req: Request, res: Response) => {
    const problem = await check();
    if (problem) unavailable(res, "database");
    else res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req: Request, res: Response) => {
    if (draining) return unavailable(res, "shutting down");
    const problem = await check();
    if (problem) return unavailable(res, "database");
    const unready = await migrationsProblem();
    noteReadiness(unready);
    if (unready) unavailable(res, unready);
    else res.json({ status: "ready" });
  });

  return {
    router,
    drain() {
      draining = true;
    },
    close: () => pool.end(),
  };
}
