// WEB_CONCURRENCY: `leadgraph server` and `start` serve HTTP from several
// processes sharing one port (node:cluster), so GraphQL uses every core (one
// Node process saturates one). The primary keeps what must exist once: the
// embedded PostgreSQL, the migrations, the worker. Each HTTP process runs
// src/server.ts against the database the primary opened; one that dies is
// replaced; on shutdown each finishes its requests first.
import cluster, { type Worker } from "node:cluster";
import type { Config } from "./config.ts";

/** Set in an HTTP process's environment: the API's connection string. */
const DATABASE_ENV = "LEADGRAPH_HTTP_PROCESS_DATABASE_URL";
/** How long an HTTP process may take to finish its requests on shutdown. */
const STOP_TIMEOUT_MS = 10_000;
/** An HTTP process's /readyz asks the primary (which holds the owner connection) how many migrations are pending. */
const MIGRATIONS_ASK = "leadgraph:migrations-pending?";
const MIGRATIONS_ANSWER = "leadgraph:migrations-pending";
const ASK_TIMEOUT_MS = 3000;

interface MigrationsAnswer {
  type: typeof MIGRATIONS_ANSWER;
  id: number;
  pending?: number;
  error?: string;
}

/** In an HTTP process: the primary's count of pending migrations (src/database/migration-status.ts). */
function askPrimaryForPendingMigrations(): () => Promise<number> {
  let counter = 0;
  const waiting = new Map<number, (answer: MigrationsAnswer) => void>();
  process.on("message", (message: MigrationsAnswer) => {
    if (message?.type !== MIGRATIONS_ANSWER) return;
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
  return () =>
    new Promise<number>((resolve, reject) => {
      const id = ++counter;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error("the primary process did not answer"));
      }, ASK_TIMEOUT_MS);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        if (answer.pending === undefined) reject(new Error(answer.error ?? "no answer"));
        else resolve(answer.pending);
      });
      process.send!({ type: MIGRATIONS_ASK, id });
    });
}

interface Ready {
  type: "leadgraph:ready";
  url: string;
  webApp: boolean;
}

export function isHttpProcess(): boolean {
  return cluster.isWorker && Boolean(process.env[DATABASE_ENV]);
}

/** In an HTTP process: serve until the primary lets go of us. */
export async function runHttpProcess(config: Config): Promise<void> {
  const { observeLogConfig, registerSecrets } = await import("./log.ts");
  observeLogConfig(config);
  // The API login's password (the embedded cluster's, not in the config).
  registerSecrets([process.env[DATABASE_ENV]]);
  // Ctrl-C reaches the whole process group: the primary decides, and disconnects us.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => {});
  const { startServer } = await import("./server.ts");
  const server = await startServer({
    ...config,
    databaseUrl: process.env[DATABASE_ENV]!,
    instantlyWebhookSecret: config.instantly.webhookSecret,
    vapiWebhookSecret: config.vapi.webhookSecret,
    pendingMigrations: askPrimaryForPendingMigrations(),
  });
  process.once("disconnect", () => {
    void server.close().finally(() => process.exit(0));
  });
  process.send!({ type: "leadgraph:ready", url: server.url, webApp: server.webApp } satisfies Ready);
}

export interface HttpProcesses {
  url: string;
  webApp: boolean;
  stop(): Promise<void>;
}

/** In the primary: `count` HTTP processes; resolves when every one listens. */
export async function startHttpProcesses(
  count: number,
  databaseUrl: string,
  log: (message: string) => void,
  pendingMigrations: () => Promise<number>,
): Promise<HttpProcesses> {
  let stopping = false;
  cluster.on("message", (worker, message: { type?: string; id?: number }) => {
    if (message?.type !== MIGRATIONS_ASK || message.id === undefined) return;
    const id = message.id;
    // The process may have gone meanwhile: its question needs no answer then.
    const answer = (reply: Omit<MigrationsAnswer, "type" | "id">) => {
      if (worker.isConnected()) worker.send({ type: MIGRATIONS_ANSWER, id, ...reply } satisfies MigrationsAnswer, () => {});
    };
    pendingMigrations().then(
      (pending) => answer({ pending }),
      (error: Error) => answer({ error: error.message }),
    );
  });
  const fork = () => cluster.fork({ [DATABASE_ENV]: databaseUrl });
  const ready = (worker: Worker) =>
    new Promise<Ready>((resolve, reject) => {
      worker.on("message", (message: Ready) => {
        if (message?.type === "leadgraph:ready") resolve(message);
      });
      worker.once("exit", (code) => reject(new Error(`an HTTP process exited (code ${code}) before it listened`)));
    });
  const workers = Array.from({ length: count }, fork);
  const first = await Promise.all(workers.map(ready));
  // One that dies later is replaced (an out-of-memory, a crash): the others serve meanwhile.
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    log(`HTTP process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
    void ready(fork()).catch((error: Error) => log(error.message));
  });
  return {
    url: first[0]!.url,
    webApp: first[0]!.webApp,
    async stop() {
      stopping = true;
      await Promise.all(
        Object.values(cluster.workers ?? {}).map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (!worker || worker.isDead()) return resolve();
              const timer = setTimeout(() => worker.kill("SIGKILL"), STOP_TIMEOUT_MS);
              worker.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              worker.disconnect();
            }),
        ),
      );
    },
  };
}
