// The accounts part of an Instantly sync run (src/sources/instantly/sync/accounts.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import type { Task } from "graphile-worker";
import { loadConfig } from "../src/config.ts";
import { syncAccounts } from "../src/sources/instantly/sync/accounts.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";

const task: Task = (payload, helpers) => runResourceJob("accounts", syncAccounts, loadConfig().instantly, payload, helpers);

export default task;
