// leads: POST /leads/list per campaign (cursor in the body), for names,
// companies and interest statuses of the people the emails go to.
import { upsertLeads } from "../raw.ts";
import { CAMPAIGN_CONCURRENCY, eachConcurrently, field, validate, type ResourceContext } from "./resource.ts";
import { withTransaction } from "./run.ts";
import { completePass, passState, savePage, storedCampaigns, unchanged } from "./state.ts";

export async function syncLeads(context: ResourceContext): Promise<void> {
  const campaigns = await storedCampaigns(context.db);
  await eachConcurrently(campaigns, CAMPAIGN_CONCURRENCY, async (campaign) => {
    if (await unchanged(context.db, "leads", campaign)) return;
    const state = await passState(context.db, "leads", campaign.id);
    for await (const page of context.client.listLeads({ campaignId: campaign.id, startingAfter: state.cursor ?? undefined })) {
      await withTransaction(context.db, async (db) => {
        const valid = await validate(db, context, "lead", page.items, field("id"));
        await upsertLeads(
          db,
          valid.map((v) => v.raw),
          campaign.id,
        );
        context.counts.stored += valid.length;
        await savePage(db, "leads", campaign.id, page);
      });
      await context.flush();
    }
    await completePass(context.db, "leads", campaign);
  });
}
