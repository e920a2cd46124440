// Every setting leadgraph reads from the environment, in one place.
// README.md's configuration table documents each of these.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function optional(name: string): string | undefined {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? undefined : raw;
}

export interface Config {
  /** A PostgreSQL given by the user; when absent an embedded one is started. */
  databaseUrl: string | undefined;
  /** Superuser connection, needed by graphile-migrate only for reset and the shadow database. */
  rootDatabaseUrl: string | undefined;
  shadowDatabaseUrl: string | undefined;
  /** Where the embedded PostgreSQL keeps its cluster. */
  dataDir: string;
  /** Port for the embedded PostgreSQL; 0 = reuse the last one if free, else any free port. */
  pgPort: number;
  port: number;
  host: string;
  production: boolean;
  workerConcurrency: number;
  /** How long shutdown waits for running jobs before aborting them. */
  shutdownTimeoutMs: number;
}

export function loadConfig(): Config {
  return {
    databaseUrl: optional("DATABASE_URL"),
    rootDatabaseUrl: optional("ROOT_DATABASE_URL"),
    shadowDatabaseUrl: optional("SHADOW_DATABASE_URL"),
    dataDir: path.resolve(projectRoot, optional("LEADGRAPH_DATA_DIR") ?? ".data"),
    pgPort: integer("LEADGRAPH_PG_PORT", 0),
    port: integer("PORT", 5678),
    host: optional("HOST") ?? "127.0.0.1",
    production: process.env.NODE_ENV === "production",
    workerConcurrency: integer("WORKER_CONCURRENCY", 4),
    shutdownTimeoutMs: integer("SHUTDOWN_TIMEOUT_MS", 20_000),
  };
}
