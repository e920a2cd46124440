// Jobs run at least once: a normalisation killed half-way and run again ends
// in the same database state as one clean run (outcomes included: a lead the
// killed run already changed is still counted as updated by the retry).
import { Readable } from "node:stream";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { normalizeImport } from "../../src/sources/csv/normalize/index.ts";
import { uploadCsv } from "../../src/sources/csv/upload.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

/** Apollo-like rows: ~4 leads per company, repeated emails in other case, some without email. */
function file(rows = 3000, lastName = (i: number) => `Last${i}`): string {
  const lines = ["First Name,Last Name,Email,Company Name,Website,Person Linkedin Url,Apollo Account Id"];
  for (let i = 1; i <= rows; i++) {
    const company = Math.ceil(i / 4);
    const email =
      i % 50 === 0 ? "" : i % 33 === 0 ? `Person${i - 1}@Company${Math.ceil((i - 1) / 4)}.example` : `person${i}@company${company}.example`;
    lines.push(
      `First${i},${lastName(i)},${email},"Company ${company}, Inc.",https://www.company${company}.example/,http://www.linkedin.com/in/p${i},acct${company}`,
    );
  }
  return lines.join("\n") + "\n";
}

async function state(db: TestDatabase, importId: string) {
  const { rows } = await db.pool.query(
    `select
       (select json_agg(x order by x.email, x.linkedin_url) from (select l.email, l.linkedin_url, l.first_name, l.last_name, c.company_domain
          from leads l left join companies c on c.id = l.company_id) x) as leads,
       (select json_agg(x order by x.company_domain) from (select company_domain, company_name, apollo_account_id from companies) x) as companies,
       (select json_agg(x order by x.row_number) from (select r.row_number, r.outcome, r.outcome_reason, r.duplicate_of_row_number, l.email
          from csv_import_rows r left join leads l on l.id = r.lead_id where r.csv_import_id = $1) x) as rows,
       (select json_build_object('status', import_status, 'inserted', leads_inserted, 'updated', leads_updated, 'unchanged', leads_unchanged, 'duplicates', duplicate_rows,
          'rejected', failed_rows, 'companies', companies_inserted, 'processed', processed_rows) from csv_imports_raw where id = $1) as counts`,
    [importId],
  );
  return rows[0];
}

async function uploadAndNormalize(db: TestDatabase, interrupt: boolean) {
  // An earlier export of the first 900 people, a third of them under another last name since.
  const earlier = await uploadCsv(db.pool, Readable.from([Buffer.from(file(900, (i) => (i % 3 ? `Last${i}` : `Earlier${i}`)))]), {
    fileName: "earlier.csv",
  });
  const first = await db.pool.connect();
  try {
    await normalizeImport(first, earlier.importId, { batchSize: 200 });
  } finally {
    first.release();
  }
  const { importId } = await uploadCsv(db.pool, Readable.from([Buffer.from(file())]), { fileName: "big.csv" });
  const client = await db.pool.connect();
  try {
    if (interrupt) {
      client.on("error", () => {}); // its connection is about to be terminated
      const { rows } = await client.query("select pg_backend_pid() as pid");
      // Kill the normaliser's connection once some batches are committed.
      const killer = new pg.Client({ connectionString: db.url });
      await killer.connect();
      const killing = (async () => {
        for (let i = 0; i < 2000; i++) {
          const { rows: progress } = await killer.query("select processed_rows from csv_imports_raw where id = $1", [importId]);
          if (progress[0].processed_rows >= 600) {
            await killer.query("select pg_terminate_backend($1)", [rows[0].pid]);
            return true;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
        return false;
      })();
      await expect(normalizeImport(client, importId, { batchSize: 200 })).rejects.toThrow();
      expect(await killing).toBe(true);
      await killer.end();
    }
  } finally {
    client.release(interrupt);
  }
  // The retry (or the only run), on a fresh connection.
  const retry = await db.pool.connect();
  try {
    await normalizeImport(retry, importId, { batchSize: 200 });
  } finally {
    retry.release();
  }
  return importId;
}

describe("a killed normalisation, retried", () => {
  it("ends in the same state as one clean run", async () => {
    const clean = await createTestDatabase();
    const killed = await createTestDatabase();
    const cleanState = await state(clean, await uploadAndNormalize(clean, false));
    const killedState = await state(killed, await uploadAndNormalize(killed, true));
    expect(cleanState.counts.processed).toBe(3000);
    expect(cleanState.counts.duplicates).toBeGreaterThan(0);
    expect(cleanState.counts.updated).toBeGreaterThan(200);
    expect(cleanState.counts.unchanged).toBeGreaterThan(400);
    expect(cleanState.counts.rejected).toBe(0);
    expect(killedState).toEqual(cleanState);
  });
});
