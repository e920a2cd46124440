// Starting up on one data directory: two at once, a damaged or foreign
// leadgraph.json, the embedded PostgreSQL killed under a running app, and a
// warning when development mode listens beyond this machine.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../helpers/db.ts";
import { alive, bin, cleanEnv, graphql, leadgraph, postmasterPid, tempDataDir, waitFor } from "./helpers.ts";

const offers = "{ offers { nodes { offerName } } }";

describe("startup on one data directory", () => {
  const dataDir = tempDataDir();
  const env = cleanEnv({ LEADGRAPH_DATA_DIR: dataDir, PORT: "0" });

  it("two first starts at once on a fresh data directory: one initialises and serves, the other says who runs the app and exits", async () => {
    // And one-shot commands started at the same moment wait for the first initdb instead of dying on its lock.
    const first = leadgraph(["start"], env);
    const second = leadgraph(["start"], env);
    const migrate = leadgraph(["migrate"], env);
    const outcome = await Promise.any([
      first.ready.then(() => [first, second] as const),
      second.ready.then(() => [second, first] as const),
    ]);
    const [running, refused] = outcome;
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(new RegExp(`leadgraph is already running on ${dataDir} \\(pid ${running.child.pid}`));
    expect(await migrate.exited, migrate.output()).toBe(0);
    expect((await graphql(await running.ready, offers)).data.offers.nodes).toHaveLength(1);

    // Once it serves, a third start names its URL too.
    const third = leadgraph(["start"], env);
    expect(await third.exited).toBe(1);
    expect(third.output()).toContain(`(pid ${running.child.pid}, ${await running.ready})`);

    running.child.kill("SIGINT");
    expect(await running.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, "app.json"))).toBe(false);
  }, 90_000);

  it("the embedded PostgreSQL killed under a running app: the app says so, starts it again, and serves again", async () => {
    const app = leadgraph(["start"], env);
    const url = await app.ready;
    const postgres = postmasterPid(dataDir)!;
    process.kill(postgres, "SIGKILL");
    await app.waitForOutput(new RegExp(`the embedded PostgreSQL \\(pid ${postgres}\\) died; starting it again`));
    await app.waitForOutput(/the embedded PostgreSQL is back/);
    expect(alive(postmasterPid(dataDir))).toBe(true);
    // The API's pool reconnects (a request may still meet a connection that broke).
    let answer: unknown;
    await waitFor(
      async () => {
        answer = await graphql(url, offers).catch((error: Error) => error.message);
        return (answer as any)?.data?.offers?.nodes?.length === 1;
      },
      () => `the API answering (last: ${JSON.stringify(answer)})\n${app.output()}`,
    );
    await waitFor(async () => (await fetch(`${url}/healthz`)).status === 200, "/healthz 200");
    app.child.kill("SIGINT");
    expect(await app.exited).toBe(0);
    expect(alive(postmasterPid(dataDir))).toBe(false);
  }, 90_000);

  it("a leadgraph.json of another cluster fails at once with what to do, and a damaged one is never replaced", () => {
    const stateFile = path.join(dataDir, "leadgraph.json");
    const original = fs.readFileSync(stateFile, "utf8");
    try {
      fs.writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(original), password: "not-the-password" }));
      const foreign = spawnSync(process.execPath, [bin, "migrate"], { env, encoding: "utf8", timeout: 30_000 });
      expect(foreign.status, foreign.stderr).toBe(1);
      expect(foreign.stderr).toMatch(/refused the password in .*leadgraph\.json \(password authentication failed for user "postgres"\)/);
      expect(foreign.stderr).toMatch(/Put back the leadgraph\.json that was made with this cluster/);

      fs.writeFileSync(stateFile, '{"password": "trunc');
      const damaged = spawnSync(process.execPath, [bin, "start"], { env, encoding: "utf8", timeout: 30_000 });
      expect(damaged.status).toBe(1);
      expect(damaged.stderr).toMatch(/leadgraph\.json is damaged .*it holds the embedded PostgreSQL's passwords\. Restore it, or move/);
      expect(fs.readFileSync(stateFile, "utf8")).toBe('{"password": "trunc');
    } finally {
      fs.writeFileSync(stateFile, original);
    }
    // Stopped by the failed commands? It was not running: none is left.
    expect(alive(postmasterPid(dataDir))).toBe(false);
  }, 60_000);
});

describe("HOST beyond this machine in development mode", () => {
  it("warns that the API is reachable from the network and what that means without JWT_SECRET", async () => {
    const db = await createTestDatabase();
    const app = leadgraph(["server", "--no-migrate"], cleanEnv({ DATABASE_URL: db.url, PORT: "0", HOST: "0.0.0.0" }));
    await app.ready;
    await app.waitForOutput(/JWT_SECRET is not set/);
    expect(app.output()).toMatch(/WARNING: HOST=0\.0\.0\.0 makes the API reachable from the network, in development mode/);
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    const local = leadgraph(["server", "--no-migrate"], cleanEnv({ DATABASE_URL: db.url, PORT: "0" }));
    await local.ready;
    expect(local.output()).not.toMatch(/WARNING/);
    local.child.kill("SIGTERM");
    await local.exited;
  }, 60_000);
});
