// The emails part of an Instantly sync run (src/sources/instantly/sync/emails.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import type { Task } from "graphile-worker";
import { loadConfig } from "../src/config.ts";
import { syncEmails } from "../src/sources/instantly/sync/emails.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";

const task: Task = (payload, helpers) => runResourceJob("emails", syncEmails, loadConfig().instantly, payload, helpers);

export default task;
