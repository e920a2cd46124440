// `leadgraph sync vapi [--wait]`: asks for a VAPI sync (tasks/vapi_sync.ts)
// and, with --wait, shows its progress until the run and the normalisation of
// what it fetched are done, then a summary (the shared part: src/sync-command.ts).
import type { Config } from "../../config.ts";
import type { Database } from "../../database/index.ts";
import { runSyncCommand, type NormalizedSource, type SyncRun } from "../../sync-command.ts";

interface RunRecord extends SyncRun {
  windows: number;
  calls_received: number;
  calls_stored: number;
  calls_rejected: number;
  calls_refreshed: number;
}

/** VAPI's normaliser and what it made (also for `leadgraph renormalize vapi`). */
export const VAPI: NormalizedSource = {
  name: "VAPI",
  pending: "leadgraph_private.vapi_pending",
  async summary(pool) {
    const { rows } = await pool.query<{ calls: string; events: string; rejects: string }>(
      `select (select count(*) from vapi_calls_raw) as calls,
              (select count(*) from events where event_source = 'vapi') as events,
              (select count(*) from vapi_rejects) as rejects`,
    );
    const s = rows[0]!;
    return `${s.calls} VAPI calls, ${s.events} call events, ${s.rejects} records kept aside (vapi_rejects)`;
  },
};

export function runVapiSyncCommand(options: { wait?: boolean }, db: Database, config: Config): Promise<number> {
  return runSyncCommand<RunRecord>(
    {
      ...VAPI,
      requests: "vapi_sync_requests",
      runs: "vapi_sync_runs",
      missingKey: config.vapi.apiKey
        ? undefined
        : "VAPI_API_KEY is not set: copy the private API key from the VAPI dashboard (Organization -> API Keys) and set it for the worker (and here)",
      requestField: "vapiSyncRequest",
      async progress(_pool, run) {
        return [
          `VAPI sync ${run.id}: ${run.status}  ${run.windows} windows, ${run.calls_received} calls received, ` +
            `${run.calls_stored} stored, ${run.calls_rejected} rejected, ${run.calls_refreshed} refreshed`,
        ];
      },
    },
    options,
    db,
    config,
  );
}
