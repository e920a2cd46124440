// `leadgraph backup [file]` and `leadgraph restore <file>` for the embedded
// PostgreSQL: a hot physical backup (pg_backup_start / pg_backup_stop, the data
// directory's files and the WAL from the start to the stop LSN) in one
// .tar.gz, and its restore into a new data directory. Why physical, what the
// file holds and how a restore recovers: docs/backup.md.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import pg from "pg";
import { readTar, TAR_END, tarFile, tarHeader, tarPadding, type TarSink } from "./backup-archive.ts";
import type { Config } from "./config.ts";
import { binaries, ensureTraversable, postgresUser, runningPostmaster, startEmbedded } from "./database/embedded.ts";
import { DATABASE_NAME } from "./database/index.ts";
import { committedMigrations } from "./database/migration-status.ts";

const FORMAT = "leadgraph-backup";
const FORMAT_VERSION = 1;
/** The archive's first entry: what it is and where the backup started. */
const MANIFEST = "leadgraph-backup.json";
/** Its last entry before the end blocks: a file without it is incomplete. */
const END_MARKER = "leadgraph-backup-end.json";
const STATE_FILE = "leadgraph.json";
const CLUSTER = "pg";
const CHUNK_BYTES = 1 << 20;
// Level 1: about as small as the default level on these files (WAL and data
// pages) at a fraction of the time (docs/backup.md, "Size and speed").
const GZIP_LEVEL = 1;

// What a backup does not carry (as pg_basebackup): files the server makes anew
// when it starts, and directories whose contents only mean something to the
// running server (kept, empty). pg_wal is copied apart, from the start to the
// stop segment, after pg_backup_stop.
const SKIPPED_FILES = new Set([
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "tablespace_map",
  "backup_manifest",
  "current_logfiles",
]);
const EMPTIED_DIRECTORIES = new Set([
  "pg_wal",
  "pg_replslot",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_stat_tmp",
  "pg_subtrans",
]);

interface Manifest {
  format: typeof FORMAT;
  version: number;
  createdAt: string;
  /** The major version of the cluster (PG_VERSION): a restore needs the same. */
  postgresMajor: string;
  serverVersion: string;
  startLsn: string;
  timeline: number;
}

interface EndMarker {
  stopLsn: string;
  finishedAt: string;
  files: number;
  dataBytes: number;
  walSegments: number;
}

export interface BackupResult {
  file: string;
  /** Of the .tar.gz. */
  bytes: number;
  /** Of the files copied, uncompressed (WAL included). */
  dataBytes: number;
  files: number;
  walSegments: number;
  startLsn: string;
  stopLsn: string;
  seconds: number;
}

export interface BackupOptions {
  dataDir: string;
  file: string;
  log?: (message: string) => void;
  /** Called when the files are copied, just before pg_backup_stop (the test pauses the writers here to have a reference). */
  beforeStop?: () => Promise<void>;
  /** Registers cleanups for Ctrl-C (the CLI's Lifecycle). */
  onStop?: (name: string, stop: () => Promise<void>) => void;
}

/** leadgraph-backup-20261203T085012Z.tar.gz */
export function defaultBackupName(now = new Date()): string {
  return `leadgraph-backup-${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}.tar.gz`;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + "\n");
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

interface CopyStats {
  files: number;
  dataBytes: number;
}

/** One file as a tar entry: its size when opened; a file that shrinks meanwhile is padded with zeros (WAL replay puts it right). */
async function* copyFile(
  full: string,
  name: string,
  stats: CopyStats,
  options: { required?: boolean; check?: (first: Buffer) => void } = {},
): AsyncGenerator<Buffer> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(full, "r");
  } catch (error) {
    // Dropped since the directory was listed: the WAL replays the drop.
    if (errno(error) === "ENOENT" && !options.required) return;
    throw error;
  }
  try {
    const { size, mode, mtime } = await handle.stat();
    yield tarHeader({ name, type: "file", mode, size, mtime });
    let offset = 0;
    while (offset < size) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) {
        buffer.fill(0);
        yield buffer;
        offset += buffer.length;
        continue;
      }
      const chunk = buffer.subarray(0, bytesRead);
      if (offset === 0) options.check?.(chunk);
      yield chunk;
      offset += bytesRead;
    }
    yield tarPadding(size);
    stats.files++;
    stats.dataBytes += size;
  } finally {
    await handle.close();
  }
}

/** The cluster directory, without what SKIPPED_FILES and EMPTIED_DIRECTORIES name. */
async function* copyTree(dir: string, name: string, stats: CopyStats, top: boolean): AsyncGenerator<Buffer> {
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errno(error) === "ENOENT" && !top) return; // a database dropped meanwhile
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const entryName = `${name}/${entry.name}`;
    if (top && SKIPPED_FILES.has(entry.name)) continue;
    if (entry.name.startsWith("pgsql_tmp") || entry.name === "pg_internal.init") continue;
    if (entry.isSymbolicLink()) {
      throw new Error(`${full} is a symbolic link (a tablespace or a moved pg_wal): leadgraph backup copies one plain data directory`);
    }
    if (entry.isDirectory()) {
      let stat: fs.Stats;
      try {
        stat = await fsp.stat(full);
      } catch (error) {
        if (errno(error) === "ENOENT") continue;
        throw error;
      }
      yield tarHeader({ name: entryName, type: "directory", mode: stat.mode, size: 0, mtime: stat.mtime });
      if (top && EMPTIED_DIRECTORIES.has(entry.name)) {
        if (entry.name === "pg_wal")
          yield tarHeader({ name: `${entryName}/archive_status`, type: "directory", mode: 0o700, size: 0, mtime: stat.mtime });
        continue;
      }
      yield* copyTree(full, entryName, stats, false);
    } else if (entry.isFile()) {
      yield* copyFile(full, entryName, stats);
    }
  }
}

/** WAL segment names (timeline, log, segment: 8 hex digits each) and their position. */
function segmentNumber(name: string, segmentBytes: number): bigint {
  const perLog = 0x1_0000_0000n / BigInt(segmentBytes);
  return BigInt(`0x${name.slice(8, 16)}`) * perLog + BigInt(`0x${name.slice(16, 24)}`);
}

/** Checks that a copied WAL segment is the one its name says: its first page header's timeline and address. */
function checkSegment(name: string, segmentBytes: number) {
  return (first: Buffer) => {
    const timeline = first.readUInt32LE(4);
    const address = first.readBigUInt64LE(8);
    if (timeline !== parseInt(name.slice(0, 8), 16) || address !== segmentNumber(name, segmentBytes) * BigInt(segmentBytes)) {
      throw new Error(`the WAL segment ${name} holds other WAL (timeline ${timeline}, address ${address.toString(16)}): it was recycled`);
    }
  };
}

/** Takes a hot backup of the embedded PostgreSQL on `dataDir` (started if it is not running) into `file`. */
export async function backupEmbedded(options: BackupOptions): Promise<BackupResult> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, CLUSTER);
  const file = path.resolve(options.file);
  if (!fs.existsSync(path.join(clusterDir, "PG_VERSION"))) throw new Error(`there is no embedded database in ${dataDir} to back up`);
  if (fs.existsSync(file)) throw new Error(`${file} exists: give another file name (a backup never overwrites one)`);
  const partial = `${file}.partial`;
  const state = JSON.parse(await fsp.readFile(path.join(dataDir, STATE_FILE), "utf8")) as {
    password: string;
    authenticatorPassword?: string;
  };

  const embedded = await startEmbedded({ dataDir, log });
  let stopped: Promise<void> | undefined;
  const stopEmbedded = () => (stopped ??= embedded.stop());
  options.onStop?.("PostgreSQL", stopEmbedded);
  options.onStop?.("the partial backup file", () => fsp.rm(partial, { force: true }));
  const client = new pg.Client({ connectionString: embedded.url("postgres") });
  client.on("error", () => {});
  const began = Date.now();
  try {
    await client.connect();
    const setting = async (name: string) =>
      (await client.query<{ setting: string }>("select setting from pg_settings where name = $1", [name])).rows[0]!.setting;
    const segmentBytes = Number(await setting("wal_segment_size"));
    const serverVersion = await setting("server_version");
    const slot = `leadgraph_backup_${process.pid}`;
    // A temporary slot holds every WAL segment from the last checkpoint on
    // until this session ends (or the slot is dropped), so no checkpoint
    // recycles one the backup needs before it is copied, however long the
    // copy takes; a backup that dies leaves nothing held.
    await client.query("select pg_create_physical_replication_slot($1, true, true)", [slot]);
    const {
      rows: [start],
    } = await client.query<{ lsn: string; walfile: string }>(
      "select lsn::text, (pg_walfile_name_offset(lsn)).file_name as walfile from pg_backup_start($1, true) as lsn",
      [`leadgraph ${new Date().toISOString()}`],
    );
    const manifest: Manifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      postgresMajor: (await fsp.readFile(path.join(clusterDir, "PG_VERSION"), "utf8")).trim(),
      serverVersion,
      startLsn: start!.lsn,
      timeline: parseInt(start!.walfile.slice(0, 8), 16),
    };
    log(`backup started at WAL ${start!.lsn}; copying ${clusterDir}`);
    const stats: CopyStats = { files: 0, dataBytes: 0 };
    let stopLsn = "";
    let walSegments = 0;
    const archive = async function* (): AsyncGenerator<Buffer> {
      yield tarFile(MANIFEST, json(manifest));
      yield tarFile(STATE_FILE, json({ password: state.password, authenticatorPassword: state.authenticatorPassword }));
      yield tarHeader({ name: CLUSTER, type: "directory", mode: 0o700, size: 0, mtime: new Date() });
      yield* copyTree(clusterDir, CLUSTER, stats, true);
      await options.beforeStop?.();
      const {
        rows: [stop],
      } = await client.query<{ lsn: string; labelfile: string; spcmapfile: string; walfile: string }>(
        "select lsn::text, labelfile, spcmapfile, pg_walfile_name(lsn) as walfile from pg_backup_stop(false)",
      );
      stopLsn = stop!.lsn;
      yield tarFile(`${CLUSTER}/backup_label`, Buffer.from(stop!.labelfile));
      if (stop!.spcmapfile) yield tarFile(`${CLUSTER}/tablespace_map`, Buffer.from(stop!.spcmapfile));
      // The WAL from the start segment to the stop segment (which
      // pg_backup_stop ended with a switch, so it is complete now).
      const walDir = path.join(clusterDir, "pg_wal");
      const first = segmentNumber(start!.walfile, segmentBytes);
      const last = segmentNumber(stop!.walfile, segmentBytes);
      const names = (await fsp.readdir(walDir)).sort();
      const segments = names.filter(
        (name) =>
          /^[0-9A-F]{24}$/.test(name) &&
          name.slice(0, 8) === start!.walfile.slice(0, 8) &&
          segmentNumber(name, segmentBytes) >= first &&
          segmentNumber(name, segmentBytes) <= last,
      );
      if (BigInt(segments.length) !== last - first + 1n) {
        throw new Error(`WAL segments ${start!.walfile} to ${stop!.walfile} are needed but only ${segments.length} are in ${walDir}`);
      }
      for (const name of names.filter((name) => name.endsWith(".history")))
        yield* copyFile(path.join(walDir, name), `${CLUSTER}/pg_wal/${name}`, stats);
      for (const name of segments) {
        yield* copyFile(path.join(walDir, name), `${CLUSTER}/pg_wal/${name}`, stats, {
          required: true,
          check: checkSegment(name, segmentBytes),
        });
        walSegments++;
      }
      // The slot must still hold the start: else a segment could have been recycled while we read it.
      const { rows } = await client.query<{ held: boolean }>(
        "select restart_lsn <= $2::pg_lsn and wal_status in ('reserved', 'extended') as held from pg_replication_slots where slot_name = $1",
        [slot, start!.lsn],
      );
      if (!rows[0]?.held) throw new Error(`the replication slot ${slot} no longer held the backup's WAL: the copy may be inconsistent`);
      const end: EndMarker = { stopLsn, finishedAt: new Date().toISOString(), files: stats.files, dataBytes: stats.dataBytes, walSegments };
      yield tarFile(END_MARKER, json(end));
      yield TAR_END;
    };
    await pipeline(archive(), zlib.createGzip({ level: GZIP_LEVEL }), fs.createWriteStream(partial, { flags: "wx", mode: 0o600 }));
    await client.query("select pg_drop_replication_slot($1)", [slot]);
    await fsp.rename(partial, file);
    return {
      file,
      bytes: (await fsp.stat(file)).size,
      dataBytes: stats.dataBytes,
      files: stats.files,
      walSegments,
      startLsn: start!.lsn,
      stopLsn,
      seconds: (Date.now() - began) / 1000,
    };
  } catch (error) {
    await fsp.rm(partial, { force: true });
    throw error;
  } finally {
    // Ending the session aborts a backup still running and drops the slot.
    await client.end().catch(() => {});
    await stopEmbedded();
  }
}

export interface RestoreOptions {
  file: string;
  dataDir: string;
  /** Replace a data directory that is not empty (it is moved aside, not deleted). */
  force?: boolean;
  log?: (message: string) => void;
}

export interface RestoreResult {
  dataDir: string;
  /** Where the data directory that was there went (--force). */
  movedAside: string | undefined;
  manifest: Manifest;
  end: EndMarker;
  /** graphile-worker jobs that the backed-up server's workers held, released. */
  releasedJobs: number;
  lastMigration: string | undefined;
  /** Committed migrations of this code that the restored database lacks (npm start applies them). */
  pendingMigrations: number;
  databaseBytes: number;
  seconds: number;
}

/** Refuses while a PostgreSQL or a leadgraph process uses `dataDir`. */
function refuseIfInUse(dataDir: string) {
  const running = runningPostmaster(path.join(dataDir, CLUSTER));
  if (running) {
    throw new Error(
      `the embedded PostgreSQL is running on ${dataDir} (pid ${running.pid}, port ${running.port}): stop the app (npm start) and every leadgraph command using it first, or restore into another --data-dir`,
    );
  }
  let clients: number[] = [];
  try {
    clients = (JSON.parse(fs.readFileSync(path.join(dataDir, STATE_FILE), "utf8")) as { clients?: number[] }).clients ?? [];
  } catch {
    // no state file, or a damaged one: nothing says a process uses it
  }
  const alive = clients.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return errno(error) === "EPERM";
    }
  });
  if (alive.length) throw new Error(`leadgraph processes ${alive.join(", ")} are using ${dataDir}: stop them first`);
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

/** Runs `postgres --single` on the restored cluster: it replays the backup's WAL to a consistent state, then shuts down with a checkpoint. */
async function recover(clusterDir: string, logFile: string, user: { uid: number; gid: number } | undefined): Promise<void> {
  const { postgres } = await binaries();
  const logFd = fs.openSync(logFile, "a");
  if (user) fs.fchownSync(logFd, user.uid, user.gid);
  const child = spawn(postgres, ["--single", "-D", clusterDir, "postgres"], {
    ...user,
    stdio: ["ignore", logFd, logFd],
    env: { ...process.env, LC_ALL: "C" },
  });
  fs.closeSync(logFd);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (exitCode) => resolve(exitCode));
  });
  if (code !== 0 || fs.existsSync(path.join(clusterDir, "backup_label"))) {
    throw new Error(
      `the recovery of the restored cluster failed (postgres --single exited with ${code}); see ${logFile}:\n${tail(logFile)}`,
    );
  }
}

async function chownTree(dir: string, user: { uid: number; gid: number }) {
  await fsp.chown(dir, user.uid, user.gid);
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(full, user);
    else await fsp.chown(full, user.uid, user.gid);
  }
}

/** Restores a backup file into `dataDir` (empty or absent, or moved aside with `force`), then recovers it. */
export async function restoreEmbedded(options: RestoreOptions): Promise<RestoreResult> {
  const log = options.log ?? (() => {});
  const began = Date.now();
  const dataDir = path.resolve(options.dataDir);
  const file = path.resolve(options.file);
  await fsp.access(file, fs.constants.R_OK);
  refuseIfInUse(dataDir);
  const existing = fs.existsSync(dataDir) ? await fsp.readdir(dataDir) : undefined;
  if (existing?.length && !options.force) {
    throw new Error(
      `${dataDir} is not empty: restore into a new --data-dir, or pass --force to move what is there aside (it is kept, not deleted)`,
    );
  }

  const { postgres } = await binaries();
  const binaryMajor = /\(PostgreSQL\) (\d+)/.exec(execFileSync(postgres, ["--version"], { encoding: "utf8" }))?.[1];
  // Extracted and recovered beside the target, then renamed into place: a bad
  // file or a failed recovery leaves the target as it was.
  const staging = `${dataDir}.restoring-${process.pid}`;
  await fsp.rm(staging, { recursive: true, force: true });
  await fsp.mkdir(staging, { recursive: true, mode: 0o700 });
  try {
    let manifest: Manifest | undefined;
    let end: EndMarker | undefined;
    let state: { password?: string; authenticatorPassword?: string } | undefined;
    let first = true;
    const input = fs.createReadStream(file);
    const gunzip = zlib.createGunzip();
    input.on("error", (error) => gunzip.destroy(error));
    input.pipe(gunzip);
    const collect = (then: (data: Buffer) => void): TarSink => {
      const parts: Buffer[] = [];
      return { write: (chunk) => void parts.push(chunk), close: () => then(Buffer.concat(parts)) };
    };
    try {
      await readTar(gunzip, async (entry) => {
        if (first && entry.name !== MANIFEST) throw new Error(`${file} is not a leadgraph backup (it does not start with ${MANIFEST})`);
        first = false;
        if (entry.name === MANIFEST) {
          return collect((data) => {
            manifest = JSON.parse(data.toString()) as Manifest;
            if (manifest.format !== FORMAT || manifest.version !== FORMAT_VERSION)
              throw new Error(`${file}: unknown backup format ${manifest.format} ${manifest.version}`);
            if (manifest.postgresMajor !== binaryMajor) {
              throw new Error(
                `${file} is a backup of PostgreSQL ${manifest.postgresMajor} (${manifest.serverVersion}); this leadgraph ships PostgreSQL ${binaryMajor}. A physical backup restores into the same major version only: restore it with the leadgraph version that made it, then move the data with pg_dump (docs/backup.md)`,
              );
            }
          });
        }
        if (entry.name === END_MARKER) return collect((data) => (end = JSON.parse(data.toString()) as EndMarker));
        if (entry.name === STATE_FILE) return collect((data) => (state = JSON.parse(data.toString()) as typeof state));
        if (end) throw new Error(`${file} has entries after its end marker`);
        const target = path.join(staging, entry.name);
        if (entry.type === "directory") {
          await fsp.mkdir(target, { recursive: true, mode: 0o700 });
          return undefined;
        }
        await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
        const handle = await fsp.open(target, "wx", entry.mode & 0o777 || 0o600);
        return {
          write: async (chunk) => void (await handle.write(chunk)),
          close: () => handle.close(),
        };
      });
    } finally {
      input.destroy();
    }
    if (!manifest || !end || !state?.password) throw new Error(`${file} is incomplete (no ${END_MARKER}): the backup did not finish`);
    log(`extracted ${end.files} files (${(end.dataBytes / 1e6).toFixed(1)} MB); replaying WAL ${manifest.startLsn} to ${end.stopLsn}`);
    fs.writeFileSync(
      path.join(staging, STATE_FILE),
      json({ password: state.password, authenticatorPassword: state.authenticatorPassword }),
      { mode: 0o600 },
    );

    const clusterDir = path.join(staging, CLUSTER);
    const user = postgresUser(log);
    if (user) {
      await chownTree(clusterDir, user);
      await fsp.chmod(staging, 0o711);
      ensureTraversable(clusterDir, log);
    }
    await recover(clusterDir, path.join(staging, "postgres.log"), user);

    // Into place: what was there is kept aside (--force), never deleted.
    let movedAside: string | undefined;
    refuseIfInUse(dataDir); // nothing started on it meanwhile
    if (existing?.length) {
      movedAside = `${dataDir}.before-restore-${defaultBackupName().replace(/^leadgraph-backup-|\.tar\.gz$/g, "")}`;
      await fsp.rename(dataDir, movedAside);
      log(`moved the data directory that was there to ${movedAside}`);
    } else if (existing) {
      await fsp.rmdir(dataDir);
    }
    await fsp.rename(staging, dataDir);

    // The backed-up server's workers held some jobs: no worker of theirs runs here.
    const embedded = await startEmbedded({ dataDir, log });
    try {
      const client = new pg.Client({ connectionString: embedded.url(DATABASE_NAME) });
      await client.connect();
      try {
        const held =
          "select locked_by from graphile_worker._private_jobs where locked_by is not null union select locked_by from graphile_worker._private_job_queues where locked_by is not null";
        const released = (
          await client.query<{ n: number }>("select count(*)::int as n from graphile_worker._private_jobs where locked_by is not null")
        ).rows[0]!.n;
        await client.query(`select graphile_worker.force_unlock_workers(array(${held}))`);
        const { rows } = await client.query<{ migration: string | null; bytes: string }>(
          `select (select filename from graphile_migrate.migrations order by filename desc limit 1) as migration,
                  pg_database_size(current_database())::text as bytes`,
        );
        const committed = committedMigrations();
        const lastMigration = rows[0]!.migration ?? undefined;
        return {
          dataDir,
          movedAside,
          manifest,
          end,
          releasedJobs: released,
          lastMigration,
          pendingMigrations: committed.filter((name) => !lastMigration || parseInt(name, 10) > parseInt(lastMigration, 10)).length,
          databaseBytes: Number(rows[0]!.bytes),
          seconds: (Date.now() - began) / 1000,
        };
      } finally {
        await client.end();
      }
    } finally {
      await embedded.stop();
    }
  } catch (error) {
    await fsp.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** What to use instead when leadgraph runs on a PostgreSQL of your own (DATABASE_URL). */
export function managedDatabaseAdvice(command: "backup" | "restore"): string {
  return [
    `leadgraph ${command} works on the embedded PostgreSQL only; DATABASE_URL is set, so your data is in a server of your own, and nothing was touched.`,
    "Back it up with what that server offers:",
    "  - a managed database (RDS, Cloud SQL, Azure, Neon, Supabase, Crunchy, ...): its automated backups and point-in-time recovery;",
    "  - or a logical dump with PostgreSQL's client tools (same major version as the server, or newer):",
    '      pg_dump --format=custom --file=leadgraph.dump "$DATABASE_URL"',
    '      pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" leadgraph.dump   # into an empty database of the same schema version',
    "See docs/backup.md.",
  ].join("\n");
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `leadgraph backup [file]`. */
export async function runBackup(file: string | undefined, config: Config, onStop: BackupOptions["onStop"]): Promise<number> {
  if (config.databaseUrl) {
    console.error(managedDatabaseAdvice("backup"));
    return 1;
  }
  const result = await backupEmbedded({
    dataDir: config.dataDir,
    file: file ?? defaultBackupName(),
    log: (message) => console.error(`leadgraph: ${message}`),
    onStop,
  });
  console.log(
    `backed up ${config.dataDir} to ${result.file}: ${megabytes(result.bytes)} (${result.files} files, ${megabytes(result.dataBytes)} uncompressed, ${result.walSegments} WAL segments) in ${result.seconds.toFixed(1)} s; consistent as of WAL ${result.stopLsn} (started at ${result.startLsn})`,
  );
  return 0;
}

/** `leadgraph restore <file> [--data-dir dir] [--force]`. */
export async function runRestore(file: string, options: { dataDir?: string; force?: boolean }, config: Config): Promise<number> {
  if (config.databaseUrl) {
    console.error(managedDatabaseAdvice("restore"));
    return 1;
  }
  const result = await restoreEmbedded({
    file,
    dataDir: options.dataDir ?? config.dataDir,
    force: options.force,
    log: (message) => console.error(`leadgraph: ${message}`),
  });
  const migrations = result.pendingMigrations
    ? `${result.pendingMigrations} newer migrations of this code are applied by the next npm start`
    : "migrations up to date";
  console.log(
    [
      `restored ${file} into ${result.dataDir} in ${result.seconds.toFixed(1)} s: the state of ${result.end.finishedAt.slice(0, 19)}Z (WAL ${result.end.stopLsn}), database ${megabytes(result.databaseBytes)}`,
      `last migration ${result.lastMigration ?? "(none)"}: ${migrations}`,
      ...(result.releasedJobs
        ? [`${result.releasedJobs} jobs that the backed-up server's worker was running are released and run again`]
        : []),
      ...(result.movedAside
        ? [`the data directory that was there is kept in ${result.movedAside} (delete it when you no longer need it)`]
        : []),
      "start the app with npm start",
    ].join("\n"),
  );
  return 0;
}
