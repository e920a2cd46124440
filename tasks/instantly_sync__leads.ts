// The leads part of an Instantly sync run (src/sources/instantly/sync/leads.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import { syncLeads } from "../src/sources/instantly/sync/leads.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = (config) => (payload, helpers) => runResourceJob("leads", syncLeads, config.instantly, payload, helpers);

export default task;
