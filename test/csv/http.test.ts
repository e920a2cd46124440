// POST /imports over real HTTP, with a real worker normalising the upload.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../src/auth.ts";
import { loadConfig } from "../../src/config.ts";
import { startWorker, type RunningWorker } from "../../src/worker.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "imports-test-secret";
let db: TestDatabase;
let server: TestServer;
let worker: RunningWorker;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db, { jwtSecret: SECRET });
  worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 5000, quiet: true });
});
afterAll(() => worker?.stop());

async function waitForStatus(importId: string) {
  for (let i = 0; i < 200; i++) {
    const { rows } = await db.pool.query("select import_status from csv_imports_raw where id = $1", [importId]);
    if (["completed", "completed_with_errors", "failed"].includes(rows[0].import_status)) return rows[0].import_status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the import was not normalised");
}

describe("POST /imports", () => {
  it("stores a text/csv body as the caller; the worker normalises it; GraphQL follows it by its id", async () => {
    const csv = "\uFEFFFirst Name,Email,Website\r\nHttp,http.one@upload-example.com,https://upload-example.com\r\n";
    const response = await fetch(`${server.url}/imports?filename=leads.csv&campaign=00000000-0000-0000-0000-000000000007`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: csv,
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { importId: string; id: string; totalRows: number };
    expect(body.totalRows).toBe(1);
    expect(await waitForStatus(body.importId)).toBe("completed");
    const { body: gql } = await server.graphql(
      `query ($id: ID!) { csvImportsRawById(id: $id) { rowId fileName importStatus leadsInserted uploader { email } } }`,
      {
        id: body.id,
      },
    );
    expect(gql.data.csvImportsRawById).toEqual({
      rowId: body.importId,
      fileName: "leads.csv",
      importStatus: "completed",
      leadsInserted: 1,
      uploader: { email: "owner@leadgraph.local" },
    });
    const enrolled = await db.pool.query(
      "select count(*)::int as n from campaign_leads cl join leads l on l.id = cl.lead_id where l.email = 'http.one@upload-example.com'",
    );
    expect(enrolled.rows[0].n).toBe(1);
  });

  it("takes multipart uploads with a file field, as the token's user", async () => {
    await db.pool.query(
      "insert into users (id, email, full_name) values ('50000000-0000-4000-8000-000000000001', 'uploader@example.com', 'Up Loader')",
    );
    const form = new FormData();
    form.append("file", new Blob(["Email;First Name\nmulti@upload-example.com;Multi\n"], { type: "text/csv" }), "semicolons.csv");
    const response = await fetch(`${server.url}/imports`, {
      method: "POST",
      headers: { authorization: `Bearer ${signToken("50000000-0000-4000-8000-000000000001", SECRET, "1h")}` },
      body: form,
    });
    expect(response.status).toBe(201);
    const { importId } = (await response.json()) as { importId: string };
    expect(await waitForStatus(importId)).toBe("completed");
    const { rows } = await db.pool.query(
      "select i.file_name, u.email from csv_imports_raw i join users u on u.id = i.uploaded_by where i.id = $1",
      [importId],
    );
    expect(rows[0]).toEqual({ file_name: "semicolons.csv", email: "uploader@example.com" });
  });

  it("keeps a multipart file name in any language as the browser sent it (UTF-8)", async () => {
    const form = new FormData();
    form.append("file", new Blob(["Email\nname@upload-example.com\n"], { type: "text/csv" }), "München – Łódź 東京 ✓.csv");
    const response = await fetch(`${server.url}/imports`, { method: "POST", body: form });
    expect(response.status).toBe(201);
    const { importId } = (await response.json()) as { importId: string };
    const { rows } = await db.pool.query("select file_name from csv_imports_raw where id = $1", [importId]);
    expect(rows[0].file_name).toBe("München – Łódź 東京 ✓.csv");
    expect(await waitForStatus(importId)).toBe("completed");
  });

  it("rejects bad uploads with a clear error and stores nothing", async () => {
    const count = async () => (await db.pool.query("select count(*)::int as n from csv_imports_raw")).rows[0].n;
    const before = await count();
    const binary = await fetch(`${server.url}/imports`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0xff]),
    });
    expect(binary.status).toBe(400);
    expect(((await binary.json()) as { error: string }).error).toMatch(/not CSV text/);
    const empty = await fetch(`${server.url}/imports`, { method: "POST", headers: { "content-type": "text/csv" }, body: "" });
    expect(empty.status).toBe(400);
    const json = await fetch(`${server.url}/imports`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(415);
    const badToken = await fetch(`${server.url}/imports`, {
      method: "POST",
      headers: { "content-type": "text/csv", authorization: "Bearer nope" },
      body: "Email\na@b.example\n",
    });
    expect(badToken.status).toBe(401);
    const noCampaign = await fetch(`${server.url}/imports?campaign=10000000-0000-4000-8000-000000000000`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "Email\na@b.example\n",
    });
    expect(noCampaign.status).toBe(400);
    const small = await startTestServer(db, { importMaxBytes: 10 });
    const tooBig = await fetch(`${small.url}/imports`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "Email\na@b.example\n",
    });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: string }).error).toMatch(/LEADGRAPH_IMPORT_MAX_BYTES/);
    expect(await count()).toBe(before);
  });
});
