// The accounts part of an Instantly sync run (src/sources/instantly/sync/accounts.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import { syncAccounts } from "../src/sources/instantly/sync/accounts.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = (config) => (payload, helpers) => runResourceJob("accounts", syncAccounts, config.instantly, payload, helpers);

export default task;
