// Waiting in a CLI command for work the worker does (`leadgraph import --wait`,
// `leadgraph sync instantly --wait`): poll until it is done, and say once when
// no worker seems to pick it up.

/** How long work may wait for a worker before the hint is printed. */
const WORKER_HINT_AFTER_MS = 10_000;

export interface PollOptions {
  intervalMs: number;
  /**
   * What waits for a worker, e.g. "pick the import up"; the hint names it.
   * `waiting` says whether it still does (by default: as long as the poll).
   */
  worker?: { task: string; waiting?: () => boolean };
}

/** Calls `poll` every `intervalMs` until it returns a value other than undefined, and returns that. */
export async function pollUntil<T>(poll: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const since = Date.now();
  let hinted = false;
  for (;;) {
    const result = await poll();
    if (result !== undefined) return result;
    if (options.worker && !hinted && Date.now() - since > WORKER_HINT_AFTER_MS && (options.worker.waiting?.() ?? true)) {
      console.error(`\nleadgraph: still waiting for a worker to ${options.worker.task}: is \`npm start\` or \`leadgraph worker\` running?`);
      hinted = true;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
