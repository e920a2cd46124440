// accounts: GET /accounts, one raw row per sending mailbox.
import { upsertAccounts } from "../raw.ts";
import { validate, field, type ResourceContext } from "./resource.ts";
import { withTransaction } from "./run.ts";

export async function syncAccounts(context: ResourceContext): Promise<void> {
  for await (const page of context.client.listAccounts()) {
    await withTransaction(context.db, async (db) => {
      const valid = await validate(db, context, "account", page.items, field("email"));
      await upsertAccounts(
        db,
        valid.map((v) => v.raw),
      );
      context.counts.stored += valid.length;
    });
    await context.flush();
  }
}
