// Retry timing shared by the sources' HTTP clients (Instantly, VAPI): how long
// to wait before the next attempt, from Retry-After or exponential backoff
// with full jitter, and an abortable sleep.

/** Longest Retry-After waited for (a longer one is cut to this). */
export const RETRY_AFTER_MAX_MS = 5 * 60_000;

/** Retry-After in seconds or as an HTTP date; milliseconds to wait, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface Backoff {
  /** First backoff ceiling; doubles per retry. */
  baseMs: number;
  /** Largest backoff ceiling. */
  maxMs: number;
}

/**
 * The wait before retry number `retry` (1 = the first retry): Retry-After when
 * the server gave one (capped), else full jitter, a random wait up to
 * base * 2^(retry-1), capped at maxMs (spreads clients that failed together).
 */
export function retryDelay(retry: number, retryAfterMs: number | undefined, backoff: Backoff): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, RETRY_AFTER_MAX_MS);
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.random() * ceiling;
}

/** Waits `ms`; rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** An error's message with its cause's code ("fetch failed (ECONNREFUSED: ...)"). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return `${error.message} (${typeof code === "string" ? `${code}: ` : ""}${cause.message})`;
  }
  return error.message;
}
