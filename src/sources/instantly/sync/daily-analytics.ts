// daily_analytics: GET /campaigns/analytics/daily per campaign (its rows carry
// no campaign id: it comes from the request) and once without campaign_id
// for the workspace totals.
import { upsertDailyAnalytics } from "../raw.ts";
import { CAMPAIGN_CONCURRENCY, eachConcurrently, field, validate, type ResourceContext } from "./resource.ts";
import { withTransaction } from "./run.ts";
import { storedCampaigns } from "./state.ts";

/** Days of daily analytics fetched again on each run (late opens and replies change recent days). */
const ANALYTICS_REFETCH_DAYS = 7;
const DAY_MS = 86_400_000;

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export async function syncDailyAnalytics(context: ResourceContext): Promise<void> {
  const campaigns = await storedCampaigns(context.db);
  // End is exclusive-ish and must be after the start ("Start Date must be earlier than End Date").
  const endDate = isoDate(new Date(Date.now() + DAY_MS));
  const yearAgo = isoDate(new Date(Date.now() - 365 * DAY_MS));
  const scopes: { campaignId: string | null; createdDate: string | null }[] = [
    { campaignId: null, createdDate: null },
    ...campaigns.map((c) => ({ campaignId: c.id, createdDate: c.createdDate })),
  ];
  await eachConcurrently(scopes, CAMPAIGN_CONCURRENCY, async ({ campaignId, createdDate }) => {
    const { rows } = await context.db.query<{ last: string | null }>(
      "select max(analytics_date)::text as last from instantly_daily_analytics_raw where instantly_campaign_id is not distinct from $1",
      [campaignId],
    );
    const last = rows[0]?.last;
    const startDate = last ? isoDate(new Date(Date.parse(last) - ANALYTICS_REFETCH_DAYS * DAY_MS)) : (createdDate ?? yearAgo);
    const items = await context.client.dailyAnalytics({ campaignId: campaignId ?? undefined, startDate, endDate });
    await withTransaction(context.db, async (db) => {
      const valid = await validate(
        db,
        context,
        "daily_analytics",
        items,
        (raw) => `${campaignId ?? "workspace"}:${String(field("date")(raw))}`,
      );
      await upsertDailyAnalytics(
        db,
        valid.map((v) => v.raw),
        campaignId,
      );
      context.counts.stored += valid.length;
    });
    await context.flush();
  });
}
