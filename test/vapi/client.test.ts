// The VAPI client over real HTTP: a small scripted node:http server for what
// must be exact (Retry-After as seconds and as a date, 5xx, timeouts, 401/403,
// the query and headers sent, pacing), and the fake VAPI (tools/fake-vapi)
// for GET /call's filters, GET /call/:id, POST /call and its faults.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VapiClient, VapiRequestError, vapiClient, type VapiClientOptions } from "../../src/sources/vapi/api/client.ts";
import { validateCalls } from "../../src/sources/vapi/api/schemas.ts";
import { parseRetryAfter, retryDelay } from "../../src/sources/http-retry.ts";
import { loadConfig } from "../../src/config.ts";
import { DEFAULT_ASSISTANT_ID, DEFAULT_PHONE_NUMBER_ID, startFakeVapi, type FakeVapi } from "../../tools/fake-vapi/server.ts";

const KEY = "vapi-client-test-key";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}
type Script = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen[]) => void;

/** A server that answers each request with `script`, recording what it received. */
async function scripted(script: Script) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, at: performance.now() });
      script(req, res, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const call = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  orgId: "org",
  createdAt: "2026-11-01T10:00:00.000Z",
  updatedAt: "2026-11-01T10:05:00.000Z",
  status: "ended",
  ...extra,
});

function client(baseUrl: string, options: Partial<VapiClientOptions> = {}) {
  return new VapiClient({
    baseUrl,
    apiKey: KEY,
    timeoutMs: 2_000,
    maxRetries: 4,
    retryBaseMs: 5,
    retryMaxMs: 40,
    requestsPerSecond: 0,
    ...options,
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

describe("VAPI client against a scripted server", () => {
  it("sends the Bearer key and every GET /call filter, and answers the bare array", async () => {
    const server = await scripted((_req, res) => send(res, 200, [call("a"), call("b")]));
    try {
      const calls = await client(server.url).listCalls({
        limit: 1000,
        assistantId: "as-1",
        phoneNumberId: "pn-1",
        id: "a",
        createdAtGt: "2026-11-01T00:00:00.000Z",
        createdAtLe: "2026-11-02T00:00:00.000Z",
        updatedAtGt: "2026-11-01T00:00:00.000Z",
        updatedAtLe: "2026-11-02T00:00:00.000Z",
        updatedAtGe: undefined,
      });
      expect(calls.map((c) => c.id)).toEqual(["a", "b"]);
      const seen = server.seen[0]!;
      expect(seen.method).toBe("GET");
      expect(seen.headers.authorization).toBe(`Bearer ${KEY}`);
      const query = Object.fromEntries(new URL(seen.url, server.url).searchParams);
      expect(query).toEqual({
        limit: "1000",
        assistantId: "as-1",
        phoneNumberId: "pn-1",
        id: "a",
        createdAtGt: "2026-11-01T00:00:00.000Z",
        createdAtLe: "2026-11-02T00:00:00.000Z",
        updatedAtGt: "2026-11-01T00:00:00.000Z",
        updatedAtLe: "2026-11-02T00:00:00.000Z",
      });
    } finally {
      await server.close();
    }
  });

  it("honours Retry-After in seconds and as an HTTP date, and counts the 429s", async () => {
    const server = await scripted((_req, res, seen) => {
      if (seen.length === 1) return send(res, 429, { message: "Rate limit exceeded" }, { "retry-after": "0.3" });
      if (seen.length === 2) return send(res, 429, "slow down", { "retry-after": new Date(Date.now() + 1500).toUTCString() });
      send(res, 200, [call("a")]);
    });
    try {
      const api = client(server.url);
      expect(await api.listCalls({})).toHaveLength(1);
      expect(api.rateLimited).toBe(2);
      expect(api.requestsMade).toBe(3);
      expect(api.retries).toBe(2);
      const [first, second, third] = server.seen.map((s) => s.at);
      expect(second! - first!).toBeGreaterThanOrEqual(280);
      // An HTTP date has a resolution of a second: at least 0.5 s of its 1.5 s.
      expect(third! - second!).toBeGreaterThanOrEqual(500);
    } finally {
      await server.close();
    }
  });

  it("retries 5xx, 408 and broken bodies on reads, then gives up with the last failure", async () => {
    const server = await scripted((_req, res, seen) => {
      if (seen.length === 1) return send(res, 502, "<html>bad gateway</html>");
      if (seen.length === 2) return send(res, 408, { message: "timeout" });
      if (seen.length === 3) return send(res, 200, '[{"id": "a", "createdAt"');
      if (seen.length === 4) return send(res, 200, call("x"));
      send(res, 200, call("x"));
    });
    try {
      const api = client(server.url);
      expect((await api.getCall("x"))?.id).toBe("x");
      expect(server.seen).toHaveLength(4);
      // GET /call answering an object: a broken answer, retried until the retries are spent.
      const error = await api.listCalls({}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VapiRequestError);
      expect((error as Error).message).toMatch(/not a list/);
    } finally {
      await server.close();
    }
  });

  it("gives up after maxRetries with the status of the last answer", async () => {
    const server = await scripted((_req, res) => send(res, 503, { message: "down for maintenance", statusCode: 503 }));
    try {
      const api = client(server.url, { maxRetries: 2 });
      const error = (await api.listCalls({}).catch((e: unknown) => e)) as VapiRequestError;
      expect(error).toBeInstanceOf(VapiRequestError);
      expect(error.status).toBe(503);
      expect(error.message).toMatch(/503: down for maintenance.*gave up after 3 attempts/);
      expect(server.seen).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it("times out a request that does not answer, retries it, and says so", async () => {
    const server = await scripted((_req, res, seen) => {
      if (seen.length <= 2) return; // never answered
      send(res, 200, [call("a")]);
    });
    const silent = await scripted(() => {});
    try {
      expect(await client(server.url, { timeoutMs: 200 }).listCalls({})).toHaveLength(1);
      expect(server.seen).toHaveLength(3);
      const error = (await client(silent.url, { timeoutMs: 150, maxRetries: 1 })
        .listCalls({})
        .catch((e: unknown) => e)) as VapiRequestError;
      expect(error.status).toBe("timeout");
      expect(error.message).toMatch(/timed out after 150 ms/);
      expect(silent.seen).toHaveLength(2);
    } finally {
      await server.close();
      await silent.close();
    }
  });

  it("stops at once on 401 and 403 with a message naming VAPI_API_KEY", async () => {
    for (const status of [401, 403]) {
      const server = await scripted((_req, res) =>
        send(res, status, {
          message: "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.",
          statusCode: status,
        }),
      );
      try {
        const error = (await client(server.url)
          .listCalls({})
          .catch((e: unknown) => e)) as VapiRequestError;
        expect(error).toBeInstanceOf(VapiRequestError);
        expect(error.refusedKey).toBe(true);
        expect(error.message).toMatch(new RegExp(`${status}: Invalid Key.*check VAPI_API_KEY`));
        expect(server.seen).toHaveLength(1);
      } finally {
        await server.close();
      }
    }
  });

  it("does not retry other 4xx; GET /call/:id 404 is null", async () => {
    const server = await scripted((req, res) =>
      req.url!.startsWith("/call/")
        ? send(res, 404, { message: "Not Found" })
        : send(res, 400, { message: ["limit must not be greater than 1000"], error: "Bad Request", statusCode: 400 }),
    );
    try {
      const api = client(server.url);
      expect(await api.getCall("gone")).toBeNull();
      const error = (await api.listCalls({ limit: 5000 }).catch((e: unknown) => e)) as VapiRequestError;
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/limit must not be greater than 1000/);
      expect(server.seen).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it("never retries POST /call after a 5xx or a timeout (the call may exist), but does after a 429", async () => {
    const server = await scripted((_req, res, seen) => {
      if (seen.length === 1) return send(res, 500, { message: "boom" });
      if (seen.length === 2) return send(res, 429, { message: "Rate limit exceeded" }, { "retry-after": "0" });
      if (seen.length === 3)
        return send(res, 201, {
          ...call("new", { status: "queued" }),
          subscriptionLimits: { concurrencyBlocked: false, concurrencyLimit: 10, remainingConcurrentCalls: 9 },
        });
      // 4: never answered
    });
    try {
      const api = client(server.url, { timeoutMs: 200 });
      const body = {
        assistantId: "as",
        phoneNumberId: "pn",
        customer: { number: "+14155550101", externalId: "m-1" },
      };
      expect(((await api.createCall(body).catch((e: unknown) => e)) as VapiRequestError).status).toBe(500);
      const created = await api.createCall(body);
      expect(created.id).toBe("new");
      expect(created.subscriptionLimits).toEqual({ concurrencyBlocked: false, concurrencyLimit: 10, remainingConcurrentCalls: 9 });
      expect(JSON.parse(server.seen[2]!.body)).toEqual(body);
      expect(server.seen[2]!.headers["content-type"]).toBe("application/json");
      expect(((await api.createCall(body).catch((e: unknown) => e)) as VapiRequestError).status).toBe("timeout");
      expect(server.seen).toHaveLength(4);
    } finally {
      await server.close();
    }
  });

  it("paces requests to requestsPerSecond", async () => {
    const server = await scripted((_req, res) => send(res, 200, []));
    try {
      const api = client(server.url, { requestsPerSecond: 20 });
      await Promise.all(Array.from({ length: 6 }, () => api.listCalls({})));
      // 6 requests at 20/s: the last starts 250 ms after the first. (Lower
      // bounds only: a loaded machine makes timers late, never early.)
      const span = (seen: { at: number }[]) => seen[seen.length - 1]!.at - seen[0]!.at;
      expect(span(server.seen)).toBeGreaterThanOrEqual(240);
      // Two clients of one organisation (the sync and the call placer) share the pace.
      server.seen.length = 0;
      const other = client(server.url, { requestsPerSecond: 20 });
      await Promise.all([api.listCalls({}), other.listCalls({}), api.listCalls({}), other.listCalls({})]);
      expect(span(server.seen)).toBeGreaterThanOrEqual(140);
    } finally {
      await server.close();
    }
  });

  it("reports a connection that cannot open as a network error, retried", async () => {
    const server = await scripted(() => {});
    const url = server.url;
    await server.close();
    const api = client(url, { maxRetries: 1 });
    const error = (await api.listCalls({}).catch((e: unknown) => e)) as VapiRequestError;
    expect(error.status).toBe("network");
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(api.requestsMade).toBe(2);
  });
});

describe("retry timing", () => {
  it("parses Retry-After and backs off with full jitter", () => {
    expect(parseRetryAfter("3")).toBe(3_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("2015-10-21T07:28:00Z"))).toBe(5_000);
    expect(parseRetryAfter("later")).toBeUndefined();
    expect(retryDelay(1, 2_000, { baseMs: 100, maxMs: 1000 })).toBe(2_000);
    expect(retryDelay(1, 3_600_000, { baseMs: 100, maxMs: 1000 })).toBe(300_000);
    for (let retry = 1; retry <= 8; retry++) {
      const wait = retryDelay(retry, undefined, { baseMs: 100, maxMs: 1000 });
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** (retry - 1)));
    }
  });
});

describe("Call validation", () => {
  it("keeps unknown fields and rejects a call without id, createdAt or updatedAt with the reason", () => {
    const { valid, rejected } = validateCalls([
      call("ok", { brandNewField: { x: 1 }, endedReason: "some-reason-from-2027" }),
      { orgId: "org", createdAt: "2026-11-01T10:00:00.000Z", updatedAt: "2026-11-01T10:00:00.000Z" },
      call("no-updated", { updatedAt: undefined }),
      call("bad-created", { createdAt: "yesterday" }),
      call("nul", { endedMessage: "a\u0000b" }),
      "not a call",
    ]);
    expect(valid).toEqual([call("ok", { brandNewField: { x: 1 }, endedReason: "some-reason-from-2027" })]);
    expect(rejected.map((r) => [r.sourceId.replace(/^no-id:.*/, "no-id"), r.reason])).toEqual([
      ["no-id", "call.id: missing, expected string"],
      ["no-updated", "call.updatedAt: missing, expected string"],
      ["bad-created", 'call.createdAt: expected an ISO timestamp, got "yesterday"'],
      ["nul", "call: contains a NUL character or a lone UTF-16 surrogate (jsonb stores neither)"],
      ["no-id", "call: expected object, got string"],
    ]);
  });
});

describe("vapiClient(config)", () => {
  it("needs VAPI_API_KEY", () => {
    expect(() => vapiClient(loadConfig({ ...process.env, VAPI_API_KEY: "" }))).toThrow(/VAPI_API_KEY is not set/);
  });
});

describe("VAPI client against the fake VAPI", () => {
  let fake: FakeVapi;
  beforeAll(async () => {
    fake = await startFakeVapi({ apiKey: KEY, seed: 7, calls: 40, timeScale: 0 });
  });
  afterAll(() => fake.close());

  it("lists calls with filters, fetches one, places one", async () => {
    const api = client(fake.url);
    const all = await api.listCalls({ limit: 1000 });
    expect(all).toHaveLength(40);
    expect(validateCalls(all).rejected).toEqual([]);
    const sorted = all.map((c) => c.updatedAt!).sort();
    const middle = sorted[20]!;
    const newer = await api.listCalls({ limit: 1000, updatedAtGt: middle });
    expect(newer.every((c) => c.updatedAt! > middle)).toBe(true);
    expect(newer.length).toBe(sorted.filter((u) => u > middle).length);
    const one = await api.getCall(all[0]!.id);
    expect(one?.id).toBe(all[0]!.id);
    const placed = await api.createCall({
      assistantId: DEFAULT_ASSISTANT_ID,
      phoneNumberId: DEFAULT_PHONE_NUMBER_ID,
      customer: { number: "+14155550101", name: "Ada", externalId: "membership-1" },
    });
    expect(placed.status).toBe("queued");
    expect(placed.subscriptionLimits?.concurrencyLimit).toBe(10);
    const found = await api.listCalls({ id: placed.id });
    expect(found.map((c) => c.customer?.externalId)).toEqual(["membership-1"]);
  });

  it("rides through the fake's 429s, 5xx and truncated bodies on reads", async () => {
    fake.setFaults([
      { kind: "rate_limit", endpoint: "GET /call", times: 2, retryAfter: 0 },
      { kind: "status", endpoint: "GET /call", status: 503, times: 1 },
      { kind: "truncated", endpoint: "GET /call", times: 1 },
    ]);
    try {
      const api = client(fake.url);
      expect(await api.listCalls({ limit: 1000 })).toHaveLength(41);
      expect(api.rateLimited).toBe(2);
      expect(api.requestsMade).toBe(5);
    } finally {
      fake.clearFaults();
    }
  });

  it("stops on the fake's 401 for a wrong key", async () => {
    const api = client(fake.url, { apiKey: "wrong" });
    const error = (await api.listCalls({}).catch((e: unknown) => e)) as VapiRequestError;
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/check VAPI_API_KEY/);
    expect(api.requestsMade).toBe(1);
  });
});
