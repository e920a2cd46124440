// Normalises the Instantly raw rows waiting in leadgraph_private.instantly_pending (queued by the
// raw tables' insert/update triggers): campaigns, leads, emails, webhook
// events -> campaigns, companies, leads, campaign_leads, events. One at a
// time: a session advisory lock (it dies with a killed worker, unlike a
// graphile-worker queue lock), so batches never race each other.
import type { Task } from "graphile-worker";
import { normalizeInstantly, type NormalizeCounts } from "../src/sources/instantly/normalize/index.ts";
import { LOCK_CLASS, NORMALIZER_LOCK } from "../src/sources/instantly/sync.ts";

const task: Task = async (_payload, helpers) => {
  const total: NormalizeCounts = { campaigns: 0, leads: 0, emails: 0, webhooks: 0, rejected: 0 };
  await helpers.withPgClient(async (client) => {
    for (;;) {
      // Another job is draining: it will see our rows too (it looks again
      // after letting go of the lock), so this one need not wait, holding a
      // worker slot that the sync's own jobs need.
      const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1, $2) as locked", [
        LOCK_CLASS,
        NORMALIZER_LOCK,
      ]);
      if (!rows[0]!.locked) return;
      try {
        const counts = await normalizeInstantly(client);
        for (const key of Object.keys(total) as (keyof NormalizeCounts)[]) total[key] += counts[key];
      } finally {
        await client.query("select pg_advisory_unlock($1, $2)", [LOCK_CLASS, NORMALIZER_LOCK]).catch(() => {});
      }
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
