// The workflow "email -> no reply -> call" (on the crontab, VAPI_CALL_SCHEDULE,
// when VAPI_API_KEY is set): queues the memberships calls_due() lists in
// vapi_call_requests, inside their campaign's call hours (src/sources/vapi/calls/schedule.ts).
import { scheduleDueCalls } from "../src/sources/vapi/calls/schedule.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = (config) => async (_payload, helpers) => {
  if (!config.vapi.apiKey) {
    helpers.logger.warn("VAPI call workflow skipped: VAPI_API_KEY is not set");
    return;
  }
  const queued = await helpers.withPgClient((client) => scheduleDueCalls(client));
  if (queued) helpers.logger.info(`VAPI call workflow: ${queued} calls queued`);
};

export default task;
