// Ctrl-C during a large import (issue 13, item 8): `leadgraph start` stops
// the normaliser between batches within SHUTDOWN_TIMEOUT_MS instead of
// finishing the whole file first, and the next start finishes the import
// with every row once.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { runningEmbeddedUrl } from "../../src/database/embedded.ts";
import { DATABASE_NAME } from "../../src/database/index.ts";
import { cleanEnv, leadgraph, tempDataDir, waitFor } from "./helpers.ts";

const ROWS = 60_000;

function apolloLikeCsv(rows: number): string {
  const lines = ["First Name,Last Name,Title,Company,Email,Website,City,Country"];
  for (let row = 1; row <= rows; row++) {
    lines.push(
      `Ana${row},Müller${row},Head of Sales,Firma ${row % 997},ana.${row}@shutdown-example.com,https://firma${row % 997}.example,München,Germany`,
    );
  }
  return lines.join("\n") + "\n";
}

describe("SIGINT during an import", () => {
  const dataDir = tempDataDir();
  const env = cleanEnv({ LEADGRAPH_DATA_DIR: dataDir, PORT: "0", SHUTDOWN_TIMEOUT_MS: "1000" });

  it("stops the normaliser between batches, exits 0, and the next start finishes the import with every row once", async () => {
    // A `leadgraph server` holds the embedded PostgreSQL, so that what the stopped import left is readable in between.
    const holder = leadgraph(["server"], env);
    await holder.ready;
    const app = leadgraph(["start"], env);
    const url = await app.ready;
    const response = await fetch(`${url}/imports?filename=shutdown.csv`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: apolloLikeCsv(ROWS),
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const { importId } = (await response.json()) as { importId: string };

    const pool = new pg.Pool({ connectionString: await runningEmbeddedUrl(dataDir, DATABASE_NAME), max: 2 });
    try {
      const progress = async () =>
        (await pool.query("select import_status, processed_rows from csv_imports_raw where id = $1", [importId])).rows[0];
      // Mid-way: some batches written, most of the file still to go.
      await waitFor(async () => (await progress()).processed_rows > 0, "the first batches of the import", 120_000);
      const asked = Date.now();
      app.child.kill("SIGINT");
      expect(await app.exited, app.output()).toBe(0);
      // For the record (not asserted): SHUTDOWN_TIMEOUT_MS is 1 s here.
      console.log(`SIGINT to exit: ${Date.now() - asked} ms`);
      const stopped = await progress();
      expect(stopped.processed_rows).toBeLessThan(ROWS);
      expect(stopped.import_status).not.toMatch(/^completed/);

      // The next start takes the job up again (its retry runs the import from row 1).
      const again = leadgraph(["start"], env);
      await again.ready;
      await waitFor(async () => /^completed/.test((await progress()).import_status), "the import completing after the restart", 240_000);
      const { rows } = await pool.query(
        `select count(*)::int as rows, count(distinct lead_id)::int as leads,
                count(*) filter (where outcome is null)::int as unaccounted
           from csv_import_rows where csv_import_id = $1`,
        [importId],
      );
      expect(rows[0]).toEqual({ rows: ROWS, leads: ROWS, unaccounted: 0 });
      const { rows: leads } = await pool.query("select count(*)::int as n from leads where email like '%@shutdown-example.com'");
      expect(leads[0].n).toBe(ROWS);
      again.child.kill("SIGINT");
      expect(await again.exited).toBe(0);
    } finally {
      await pool.end();
    }
    holder.child.kill("SIGINT");
    expect(await holder.exited).toBe(0);
  }, 420_000);
});
