// Normalises the Instantly raw rows waiting in instantly_pending (queued by the
// raw tables' insert/update triggers): campaigns, leads, emails, webhook
// events -> campaigns, companies, leads, campaign_leads, events. One job at a
// time (queue instantly_normalize), so batches never race each other.
import type { Task } from "graphile-worker";
import { normalizeInstantly } from "../src/instantly/normalize.ts";

const task: Task = async (_payload, helpers) => {
  const counts = await helpers.withPgClient((client) => normalizeInstantly(client));
  helpers.logger.info(
    `Instantly normalised: ${counts.campaigns} campaigns, ${counts.leads} leads, ${counts.emails} emails, ${counts.webhooks} webhook events, ${counts.rejected} not usable`,
  );
};

export default task;
