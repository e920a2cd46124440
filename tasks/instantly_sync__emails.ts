// The emails part of an Instantly sync run (src/sources/instantly/sync/emails.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import { syncEmails } from "../src/sources/instantly/sync/emails.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = (config) => (payload, helpers) => runResourceJob("emails", syncEmails, config.instantly, payload, helpers);

export default task;
