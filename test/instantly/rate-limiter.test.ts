// The client-side rate limiter: sliding windows with a safety margin, time
// compression, FIFO fairness without head-of-line blocking, abortable waits,
// one timer. Fake timers and an injected clock make the windows exact.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  INSTANTLY_RATE_LIMITS,
  RateLimiter,
  sharedRateLimiter,
  type RateLimitBucket,
  type RateLimits,
} from "../../src/sources/instantly/api/rate-limiter.ts";

/** Records which acquisitions have been granted, in grant order. */
function tracker(limiter: RateLimiter) {
  const granted: string[] = [];
  const acquire = (name: string, bucket: RateLimitBucket = "default", signal?: AbortSignal) => {
    const promise = limiter.acquire(bucket, signal).then(() => {
      granted.push(name);
    });
    promise.catch(() => {});
    return promise;
  };
  return { granted, acquire };
}

const limits = (perSecond: number, perMinute: number, emailsPerMinute: number, timeScale?: number): RateLimits => ({
  perSecond,
  perMinute,
  emailsPerMinute,
  timeScale,
});

describe("RateLimiter (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const clock = { now: () => Date.now() };

  it("lets at most N requests start in any window, the window lengthened by a 2% margin", async () => {
    const limiter = new RateLimiter(limits(3, 0, 0), clock);
    const { granted, acquire } = tracker(limiter);
    for (const name of ["a", "b", "c", "d", "e"]) void acquire(name);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(["a", "b", "c"]);
    await vi.advanceTimersByTimeAsync(1019); // t = 1019: a, b, c still in the 1,020 ms window
    expect(granted).toEqual(["a", "b", "c"]);
    await vi.advanceTimersByTimeAsync(1); // t = 1020
    expect(granted).toEqual(["a", "b", "c", "d", "e"]);
    expect(limiter.waiting).toBe(0);
  });

  it("is a sliding window, not a fixed one", async () => {
    const limiter = new RateLimiter(limits(2, 0, 0), { ...clock, margin: 0 });
    const { granted, acquire } = tracker(limiter);
    void acquire("a"); // t = 0
    await vi.advanceTimersByTimeAsync(600);
    void acquire("b"); // t = 600
    void acquire("c");
    void acquire("d");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(400); // t = 1000: a leaves the window
    expect(granted).toEqual(["a", "b", "c"]);
    await vi.advanceTimersByTimeAsync(599); // t = 1599: b (600) still inside
    expect(granted).toEqual(["a", "b", "c"]);
    await vi.advanceTimersByTimeAsync(1); // t = 1600
    expect(granted).toEqual(["a", "b", "c", "d"]);
  });

  it("divides every window by timeScale and honours a configurable margin", async () => {
    const limiter = new RateLimiter(limits(0, 0, 2, 60), { ...clock, margin: 0, marginMs: 5 });
    const { granted, acquire } = tracker(limiter);
    for (const name of ["a", "b", "c"]) void acquire(name, "emails");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(1004); // 60,000 / 60 + 5 = 1,005 ms
    expect(granted).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual(["a", "b", "c"]);
  });

  it("counts GET /emails towards the workspace limits, and a waiting /emails request does not hold back others", async () => {
    const limiter = new RateLimiter(limits(3, 0, 2), { ...clock, margin: 0 });
    const { granted, acquire } = tracker(limiter);
    void acquire("e1", "emails");
    void acquire("e2", "emails");
    void acquire("e3", "emails"); // waits a minute for the /emails window
    void acquire("d1"); // third request of this second: allowed
    void acquire("d2"); // the per-second window is full (e1, e2, d1)
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(["e1", "e2", "d1"]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted).toEqual(["e1", "e2", "d1", "d2"]);
    void acquire("d3");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(["e1", "e2", "d1", "d2", "d3"]);
    await vi.advanceTimersByTimeAsync(59_000); // t = 60,000
    expect(granted).toEqual(["e1", "e2", "d1", "d2", "d3", "e3"]);
  });

  it("serves waiters first come, first served: a waiter blocked on a window holds back later waiters of that window", async () => {
    const limiter = new RateLimiter(limits(2, 0, 1), { ...clock, margin: 0 });
    const { granted, acquire } = tracker(limiter);
    void acquire("d1");
    void acquire("e1", "emails");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(["d1", "e1"]);
    // The per-second window is full: e2 waits for it (and then for the emails window),
    // d2..d4 queue behind in order.
    for (const name of ["d2", "d3", "d4"]) void acquire(name);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted).toEqual(["d1", "e1", "d2", "d3"]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted).toEqual(["d1", "e1", "d2", "d3", "d4"]);

    // Now an emails waiter blocked on the per-second window is served before later default waiters.
    await vi.advanceTimersByTimeAsync(60_000);
    void acquire("x1");
    void acquire("x2");
    void acquire("e2", "emails");
    void acquire("x3");
    void acquire("x4");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted.slice(5)).toEqual(["x1", "x2"]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted.slice(5)).toEqual(["x1", "x2", "e2", "x3"]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted.slice(5)).toEqual(["x1", "x2", "e2", "x3", "x4"]);
  });

  it("uses one timer however many requests wait", async () => {
    const limiter = new RateLimiter(limits(1, 0, 0), clock);
    const { granted, acquire } = tracker(limiter);
    for (let i = 0; i < 50; i++) void acquire(String(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(1);
    expect(limiter.waiting).toBe(49);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1020 * 3);
    expect(granted).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1020 * 46);
    expect(granted).toHaveLength(50);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("aborts a wait: the waiter rejects with the reason and leaves the queue", async () => {
    const limiter = new RateLimiter(limits(1, 0, 0), { ...clock, margin: 0 });
    const { granted, acquire } = tracker(limiter);
    const controller = new AbortController();
    void acquire("a");
    const b = acquire("b", "default", controller.signal);
    void acquire("c");
    await vi.advanceTimersByTimeAsync(0);
    controller.abort(new Error("sync cancelled"));
    await expect(b).rejects.toThrow("sync cancelled");
    expect(limiter.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted).toEqual(["a", "c"]);
    // Already aborted: rejects at once, takes no slot.
    await expect(limiter.acquire("default", AbortSignal.abort(new Error("too late")))).rejects.toThrow("too late");
    await vi.advanceTimersByTimeAsync(1000);
    void acquire("d");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(["a", "c", "d"]);
  });

  it("counts a slot from acquireSlot until it is released, then from the release time", async () => {
    const limiter = new RateLimiter(limits(1, 0, 0), { ...clock, margin: 0 });
    const { granted, acquire } = tracker(limiter);
    const slot = await limiter.acquireSlot("default"); // t = 0, in flight
    void acquire("b");
    await vi.advanceTimersByTimeAsync(5000);
    expect(granted).toEqual([]); // still in flight: the server may not have seen it yet
    slot.release(); // t = 5000
    slot.release(); // idempotent
    await vi.advanceTimersByTimeAsync(999);
    expect(granted).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual(["b"]);
  });

  it("does not limit at all with null limits", async () => {
    const limiter = new RateLimiter(null, clock);
    const { granted, acquire } = tracker(limiter);
    for (let i = 0; i < 1000; i++) void acquire(String(i), i % 2 ? "emails" : "default");
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(1000);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("RateLimiter (real clock)", () => {
  it("keeps every window within its limit under a burst", async () => {
    const limiter = new RateLimiter(limits(10, 0, 3, 20)); // windows: 51 ms, and 3,060 ms for /emails
    const started: { at: number; bucket: RateLimitBucket }[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const bucket: RateLimitBucket = i % 14 === 0 ? "emails" : "default"; // 0, 14, 28: three /emails
        await limiter.acquire(bucket);
        started.push({ at: performance.now(), bucket });
      }),
    );
    const maxIn = (windowMs: number) => {
      let max = 0;
      for (const { at } of started) max = Math.max(max, started.filter((s) => s.at >= at && s.at - at < windowMs).length);
      return max;
    };
    // Without the limiter all 40 would start within a millisecond. (45 ms rather than 51:
    // the times are taken after the grant, which leaves room for callback delays.)
    expect(started).toHaveLength(40);
    expect(maxIn(45)).toBeLessThanOrEqual(10);
    expect(maxIn(45)).toBeGreaterThanOrEqual(5);
  });

  it("shares one limiter per workspace key", () => {
    const a = sharedRateLimiter("https://api.example/api/v2#key-a", INSTANTLY_RATE_LIMITS);
    expect(sharedRateLimiter("https://api.example/api/v2#key-a", null)).toBe(a);
    expect(sharedRateLimiter("https://api.example/api/v2#key-b", INSTANTLY_RATE_LIMITS)).not.toBe(a);
  });
});
