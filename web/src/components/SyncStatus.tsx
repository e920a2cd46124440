// Pieces every source's sync page shares (Instantly, VAPI): a run's status as
// a badge, how long it took, who started it, and "Sync now" with polling
// until the run the request started has finished.
import { Alert, Badge, Code } from "@mantine/core";
import { useEffect, useRef, useState } from "react";
import { NO_ELLIPSIS } from "./CampaignBadges.tsx";

const STATUS_COLOR: Record<string, string> = {
  pending: "gray",
  running: "blue",
  completed: "green",
  completed_with_errors: "orange",
  failed: "red",
  interrupted: "yellow",
};

export const SYNC_TRIGGER: Record<string, string> = { cron: "schedule", cli: "leadgraph sync", request: "Sync now / API" };

export function SyncStatusBadge({ status }: { status: string }) {
  return (
    <Badge color={STATUS_COLOR[status] ?? "gray"} variant="light" styles={NO_ELLIPSIS} data-testid="sync-status" data-value={status}>
      {status.replace(/_/g, " ")}
    </Badge>
  );
}

/** From `from` to `to` (or now) in words: "4.2 s", "3 min 10 s", "1 h 5 min". */
export function runDuration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from) return "—";
  const seconds = ((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** A well-formed id for a skipped request lookup (the variable must be a UUID even when @include is false). */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";
const POLL_MS = 1500;
/** How long a request may wait for a worker before we say so. */
const WORKER_WAIT_MS = 20_000;

/**
 * "Sync now" state: the request made (`requested(id)` after the insert), and
 * polling (`reexecute`) while a run is running or the request waits for its
 * run. `refreshKey` goes up when polling ends, for the parts of the page that
 * changed with the run (rejects, webhooks).
 */
export function useSyncRequest({
  running,
  requestRunStatus,
  reexecute,
}: {
  /** Some run shown is running. */
  running: boolean;
  /** The status of the run serving the request, undefined while no run has it. */
  requestRunStatus: string | undefined;
  reexecute: (options: { requestPolicy: "network-only" }) => void;
}) {
  const [request, setRequest] = useState<{ id: string; at: number } | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const polling = running || (request != null && (!requestRunStatus || requestRunStatus === "running"));
  const waitingForWorker = request != null && !requestRunStatus && Date.now() - request.at > WORKER_WAIT_MS;

  useEffect(() => {
    if (!polling) return;
    const timer = setInterval(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => clearInterval(timer);
  }, [polling, reexecute]);
  const wasPolling = useRef(polling);
  useEffect(() => {
    if (wasPolling.current && !polling) {
      setRefreshKey((key) => key + 1);
      setRequest(null);
    }
    wasPolling.current = polling;
  }, [polling]);

  return {
    requestId: request?.id ?? null,
    requested: (id: string) => setRequest({ id, at: Date.now() }),
    polling,
    waitingForWorker,
    refreshKey,
  };
}

/** What a running or waiting "Sync now" says. */
export function SyncProgress({ polling, started, waitingForWorker }: { polling: boolean; started: boolean; waitingForWorker: boolean }) {
  return (
    <>
      {polling && (
        <Alert color="blue" role="status" title={started ? "Syncing…" : "Sync requested"}>
          {started ? "The numbers below update as the run goes." : "Waiting for the worker to pick up the request."}
        </Alert>
      )}
      {waitingForWorker && (
        <Alert color="yellow" title="No worker has picked up the request">
          A sync runs in the worker: is <Code>npm start</Code> (or <Code>npx leadgraph worker</Code>) running against this database?
        </Alert>
      )}
    </>
  );
}
