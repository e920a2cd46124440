// Places the queued VAPI calls (enqueued by inserts into vapi_call_requests
// and by the workflow's schedule, job key vapi_call_requests__place): POST /call once per
// request, paced under VAPI's concurrency (src/sources/vapi/calls/place.ts).
// One placer at a time: a session advisory lock, which dies with a killed
// worker (a request it left `placing` is reconciled by the next one).
import { LOCKS, withSessionLock } from "../src/database/locks.ts";
import { vapiClient } from "../src/sources/vapi/api/client.ts";
import { placeCalls, type PlaceSummary } from "../src/sources/vapi/calls/place.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = (config) => async (_payload, helpers) => {
  if (!config.vapi.apiKey) {
    helpers.logger.warn("VAPI calls not placed: VAPI_API_KEY is not set on the worker");
    return;
  }
  const api = vapiClient(config);
  let summary: PlaceSummary | undefined;
  await helpers.withPgClient(async (client) => {
    const ran = await withSessionLock(client, LOCKS.vapiCallPlacer, async () => {
      summary = await placeCalls(client, api, {
        maxConcurrentCalls: config.vapiCalls.maxConcurrentCalls,
        retryDelayMs: config.vapiCalls.retryDelayMs,
        logger: helpers.logger,
        signal: helpers.abortSignal,
      });
    });
    // Another placer holds the lock: it drains these requests too; a look
    // later in case it was past its last one when they came.
    if (!ran) {
      await client.query("select leadgraph_private.enqueue_vapi_call_placement($1)", [
        new Date(Date.now() + config.vapiCalls.retryDelayMs),
      ]);
      return;
    }
    // The next run: when asked (a full concurrency, a refused key), else when
    // the earliest open request is due.
    await client.query("select leadgraph_private.enqueue_vapi_call_placement($1)", [summary?.nextRunAt ?? null]);
  });
  if (summary && (summary.placed || summary.reconciled || summary.failed || summary.deferred || summary.stopped)) {
    helpers.logger.info(
      `VAPI calls: ${summary.placed} placed, ${summary.reconciled} found placed already, ${summary.failed} failed, ` +
        `${summary.deferred} moved to the next call hours${summary.stopped ? ` (stopped: ${summary.stopped})` : ""}`,
    );
  }
};

export default task;
