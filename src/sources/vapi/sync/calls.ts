// The two halves of a VAPI sync run (./run.ts): the windows of GET /call
// over updatedAt for one scope, and the refresh of calls that may still
// change; and how a page is stored (valid calls into the raw layer, the
// others set aside with the reason).
import type { PoolClient } from "pg";
import type { Config } from "../../../config.ts";
import { sanitized } from "../../../database/jsonb.ts";
import { inTransaction } from "../../../database/transaction.ts";
import type { ListCallsFilters, VapiClient } from "../api/client.ts";
import { validateCalls } from "../api/schemas.ts";
import { storeCalls } from "../raw.ts";
import { beginPass, completePass, reached } from "./state.ts";

/** GET /call's largest page. */
export const PAGE_LIMIT = 1000;
/** Calls refreshed one by one per run, at most. */
const MAX_REFRESH = 200;

export type SyncSettings = Pick<Config["vapi"], "syncSinceDays" | "assistantIds" | "phoneNumberIds">;

export interface Counts {
  windows: number;
  received: number;
  stored: number;
  rejected: number;
  refreshed: number;
}

/** One run as its parts see it: its connection (holding the lock), client, counts. */
export interface RunContext {
  client: PoolClient;
  api: VapiClient;
  runId: string;
  counts: Counts;
  options: { settings: SyncSettings; logger: { warn(message: string): void }; pageLimit?: number };
  /** Writes the counts on the run row. */
  progress(): Promise<void>;
}

/** Stores the valid calls, sets the others aside with the reason (./../api/schemas.ts). */
async function storePage(client: PoolClient, runId: string, calls: unknown[], counts: Counts): Promise<void> {
  const { valid, rejected } = validateCalls(calls);
  counts.rejected += rejected.length;
  if (rejected.length)
    await client.query(
      `insert into vapi_rejects (run_id, stage, resource, source_id, reason, raw_json)
       select $1, 'fetch', 'call', r ->> 'sourceId', r ->> 'reason', r -> 'raw' from jsonb_array_elements($2::jsonb) r
       on conflict (stage, resource, source_id) do update
         set run_id = excluded.run_id, reason = excluded.reason, raw_json = excluded.raw_json, updated_at = now()`,
      // (one row per id: a page may repeat a record)
      [
        runId,
        JSON.stringify([
          ...new Map(rejected.map(({ raw, sourceId, reason }) => [sourceId, { sourceId, reason, raw: sanitized(raw ?? null) }])).values(),
        ]),
      ],
    );
  const { stored } = await storeCalls(client, valid, "api");
  counts.stored += stored;
  // A call that was refused before and is fine now is no longer set aside.
  if (valid.length)
    await client.query("delete from vapi_rejects where stage = 'fetch' and resource = 'call' and source_id = any($1)", [
      valid.map((call) => (call as { id: string }).id),
    ]);
}

/** GET /call's order is unspecified: oldest updatedAt first, then id, so a page is stored the same way every time. */
function sortedByUpdatedAt(page: unknown[]): unknown[] {
  const key = (call: unknown) => {
    const c = (call ?? {}) as { updatedAt?: unknown; id?: unknown };
    return `${String(c.updatedAt)}\u0000${String(c.id)}`;
  };
  return [...page].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** One pass over one scope's windows, from its watermark to the pass's end. */
export async function pass(run: RunContext, scope: string, filter: ListCallsFilters): Promise<void> {
  const { client, api, runId, counts, options } = run;
  const limit = options.pageLimit ?? PAGE_LIMIT;
  const { lower, upper } = await beginPass(client, scope, options.settings.syncSinceDays);
  // Windows still to fetch, oldest first: (from, to], the last one open above
  // (to null): VAPI's clock is not ours, and a call it stamped ahead of our
  // clock must not wait for ours to catch up.
  const windows: [number, number | null][] = [[lower, null]];
  while (windows.length) {
    const [from, to] = windows.shift()!;
    const page = await api.listCalls({
      ...filter,
      limit,
      updatedAtGt: new Date(from).toISOString(),
      ...(to === null ? {} : { updatedAtLe: new Date(to).toISOString() }),
    });
    counts.windows++;
    const stamps = page.map((call) => Date.parse(String((call as { updatedAt?: unknown } | null)?.updatedAt))).filter(Number.isFinite);
    const newest = stamps.length ? Math.max(...stamps) : from;
    if (page.length >= limit) {
      // A full page may not be all of the window: split it and fetch both parts.
      // VAPI returns no particular subset, so the split point is the middle, or
      // for the open window the pass's upper bound, else the newest call seen.
      const middle = to !== null ? Math.floor((from + to) / 2) : from < upper ? upper : newest;
      if (middle > from && (to === null || middle < to)) {
        windows.unshift([from, middle], [middle, to]);
        continue;
      }
      options.logger.warn(
        `VAPI sync: more than ${limit} calls with updatedAt in (${new Date(from).toISOString()}, ${to === null ? "…" : new Date(to).toISOString()}]; some may be missed until they change again`,
      );
    }
    counts.received += page.length;
    // Resume point: the end of the window, or for the open one the newest call in it.
    await inTransaction(client, async () => {
      await storePage(client, runId, sortedByUpdatedAt(page), counts);
      await reached(client, scope, to ?? Math.max(upper, newest));
      await run.progress();
    });
  }
  await completePass(client, scope);
}

/** Calls whose state may still change: fetched again one by one. */
export async function refresh(run: RunContext): Promise<void> {
  const { client, api, runId, counts, options } = run;
  const { assistantIds, phoneNumberIds } = options.settings;
  // With filters, only those assistants' (else numbers') calls: a webhook may have brought others.
  const { rows } = await client.query<{ vapi_call_id: string }>(
    `select vapi_call_id from vapi_calls_raw
      where fetched_at < (select started_at from vapi_sync_runs where id = $1)
        and ((status is distinct from 'ended' and vapi_created_at > now() - interval '7 days')
             or (status = 'ended'
                 and coalesce(leadgraph_private.vapi_timestamp(raw_json ->> 'endedAt'), vapi_updated_at) > now() - interval '1 hour'))
        and (cardinality($3::text[]) = 0 or assistant_id = any($3))
        and (cardinality($3::text[]) > 0 or cardinality($4::text[]) = 0 or phone_number_id = any($4))
      order by vapi_updated_at desc limit $2`,
    [runId, MAX_REFRESH, assistantIds, phoneNumberIds],
  );
  for (const { vapi_call_id: id } of rows) {
    const call = await api.getCall(id);
    counts.refreshed++;
    if (call) await inTransaction(client, () => storePage(client, runId, [call], counts));
  }
  await run.progress();
}
