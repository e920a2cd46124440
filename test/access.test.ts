// Who may reach the API (src/http-guard.ts, issue 13 §5.9 and §5.12): the
// local no-token mode answers only to loopback names and to its own pages (or
// CORS_ORIGINS), webhooks keep their own secret; tokens must name a user that
// exists, carry its current token version, and live at most JWT_MAX_AGE.
import http from "node:http";
import jwt from "jsonwebtoken";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_USER_ID, signToken, TOKEN_USER_CACHE_MS } from "../src/auth.ts";
import { revokeTokens } from "../src/users.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const SECRET = "access-test-secret-access-test-secret";
const WEBHOOK_SECRET = "whsec-access-1b2c";
const BOB = "40000000-0000-4000-8000-0000000000b0";
const NOBODY = "40000000-0000-4000-8000-00000000dead";
let db: TestDatabase;
let local: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query("insert into users (id, email, full_name) values ($1, 'bob.access@example.com', 'Bob')", [BOB]);
  local = await startTestServer(db, { jwtSecret: SECRET, corsOrigins: ["http://localhost:5173"], instantlyWebhookSecret: WEBHOOK_SECRET });
});

/** A raw HTTP request (fetch will not send a Host header of our choosing). */
function request(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: any }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: url.port, path: url.pathname + url.search, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode!, body });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const graphqlBody = JSON.stringify({ query: "{ viewer { rowId } }" });
const graphqlHeaders = (headers: Record<string, string>) => ({ "content-type": "application/json", ...headers });
const port = () => new URL(local.url).port;

describe("local mode (no token acts as the default user)", () => {
  it("serves loopback names on any port", async () => {
    for (const host of [`localhost:${port()}`, `127.0.0.1:${port()}`, `[::1]:${port()}`, `app.localhost:${port()}`, "localhost:8080"]) {
      const response = await request(local.url, "/graphql", { method: "POST", headers: graphqlHeaders({ host }), body: graphqlBody });
      expect(response.status, host).toBe(200);
      expect(response.body.data.viewer.rowId).toBe(DEFAULT_USER_ID);
    }
  });

  it("refuses any other Host (DNS rebinding) with 421 and says what to set", async () => {
    for (const path of ["/graphql", "/imports", "/healthz", "/"]) {
      const response = await request(local.url, path, {
        method: path === "/graphql" || path === "/imports" ? "POST" : "GET",
        headers: graphqlHeaders({ host: `rebind.evil.example:${port()}` }),
        body: path === "/graphql" ? graphqlBody : path === "/imports" ? "email\nx@y.test\n" : undefined,
      });
      expect(response.status, path).toBe(421);
      const message = path === "/graphql" ? response.body.errors[0].message : response.body.error;
      expect(message).toMatch(/local mode/);
      expect(message).toMatch(/JWT_SECRET/);
    }
    expect(await db.pool.query("select count(*)::int as n from csv_imports_raw").then((r) => r.rows[0].n)).toBe(0);
  });

  it("refuses a cross-site text/plain or form upload to /imports with 403 and stores nothing", async () => {
    const host = `localhost:${port()}`;
    const text = await request(local.url, "/imports", {
      method: "POST",
      headers: { host, origin: "https://evil.example", "content-type": "text/plain" },
      body: "First Name,Email\nEve,eve@evil.example\n",
    });
    expect(text.status).toBe(403);
    expect(text.body.error).toMatch(/Origin "https:\/\/evil.example".*CORS_ORIGINS/);
    const form = await request(local.url, "/imports", {
      method: "POST",
      headers: { host, origin: "null", "content-type": "multipart/form-data; boundary=x" },
      body: '--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nEmail\nx@evil.example\r\n--x--\r\n',
    });
    expect(form.status).toBe(403);
    const graphql = await request(local.url, "/graphql", {
      method: "POST",
      headers: graphqlHeaders({ host, origin: "http://localhost:9999" }),
      body: graphqlBody,
    });
    expect(graphql.status).toBe(403);
    expect(graphql.body.errors[0].extensions.code).toBe("ORIGIN_NOT_ALLOWED");
    expect(await db.pool.query("select count(*)::int as n from csv_imports_raw").then((r) => r.rows[0].n)).toBe(0);
  });

  it("accepts its own pages and CORS_ORIGINS as origins", async () => {
    for (const origin of [`http://localhost:${port()}`, "http://localhost:5173"]) {
      const response = await request(local.url, "/graphql", {
        method: "POST",
        headers: graphqlHeaders({ host: `localhost:${port()}`, origin }),
        body: graphqlBody,
      });
      expect(response.status, origin).toBe(200);
    }
  });

  it("lets webhooks through under any Host (a tunnel's name): their secret guards them", async () => {
    const headers = { host: "abc123.tunnel.example", "content-type": "application/json" };
    const body = JSON.stringify({ event_type: "email_opened", timestamp: "2026-12-01T10:00:00Z", lead_email: "t@example.com" });
    const without = await request(local.url, "/webhooks/instantly", {
      method: "POST",
      headers: { ...headers, origin: "https://evil.example" },
      body,
    });
    expect(without.status).toBe(401);
    const signed = await request(local.url, "/webhooks/instantly", {
      method: "POST",
      headers: { ...headers, "x-leadgraph-webhook-secret": WEBHOOK_SECRET },
      body,
    });
    expect(signed.status).toBe(200);
  });

  it("does not apply outside the local mode (production: every request has a token)", async () => {
    const prod = await startTestServer(db, { jwtSecret: SECRET, production: true });
    const response = await request(prod.url, "/graphql", {
      method: "POST",
      headers: graphqlHeaders({
        host: "api.example.com",
        origin: "https://app.example.com",
        authorization: `Bearer ${signToken(BOB, SECRET, "1h")}`,
      }),
      body: graphqlBody,
    });
    expect(response.status).toBe(200);
    expect(response.body.data.viewer.rowId).toBe(BOB);
  });
});

describe("tokens", () => {
  const asUser = (token: string) =>
    request(local.url, "/graphql", {
      method: "POST",
      headers: graphqlHeaders({ host: `localhost:${port()}`, authorization: `Bearer ${token}` }),
      body: graphqlBody,
    });

  it("of a user that does not exist (or no longer) are refused, on GraphQL and on /imports", async () => {
    const response = await asUser(signToken(NOBODY, SECRET, "1h"));
    expect(response.status).toBe(401);
    expect(response.body.errors[0].message).toMatch(/user does not exist/);
    const upload = await request(local.url, "/imports", {
      method: "POST",
      headers: { host: `localhost:${port()}`, "content-type": "text/csv", authorization: `Bearer ${signToken(NOBODY, SECRET, "1h")}` },
      body: "Email\nghost@example.com\n",
    });
    expect(upload.status).toBe(401);
    expect(upload.body.error).toMatch(/user does not exist/);
  });

  it("living longer than JWT_MAX_AGE are refused (100 years; 31 days against the default 30)", async () => {
    for (const lifetime of ["36500d", "31d"]) {
      const response = await asUser(signToken(BOB, SECRET, lifetime));
      expect(response.status, lifetime).toBe(401);
      expect(response.body.errors[0].message).toMatch(/JWT_MAX_AGE/);
    }
    // Without `iat`, the expiry counts from now.
    const noIat = jwt.sign({ exp: Math.floor(Date.now() / 1000) + 40 * 86_400 }, SECRET, {
      algorithm: "HS256",
      subject: BOB,
      audience: "leadgraph",
      noTimestamp: true,
    });
    expect((await asUser(noIat)).status).toBe(401);
    expect((await asUser(signToken(BOB, SECRET, "30d"))).status).toBe(200);
  });

  it("honour a configured JWT_MAX_AGE", async () => {
    const short = await startTestServer(db, { jwtSecret: SECRET, jwtMaxAgeSeconds: 3600, host: "127.0.0.1" });
    const call = (token: string) =>
      request(short.url, "/graphql", {
        method: "POST",
        headers: graphqlHeaders({ host: "localhost", authorization: `Bearer ${token}` }),
        body: graphqlBody,
      });
    expect((await call(signToken(BOB, SECRET, "2h"))).status).toBe(401);
    expect((await call(signToken(BOB, SECRET, "1h"))).status).toBe(200);
  });

  it("are revoked by moving the user's token version on; tokens minted after work", async () => {
    const { rows } = await db.pool.query("select token_user_version($1) as version", [BOB]);
    const before = signToken(BOB, SECRET, "1h", rows[0].version);
    expect((await asUser(before)).status).toBe(200);
    const revoked = await revokeTokens(db.url, "Bob.Access@example.com");
    expect(revoked).toMatchObject({ id: BOB, tokenVersion: rows[0].version + 1 });
    // The server trusts what it read for TOKEN_USER_CACHE_MS.
    await new Promise((resolve) => setTimeout(resolve, TOKEN_USER_CACHE_MS + 100));
    const refused = await asUser(before);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].message).toMatch(/revoked/);
    const fresh = await asUser(signToken(BOB, SECRET, "1h", revoked.tokenVersion));
    expect(fresh.status).toBe(200);
    expect(fresh.body.data.viewer.rowId).toBe(BOB);
    await expect(revokeTokens(db.url, "nobody@example.com")).rejects.toThrow(/no user/);
  }, 30_000);

  it("the API's login may ask only token_user_version(), not read users", async () => {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: db.authUrl });
    await client.connect();
    try {
      expect((await client.query("select token_user_version($1) as v", [NOBODY])).rows[0].v).toBeNull();
      await expect(client.query("select * from users")).rejects.toThrow(/permission denied/);
      await expect(client.query("select leadgraph_private.revoke_tokens($1)", [BOB])).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
  });
});
