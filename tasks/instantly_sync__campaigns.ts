// The campaigns part of an Instantly sync run (src/sources/instantly/sync/campaigns.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import { syncCampaigns } from "../src/sources/instantly/sync/campaigns.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = (config) => (payload, helpers) => runResourceJob("campaigns", syncCampaigns, config.instantly, payload, helpers);

export default task;
