// The daily analytics part of an Instantly sync run (src/sources/instantly/sync/daily-analytics.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import type { Task } from "graphile-worker";
import { loadConfig } from "../src/config.ts";
import { syncDailyAnalytics } from "../src/sources/instantly/sync/daily-analytics.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";

const task: Task = (payload, helpers) => runResourceJob("daily_analytics", syncDailyAnalytics, loadConfig().instantly, payload, helpers);

export default task;
