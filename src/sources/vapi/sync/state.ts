// Where the VAPI sync got to, per scope (leadgraph_private.vapi_sync_state:
// every call, or one configured assistant or phone number): the watermark
// (the newest updatedAt a pass reached), and while a pass is under way its
// upper bound, kept so a killed pass resumes with the same windows.
import type { Queryable } from "../raw.ts";
import type { ListCallsFilters } from "../api/client.ts";
import type { SyncSettings } from "./calls.ts";

/** How far behind the watermark each pass starts again: clocks, and calls written while we read. */
export const OVERLAP_MS = 5 * 60_000;

/** The filters a pass runs once each: every call, or each configured assistant (else phone number). */
export function scopes(settings: SyncSettings): { scope: string; filter: ListCallsFilters }[] {
  if (settings.assistantIds.length) return settings.assistantIds.map((id) => ({ scope: `assistant:${id}`, filter: { assistantId: id } }));
  if (settings.phoneNumberIds.length) return settings.phoneNumberIds.map((id) => ({ scope: `phone:${id}`, filter: { phoneNumberId: id } }));
  return [{ scope: "", filter: {} }];
}

/** Starts (or resumes) a pass: the lower bound of its first window and the pass's upper bound, in ms. */
export async function beginPass(db: Queryable, scope: string, sinceDays: number): Promise<{ lower: number; upper: number }> {
  await db.query("insert into leadgraph_private.vapi_sync_state (scope) values ($1) on conflict (scope) do nothing", [scope]);
  const { rows } = await db.query<{ watermark: Date | null; pass_upper: Date }>(
    `update leadgraph_private.vapi_sync_state
        set pass_started_at = coalesce(pass_started_at, now()), pass_upper = coalesce(pass_upper, now()),
            backfill_before = coalesce(backfill_before, now() - make_interval(days => $2)), updated_at = now()
      where scope = $1 returning watermark, pass_upper`,
    [scope, sinceDays],
  );
  const upper = rows[0]!.pass_upper.getTime();
  const lower = rows[0]!.watermark ? rows[0]!.watermark.getTime() - OVERLAP_MS : upper - sinceDays * 86_400_000;
  return { lower: Math.min(lower, upper), upper };
}

/** Moves the resume point (in the transaction that stored the window's calls). */
export async function reached(db: Queryable, scope: string, at: number): Promise<void> {
  await db.query("update leadgraph_private.vapi_sync_state set watermark = greatest(watermark, $2), updated_at = now() where scope = $1", [
    scope,
    new Date(at),
  ]);
}

/** The pass is complete: the next one starts from the watermark with a new upper bound. */
export async function completePass(db: Queryable, scope: string): Promise<void> {
  await db.query(
    `update leadgraph_private.vapi_sync_state set pass_started_at = null, pass_upper = null, backfill_done = true, updated_at = now()
      where scope = $1`,
    [scope],
  );
}
