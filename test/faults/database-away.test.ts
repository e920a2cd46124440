// With DATABASE_URL (a PostgreSQL of the user's, here one started by the
// test from the embedded binaries so that it can be stopped): the database
// goes away in the middle of an import and comes back, and the app recovers
// by itself; then a full queue: a large backlog of jobs built while no worker
// runs loses no raw data and is drained once one does.
import type { TaskList } from "graphile-worker";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { ensureDatabase, startEmbedded, type EmbeddedPostgres } from "../../src/database/embedded.ts";
import { applyMigrations } from "../../src/database/migrations.ts";
import { startWorker } from "../../src/worker.ts";
import { cleanEnv, leadgraph, postmasterPid, queryThroughOutages, tempDataDir, waitFor, type Leadgraph } from "./helpers.ts";

const SECRET = "whsec-database-away-77c1";

let pgDir: string;
let postgres: EmbeddedPostgres;
let env: NodeJS.ProcessEnv;
let db: pg.Pool;

/** A query that waits out the database being away. */
const query = queryThroughOutages(() => db);

/** `rows` rows with distinct addresses at `tag`'s domains; every 40th repeats the one before it. */
function csvFile(tag: string, rows: number) {
  const lines = ["First Name,Last Name,Email,Company Name,Website"];
  let duplicates = 0;
  for (let i = 1; i <= rows; i++) {
    const domain = `${tag}-co${Math.ceil(i / 20)}.example`;
    const repeat = i % 40 === 0;
    if (repeat) duplicates++;
    lines.push(`First${i},Last${i},p${repeat ? i - 1 : i}@${domain},Company ${domain},https://${domain}`);
  }
  return { content: lines.join("\n") + "\n", inserted: rows - duplicates, duplicates };
}

async function upload(baseUrl: string, content: string, fileName: string): Promise<string> {
  const response = await fetch(`${baseUrl}/imports?filename=${fileName}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: content,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { importId: string }).importId;
}

async function importCounts(importId: string) {
  return (
    await query(
      `select import_status, total_rows, processed_rows, leads_inserted, duplicate_rows, failed_rows,
              (select count(*)::int from csv_import_rows where csv_import_id = $1 and outcome is null) as without_outcome
       from csv_imports_raw where id = $1`,
      [importId],
    )
  )[0];
}

function webhook(tag: string, i: number) {
  return {
    timestamp: new Date(Date.UTC(2026, 9, 2, 9, 0, i)).toISOString(),
    event_type: "email_opened",
    workspace: "c0ffee00-1111-4222-8333-444455556666",
    campaign_id: "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
    lead_email: `lead${i % 50}@${tag}.example`,
    email_account: "sender@database-away-mail.example",
  };
}

async function postWebhook(baseUrl: string, body: object): Promise<number> {
  const response = await fetch(`${baseUrl}/webhooks/instantly`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-leadgraph-webhook-secret": SECRET },
    body: JSON.stringify(body),
  });
  await response.text();
  return response.status;
}

beforeAll(async () => {
  pgDir = tempDataDir();
  postgres = await startEmbedded({ dataDir: pgDir });
  await ensureDatabase(postgres.url("postgres"), "leadgraph");
  env = cleanEnv({
    DATABASE_URL: postgres.url("leadgraph"),
    // (its own data directory: nothing embedded is used with DATABASE_URL)
    LEADGRAPH_DATA_DIR: tempDataDir(),
    PORT: "0",
    INSTANTLY_WEBHOOK_SECRET: SECRET,
    SHUTDOWN_TIMEOUT_MS: "2000",
  });
  db = new pg.Pool({ connectionString: postgres.url("leadgraph"), max: 3 });
  db.on("error", () => {});
}, 90_000);

afterAll(async () => {
  await db?.end();
  await postgres?.stop();
}, 60_000);

describe("a database (DATABASE_URL) that goes away and comes back", () => {
  let app: Leadgraph;
  afterAll(async () => {
    if (app?.child.exitCode === null) {
      app.child.kill("SIGINT");
      await app.exited;
    }
  });

  it("in the middle of an import: /healthz 503 and a log line while it is away; then the app serves again and the import finishes, every row once", async () => {
    app = leadgraph(["start"], env);
    const baseUrl = await app.ready;
    const file = csvFile("away", 25_000);
    const importId = await upload(baseUrl, file.content, "away.csv");
    await waitFor(async () => (await importCounts(importId)).processed_rows > 0, "the first batch to be normalised", 120_000);
    expect((await importCounts(importId)).import_status).toBe("processing");

    // Stopped "fast" (SIGINT: its sessions are cut at once, where stop() first waits for them), as a
    // restart of a managed database does; stop() in the same tick, so that our handle does not start it again.
    const port = postgres.port;
    process.kill(postmasterPid(pgDir)!, "SIGINT");
    await postgres.stop();
    await waitFor(
      async () => (await fetch(`${baseUrl}/healthz`)).status === 503,
      () => `/healthz 503\n${app.output()}`,
    );
    await app.waitForOutput(/health: the database does not answer/);
    // A webhook meanwhile is not stored and is answered with an error, so its sender retries.
    const away = webhook("away", 0);
    expect(await postWebhook(baseUrl, away)).toBe(500);
    await app.waitForOutput(/Instantly webhook not stored/);

    // Back on the same address.
    postgres = await startEmbedded({ dataDir: pgDir, port });
    await waitFor(
      async () => (await fetch(`${baseUrl}/healthz`)).status === 200,
      () => `/healthz 200 again\n${app.output()}`,
    );
    await app.waitForOutput(/health: the database answers again/);
    // The sender's retry is stored, once.
    expect(await postWebhook(baseUrl, away)).toBe(200);
    expect((await query("select count(*)::int as n from instantly_webhooks_raw where lead_email like '%@away.example'"))[0].n).toBe(1);
    // The GraphQL API answers again (its pool reconnects).
    await waitFor(async () => {
      const response = await fetch(`${baseUrl}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ offers { totalCount } }" }),
      });
      return ((await response.json()) as any)?.data?.offers?.totalCount >= 1;
    }, "GraphQL to answer");
    // The worker carries on: the import ends, each row with one outcome, one lead per address.
    await waitFor(
      async () => ["completed", "completed_with_errors", "failed"].includes((await importCounts(importId)).import_status),
      async () => `the import to finish (${JSON.stringify(await importCounts(importId))})\n${app.output().slice(-3000)}`,
      120_000,
    );
    expect(await importCounts(importId)).toEqual({
      import_status: "completed",
      total_rows: 25_000,
      processed_rows: 25_000,
      leads_inserted: file.inserted,
      duplicate_rows: file.duplicates,
      failed_rows: 0,
      without_outcome: 0,
    });
    expect((await query("select count(*)::int as n from leads where email like '%@away-co%'"))[0].n).toBe(file.inserted);
    app.child.kill("SIGINT");
    expect(await app.exited).toBe(0);
  }, 240_000);
});

describe("a full queue", () => {
  it("a backlog of thousands of jobs built while no worker runs keeps every raw row, and a worker drains it", async () => {
    // graphile-worker has no queue limit (docs/faults.md): the server stores and enqueues whatever the worker's state.
    const server = leadgraph(["server", "--no-migrate"], env);
    const baseUrl = await server.ready;
    try {
      await query(
        "select graphile_worker.add_job('csv_imports_raw__normalize', json_build_object('id', gen_random_uuid())) from generate_series(1, 5000)",
      );
      const files = Array.from({ length: 5 }, (_, i) => ({ name: `queued-${i}.csv`, ...csvFile(`queued${i}`, 2000) }));
      const importIds: string[] = [];
      for (const file of files) importIds.push(await upload(baseUrl, file.content, file.name));
      for (let i = 0; i < 500; i++) expect(await postWebhook(baseUrl, webhook("queued", i))).toBe(200);

      // Nothing is normalised yet; every raw row is stored.
      const [backlog] = await query(
        `select (select count(*)::int from graphile_worker.jobs) as jobs,
                (select count(*)::int from csv_import_rows where csv_import_id = any($1)) as rows,
                (select count(*)::int from instantly_webhooks_raw where lead_email like '%@queued.example') as webhooks`,
        [importIds],
      );
      expect(backlog.jobs).toBeGreaterThanOrEqual(5000 + files.length + 1);
      expect(backlog.rows).toBe(5 * 2000);
      expect(backlog.webhooks).toBe(500);

      const worker = leadgraph(["worker", "--no-migrate"], env);
      try {
        await waitFor(
          async () => (await query("select count(*)::int as n from graphile_worker.jobs"))[0].n === 0,
          async () =>
            `the queue to drain (${JSON.stringify(await query("select task_identifier, count(*)::int as n, max(attempts) as attempts from graphile_worker.jobs group by 1"))})`,
          150_000,
        );
      } finally {
        worker.child.kill("SIGINT");
        await worker.exited;
      }
      for (const [i, importId] of importIds.entries()) {
        expect(await importCounts(importId)).toEqual({
          import_status: "completed",
          total_rows: 2000,
          processed_rows: 2000,
          leads_inserted: files[i]!.inserted,
          duplicate_rows: files[i]!.duplicates,
          failed_rows: 0,
          without_outcome: 0,
        });
      }
      const [events] = await query(
        `select count(*)::int as n, count(distinct e.raw_data)::int as distinct_payloads
         from events e join leads l on l.id = e.lead_id where l.email like '%@queued.example'`,
      );
      expect(events).toEqual({ n: 500, distinct_payloads: 500 });
    } finally {
      server.child.kill("SIGINT");
      await server.exited;
    }
  }, 240_000);
});

describe("a worker whose pool cannot finish stopping", () => {
  it("a job that never ends while another's outcome cannot be recorded: the worker gives that pool up and works the queue again, and still stops when asked", async () => {
    const url = postgres.url("leadgraph");
    // (already migrated by the tests above, unless this one runs alone)
    await applyMigrations(
      { url, rootUrl: postgres.url("postgres"), shadowUrl: undefined, authenticatorPassword: undefined },
      { quiet: true },
    );
    const started = new Set<string>();
    let databaseGone!: () => void;
    const gone = new Promise<void>((resolve) => (databaseGone = resolve));
    let ranAfter = false;
    const taskList: TaskList = {
      // Deaf to the worker's abort signal, as a call made without a timeout would be.
      never_ends: () => (started.add("never_ends"), new Promise<void>(() => {})),
      fails_while_away: async () => {
        started.add("fails_while_away");
        await gone;
        throw new Error("failed while the database was away");
      },
      after_return: async () => void (ranAfter = true),
    };
    const worker = await startWorker({
      databaseUrl: url,
      config: loadConfig(),
      concurrency: 3,
      shutdownTimeoutMs: 1000,
      taskList,
      quiet: true,
    });
    await query("select graphile_worker.add_job('never_ends'), graphile_worker.add_job('fails_while_away')");
    await waitFor(() => started.size === 2, "both jobs to start");

    // Away: the failed job's outcome cannot be recorded, so graphile-worker
    // shuts its pool down, which waits for never_ends for ever.
    const port = postgres.port;
    process.kill(postmasterPid(pgDir)!, "SIGINT");
    await postgres.stop();
    databaseGone();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    postgres = await startEmbedded({ dataDir: pgDir, port });

    await query("select graphile_worker.add_job('after_return')");
    await waitFor(() => ranAfter, "a job queued after the database came back to run", 60_000);
    // (never_ends runs again in the new pool and holds it too: stop() gives up on it as well)
    await worker.stop();
  }, 120_000);
});
