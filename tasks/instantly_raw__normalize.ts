// Normalises the Instantly raw rows waiting in leadgraph_private.instantly_pending (queued by the
// raw tables' insert/update triggers): campaigns, leads, emails, webhook
// events -> campaigns, companies, leads, campaign_leads, events. One at a
// time: a session advisory lock (it dies with a killed worker, unlike a
// graphile-worker queue lock), so batches never race each other.
import { LOCKS, withSessionLock } from "../src/database/locks.ts";
import { normalizeInstantly, type NormalizeCounts } from "../src/sources/instantly/normalize/index.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = () => async (_payload, helpers) => {
  const total: NormalizeCounts = { campaigns: 0, leads: 0, emails: 0, webhooks: 0, rejected: 0 };
  await helpers.withPgClient(async (client) => {
    for (;;) {
      // Another job is draining: it will see our rows too (it looks again
      // after letting go of the lock), so this one need not wait, holding a
      // worker slot that the sync's own jobs need.
      const drained = await withSessionLock(client, LOCKS.instantlyNormalizer, async () => {
        const counts = await normalizeInstantly(client, { signal: helpers.abortSignal });
        for (const key of Object.keys(total) as (keyof NormalizeCounts)[]) total[key] += counts[key];
      });
      if (!drained) return;
      helpers.abortSignal.throwIfAborted();
      // Rows queued while we held the lock, whose own job found it taken.
      const { rows: left } = await client.query("select 1 from leadgraph_private.instantly_pending limit 1");
      if (!left.length) return;
    }
  });
  helpers.logger.info(
    `Instantly normalised: ${total.campaigns} campaigns, ${total.leads} leads, ${total.emails} emails, ${total.webhooks} webhook events, ${total.rejected} not usable`,
  );
};

export default task;
