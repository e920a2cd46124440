// Schema changes go through graphile-migrate (migrations/committed/*.sql,
// settings in .gmrc); graphile-worker installs its own schema beside ours.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { Logger as MigrateLogger } from "@graphile/logger";
import { migrate, type Settings } from "graphile-migrate";
import { getSettings } from "graphile-migrate/dist/commands/_common.js";
import { clearAllPools } from "graphile-migrate/dist/pgReal.js";
import { Logger, runMigrations as runWorkerMigrations } from "graphile-worker";
import { projectRoot } from "../config.ts";
import pg from "pg";
import { log } from "../log.ts";
import type { Database } from "./index.ts";
import { LOCK_CLASS, LOCKS } from "./locks.ts";
import { ensureRoles } from "./roles.ts";

const quietWorkerLogger = new Logger(() => () => {});
/** graphile-migrate's messages as src/log.ts lines (a serving process logging JSON). */
const jsonMigrateLogger = new MigrateLogger(
  () => (level, message) =>
    (level === "error" ? log.error : level === "warning" ? log.warn : level === "debug" ? log.debug : log.info)(message, {
      component: "migrate",
    }),
);

async function settingsFor(db: Pick<Database, "url" | "rootUrl" | "shadowUrl">): Promise<Settings> {
  const fromFile = (await getSettings({ configFile: path.join(projectRoot, ".gmrc") })) as Settings;
  return {
    ...fromFile,
    connectionString: db.url,
    rootConnectionString: db.rootUrl,
    shadowConnectionString: db.shadowUrl,
    migrationsFolder: path.join(projectRoot, "migrations"),
  };
}

/**
 * Applies pending committed migrations (and graphile-worker's own). Safe to
 * run from many processes at once: they take turns (two `leadgraph server`
 * starting together, or `npm start` beside a first `leadgraph import`).
 */
export async function applyMigrations(
  db: Pick<Database, "url" | "rootUrl" | "shadowUrl" | "authenticatorPassword">,
  options: { quiet?: boolean; json?: boolean } = {},
): Promise<void> {
  const turn = new pg.Client({ connectionString: db.url, application_name: "leadgraph migrations" });
  turn.on("error", () => {}); // a lost connection fails the query below
  await turn.connect();
  try {
    await turn.query("select pg_advisory_lock($1, $2)", [LOCK_CLASS, LOCKS.migrations]);
    await applyMigrationsNow(db, options);
  } finally {
    await turn.end().catch(() => {}); // releases the lock
  }
}

async function applyMigrationsNow(
  db: Pick<Database, "url" | "rootUrl" | "shadowUrl" | "authenticatorPassword">,
  options: { quiet?: boolean; json?: boolean },
): Promise<void> {
  await ensureRoles(db.url, db.authenticatorPassword);
  const settings = await settingsFor(db);
  if (options.quiet) settings.logger = new MigrateLogger(() => () => {});
  else if (options.json) settings.logger = jsonMigrateLogger;
  try {
    await migrate(settings);
  } finally {
    // graphile-migrate keeps its pools open for a while; we are done with them.
    clearAllPools();
  }
  await runWorkerMigrations({ connectionString: db.url, logger: quietWorkerLogger });
}

/** Starts the graphile-migrate CLI (watch, commit, uncommit, reset, status, ...) against `db`. */
export async function spawnGraphileMigrate(db: Database, args: string[]): Promise<ChildProcess> {
  await ensureRoles(db.url, db.authenticatorPassword);
  const cli = createRequire(import.meta.url).resolve("graphile-migrate/dist/cli.js");
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url };
  if (db.rootUrl) env.ROOT_DATABASE_URL = db.rootUrl;
  if (db.shadowUrl) env.SHADOW_DATABASE_URL = db.shadowUrl;
  return spawn(process.execPath, [cli, ...args], { cwd: projectRoot, env, stdio: "inherit" });
}
