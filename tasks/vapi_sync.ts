// One VAPI sync run (enqueued by the worker's crontab, by `leadgraph sync
// vapi` and by inserts into vapi_sync_requests): src/sources/vapi/sync/run.ts.
import { vapiClient } from "../src/sources/vapi/api/client.ts";
import { recordFailedRun, runVapiSync, type TriggeredBy } from "../src/sources/vapi/sync/run.ts";
import { isUuid } from "../src/uuid.ts";
import type { TaskFactory } from "../src/worker.ts";

const TRIGGERS: TriggeredBy[] = ["cron", "cli", "request"];

const task: TaskFactory = (config) => async (payload, helpers) => {
  const { requestId, triggeredBy } = (payload ?? {}) as { requestId?: unknown; triggeredBy?: unknown };
  if (requestId !== undefined && requestId !== null && !isUuid(requestId)) {
    throw new Error(`vapi_sync: payload.requestId must be a request id, got ${JSON.stringify(payload)}`);
  }
  const trigger = TRIGGERS.includes(triggeredBy as TriggeredBy) ? (triggeredBy as TriggeredBy) : "cron";
  await helpers.withPgClient(async (client) => {
    if (!config.vapi.apiKey) {
      if (trigger !== "cron")
        await recordFailedRun(
          client,
          trigger,
          "VAPI_API_KEY is not set on the worker: the sync needs VAPI's private API key",
          requestId ?? undefined,
        );
      helpers.logger.warn("VAPI sync skipped: VAPI_API_KEY is not set");
      return;
    }
    const result = await runVapiSync(client, vapiClient(config), {
      triggeredBy: trigger,
      requestId: requestId ?? undefined,
      settings: config.vapi,
      logger: helpers.logger,
    });
    helpers.logger.info(result.joined ? `VAPI sync: joined run ${result.runId}` : `VAPI sync: run ${result.runId} ${result.status}`);
  });
};

export default task;
