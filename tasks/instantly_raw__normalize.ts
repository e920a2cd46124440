// Normalises the Instantly raw rows waiting in instantly_pending (queued by the
// raw tables' insert/update triggers): campaigns, leads, emails, webhook
// events -> campaigns, companies, leads, campaign_leads, events. One at a
// time: a session advisory lock (it dies with a killed worker, unlike a
// graphile-worker queue lock), so batches never race each other.
import type { Task } from "graphile-worker";
import { normalizeInstantly } from "../src/instantly/normalize.ts";
import { LOCK_CLASS, NORMALIZER_LOCK } from "../src/instantly/sync.ts";

const task: Task = async (_payload, helpers) => {
  const counts = await helpers.withPgClient(async (client) => {
    await client.query("select pg_advisory_lock($1, $2)", [LOCK_CLASS, NORMALIZER_LOCK]);
    try {
      return await normalizeInstantly(client);
    } finally {
      await client.query("select pg_advisory_unlock($1, $2)", [LOCK_CLASS, NORMALIZER_LOCK]).catch(() => {});
    }
  });
  helpers.logger.info(
    `Instantly normalised: ${counts.campaigns} campaigns, ${counts.leads} leads, ${counts.emails} emails, ${counts.webhooks} webhook events, ${counts.rejected} not usable`,
  );
};

export default task;
