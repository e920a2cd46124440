// The leads part of an Instantly sync run (src/sources/instantly/sync/leads.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import type { Task } from "graphile-worker";
import { loadConfig } from "../src/config.ts";
import { syncLeads } from "../src/sources/instantly/sync/leads.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";

const task: Task = (payload, helpers) => runResourceJob("leads", syncLeads, loadConfig().instantly, payload, helpers);

export default task;
