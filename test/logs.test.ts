// The log of a real `leadgraph start` (bin/leadgraph.js, embedded PostgreSQL
// in a temp data dir): in production one JSON object a line, request lines
// with their request id; in development readable lines. Whatever the
// requests carry (tokens, cookies, webhook secrets, the metrics token) and
// whatever the process knows (JWT_SECRET, the database's passwords in
// leadgraph.json) never shows in stdout or stderr (docs/operations.md#logs).
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_USER_ID, signToken } from "../src/auth.ts";
import { captureLog, configureLog, log, redact, registerSecrets, withLogContext } from "../src/log.ts";
import { cleanEnv, leadgraph, tempDataDir, type Leadgraph } from "./faults/helpers.ts";

const JWT_SECRET = "log-test-jwt-secret-0f3a9c71b2";
const METRICS_TOKEN = "log-test-metrics-token-7d21e5";
const INSTANTLY_SECRET = "log-test-instantly-secret-44be0a";
const VAPI_SECRET = "log-test-vapi-secret-c93f11";
const COOKIE_VALUE = "log-test-cookie-value-5a6b7c";
const VAPI_API_KEY = "log-test-vapi-api-key-118e2d";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const dataDir = tempDataDir();

/** The base URL once the app says it is ready, in either log format. */
async function readyUrl(app: Leadgraph): Promise<string> {
  await app.waitForOutput(/leadgraph: ready|"msg":"ready/, 90_000);
  return /GraphQL API at (http:\/\/[^\s/"]+)\/graphql/.exec(app.output())![1]!;
}

/** Stops `app` (SIGTERM) and returns its whole output; it must exit cleanly. */
async function stop(app: Leadgraph): Promise<string> {
  app.child.kill("SIGTERM");
  expect(await app.exited, app.output()).toBe(0);
  return app.output();
}

/** The requests whose log lines must not show what they carry; returns the request ids sent. */
async function exercise(url: string, token: string): Promise<{ requestIds: string[] }> {
  const bearer = { authorization: `Bearer ${token}` };
  const json = { "content-type": "application/json", accept: "application/json" };
  const requestIds: string[] = [];
  const post = async (pathname: string, headers: Record<string, string>, body: unknown, requestId?: string) => {
    const response = await fetch(`${url}${pathname}`, {
      method: "POST",
      headers: { ...json, ...headers, ...(requestId ? { "x-request-id": requestId } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    await response.arrayBuffer();
    if (requestId) {
      expect(response.headers.get("x-request-id")).toBe(requestId);
      requestIds.push(requestId);
    }
    return response;
  };

  // GraphQL with a token and a cookie: ok, refused at validation, failing in execution with secrets in its variables.
  expect(
    (
      await post(
        "/graphql",
        { ...bearer, cookie: `session=${COOKIE_VALUE}` },
        { query: "query Offers { offers { totalCount } }" },
        "log-test-ok",
      )
    ).status,
  ).toBe(200);
  await post("/graphql", bearer, { query: "query Broken { offers { noSuchField } }" }, "log-test-invalid");
  await post(
    "/graphql",
    bearer,
    { query: "query BadId($id: UUID!) { lead(rowId: $id) { id } }", variables: { id: `${token} ${JWT_SECRET} ${COOKIE_VALUE}` } },
    "log-test-error",
  );
  // A token in the query string (some clients do), and a body that does not parse.
  await post(`/graphql?access_token=${token}&token=${token}`, bearer, { query: "{ offers { totalCount } }" });
  await post("/graphql", bearer, `{"query": "${token}`);
  // Bad tokens: signed with another secret, expired, of a user that does not exist, not a JWT at all.
  const wrong = signToken(DEFAULT_USER_ID, "not-the-secret-at-all", "1h");
  expect(
    (await post("/graphql", { authorization: `Bearer ${wrong}` }, { query: "{ offers { totalCount } }" }, "log-test-badtoken")).status,
  ).toBe(401);
  const expired = signToken(DEFAULT_USER_ID, JWT_SECRET, "-1h");
  expect((await post("/graphql", { authorization: `Bearer ${expired}` }, { query: "{ offers { totalCount } }" })).status).toBe(401);
  const nobody = signToken("00000000-0000-0000-0000-00000000dead", JWT_SECRET, "1h");
  expect((await post("/graphql", { authorization: `Bearer ${nobody}` }, { query: "{ offers { totalCount } }" })).status).toBe(401);
  expect((await post("/graphql", { authorization: `Bearer ${JWT_SECRET}` }, { query: "{ offers { totalCount } }" })).status).toBe(401);
  // No token at all in production.
  expect((await post("/graphql", { cookie: `session=${COOKIE_VALUE}` }, { query: "{ offers { totalCount } }" })).status).toBe(401);
  // A CSV upload with the token.
  const form = new FormData();
  form.append("file", new Blob([`email,first_name\nlogs@example.com,${COOKIE_VALUE}\n`], { type: "text/csv" }), "logs.csv");
  const upload = await fetch(`${url}/imports`, { method: "POST", headers: { ...bearer, "x-request-id": "log-test-upload" }, body: form });
  await upload.arrayBuffer();
  expect(upload.status).toBeLessThan(300);
  requestIds.push("log-test-upload");

  // Webhooks with their secrets (header and Bearer), a wrong one, one nested too deep, one that is not JSON.
  const event = { event_type: "email_sent", timestamp: new Date().toISOString(), lead_email: "logs@example.com", secret: INSTANTLY_SECRET };
  expect((await post("/webhooks/instantly", { "x-leadgraph-webhook-secret": INSTANTLY_SECRET }, event, "log-test-webhook")).status).toBe(
    200,
  );
  expect((await post("/webhooks/instantly", { authorization: `Bearer ${INSTANTLY_SECRET}` }, event)).status).toBe(200);
  expect((await post("/webhooks/instantly", { "x-leadgraph-webhook-secret": `${INSTANTLY_SECRET}x` }, event)).status).toBe(401);
  let deep: unknown = INSTANTLY_SECRET;
  for (let i = 0; i < 300; i++) deep = { d: deep };
  expect((await post("/webhooks/instantly", { "x-leadgraph-webhook-secret": INSTANTLY_SECRET }, { event_type: "x", deep })).status).toBe(
    400,
  );
  expect(
    (await post("/webhooks/instantly", { "x-leadgraph-webhook-secret": INSTANTLY_SECRET }, `{"secret": "${INSTANTLY_SECRET}`)).status,
  ).toBe(400);
  const call = { message: { type: "end-of-call-report", call: { id: "log-test-call" } } };
  await post("/webhooks/vapi", { authorization: `Bearer ${VAPI_SECRET}` }, call);
  await post("/webhooks/vapi", { "x-vapi-secret": VAPI_SECRET }, call);

  // Scrapes: with the token, a wrong one, none.
  const scrape = (headers: Record<string, string>) => fetch(`${url}/metrics`, { headers }).then(async (r) => (await r.text(), r.status));
  expect(await scrape({ authorization: `Bearer ${METRICS_TOKEN}`, "x-request-id": "log-test-scrape" })).toBe(200);
  expect(await scrape({ authorization: `Bearer ${METRICS_TOKEN}0` })).toBe(401);
  expect(await scrape({})).toBe(401);
  // Health, and a request id that could forge a log line (not echoed: a new one).
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const forged = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { ...json, ...bearer, "x-request-id": 'x" level=error msg=forged' },
    body: JSON.stringify({ query: "{ offers { totalCount } }" }),
  });
  await forged.arrayBuffer();
  expect(forged.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  return { requestIds };
}

function secretsOf(token: string): Record<string, string> {
  const state = JSON.parse(fs.readFileSync(path.join(dataDir, "leadgraph.json"), "utf8")) as {
    password: string;
    authenticatorPassword: string;
  };
  expect(state.password.length).toBeGreaterThan(8);
  return {
    jwt: token,
    // The signature alone, should a line cut the token apart.
    jwtSignature: token.split(".")[2]!,
    JWT_SECRET,
    METRICS_TOKEN,
    INSTANTLY_WEBHOOK_SECRET: INSTANTLY_SECRET,
    VAPI_WEBHOOK_SECRET: VAPI_SECRET,
    VAPI_API_KEY,
    cookie: COOKIE_VALUE,
    "the database password": state.password,
    "the database password (URL-encoded)": encodeURIComponent(state.password),
    "the API login's password": state.authenticatorPassword,
  };
}

describe("the log of a running leadgraph", () => {
  it("in production: JSON lines, request lines with the request id they answered with, and no secret anywhere", async () => {
    const env = cleanEnv({
      NODE_ENV: "production",
      // As a deployment has it (vitest sets development for the tests' own processes).
      GRAPHILE_ENV: "production",
      LEADGRAPH_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      JWT_SECRET,
      METRICS_TOKEN,
      INSTANTLY_WEBHOOK_SECRET: INSTANTLY_SECRET,
      VAPI_WEBHOOK_SECRET: VAPI_SECRET,
      VAPI_API_KEY,
      VAPI_API_URL: "http://127.0.0.1:9",
      LOG_LEVEL: "debug",
    });
    delete env.LOG_FORMAT;
    const app = leadgraph(["start"], env);
    const token = signToken(DEFAULT_USER_ID, JWT_SECRET, "1h");
    let output: string;
    let requestIds: string[];
    try {
      ({ requestIds } = await exercise(await readyUrl(app), token));
      // Every request has its line once it ended (the scrape's, at debug, among them).
      await app.waitForOutput(/"request_id":"log-test-scrape"/, 10_000);
      output = await stop(app);
    } finally {
      if (app.child.exitCode === null) app.child.kill("SIGKILL");
    }

    for (const [what, secret] of Object.entries(secretsOf(token))) {
      expect(output.includes(secret), `${what} appears in the log:\n${output}`).toBe(false);
    }

    const lines = output.split("\n").filter((line) => line.trim() !== "");
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== "object";
      } catch {
        return true;
      }
    });
    expect(notJson, "lines that are not JSON").toEqual([]);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) {
      expect(typeof entry.time).toBe("string");
      expect(["debug", "info", "warn", "error"]).toContain(entry.level);
      expect(typeof entry.msg).toBe("string");
    }
    const requests = entries.filter((entry) => typeof entry.method === "string" && typeof entry.status === "number");
    expect(requests.length).toBeGreaterThanOrEqual(20);
    for (const entry of requests) expect(entry.request_id, JSON.stringify(entry)).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    for (const id of requestIds)
      expect(
        requests.some((entry) => entry.request_id === id),
        `a line for ${id}`,
      ).toBe(true);
    const ok = requests.find((entry) => entry.request_id === "log-test-ok")!;
    expect(ok).toMatchObject({ level: "info", method: "POST", path: "/graphql", status: 200, operation: "Offers" });
    expect(requests.find((entry) => entry.request_id === "log-test-badtoken")).toMatchObject({ status: 401 });
    // Paths as sent (a response from a mounted router's error handler too), without the query string (it carried a token).
    expect(requests.filter((entry) => entry.path === "/")).toEqual([]);
    expect(requests.some((entry) => String(entry.path).includes("?"))).toBe(false);
    expect(output).not.toContain("forged");
  }, 120_000);

  it("in development: one readable line each, request lines with request_id=", async () => {
    const env = cleanEnv({
      LEADGRAPH_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      JWT_SECRET,
      LOG_LEVEL: "debug",
    });
    delete env.LOG_FORMAT;
    const app = leadgraph(["start"], env);
    let output: string;
    try {
      const url = await readyUrl(app);
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "log-test-dev", cookie: `session=${COOKIE_VALUE}` },
        body: JSON.stringify({ query: "query DevOffers { offers { totalCount } }" }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-request-id")).toBe("log-test-dev");
      await response.arrayBuffer();
      await app.waitForOutput(/request_id=log-test-dev/, 10_000);
      output = await stop(app);
    } finally {
      if (app.child.exitCode === null) app.child.kill("SIGKILL");
    }
    const lines = output.split("\n").filter((line) => line.trim() !== "");
    expect(lines.filter((line) => line.trimStart().startsWith("{"))).toEqual([]);
    expect(output).toMatch(/^leadgraph: ready/m);
    expect(output).toMatch(/^leadgraph: debug: POST \/graphql 200 .*request_id=log-test-dev .*operation=DevOffers/m);
    expect(output).not.toContain(COOKIE_VALUE);
    expect(output).not.toContain(JWT_SECRET);
  }, 120_000);
});

describe("redaction (src/log.ts)", () => {
  it("hides credentials in URLs, Bearer and Basic credentials, JWTs, password=... settings and registered secrets", () => {
    const jwt = signToken(DEFAULT_USER_ID, "a-secret-for-this-test", "1h");
    expect(redact("connect postgres://leadgraph:s3cr%2Fet@db.example.com:5432/leadgraph failed")).toBe(
      "connect postgres://leadgraph:[redacted]@db.example.com:5432/leadgraph failed",
    );
    expect(redact("Authorization: Bearer abc.def-ghi")).toBe("Authorization: Bearer [redacted]");
    expect(redact("Authorization: Basic dXNlcjpwYXNz")).toBe("Authorization: Basic [redacted]");
    expect(redact(`invalid input syntax for type uuid: "${jwt}"`)).toBe('invalid input syntax for type uuid: "[redacted]"');
    expect(redact("host=db password=hunter2 user=x")).toBe("host=db password=[redacted] user=x");
    expect(redact("?token=abc&x=1")).toBe("?token=[redacted]&x=1");
    registerSecrets(["registered-secret-value-9d1", "postgres://u:pass%40word-77@h/db"]);
    expect(redact("the value registered-secret-value-9d1 leaked")).toBe("the value [redacted] leaked");
    // A connection string's password alone, as written in the URL and decoded.
    expect(redact("pass%40word-77 and pass@word-77")).toBe("[redacted] and [redacted]");
  });

  it("writes no secret-named field, redacts errors and nested values, and keeps a line one line", () => {
    const lines: string[] = [];
    const restore = captureLog((line) => lines.push(line));
    configureLog({ level: "debug", json: true });
    try {
      registerSecrets(["nested-secret-value-4c2"]);
      withLogContext({ request_id: "redaction-test" }, () =>
        log.error("failed\nwith a second line", {
          authorization: "Bearer visible?",
          headers: { cookie: "session=abc", "x-api-key": "k", accept: "text/html" },
          error: new Error("could not connect: nested-secret-value-4c2"),
          list: ["nested-secret-value-4c2"],
        }),
      );
    } finally {
      restore();
      configureLog();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    const entry = JSON.parse(lines[0]!) as Record<string, any>;
    expect(entry).toMatchObject({
      level: "error",
      msg: "failed\nwith a second line",
      request_id: "redaction-test",
      authorization: "[redacted]",
    });
    expect(entry.headers).toEqual({ cookie: "[redacted]", "x-api-key": "[redacted]", accept: "text/html" });
    expect(entry.error).toMatch(/^Error: could not connect: \[redacted\]/);
    expect(entry.list).toEqual(["[redacted]"]);
    expect(lines[0]).not.toContain("nested-secret-value-4c2");
  });
});
