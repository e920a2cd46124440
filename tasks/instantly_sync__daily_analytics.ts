// The daily analytics part of an Instantly sync run (src/sources/instantly/sync/daily-analytics.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import { syncDailyAnalytics } from "../src/sources/instantly/sync/daily-analytics.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = (config) => (payload, helpers) =>
  runResourceJob("daily_analytics", syncDailyAnalytics, config.instantly, payload, helpers);

export default task;
