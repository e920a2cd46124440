// Client-side rate limiter for Instantly API v2, shared by all sync work of one
// process, so that a normal sync never receives a 429.
//
// Instantly's limits (reference §1.3): at most 100 requests per second and
// 6,000 per minute for the whole workspace, and GET /emails at most 20 per
// minute (those also count towards the workspace limits).
//
// Each limit is a sliding window: a request may start only if fewer than
// `limit` requests started in the last `window` ms. The window is lengthened by
// a small safety margin (2% by default). A slot taken with acquireSlot() stays
// "in the window" until it is released (the response arrived or the attempt
// failed) and is then stamped with the release time: the server counts a
// request when it arrives, which is always before we see its answer, so
// network latency and event-loop delays can never make the server see more
// requests in a window than we did. acquire() stamps the slot at once.
//
// Waiters are served first come, first served: a waiter that cannot start
// because a window is full also holds back later waiters that need that same
// window (so it cannot be starved), but not those that need only other windows
// (a request for GET /emails waiting for its 20/min window does not delay
// GET /campaigns). Waiting uses one timer per limiter, never a busy loop, and
// is abortable.

export interface RateLimits {
  perSecond: number;
  perMinute: number;
  emailsPerMinute: number;
  /** Time compression for tests and benchmarks: every window is divided by it (default 1). */
  timeScale?: number;
}

/** Instantly's documented limits. */
export const INSTANTLY_RATE_LIMITS: RateLimits = { perSecond: 100, perMinute: 6000, emailsPerMinute: 20 };

export type RateLimitBucket = "default" | "emails";

export interface RateLimiterOptions {
  /** Safety margin added to every window, as a fraction of its (scaled) length. Default 0.02 (2%). */
  margin?: number;
  /** Safety margin added to every window in milliseconds, not scaled by timeScale. Default 0. */
  marginMs?: number;
  /** Clock in milliseconds (monotonic); default performance.now. For tests. */
  now?: () => number;
}

/** A granted request; release() when its response arrived or the attempt failed (idempotent). */
export interface RateLimitSlot {
  release(): void;
}

class SlidingWindow {
  readonly limit: number;
  readonly length: number;
  /** Slots granted and not yet released: they count as started "now" until released. */
  inFlight = 0;
  /** Start (or release) times of the other slots, ascending; stamps[0..head) are expired. */
  private stamps: number[] = [];
  private head = 0;

  constructor(limit: number, length: number) {
    this.limit = limit;
    this.length = length;
  }

  stamp(time: number): void {
    this.stamps.push(time);
  }

  private prune(now: number): void {
    const { stamps } = this;
    while (this.head < stamps.length && now - stamps[this.head]! >= this.length) this.head++;
    if (this.head > 1024 && this.head * 2 > stamps.length) {
      this.stamps = stamps.slice(this.head);
      this.head = 0;
    }
  }

  /** When a new request may start: `now` if it may start at once, Infinity if only a release can tell. */
  freeAt(now: number): number {
    this.prune(now);
    const count = this.stamps.length - this.head + this.inFlight;
    if (count < this.limit) return now;
    // count - limit + 1 stamped slots must leave the window; the last of them is at this index.
    const index = this.head + (count - this.limit);
    return index < this.stamps.length ? this.stamps[index]! + this.length : Infinity;
  }
}

interface Waiter {
  windows: SlidingWindow[];
  resolve: (slot: RateLimitSlot) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const NO_LIMIT_SLOT: RateLimitSlot = { release() {} };

export class RateLimiter {
  readonly limits: RateLimits | null;
  private readonly buckets: Record<RateLimitBucket, SlidingWindow[]>;
  private readonly now: () => number;
  private queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /** `limits` null: no limiting at all. A limit that is not a positive finite number is off too. */
  constructor(limits: RateLimits | null, options: RateLimiterOptions = {}) {
    this.limits = limits;
    this.now = options.now ?? (() => performance.now());
    const margin = options.margin ?? 0.02;
    const marginMs = options.marginMs ?? 0;
    const scale = limits?.timeScale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`timeScale must be a positive number, got ${scale}`);
    if (!(margin >= 0) || !(marginMs >= 0)) throw new Error("rate limiter margins must be >= 0");
    const window = (limit: number, baseMs: number): SlidingWindow[] =>
      Number.isFinite(limit) && limit > 0 ? [new SlidingWindow(Math.floor(limit) || 1, (baseMs / scale) * (1 + margin) + marginMs)] : [];
    const perSecond = limits ? window(limits.perSecond, 1000) : [];
    const perMinute = limits ? window(limits.perMinute, 60_000) : [];
    const emails = limits ? window(limits.emailsPerMinute, 60_000) : [];
    this.buckets = { default: [...perSecond, ...perMinute], emails: [...perSecond, ...perMinute, ...emails] };
  }

  /** Waits until a request of this bucket may start; the request counts from now on. */
  async acquire(bucket: RateLimitBucket, signal?: AbortSignal): Promise<void> {
    const slot = await this.acquireSlot(bucket, signal);
    slot.release();
  }

  /**
   * Waits until a request of this bucket may start and returns its slot, which
   * counts as started until release() (call it once the response arrived or the
   * attempt failed): the safe choice when the time between the grant and the
   * server receiving the request is unknown.
   */
  acquireSlot(bucket: RateLimitBucket, signal?: AbortSignal): Promise<RateLimitSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const windows = this.buckets[bucket];
    if (!windows) return Promise.reject(new Error(`unknown rate limit bucket "${bucket}"`));
    if (windows.length === 0) return Promise.resolve(NO_LIMIT_SLOT);
    return new Promise<RateLimitSlot>((resolve, reject) => {
      const waiter: Waiter = { windows, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index === -1) return;
          this.queue.splice(index, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Requests waiting for a slot (for diagnostics and tests). */
  get waiting(): number {
    return this.queue.length;
  }

  private grant(waiter: Waiter): RateLimitSlot {
    for (const window of waiter.windows) window.inFlight++;
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const now = this.now();
        for (const window of waiter.windows) {
          window.inFlight--;
          window.stamp(now);
        }
        if (this.queue.length > 0) this.pump();
      },
    };
  }

  private pump(): void {
    const now = this.now();
    const blocked = new Set<SlidingWindow>();
    let wakeAt = Infinity;
    for (let i = 0; i < this.queue.length;) {
      const waiter = this.queue[i]!;
      let ready = true;
      for (const window of waiter.windows) {
        if (blocked.has(window)) {
          ready = false;
          continue;
        }
        const freeAt = window.freeAt(now);
        if (freeAt > now) {
          ready = false;
          blocked.add(window);
          wakeAt = Math.min(wakeAt, freeAt);
        }
      }
      if (ready) {
        this.queue.splice(i, 1);
        waiter.resolve(this.grant(waiter));
      } else {
        i++;
      }
    }
    this.schedule(this.queue.length > 0 ? wakeAt : Infinity, now);
  }

  private schedule(at: number, now: number): void {
    if (at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    // Infinity: nothing to wait for, or only for a release (which pumps).
    if (at === Infinity) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(1, Math.ceil(at - now)),
    );
  }
}

const shared = new Map<string, RateLimiter>();

/**
 * The one limiter of this process for a workspace: every client of the same
 * workspace key shares it. The limits of the first call win.
 */
export function sharedRateLimiter(workspaceKey: string, limits: RateLimits | null): RateLimiter {
  let limiter = shared.get(workspaceKey);
  if (!limiter) {
    limiter = new RateLimiter(limits);
    shared.set(workspaceKey, limiter);
  }
  return limiter;
}
