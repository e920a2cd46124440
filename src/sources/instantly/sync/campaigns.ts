// campaigns: GET /campaigns (settings, sequences) + GET /campaigns/analytics
// (counters), one raw row per campaign holding both objects as received.
import { upsertCampaigns, type CampaignRow } from "../raw.ts";
import { validate, field, type ResourceContext } from "./resource.ts";
import { withTransaction } from "./run.ts";

export async function syncCampaigns(context: ResourceContext): Promise<void> {
  const analyticsItems = await context.client.campaignAnalytics();
  const analytics = new Map<string, unknown>();
  await withTransaction(context.db, async (db) => {
    const valid = await validate(db, context, "campaign_analytics", analyticsItems, field("campaign_id"));
    for (const { record, raw } of valid) analytics.set(record.campaign_id, raw);
  });
  const seen = new Set<string>();
  for await (const page of context.client.listCampaigns()) {
    await withTransaction(context.db, async (db) => {
      const valid = await validate(db, context, "campaign", page.items, field("id"));
      const rows = valid.map(({ record, raw }): CampaignRow => {
        seen.add(record.id);
        return { id: record.id, raw: { campaign: raw, analytics: analytics.get(record.id) ?? null } };
      });
      await upsertCampaigns(db, rows);
      context.counts.stored += rows.length;
    });
    await context.flush();
  }
  // Campaigns the analytics know of but the list did not return (deleted since?): keep their counters too.
  const rest = [...analytics.entries()]
    .filter(([id]) => !seen.has(id))
    .map(([id, raw]): CampaignRow => ({ id, raw: { campaign: null, analytics: raw } }));
  if (rest.length) {
    await withTransaction(context.db, async (db) => {
      await upsertCampaigns(db, rest, { analyticsOnly: true });
      context.counts.stored += rest.length;
    });
  }
}
