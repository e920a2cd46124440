// kill -9 in the middle of the work (issue 13 part 4): of the HTTP server
// (`leadgraph server`), of the worker (`leadgraph worker`) and of the embedded
// PostgreSQL, each during a CSV import, an Instantly sync (the fake Instantly)
// and a webhook burst. Every scenario shares one data directory and one
// server + worker pair, restarted after a kill; each uses its own leads, so
// the accounting of one is not muddled by another. "Mid-way" is read from the
// database (rows normalised, emails stored, webhooks stored so far).
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningEmbeddedUrl } from "../../src/database/embedded.ts";
import { startFakeInstantly, type FakeInstantly } from "../../tools/fake-instantly/server.ts";
import { alive, cleanEnv, leadgraph, postmasterPid, queryThroughOutages, tempDataDir, waitFor, type Leadgraph } from "./helpers.ts";

const SECRET = "whsec-kill-suite-5b1e";
const CAMPAIGN = "7a2c9e10-3b4d-4e5f-8a6b-1c2d3e4f5a6b";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Victim = "app" | "worker" | "postgres";

let dataDir: string;
let env: NodeJS.ProcessEnv;
let fake: FakeInstantly;
let server: Leadgraph;
let worker: Leadgraph;
let baseUrl: string;
let db: pg.Pool;

/** A query that waits out the database being away. */
const query = queryThroughOutages(() => db);

function startServer(): Leadgraph {
  return leadgraph(["server", "--no-migrate"], env);
}
function startWorkerProcess(): Leadgraph {
  return leadgraph(["worker", "--no-migrate"], env);
}

async function killProcess(target: Leadgraph) {
  target.child.kill("SIGKILL");
  await target.exited;
}

/**
 * The data directory's lock, as a leadgraph process takes it to start
 * PostgreSQL (src/database/embedded.ts withLock): while the test holds it the
 * app cannot start a killed PostgreSQL again, so what the app does while its
 * database is down can be seen without a race. Returns its release.
 */
function holdStartLock(): () => void {
  const lockFile = path.join(dataDir, ".lock");
  const candidate = `${lockFile}.${process.pid}`;
  fs.writeFileSync(candidate, String(process.pid));
  fs.linkSync(candidate, lockFile);
  fs.rmSync(candidate);
  return () => fs.rmSync(lockFile, { force: true });
}

async function healthStatus(): Promise<number | string> {
  try {
    return (await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) })).status;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * kill -9 of `victim`; checks that the app notices where it can (a dead
 * PostgreSQL: /healthz 503 and a log line naming it), then brings back what
 * died: a new server or worker, or (for PostgreSQL) lets the app start it.
 */
async function killAndRecover(victim: Victim): Promise<void> {
  if (victim === "app") {
    await killProcess(server);
    expect(await healthStatus()).toMatch(/fetch failed/);
    server = startServer();
    baseUrl = await server.ready;
  } else if (victim === "worker") {
    const deadPid = worker.child.pid;
    await killProcess(worker);
    worker = startWorkerProcess();
    await worker.waitForOutput(/worker running/);
    // (the kill is mid-job: the new worker gives the dead one's job back at once, not after 4 hours)
    expect(deadPid).toBeDefined();
  } else {
    const pid = postmasterPid(dataDir)!;
    const release = holdStartLock();
    try {
      process.kill(pid, "SIGKILL");
      await waitFor(() => !alive(pid), "PostgreSQL to die");
      const died = new RegExp(`the embedded PostgreSQL \\(pid ${pid}\\) died; starting it again`);
      await server.waitForOutput(died);
      await worker.waitForOutput(died);
      expect(await healthStatus()).toBe(503);
      await server.waitForOutput(/health: the database does not answer/);
    } finally {
      release();
    }
    await waitFor(() => /the embedded PostgreSQL is back/.test(server.output() + worker.output()), "PostgreSQL back");
  }
  await waitFor(
    async () => (await healthStatus()) === 200,
    () => `/healthz 200 again\n${server.output()}`,
  );
}

beforeAll(async () => {
  dataDir = tempDataDir();
  // 600x Instantly's rate-limit windows; the sync runs only when asked (no cron run in the middle).
  fake = await startFakeInstantly({ campaigns: 3, accounts: 3, emails: 600, timeScale: 600 });
  env = cleanEnv({
    LEADGRAPH_DATA_DIR: dataDir,
    PORT: "0",
    INSTANTLY_API_URL: fake.url,
    INSTANTLY_API_KEY: "kill-suite-key",
    INSTANTLY_WEBHOOK_SECRET: SECRET,
    INSTANTLY_RATE_LIMIT_TIME_SCALE: "600",
    INSTANTLY_REQUEST_TIMEOUT_MS: "3000",
    INSTANTLY_RETRY_BASE_MS: "50",
    INSTANTLY_SYNC_SCHEDULE: "0 0 1 1 *",
    SHUTDOWN_TIMEOUT_MS: "2000",
  });
  const migrate = leadgraph(["migrate"], env);
  expect(await migrate.exited, migrate.output()).toBe(0);
  server = startServer();
  baseUrl = await server.ready;
  worker = startWorkerProcess();
  await worker.waitForOutput(/worker running/);
  db = new pg.Pool({ connectionString: (await runningEmbeddedUrl(dataDir, "leadgraph"))!, max: 3 });
  db.on("error", () => {});
}, 120_000);

afterAll(async () => {
  await db?.end();
  for (const running of [server, worker]) {
    if (running?.child.exitCode === null) {
      running.child.kill("SIGINT");
      await running.exited;
    }
  }
  await fake?.close();
}, 60_000);

// ------------------------------------------------------------------ CSV

const CSV_ROWS = 25_000;

/**
 * `CSV_ROWS` rows for scenario `tag`: every 50th row repeats the email of the
 * row before it (a duplicate), every 97th has neither email nor LinkedIn URL
 * (rejected). Returns the file and what the import must end with.
 */
function csvFile(tag: string) {
  const lines = ["First Name,Last Name,Email,Company Name,Website"];
  let duplicates = 0;
  let rejected = 0;
  for (let i = 1; i <= CSV_ROWS; i++) {
    const company = Math.ceil(i / 20);
    const domain = `${tag}-co${company}.example`;
    let email = `p${i}@${domain}`;
    if (i % 97 === 0) {
      email = "";
      rejected++;
    } else if (i % 50 === 0 && (i - 1) % 97 !== 0) {
      email = `p${i - 1}@${domain}`;
      duplicates++;
    }
    lines.push(`First${i},Last${i},${email},Company ${tag} ${company},https://${domain}`);
  }
  return {
    content: lines.join("\n") + "\n",
    expected: { total: CSV_ROWS, duplicates, rejected, inserted: CSV_ROWS - duplicates - rejected },
  };
}

async function uploadCsv(content: string, fileName: string): Promise<string> {
  const response = await fetch(`${baseUrl}/imports?filename=${fileName}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: content,
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { importId: string }).importId;
}

/** Starts uploading `content` over HTTP and sends only its first half until `rest()` is called (or the server dies). */
function slowUpload(content: string, fileName: string) {
  const half = content.indexOf("\n", content.length / 2) + 1;
  let sendRest!: () => void;
  const restSent = new Promise<void>((resolve) => (sendRest = resolve));
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new TextEncoder().encode(content.slice(0, half)));
      await restSent;
      controller.enqueue(new TextEncoder().encode(content.slice(half)));
      controller.close();
    },
  });
  const response = fetch(`${baseUrl}/imports?filename=${fileName}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body,
    duplex: "half",
  } as RequestInit).then(
    (r) => r.status,
    (error: Error) => error.message,
  );
  return { response, rest: sendRest };
}

async function waitForImport(importId: string) {
  let status: string | undefined;
  await waitFor(
    async () => {
      status = (await query("select import_status from csv_imports_raw where id = $1", [importId]))[0]?.import_status;
      return status === "completed" || status === "completed_with_errors" || status === "failed";
    },
    () => `import ${importId} to finish (status ${status})\n${worker.output().slice(-3000)}`,
    120_000,
  );
}

async function expectImportAccounted(importId: string, tag: string, expected: ReturnType<typeof csvFile>["expected"], fileName: string) {
  const [record] = await query(
    `select import_status, total_rows, processed_rows, leads_inserted, duplicate_rows, failed_rows from csv_imports_raw where id = $1`,
    [importId],
  );
  expect(record).toEqual({
    import_status: "completed_with_errors",
    total_rows: expected.total,
    processed_rows: expected.total,
    leads_inserted: expected.inserted,
    duplicate_rows: expected.duplicates,
    failed_rows: expected.rejected,
  });
  // Every row has exactly one outcome, and every outcome is one of the expected ones.
  const outcomes = await query(
    "select outcome, count(*)::int as n from csv_import_rows where csv_import_id = $1 group by outcome order by outcome",
    [importId],
  );
  expect(outcomes).toEqual([
    { outcome: "duplicate", n: expected.duplicates },
    { outcome: "inserted", n: expected.inserted },
    { outcome: "rejected", n: expected.rejected },
  ]);
  // One lead per address, each the lead of its rows.
  const [leads] = await query(`select count(*)::int as leads, count(distinct email)::int as addresses from leads where email like $1`, [
    `%@${tag}-co%`,
  ]);
  expect(leads).toEqual({ leads: expected.inserted, addresses: expected.inserted });
  const [orphans] = await query(
    "select count(*)::int as n from csv_import_rows where csv_import_id = $1 and outcome <> 'rejected' and lead_id is null",
    [importId],
  );
  expect(orphans.n).toBe(0);
  // One import of the file: a re-sent upload did not store it twice.
  expect((await query("select count(*)::int as n from csv_imports_raw where file_name = $1", [fileName]))[0].n).toBe(1);
}

describe("kill -9 during a CSV import", () => {
  it("of the app while the file is being uploaded: nothing half-stored; the file sent again is imported once", async () => {
    const tag = "csv-app";
    const { content, expected } = csvFile(tag);
    const fileName = `${tag}.csv`;
    const upload = slowUpload(content, fileName);
    // Mid-upload: the server's COPY has rows in (not committed: one transaction per file).
    await waitFor(
      async () => (await query("select coalesce(max(tuples_processed), 0)::int as n from pg_stat_progress_copy"))[0].n > 0,
      "the upload's COPY to be under way",
    );
    await killAndRecover("app");
    upload.rest();
    expect(await upload.response).toMatch(/fetch failed|terminated|other side closed|socket/i);
    // The aborted transaction left nothing (its backend goes once it sees the client gone).
    await waitFor(
      async () => (await query("select count(*)::int as n from pg_stat_progress_copy"))[0].n === 0,
      "the dead upload's COPY to end",
    );
    expect((await query("select count(*)::int as n from csv_imports_raw where file_name = $1", [fileName]))[0].n).toBe(0);
    // The uploader sends it again.
    const importId = await uploadCsv(content, fileName);
    await waitForImport(importId);
    await expectImportAccounted(importId, tag, expected, fileName);
  }, 150_000);

  for (const victim of ["worker", "postgres"] as const) {
    it(`of the ${victim} while the rows are normalised: the import finishes, every row accounted for once, no duplicate lead`, async () => {
      const tag = `csv-${victim}`;
      const { content, expected } = csvFile(tag);
      const fileName = `${tag}.csv`;
      const importId = await uploadCsv(content, fileName);
      let progress: { import_status: string; processed_rows: number } | undefined;
      await waitFor(
        async () => {
          [progress] = await query<{ import_status: string; processed_rows: number }>(
            "select import_status, processed_rows from csv_imports_raw where id = $1",
            [importId],
          );
          return progress!.processed_rows > 0;
        },
        async () =>
          `the first batch to be normalised (${JSON.stringify(progress)}; jobs ${JSON.stringify(
            await query("select task_identifier, attempts, locked_by, run_at, last_error from graphile_worker.jobs"),
          )})\n${worker.output().slice(-3000)}`,
        120_000,
      );
      // Mid-way: some batches committed, not all.
      expect(progress).toMatchObject({ import_status: "processing" });
      expect(progress!.processed_rows).toBeLessThan(CSV_ROWS);
      const deadWorker = worker.child.pid;
      await killAndRecover(victim);
      if (victim === "worker") {
        // The job the dead worker held is given back at once (src/database/worker-pools.ts).
        await worker.waitForOutput(new RegExp(`gave back 1 job of worker pool \\S+ \\(process ${deadWorker}, which died\\) to the queue`));
      }
      if (victim === "postgres") {
        // Its runner could not record the job's failure and ended; the new one gives the job back at once.
        await worker.waitForOutput(/gave back 1 job of the stopped worker pool \S+ to the queue/);
      }
      await waitForImport(importId);
      await expectImportAccounted(importId, tag, expected, fileName);
    }, 150_000);
  }
});

// ------------------------------------------------------------------ sync

interface SyncOutcome {
  run_id: string | null;
  status: string | null;
  pending: number;
}

async function requestSync(): Promise<string> {
  const command = leadgraph(["sync", "instantly"], env);
  expect(await command.exited, command.output()).toBe(0);
  return command.output().match(/^([0-9a-f-]{36})$/m)![1]!;
}

async function expectSyncAccounted(requestId: string) {
  let outcome: SyncOutcome | undefined;
  await waitFor(
    async () => {
      [outcome] = await query<SyncOutcome>(
        `select q.run_id, r.status, (select count(*)::int from leadgraph_private.instantly_left_to_normalize) as pending
         from instantly_sync_requests q left join instantly_sync_runs r on r.id = q.run_id where q.id = $1`,
        [requestId],
      );
      return !!outcome?.status && outcome.status !== "running" && outcome.pending === 0;
    },
    () => `sync request ${requestId} to finish (${JSON.stringify(outcome)})\n${worker.output().slice(-3000)}`,
    120_000,
  );
  // The dead worker's job resumed the request's own run.
  expect(outcome!.status).toBe("completed");
  const campaignEmails = fake.data.emails.filter((e) => e.campaign_id);
  const [stored] = await query(
    "select count(*)::int as n, count(distinct instantly_email_id)::int as ids from instantly_emails_raw where instantly_email_id = any($1)",
    [campaignEmails.map((e) => e.id)],
  );
  expect(stored).toEqual({ n: campaignEmails.length, ids: campaignEmails.length });
  // Every stored email is one event or one reject; no email twice.
  const [normalised] = await query(
    `select (select count(*)::int from events where instantly_email_id is not null) as events,
            (select count(distinct instantly_email_id)::int from events where instantly_email_id is not null) as distinct_events,
            (select count(*)::int from instantly_rejects where stage = 'normalize' and resource = 'email') as rejects,
            (select count(*)::int from instantly_emails_raw) as raw`,
  );
  expect(normalised.events).toBe(normalised.distinct_events);
  expect(normalised.events + normalised.rejects).toBe(normalised.raw);
  const duplicateLeads = await query("select email from leads where email is not null group by email having count(*) > 1");
  expect(duplicateLeads).toEqual([]);
}

describe("kill -9 during an Instantly sync", () => {
  for (const victim of ["app", "worker", "postgres"] as const) {
    it(`of the ${victim} while the emails are fetched: the run completes, every email stored once, no duplicate event`, async () => {
      // New emails since the last scenario's sync (the first one syncs everything), answered slowly so the kill is mid-way.
      const before = (await query("select count(*)::int as n from instantly_emails_raw"))[0].n as number;
      if (before > 0) fake.addEmails(300);
      fake.injectFaults({ endpoint: "GET /emails", kind: "slow", delayMs: 150 });
      try {
        const requestId = await requestSync();
        let stored = 0;
        await waitFor(
          async () => {
            stored = (await query("select count(*)::int as n from instantly_emails_raw"))[0].n;
            return stored >= before + 100;
          },
          () => `emails to be stored (${stored})\n${worker.output().slice(-3000)}`,
          60_000,
        );
        const [mid] = await query(
          "select r.status from instantly_sync_requests q join instantly_sync_runs r on r.id = q.run_id where q.id = $1",
          [requestId],
        );
        expect(mid.status).toBe("running");
        expect(stored).toBeLessThan(fake.data.emails.filter((e) => e.campaign_id).length);
        const deadWorker = worker.child.pid;
        await killAndRecover(victim);
        if (victim === "worker")
          await worker.waitForOutput(new RegExp(`gave back \\d+ jobs? of worker pool \\S+ \\(process ${deadWorker}, which died\\)`));
        fake.clearFaults();
        await expectSyncAccounted(requestId);
      } finally {
        fake.clearFaults();
      }
    }, 150_000);
  }
});

// ------------------------------------------------------------------ webhooks

const DISTINCT_EVENTS = 250;
const REPEATS = 50;

/** `DISTINCT_EVENTS` events for scenario `tag`, plus `REPEATS` of them delivered again (Instantly retries), shuffled in. */
function webhookBurst(tag: string) {
  const events = Array.from({ length: DISTINCT_EVENTS }, (_, i) => ({
    timestamp: new Date(Date.UTC(2026, 9, 1, 12, 0, i)).toISOString(),
    event_type: i % 2 ? "email_opened" : "link_clicked",
    workspace: "c0ffee00-1111-4222-8333-444455556666",
    campaign_id: CAMPAIGN,
    campaign_name: "Kill suite",
    lead_email: `lead${i % 60}@${tag}.example`,
    email: `lead${i % 60}@${tag}.example`,
    email_account: "sender@kill-suite-mail.example",
    step: 1,
    variant: 1,
  }));
  const deliveries = [...events];
  for (let i = 0; i < REPEATS; i++) deliveries.splice(30 + i * 5, 0, events[(i * 7) % 40]!);
  return { events, deliveries };
}

/**
 * Sends every delivery as Instantly would: four at a time; one whose request
 * fails (no answer, a 5xx) is sent again until it is answered 200. Resolves
 * with how many times each delivery was accepted.
 */
function sendBurst(deliveries: object[], afterAccepted: { count: number; paused: Promise<void> }) {
  let accepted = 0;
  let next = 0;
  const lane = async () => {
    for (;;) {
      const index = next++;
      if (index >= deliveries.length) return;
      if (accepted >= afterAccepted.count) await afterAccepted.paused;
      for (let attempt = 1; ; attempt++) {
        try {
          const response = await fetch(`${baseUrl}/webhooks/instantly`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-leadgraph-webhook-secret": SECRET },
            body: JSON.stringify(deliveries[index]),
            signal: AbortSignal.timeout(10_000),
          });
          await response.text();
          if (response.status === 200) break;
          if (response.status < 500) throw new Error(`delivery ${index} refused: ${response.status}`);
        } catch (error) {
          if ((error as Error).message.includes("refused:")) throw error;
        }
        if (attempt > 600) throw new Error(`delivery ${index} never accepted`);
        await sleep(100);
      }
      accepted++;
    }
  };
  return Promise.all([lane(), lane(), lane(), lane()]).then(() => accepted);
}

describe("kill -9 during a webhook burst", () => {
  for (const victim of ["app", "worker", "postgres"] as const) {
    it(`of the ${victim}: every delivery answered 200 in the end, every event stored once, one event each`, async () => {
      const tag = `wh-${victim}`;
      const { events, deliveries } = webhookBurst(tag);
      // The burst is under way (a third accepted) and carries on while the victim is killed.
      let resume!: () => void;
      const paused = new Promise<void>((resolve) => (resume = resolve));
      const gate = { count: 100, paused };
      const sending = sendBurst(deliveries, gate);
      await waitFor(
        async () =>
          (await query("select count(*)::int as n from instantly_webhooks_raw where lead_email like $1", [`%@${tag}.example`]))[0].n >= 60,
        "the first deliveries to be stored",
      );
      resume();
      await killAndRecover(victim);
      expect(await sending).toBe(deliveries.length);

      // Stored once each: as many rows as events, each row one event's payload exactly.
      const stored = await query<{ payload: object; deliveries: number }>(
        "select payload, deliveries from instantly_webhooks_raw where lead_email like $1",
        [`%@${tag}.example`],
      );
      expect(stored).toHaveLength(events.length);
      // (jsonb keeps keys in its own order)
      const key = (e: object) => JSON.stringify(Object.entries(e).sort(([a], [b]) => a.localeCompare(b)));
      const sentTimes = new Map<string, number>();
      for (const d of deliveries) sentTimes.set(key(d), (sentTimes.get(key(d)) ?? 0) + 1);
      expect(new Set(stored.map((r) => key(r.payload)))).toEqual(new Set(events.map(key)));
      // A delivery counts once per accepted request (an answer lost with the app counts too, as Instantly's retry would).
      for (const row of stored) expect(row.deliveries).toBeGreaterThanOrEqual(sentTimes.get(key(row.payload))!);

      // Normalised: one event per stored webhook, none twice.
      let normalised: { events: number; payloads: number; rejects: number; pending: number } | undefined;
      await waitFor(
        async () => {
          [normalised] = await query<{ events: number; payloads: number; rejects: number; pending: number }>(
            `select (select count(*)::int from events e join leads l on l.id = e.lead_id where l.email like $1) as events,
                    (select count(distinct e.raw_data)::int from events e join leads l on l.id = e.lead_id where l.email like $1) as payloads,
                    (select count(*)::int from instantly_rejects r join instantly_webhooks_raw w on w.id::text = r.source_id
                      where r.resource = 'webhook' and w.lead_email like $1) as rejects,
                    (select count(*)::int from leadgraph_private.instantly_left_to_normalize) as pending`,
            [`%@${tag}.example`],
          );
          return normalised!.pending === 0 && normalised!.events + normalised!.rejects >= events.length;
        },
        async () =>
          `the webhooks to be normalised (${JSON.stringify(normalised)}); without their event: ${JSON.stringify(
            await query(
              `select w.id, w.payload, w.received_at, w.last_received_at,
                      exists (select 1 from leadgraph_private.instantly_pending p where p.resource = 'webhook' and p.source_id = w.id::text) as pending,
                      (select json_agg(json_build_object('lead', e.lead_id, 'type', e.event_type, 'at', e.created_at)) from events e where e.raw_data = w.payload) as events,
                      (select json_agg(r) from instantly_rejects r where r.source_id = w.id::text) as rejects
               from instantly_webhooks_raw w where w.lead_email like $1
                 and not exists (select 1 from events e join leads l on l.id = e.lead_id where l.email like $1 and e.raw_data = w.payload)`,
              [`%@${tag}.example`],
            ),
          )}\n${worker.output().slice(-3000)}`,
        90_000,
      );
      expect(normalised).toEqual({ events: events.length, payloads: events.length, rejects: 0, pending: 0 });
    }, 150_000);
  }
});

// Last: it leaves the data directory unusable.
describe("the embedded PostgreSQL killed and impossible to start again", () => {
  it("the server and the worker exit 1 with the reason and what to do, instead of running on without a database", async () => {
    const pid = postmasterPid(dataDir)!;
    // A cluster directory postgres refuses (as a damaged disk would leave it).
    fs.renameSync(path.join(dataDir, "pg", "PG_VERSION"), path.join(dataDir, "pg", "PG_VERSION.moved"));
    process.kill(pid, "SIGKILL");
    for (const running of [server, worker]) {
      expect(await running.exited, running.output().slice(-2000)).toBe(1);
      expect(running.output()).toMatch(
        /the embedded PostgreSQL died and could not be started again \([\s\S]+\)\. See .*postgres\.log \(disk full\? killed for memory\?\), fix the cause, then start leadgraph again\./,
      );
    }
    expect(await healthStatus()).toMatch(/fetch failed/);
  }, 120_000);
});
