// The campaigns part of an Instantly sync run (src/sources/instantly/sync/campaigns.ts;
// the job machinery in src/sources/instantly/sync/resource.ts).
import type { Task } from "graphile-worker";
import { loadConfig } from "../src/config.ts";
import { syncCampaigns } from "../src/sources/instantly/sync/campaigns.ts";
import { runResourceJob } from "../src/sources/instantly/sync/resource.ts";

const task: Task = (payload, helpers) => runResourceJob("campaigns", syncCampaigns, loadConfig().instantly, payload, helpers);

export default task;
