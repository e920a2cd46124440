// emails: GET /emails per campaign, newest first, from a little before the
// newest timestamp_created of the last complete pass. The cursor of each page
// is saved with the page's rows, so a killed pass continues where it stopped;
// the watermark moves only when a pass completes (newest first means an
// unfinished pass has gaps below its newest email).
import { upsertEmails } from "../raw.ts";
import { CAMPAIGN_CONCURRENCY, eachConcurrently, field, validate, type ResourceContext } from "./resource.ts";
import { withTransaction } from "./run.ts";
import { completePass, passState, savePage, storedCampaigns, unchanged } from "./state.ts";

/** Emails are asked for from a little before the newest one stored: Instantly stores timestamps to the second and not always in order. */
const EMAIL_OVERLAP_MS = 60_000;

export async function syncEmails(context: ResourceContext): Promise<void> {
  const campaigns = await storedCampaigns(context.db);
  await eachConcurrently(campaigns, CAMPAIGN_CONCURRENCY, async (campaign) => {
    if (await unchanged(context.db, "emails", campaign)) return;
    const state = await passState(context.db, "emails", campaign.id);
    const since = state.watermark ? new Date(Date.parse(state.watermark) - EMAIL_OVERLAP_MS).toISOString() : undefined;
    const pages = context.client.listEmails({
      campaignId: campaign.id,
      minTimestampCreated: since,
      startingAfter: state.cursor ?? undefined,
    });
    for await (const page of pages) {
      await withTransaction(context.db, async (db) => {
        const valid = await validate(db, context, "email", page.items, field("id"));
        await upsertEmails(
          db,
          valid.map((v) => v.raw),
          campaign.id,
        );
        context.counts.stored += valid.length;
        const newest = valid.reduce<string | null>((max, { record }) => {
          const created = record.timestamp_created;
          return typeof created === "string" && (max === null || created > max) ? created : max;
        }, null);
        await savePage(db, "emails", campaign.id, page, newest);
      });
      await context.flush();
    }
    await completePass(context.db, "emails", campaign);
  });
}
