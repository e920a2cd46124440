// Where the per-campaign resources got to (leadgraph_private.instantly_sync_state, one row per
// resource and campaign): the cursor of the page being fetched, saved in the
// transaction that stores the page, so a killed pass continues where it
// stopped; the emails' watermark; and a fingerprint of the campaign's counters
// at the last complete pass, so a campaign whose counters have not moved is
// not fetched again.
import { createHash } from "node:crypto";
import type { PoolClient } from "pg";
import type { Page } from "../api/client.ts";
import type { Db } from "./run.ts";

/** A campaign the campaigns job stored, with a fingerprint of its counters. */
export interface StoredCampaign {
  id: string;
  createdDate: string | null;
  fingerprint: string;
}

export async function storedCampaigns(db: Db): Promise<StoredCampaign[]> {
  const { rows } = await db.query<{ id: string; created: string | null; analytics: unknown; status: number | null }>(
    `select instantly_campaign_id as id, raw_json #>> '{campaign,timestamp_created}' as created,
            raw_json -> 'analytics' as analytics, campaign_status as status
     from instantly_campaigns_raw order by instantly_campaign_id`,
  );
  return rows.map((row) => ({
    id: row.id,
    createdDate: row.created && /^\d{4}-\d{2}-\d{2}/.test(row.created) ? row.created.slice(0, 10) : null,
    fingerprint: createHash("sha256")
      .update(JSON.stringify([row.status, row.analytics]))
      .digest("hex")
      .slice(0, 32),
  }));
}

export type PassResource = "emails" | "leads";

// Not every change moves a counter (an interest status set by hand, a manual
// email), so an unchanged campaign is still passed over again after a while.
const FULL_PASS_AFTER: Record<PassResource, string> = { emails: "6 hours", leads: "24 hours" };

/** The campaign's counters have not moved since its last complete pass, which is recent enough. */
export async function unchanged(db: Db, resource: PassResource, campaign: StoredCampaign): Promise<boolean> {
  const { rows } = await db.query<{ fresh: boolean }>(
    `select fingerprint = $3 and cursor is null and updated_at > now() - $4::interval as fresh
     from leadgraph_private.instantly_sync_state where resource = $1 and scope = $2`,
    [resource, campaign.id, campaign.fingerprint, FULL_PASS_AFTER[resource]],
  );
  return rows[0]?.fresh === true;
}

export interface PassState {
  cursor: string | null;
  watermark: string | null;
  pass_newest: string | null;
}

/** The pass of one campaign so far (a new, empty one the first time). */
export async function passState(db: Db, resource: PassResource, scope: string): Promise<PassState> {
  const { rows } = await db.query<PassState>(
    `insert into leadgraph_private.instantly_sync_state (resource, scope) values ($1, $2)
     on conflict (resource, scope) do update set resource = excluded.resource
     returning cursor, watermark, pass_newest`,
    [resource, scope],
  );
  return rows[0]!;
}

/**
 * After storing `page` (in the same transaction): the next page's cursor, and
 * the newest timestamp_created the pass has seen (emails). Only while the
 * state is at this page's cursor.
 */
export async function savePage(
  client: PoolClient,
  resource: PassResource,
  scope: string,
  page: Page,
  newest: string | null = null,
): Promise<void> {
  await client.query(
    `update leadgraph_private.instantly_sync_state set cursor = $4, pass_started_at = coalesce(pass_started_at, now()),
       pass_newest = greatest(pass_newest, $5), updated_at = now()
     where resource = $1 and scope = $2 and cursor is not distinct from $3`,
    [resource, scope, page.cursor ?? null, page.nextCursor ?? null, newest],
  );
}

/** A pass went through every page: the watermark moves up and the fingerprint is kept. */
export async function completePass(db: Db, resource: PassResource, campaign: StoredCampaign): Promise<void> {
  await db.query(
    `update leadgraph_private.instantly_sync_state set watermark = coalesce(greatest(watermark, pass_newest), watermark), pass_newest = null,
       cursor = null, pass_started_at = null, fingerprint = $3, updated_at = now()
     where resource = $1 and scope = $2`,
    [resource, campaign.id, campaign.fingerprint],
  );
}
