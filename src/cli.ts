// The `leadgraph` command line. `npm start` is `leadgraph start`.
// First: GRAPHILE_ENV's default, before anything imports grafast.
import "./graphile-env.ts";
import type { ChildProcess } from "node:child_process";
import { Command } from "commander";
import { checkJwtSecret, durationSeconds, loadConfig, type Config } from "./config.ts";
import { currentDatabaseUrl, openDatabase, type Database } from "./database/index.ts";
import { exposedInDevelopmentWarning } from "./network-warning.ts";
import { log as logger, observeLogConfig, registerSecrets } from "./log.ts";

// What the commands say as they go. A serving process logging JSON
// (production, LOG_FORMAT=json) says it through src/log.ts instead, so its
// output is JSON lines only (docs/operations.md#logs).
let log = (message: string) => console.log(`leadgraph: ${message}`);
let complain = (message: string) => console.error(`leadgraph: ${message}`);

/**
 * Runs cleanups in reverse order on SIGINT/SIGTERM (or when startup fails),
 * so the HTTP server stops first, then running jobs finish, then PostgreSQL.
 */
class Lifecycle {
  private cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  private stopping: Promise<void> | undefined;
  /** A child process that gets our signals and decides when we stop (graphile-migrate watch). */
  private delegate: ChildProcess | undefined;

  constructor() {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.on(signal, () => {
        if (this.delegate && this.delegate.exitCode === null) {
          this.delegate.kill(signal);
          return;
        }
        if (this.stopping) {
          log(`${signal} again: still shutting down (jobs are finishing); send SIGKILL to force`);
          return;
        }
        log(`${signal} received, shutting down`);
        void this.shutdown(0);
      });
    }
  }

  add(name: string, run: () => Promise<void>) {
    this.cleanups.push({ name, run });
  }

  /** Forwards our signals to `child` until it exits, then cleans up with its exit code. */
  async delegateTo(child: ChildProcess): Promise<void> {
    this.delegate = child;
    const code = await new Promise<number>((resolve) => {
      child.once("error", () => resolve(1));
      child.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    });
    await this.shutdown(code);
  }

  shutdown(code: number): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, run } of this.cleanups.reverse()) {
        try {
          await run();
        } catch (error) {
          complain(`stopping ${name} failed: ${(error as Error).message}`);
          code ||= 1;
        }
      }
      process.exit(code);
    })();
    return this.stopping;
  }

  /** Runs `main`; on error prints it, cleans up and exits non-zero. */
  async run(main: () => Promise<void>) {
    try {
      await main();
    } catch (error) {
      complain((error as Error).message);
      await this.shutdown(1);
    }
  }
}

async function openDatabaseFor(config: Config, lifecycle: Lifecycle, options: { quiet?: boolean } = {}): Promise<Database> {
  const db = await openDatabase(config, options.quiet ? () => {} : log, (error) => {
    complain(error.message);
    void lifecycle.shutdown(1);
  });
  lifecycle.add("PostgreSQL", () => db.close());
  // The embedded cluster's passwords are not in the config: hidden from the log too.
  registerSecrets([db.url, db.authUrl, db.rootUrl, db.shadowUrl]);
  if (db.embedded && !options.quiet) log(`${db.embedded.owned ? "embedded" : "shared embedded"} PostgreSQL on port ${db.embedded.port}`);
  return db;
}

async function migrateIfWanted(db: Database, wanted: boolean, options: { quiet?: boolean; json?: boolean } = {}) {
  if (!wanted) return;
  const { applyMigrations } = await import("./database/migrations.ts");
  await applyMigrations(db, options);
}

/**
 * Runs a one-shot command against the database in use, migrated first, then
 * exits with the command's code. Quiet by default: its output is the result.
 */
async function oneShot(command: (db: Database, config: Config, lifecycle: Lifecycle) => Promise<number | void>, { quiet = true } = {}) {
  const lifecycle = new Lifecycle();
  await lifecycle.run(async () => {
    const config = loadConfig();
    const db = await openDatabaseFor(config, lifecycle, { quiet });
    await migrateIfWanted(db, true, { quiet });
    await lifecycle.shutdown((await command(db, config, lifecycle)) ?? 0);
  });
}

async function serve(parts: { api: boolean; worker: boolean; migrate: boolean }) {
  const config = loadConfig();
  observeLogConfig(config);
  if (config.logFormat === "json") {
    log = (message) => logger.info(message);
    complain = (message) => logger.error(message);
  }
  const { isHttpProcess, runHttpProcess } = await import("./http-processes.ts");
  // One of the primary's HTTP processes (WEB_CONCURRENCY): only the server.
  if (isHttpProcess()) return runHttpProcess(config);
  const lifecycle = new Lifecycle();
  await lifecycle.run(async () => {
    if (parts.api) checkJwtSecret(config);
    // One `start` per data directory (src/database/app-lock.ts).
    const claim =
      parts.api && parts.worker && !config.databaseUrl ? (await import("./database/app-lock.ts")).claimDataDir(config.dataDir) : undefined;
    const db = await openDatabaseFor(config, lifecycle);
    await migrateIfWanted(db, parts.migrate, { json: config.logFormat === "json" });
    const { startMonitoring } = await import("./metrics.ts");
    lifecycle.add("metrics", await startMonitoring(config, db, { api: parts.api }));
    if (parts.worker) {
      const { startWorker } = await import("./worker.ts");
      const worker = await startWorker({
        databaseUrl: db.url,
        config,
        concurrency: config.workerConcurrency,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
      });
      lifecycle.add("worker", () => worker.stop());
      logger.info(`worker running (${config.workerConcurrency} concurrent jobs)`);
    }
    // For /readyz: the committed migrations the database lacks, asked through this process's owner connection.
    const migrations = parts.api ? (await import("./database/migration-status.ts")).migrationStatus(db.url) : undefined;
    if (migrations) lifecycle.add("readiness", () => migrations.close());
    if (parts.api && config.webConcurrency > 1) {
      const { startHttpProcesses } = await import("./http-processes.ts");
      const processes = await startHttpProcesses(config.webConcurrency, db.authUrl, (message) => logger.info(message), migrations!.pending);
      lifecycle.add("HTTP processes", () => processes.stop());
      printReady(config, processes.url, processes.webApp, ` (${config.webConcurrency} HTTP processes, WEB_CONCURRENCY)`);
      claim?.serving(processes.url);
    } else if (parts.api) {
      const { startServer } = await import("./server.ts");
      const server = await startServer({
        ...config,
        databaseUrl: db.authUrl,
        instantlyWebhookSecret: config.instantly.webhookSecret,
        vapiWebhookSecret: config.vapi.webhookSecret,
        pendingMigrations: migrations!.pending,
      });
      lifecycle.add("HTTP server", () => server.close());
      printReady(config, server.url, server.webApp, "");
      claim?.serving(server.url);
    }
  });
}

function printReady(config: Config, url: string, webApp: boolean, processes: string) {
  logger.info(`GraphQL API at ${url}/graphql${processes}`);
  if (!webApp) logger.info("the web app is not built (npm run build:web needs the devDependencies): serving the API only");
  else if (config.graphql.persistedOnly)
    logger.warn("GRAPHQL_PERSISTED_ONLY=true: the web app's queries are not on the allowlist, so the app will not work");
  if (!config.production) logger.info(`GraphiQL at ${url}/graphiql`);
  logger.info(webApp ? `ready: open the app at ${url}/` : "ready");
  const exposed = exposedInDevelopmentWarning(config);
  if (exposed) logger.warn(exposed);
}

const program = new Command()
  .name("leadgraph")
  .description("Outbound sales data (Instantly, Apollo CSVs, ...) in one PostgreSQL, served as GraphQL.")
  .enablePositionalOptions()
  .showHelpAfterError();

program
  .command("start")
  .description("Apply migrations, then serve GraphQL and run the worker in this one process (what `npm start` runs).")
  .option("--no-migrate", "do not apply pending migrations first")
  .action((options: { migrate: boolean }) => serve({ api: true, worker: true, migrate: options.migrate }));

program
  .command("server")
  .description("Serve GraphQL only (run as many as you like against one database).")
  .option("--no-migrate", "do not apply pending migrations first")
  .action((options: { migrate: boolean }) => serve({ api: true, worker: false, migrate: options.migrate }));

program
  .command("worker")
  .description("Run the background job worker only (run as many as you like against one database).")
  .option("--no-migrate", "do not apply pending migrations first")
  .action((options: { migrate: boolean }) => serve({ api: false, worker: true, migrate: options.migrate }));

program
  .command("migrate")
  .description("Apply pending migrations (graphile-migrate, then graphile-worker's schema) and exit.")
  .action(() => oneShot(async () => log("database is up to date"), { quiet: false }));

program
  .command("schema")
  .description("Print the GraphQL schema (SDL) of the database in use, or write it to a file (npm run schema:export).")
  .option("-o, --output <file>", "write to this file instead of standard output")
  .action((options: { output?: string }) =>
    oneShot(async (db, config) => {
      const { exportSchema } = await import("./graphql/schema-export.ts");
      const sdl = await exportSchema(db.authUrl, config);
      if (options.output) {
        const { writeFile } = await import("node:fs/promises");
        await writeFile(options.output, sdl);
        log(`wrote ${options.output}`);
      } else {
        process.stdout.write(sdl);
      }
    }),
  );

program
  .command("import")
  .description(
    "Import a CSV file: an Apollo-like export (companies and leads) or a LinkedIn activity export of an outreach tool (one event per touch). Every row is stored as read, then the worker normalises it.",
  )
  .argument("[file]", "the CSV file")
  .option("--campaign <campaign-id>", "also enrol the imported leads in this campaign (pending)")
  .option("--wait", "show a progress bar until the import is normalised, then a summary")
  .option("--reprocess <import-id>", "normalise a stored import again from its rows (after a logic or schema change)")
  .option(
    "--kind <kind>",
    "leads (Apollo etc.), linkedin (HeyReach, Expandi, lemlist, PhantomBuster, Dripify activity) or auto: detected from the columns",
    "auto",
  )
  .action((file: string | undefined, options: { campaign?: string; wait?: boolean; reprocess?: string; kind?: string }) =>
    oneShot(async (db, config) => {
      const { runImport } = await import("./sources/csv/cli.ts");
      return runImport(file, options, db, config);
    }),
  );

program
  .command("sync")
  .description("Sync a source into leadgraph now (the worker also syncs on a schedule).")
  .argument("<source>", 'what to sync: "instantly" or "vapi"')
  .option("--wait", "show progress until the sync and the normalisation of what it fetched are done, then a summary")
  .action((source: string, options: { wait?: boolean }) =>
    oneShot(async (db, config) => {
      if (source === "vapi") {
        const { runVapiSyncCommand } = await import("./sources/vapi/cli.ts");
        return runVapiSyncCommand(options, db, config);
      }
      if (source !== "instantly") throw new Error(`unknown source "${source}": leadgraph syncs "instantly" or "vapi"`);
      const { runSync } = await import("./sources/instantly/cli.ts");
      return runSync(options, db, config);
    }),
  );

program
  .command("renormalize")
  .description(
    "Rebuild what a source put in the normalised layer from its raw layer (after a change of logic or schema): its raw rows go through its normaliser again. Notes, statuses set by users and other sources' data are kept.",
  )
  .argument("<source>", 'what to rebuild: "csv", "instantly", "vapi" or "all"')
  .option("--wait", "show progress until the normalisation is done, then a summary")
  .action((source: string, options: { wait?: boolean }) =>
    oneShot(async (db, config) => {
      const { runRenormalize } = await import("./renormalize.ts");
      return runRenormalize(source, options, db, config);
    }),
  );

program
  .command("demo")
  .description(
    "Fill an empty database with a demo workspace through the real paths: an Apollo-like CSV import and a sync of a fake Instantly workspace (started and stopped here), so every page of the web app has data.",
  )
  .option("--force", "add the demo workspace to a database that already has data (nothing is deleted)")
  .option("--size <size>", "small (a quick look) or normal", "normal")
  .action((options: { force?: boolean; size: string }) =>
    oneShot(async (db, config, lifecycle) => {
      const { runDemo } = await import("./demo.ts");
      // On Ctrl-C its worker lets running jobs finish (none stays locked) before PostgreSQL stops.
      return runDemo(db, config, { ...options, onStop: (name, stop) => lifecycle.add(name, stop) });
    }),
  );

program
  .command("token")
  .description("Mint a Bearer token (JWT signed with JWT_SECRET) for the user with this email, creating the user if needed.")
  .requiredOption("--email <email>", "the user's email")
  .option("--name <name>", "full name, when the user is created (default: the email's local part)")
  .option("--expires <duration>", 'lifetime, e.g. "30d", "12h", "90m" (at most JWT_MAX_AGE)', "30d")
  .option("--revoke", "instead: void every token minted so far for this user (the server refuses them within 10 s)")
  .action((options: { email: string; name?: string; expires: string; revoke?: boolean }) =>
    oneShot(async (db, config) => {
      if (options.revoke) {
        const { revokeTokens } = await import("./users.ts");
        const user = await revokeTokens(db.url, options.email);
        console.error(`leadgraph: every token of ${user.email} minted so far is revoked; new ones work`);
        return;
      }
      if (!config.jwtSecret) throw new Error("JWT_SECRET is not set: tokens are signed with it (and the server verifies them with it).");
      const lifetime = /^\d+\s*[smhdwy]$/.test(options.expires) ? durationSeconds(options.expires) : undefined;
      if (lifetime === undefined)
        throw new Error(`--expires must be a number and a unit (s, m, h, d, w, y), like 30d, 12h or 90m; got "${options.expires}"`);
      if (lifetime > config.jwtMaxAgeSeconds)
        throw new Error(
          `--expires ${options.expires} is longer than JWT_MAX_AGE (${config.jwtMaxAgeSeconds} s): the server would refuse the token`,
        );
      const { ensureUser } = await import("./users.ts");
      const user = await ensureUser(db.url, options.email, options.name);
      if (user.created) console.error(`leadgraph: created user ${user.email}`);
      const { signToken } = await import("./auth.ts");
      console.log(signToken(user.id, config.jwtSecret, `${lifetime}s`, user.tokenVersion));
    }),
  );

program
  .command("backup")
  .description(
    "Back up the embedded PostgreSQL while the app runs (a hot physical backup, one .tar.gz; docs/backup.md). With DATABASE_URL: says what to use instead.",
  )
  .argument("[file]", "the backup file to write (default: leadgraph-backup-<time>.tar.gz here)")
  .action((file: string | undefined) => {
    const lifecycle = new Lifecycle();
    return lifecycle.run(async () => {
      const { runBackup } = await import("./backup.ts");
      await lifecycle.shutdown(await runBackup(file, loadConfig(), (name, stop) => lifecycle.add(name, stop)));
    });
  });

program
  .command("restore")
  .description("Restore a `leadgraph backup` file into the embedded data directory (stopped, and empty unless --force).")
  .argument("<file>", "the backup file")
  .option("--data-dir <dir>", "restore into this data directory instead (LEADGRAPH_DATA_DIR's, default .data)")
  .option("--force", "replace a data directory that is not empty: it is moved aside, not deleted")
  .action((file: string, options: { dataDir?: string; force?: boolean }) => {
    const lifecycle = new Lifecycle();
    return lifecycle.run(async () => {
      const { runRestore } = await import("./backup.ts");
      await lifecycle.shutdown(await runRestore(file, options, loadConfig()));
    });
  });

program
  .command("db-url")
  .description('Print the connection string of the database in use, e.g. psql "$(npx leadgraph db-url)".')
  .action(async () => {
    const url = await currentDatabaseUrl(loadConfig());
    if (!url) {
      console.error("leadgraph: the embedded PostgreSQL is not running; start it with `npm start` (or set DATABASE_URL)");
      process.exit(1);
    }
    console.log(url);
  });

program
  .command("db")
  .description("Run a graphile-migrate command against the database in use: watch, commit, uncommit, reset --erase, status, ...")
  .argument("<command...>", "graphile-migrate command and its options")
  .allowUnknownOption()
  .passThroughOptions()
  .action(async (args: string[]) => {
    const lifecycle = new Lifecycle();
    await lifecycle.run(async () => {
      const db = await openDatabaseFor(loadConfig(), lifecycle);
      const { spawnGraphileMigrate } = await import("./database/migrations.ts");
      await lifecycle.delegateTo(await spawnGraphileMigrate(db, args));
    });
  });

await program.parseAsync(process.argv);
