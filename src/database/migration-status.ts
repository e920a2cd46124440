// Whether the database has every committed migration this code ships
// (migrations/committed), for /readyz (src/health.ts): a server started with
// --no-migrate against an older database, or before `leadgraph migrate` ran,
// must not take traffic. Cheap: the committed files are listed once per
// process; the database's graphile_migrate.migrations rows (a few dozen
// names) are read at most every few seconds, through one owner connection
// (the API's login may not read graphile-migrate's schema).
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../config.ts";
import { pgCode, SQLSTATE } from "./errors.ts";

/** How long one answer of the database is reused. */
export const MIGRATION_RECHECK_MS = 5000;
const TIMEOUT_MS = 2000;

/**
 * The committed migrations as graphile-migrate records them once applied:
 * 000033-some-message.sql is "000033.sql" (its VALID_FILE_REGEX, the number only).
 */
export function committedMigrations(folder = path.join(projectRoot, "migrations", "committed")): string[] {
  return fs
    .readdirSync(folder)
    .map((name) => /^([0-9]+)(-[-_a-zA-Z0-9]*)?\.sql$/.exec(name)?.[1])
    .filter((number): number is string => number !== undefined)
    .map((number) => `${number}.sql`)
    .sort();
}

export interface MigrationStatus {
  /** How many committed migrations the database has not applied (throws when it cannot tell: the database does not answer). */
  pending(): Promise<number>;
  close(): Promise<void>;
}

export function migrationStatus(ownerUrl: string, options: { recheckMs?: number; committed?: string[] } = {}): MigrationStatus {
  const committed = options.committed ?? committedMigrations();
  const recheckMs = options.recheckMs ?? MIGRATION_RECHECK_MS;
  const pool = new pg.Pool({
    connectionString: ownerUrl,
    max: 1,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: TIMEOUT_MS,
    statement_timeout: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS + 500,
    application_name: "leadgraph readiness",
  });
  pool.on("error", () => {}); // a lost idle connection: the next check reconnects
  let last: { pending: number; at: number } | undefined;
  let inFlight: Promise<number> | undefined;

  async function read(): Promise<number> {
    let applied: Set<string>;
    try {
      const { rows } = await pool.query<{ filename: string }>("select filename from graphile_migrate.migrations");
      applied = new Set(rows.map((row) => row.filename));
    } catch (error) {
      const code = pgCode(error);
      // Never migrated: graphile-migrate's schema is not there yet.
      if (code !== SQLSTATE.undefinedTable && code !== SQLSTATE.invalidSchemaName) throw error;
      applied = new Set();
    }
    const pending = committed.filter((name) => !applied.has(name)).length;
    last = { pending, at: Date.now() };
    return pending;
  }

  return {
    pending() {
      if (last && Date.now() - last.at < recheckMs) return Promise.resolve(last.pending);
      inFlight ??= read().finally(() => (inFlight = undefined));
      return inFlight;
    },
    close: () => pool.end(),
  };
}
