// One Instantly sync run (enqueued by the worker's crontab, by
// `leadgraph sync instantly` and by inserts into instantly_sync_requests):
// records the run and fans out to one job per resource (src/sources/instantly/sync/run.ts).
import { jobDb, recordFailedRun, startRun, type TriggeredBy } from "../src/sources/instantly/sync/run.ts";
import { isUuid } from "../src/uuid.ts";
import type { TaskFactory } from "../src/worker.ts";

const TRIGGERS: TriggeredBy[] = ["cron", "cli", "request"];

const task: TaskFactory = (config) => async (payload, helpers) => {
  const { requestId, triggeredBy } = (payload ?? {}) as { requestId?: unknown; triggeredBy?: unknown };
  if (requestId !== undefined && requestId !== null && !isUuid(requestId)) {
    throw new Error(`instantly_sync: payload.requestId must be a request id, got ${JSON.stringify(payload)}`);
  }
  const trigger = TRIGGERS.includes(triggeredBy as TriggeredBy) ? (triggeredBy as TriggeredBy) : "cron";
  const db = jobDb(helpers);
  if (!config.instantly.apiKey) {
    // Asked for explicitly: leave a run that says why nothing happened.
    if (trigger !== "cron")
      await recordFailedRun(
        db,
        trigger,
        "INSTANTLY_API_KEY is not set on the worker: the sync needs an Instantly API key",
        requestId ?? undefined,
      );
    helpers.logger.warn("Instantly sync skipped: INSTANTLY_API_KEY is not set");
    return;
  }
  const run = await startRun(db, trigger, requestId ?? undefined);
  helpers.logger.info(run.joined ? `Instantly sync: joined run ${run.runId}` : `Instantly sync: started run ${run.runId}`);
};

export default task;
