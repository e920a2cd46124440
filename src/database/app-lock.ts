// One `leadgraph start` (`npm start`) per data directory. A second one would
// share the embedded PostgreSQL, run a second worker and fail on the HTTP port
// (or, with PORT=0, serve a second copy of the app): it says which process
// runs the app and exits instead. `server`, `worker` and the one-shot commands
// still share the data directory with it.
import fs from "node:fs";
import path from "node:path";

interface AppFile {
  pid: number;
  /** Where it serves, once it does. */
  url?: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // After a reboot the pid may be another program's.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("leadgraph");
  } catch {
    return true; // no /proc (macOS): trust the pid
  }
}

function read(file: string): AppFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as AppFile;
  } catch {
    return undefined;
  }
}

export interface AppClaim {
  /** Records where the app serves, for the message a second start prints. */
  serving(url: string): void;
}

/** Claims `dataDir` for this process's `leadgraph start`, or throws saying who has it. Released when the process exits. */
export function claimDataDir(dataDir: string): AppClaim {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, "app.json");
  const write = (content: AppFile, flag: "wx" | "w") => {
    // Whole under another name, then linked or renamed: never seen half written.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(content) + "\n", { mode: 0o600 });
    try {
      if (flag === "wx") fs.linkSync(temporary, file);
      else fs.renameSync(temporary, file);
    } finally {
      fs.rmSync(temporary, { force: true });
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      write({ pid: process.pid }, "wx");
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 20) throw error;
      const holder = read(file);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new Error(
          `leadgraph is already running on ${dataDir} (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ", starting"}). ` +
            `Use that one, or stop it first (Ctrl-C in its terminal, or kill ${holder.pid}). ` +
            "To run more processes on the same database, use `leadgraph server` or `leadgraph worker`.",
          { cause: error },
        );
      }
      fs.rmSync(file, { force: true }); // left by a process that was killed
    }
  }
  process.once("exit", () => {
    if (read(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  });
  return { serving: (url) => write({ pid: process.pid, url }, "w") };
}
