// `leadgraph sync instantly [--wait]`: asks for a sync and, with --wait,
// shows each resource's progress until the run and the normalisation of what
// it fetched are done, then a summary (the shared part: src/sync-command.ts).
import type { Config } from "../../config.ts";
import type { Database } from "../../database/index.ts";
import { runSyncCommand, type NormalizedSource, type SyncRun } from "../../sync-command.ts";
import { RESOURCES } from "./sync/run.ts";

interface ResourceRecord {
  resource: string;
  status: string;
  requests_made: number;
  rate_limited: number;
  rows_received: number;
  rows_stored: number;
  rows_rejected: number;
  error: string | null;
}

function resourceLine(r: ResourceRecord): string {
  const rows = `${r.rows_stored} stored${r.rows_rejected ? `, ${r.rows_rejected} rejected` : ""}`;
  return `  ${r.resource.padEnd(16)} ${r.status.padEnd(22)} ${String(r.requests_made).padStart(6)} requests  ${rows}${r.error ? `  (${r.error})` : ""}`;
}

/** Instantly's normaliser and what it made (also for `leadgraph renormalize instantly`). */
export const INSTANTLY: NormalizedSource = {
  name: "Instantly",
  pending: "leadgraph_private.instantly_left_to_normalize",
  async summary(pool) {
    const { rows } = await pool.query<{ campaigns: string; leads: string; events: string; rejects: string }>(
      `select (select count(*) from campaigns where instantly_campaign_id is not null) as campaigns,
              (select count(*) from leads where lead_source = 'instantly') as leads,
              (select count(*) from events where event_source = 'instantly') as events,
              (select count(*) from instantly_rejects) as rejects`,
    );
    const s = rows[0]!;
    return `${s.campaigns} Instantly campaigns, ${s.leads} leads found through Instantly, ${s.events} Instantly events, ${s.rejects} records kept aside (instantly_rejects)`;
  },
};

export function runSync(options: { wait?: boolean }, db: Database, config: Config): Promise<number> {
  return runSyncCommand<SyncRun>(
    {
      ...INSTANTLY,
      requests: "instantly_sync_requests",
      runs: "instantly_sync_runs",
      missingKey: config.instantly.apiKey
        ? undefined
        : "INSTANTLY_API_KEY is not set: create a key in Instantly (Settings -> Integrations -> API Keys, scopes all:read) and set it for the worker (and here)",
      requestField: "instantlySyncRequest",
      async progress(pool, run) {
        const { rows } = await pool.query<ResourceRecord>(
          "select * from instantly_sync_run_resources where run_id = $1 order by array_position($2::text[], resource)",
          [run.id, RESOURCES],
        );
        return [`Instantly sync ${run.id}: ${run.status}`, ...rows.map(resourceLine)];
      },
    },
    options,
    db,
    config,
  );
}
