// Normalises the VAPI raw rows waiting in leadgraph_private.vapi_pending
// (queued by the raw tables' triggers): calls and webhook deliveries ->
// events, campaign_leads' call workflow. One at a time: a session advisory
// lock (it dies with a killed worker), so batches never race each other.
import { LOCKS, withSessionLock } from "../src/database/locks.ts";
import { normalizeVapi, type VapiNormalizeCounts } from "../src/sources/vapi/normalize/index.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = () => async (_payload, helpers) => {
  const total: VapiNormalizeCounts = { taken: 0, calls: 0, rejected: 0 };
  await helpers.withPgClient(async (client) => {
    for (;;) {
      // Another job is draining: it looks again after letting go of the lock.
      const drained = await withSessionLock(client, LOCKS.vapiNormalizer, async () => {
        const counts = await normalizeVapi(client, { signal: helpers.abortSignal });
        for (const key of Object.keys(total) as (keyof VapiNormalizeCounts)[]) total[key] += counts[key];
      });
      if (!drained) return;
      helpers.abortSignal.throwIfAborted();
      // Rows queued while we held the lock, whose own job found it taken.
      const { rows: left } = await client.query("select 1 from leadgraph_private.vapi_pending limit 1");
      if (!left.length) return;
    }
  });
  helpers.logger.info(`VAPI normalised: ${total.taken} queued rows, ${total.calls} calls, ${total.rejected} not usable`);
};

export default task;
