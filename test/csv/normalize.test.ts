// From an uploaded Apollo export to companies, leads and per-row outcomes:
// the real upload, the real trigger, the real worker task.
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startWorker } from "../../src/worker.ts";
import { normalizeImport } from "../../src/sources/csv/normalize/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer } from "../helpers/server.ts";
import * as csv from "./helpers.ts";

const EXAMPLE_CAMPAIGN = "00000000-0000-0000-0000-000000000007";
const HEADER =
  "First Name,Last Name,Title,Company Name,Email,Email Status,Seniority,Departments,Corporate Phone,# Employees,Industry,Person Linkedin Url,Website,Technologies,Apollo Contact Id,Apollo Account Id";
const FILE_1 =
  [
    HEADER,
    `Jane,Doe,Co-Founder & CEO,"Northwind Labs, Inc.",jane.doe@northwind-example.com,Verified,Founder,C-Suite,'+1 555-555-0100,23,information technology & services,http://www.linkedin.com/in/jane-doe-example,https://northwind-example.com,"Gmail, Slack, ",6a1f0c2b9e8d7c6b5a4f3e21,6a1f0c2b9e8d7c6b5a4f3e99`,
    `Tom,Berg,VP Sales ,"Northwind Labs, Inc.",,Unavailable,Vp,"Sales, Operations",'+1 555-555-0100,23,information technology & services,http://www.linkedin.com/in/tom-berg-example,http://www.northwind-example.com/,,6a1f0c2b9e8d7c6b5a4f3e22,6a1f0c2b9e8d7c6b5a4f3e99`,
    `Ana,Souza,Diretora de Marketing,Corpão Ltda,ana@corpao-example.com.br,Verified,Director,Marketing,,8,marketing & advertising,http://www.linkedin.com/in/ana-souza-example,https://corpao-example.com.br/,,6a1f0c2b9e8d7c6b5a4f3e23,6a1f0c2b9e8d7c6b5a4f3e77`,
    `JANE,DOE,CEO,Northwind Labs,  JANE.DOE@Northwind-Example.com ,Verified,Founder,,,23,,,https://northwind-example.com,,6a1f0c2b9e8d7c6b5a4f3eAA,6a1f0c2b9e8d7c6b5a4f3e99`,
    `Sam,Free,Founder,Solo Studio,sam.free@gmail.com,Verified,Founder,,,1,design,,,,6a1f0c2b9e8d7c6b5a4f3e24,`,
    `Bad,Email,Analyst,Acme,not-an-email,Verified,Entry,,,5,,,https://acme.example,,6a1f0c2b9e8d7c6b5a4f3e25,`,
    `,,,Empty Person Co,,,,,,,,,https://empty-person.example,,,6a1f0c2b9e8d7c6b5a4f3e26`,
  ].join("\n") + "\n";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

const upload = (content: string, options: { campaignId?: string } = {}) => csv.upload(db, content, options);
const normalize = (importId: string) => csv.normalize(db, importId);
const outcomes = (importId: string) => csv.outcomes(db, importId);

describe("CSV import normalisation", () => {
  let first: string;

  it("turns rows into de-duplicated companies and leads, with an outcome for every row", async () => {
    const { importId, totalRows } = await upload(FILE_1, { campaignId: EXAMPLE_CAMPAIGN });
    first = importId;
    expect(totalRows).toBe(7);
    expect(await normalize(importId)).toBe("completed_with_errors");
    expect(await outcomes(importId)).toEqual([
      [1, "inserted", null, null, "jane.doe@northwind-example.com"],
      [2, "inserted", null, null, "http://www.linkedin.com/in/tom-berg-example"],
      [3, "inserted", null, null, "ana@corpao-example.com.br"],
      [4, "duplicate", "same email as row 1", 1, "jane.doe@northwind-example.com"],
      [5, "inserted", null, null, "sam.free@gmail.com"],
      [6, "rejected", "invalid email: not-an-email", null, null],
      [7, "rejected", "no email and no LinkedIn URL", null, null],
    ]);
    const { rows: companies } = await db.pool.query(
      "select company_name, company_domain, employee_count, technologies from companies order by company_domain",
    );
    expect(companies).toEqual([
      { company_name: "Corpão Ltda", company_domain: "corpao-example.com.br", employee_count: 8, technologies: [] },
      {
        company_name: "Northwind Labs, Inc.",
        company_domain: "northwind-example.com",
        employee_count: 23,
        technologies: ["Gmail", "Slack"],
      },
    ]);
    const { rows: leads } = await db.pool.query(
      `select l.first_name, l.email, l.job_title, l.phone, l.departments, c.company_domain, l.lead_source
         from leads l left join companies c on c.id = l.company_id order by l.first_name`,
    );
    expect(leads).toEqual([
      {
        first_name: "Ana",
        email: "ana@corpao-example.com.br",
        job_title: "Diretora de Marketing",
        phone: null,
        departments: ["Marketing"],
        company_domain: "corpao-example.com.br",
        lead_source: "csv",
      },
      {
        first_name: "Jane",
        email: "jane.doe@northwind-example.com",
        job_title: "Co-Founder & CEO",
        phone: null,
        departments: ["C-Suite"],
        company_domain: "northwind-example.com",
        lead_source: "csv",
      },
      // A free-mail address is no company domain, and this row has no website.
      {
        first_name: "Sam",
        email: "sam.free@gmail.com",
        job_title: "Founder",
        phone: null,
        departments: [],
        company_domain: null,
        lead_source: "csv",
      },
      {
        first_name: "Tom",
        email: null,
        job_title: "VP Sales",
        phone: null,
        departments: ["Sales", "Operations"],
        company_domain: "northwind-example.com",
        lead_source: "csv",
      },
    ]);
    const { rows: record } = await db.pool.query(
      `select import_status, total_rows, processed_rows, leads_inserted, leads_updated, duplicate_rows, failed_rows,
              companies_inserted, companies_matched, error_log from csv_imports_raw where id = $1`,
      [importId],
    );
    expect(record[0]).toEqual({
      import_status: "completed_with_errors",
      total_rows: 7,
      processed_rows: 7,
      leads_inserted: 4,
      leads_updated: 0,
      duplicate_rows: 1,
      failed_rows: 2,
      companies_inserted: 2,
      companies_matched: 0,
      error_log: { rejected: { "invalid email: not-an-email": 1, "no email and no LinkedIn URL": 1 } },
    });
    const enrolled = await db.pool.query("select count(*)::int as n from campaign_leads where campaign_id = $1", [EXAMPLE_CAMPAIGN]);
    expect(enrolled.rows[0].n).toBe(4);
  });

  it("is idempotent: normalising the same import again changes nothing", async () => {
    const snapshot = async () =>
      (
        await db.pool.query(
          `select (select json_agg(l order by l.email, l.linkedin_url) from (select email, linkedin_url, first_name, company_id, csv_import_id from leads) l) as leads,
                  (select json_agg(c order by c.company_domain) from (select company_domain, company_name from companies) c) as companies,
                  (select count(*) from campaign_leads) as memberships`,
        )
      ).rows[0];
    const before = { snapshot: await snapshot(), outcomes: await outcomes(first) };
    expect(await normalize(first)).toBe("completed_with_errors");
    expect({ snapshot: await snapshot(), outcomes: await outcomes(first) }).toEqual(before);
  });

  it("never rewrites a row as read: outcomes go to their own narrow table, the view shows both", async () => {
    // (xmin: the transaction that wrote a row version; it changes with any update)
    const versions = async () =>
      (
        await db.pool.query(
          "select row_number, xmin::text from leadgraph_private.csv_import_raw_rows where csv_import_id = $1 order by row_number",
          [first],
        )
      ).rows;
    const asRead = await versions();
    expect(await normalize(first)).toBe("completed_with_errors");
    expect(await versions()).toEqual(asRead);
    const { rows } = await db.pool.query(
      `select (select count(*)::int from leadgraph_private.csv_import_row_outcomes where csv_import_id = $1) as outcomes,
              (select count(*)::int from csv_import_rows where csv_import_id = $1 and outcome is not null) as shown`,
      [first],
    );
    expect(rows[0]).toEqual({ outcomes: 7, shown: 7 });
  });

  it("re-importing a known lead fills empty fields and refreshes Apollo data, never blanking a value", async () => {
    await db.pool.query("update leads set job_title = null where email = 'ana@corpao-example.com.br'");
    const second = await upload(
      `first_name,last_name,email,title,mobile_phone,company_name,website,apollo_contact_id\n` +
        `Ana,,ANA@corpao-example.com.br,CMO,'+55 11 99999-0000,Corpão,https://www.corpao-example.com.br,NEWID\n`,
    );
    expect(await normalize(second.importId)).toBe("completed");
    const { rows } = await db.pool.query(
      "select last_name, job_title, mobile_phone, apollo_data ->> 'apollo_contact_id' as apollo_id, csv_import_id from leads where email = 'ana@corpao-example.com.br'",
    );
    expect(rows[0]).toEqual({
      last_name: "Souza",
      job_title: "CMO",
      mobile_phone: "+55 11 99999-0000",
      apollo_id: "NEWID",
      csv_import_id: first,
    });
    expect(await outcomes(second.importId)).toEqual([[1, "updated", null, null, "ana@corpao-example.com.br"]]);
    const { rows: record } = await db.pool.query(
      "select leads_updated, companies_inserted, companies_matched from csv_imports_raw where id = $1",
      [second.importId],
    );
    expect(record[0]).toEqual({ leads_updated: 1, companies_inserted: 0, companies_matched: 1 });
  });

  it("reads version A headers (Company, First Phone), stores formula-like cells verbatim", async () => {
    const { importId } = await upload(
      "First Name,Last Name,Title,Company,Email,First Phone,Person Linkedin Url,Website,SEO Description\n" +
        `Vera,Alt,"=HYPERLINK(""http://evil.example"")",Acme Old Co,vera@acme-old.example,'+44 20 7946 0000,,http://www.acme-old.example,"Line one\nline two"\n`,
    );
    expect(await normalize(importId)).toBe("completed");
    const { rows } = await db.pool.query(
      `select l.job_title, l.phone, c.company_name, c.company_domain, c.description, r.raw_row ->> 'Title' as raw_title
         from leads l join companies c on c.id = l.company_id join csv_import_rows r on r.lead_id = l.id
        where l.email = 'vera@acme-old.example'`,
    );
    expect(rows[0]).toEqual({
      job_title: '=HYPERLINK("http://evil.example")',
      phone: "+44 20 7946 0000",
      company_name: "Acme Old Co",
      company_domain: "acme-old.example",
      description: "Line one\nline two",
      raw_title: '=HYPERLINK("http://evil.example")',
    });
  });

  it("keeps the extra cells of ragged rows in the stored row, and still normalises it", async () => {
    const { importId } = await upload("Email,First Name\nragged@rows.example,Rag,EXTRA,MORE\nshort@rows.example\n");
    expect(await normalize(importId)).toBe("completed");
    const { rows } = await db.pool.query("select row_number, raw_row from csv_import_rows where csv_import_id = $1 order by 1", [importId]);
    expect(rows.map((r) => r.raw_row)).toEqual([
      { Email: "ragged@rows.example", "First Name": "Rag", "(extra cells)": ["EXTRA", "MORE"] },
      { Email: "short@rows.example" },
    ]);
    expect((await outcomes(importId)).map((o) => o[1])).toEqual(["inserted", "inserted"]);
  });

  it("stores nothing of a file that turns out invalid after its first rows, and keeps backslashes and quotes as read", async () => {
    const before = (await db.pool.query("select count(*)::int as n from csv_imports_raw")).rows[0].n;
    const rows = Array.from({ length: 3000 }, (_, i) => `row${i}@stream.example,"back\\slash \\t ""quoted"" tab\tend"`).join("\n");
    await expect(upload(`Email,First Name\n${rows}\nlast@stream.example,"${"x".repeat(2000)}"\n`, {})).resolves.toBeDefined();
    const limited = csv.upload(db, `Email,First Name\n${rows}\nlast@stream.example,"${"x".repeat(2000)}"\n`, {
      limits: { maxFileBytes: 1e7, maxRecordBytes: 1000 },
    });
    await expect(limited).rejects.toThrow(/larger than 1000 bytes/);
    expect((await db.pool.query("select count(*)::int as n from csv_imports_raw")).rows[0].n).toBe(before + 1);
    const { rows: stored } = await db.pool.query(
      "select r.raw_row from csv_import_rows r join csv_imports_raw i on i.id = r.csv_import_id where r.row_number = 1 order by i.uploaded_at desc limit 1",
    );
    expect(stored[0].raw_row).toEqual({ Email: "row0@stream.example", "First Name": 'back\\slash \\t "quoted" tab\tend' });
  });

  it("fails an import with no identity columns or no data rows, saying why", async () => {
    const noColumns = await upload("Company,Website\nAcme,https://acme.example\n");
    expect(await normalize(noColumns.importId)).toBe("failed");
    const { rows } = await db.pool.query("select import_status, error_log ->> 'error' as error from csv_imports_raw where id = $1", [
      noColumns.importId,
    ]);
    expect(rows[0].import_status).toBe("failed");
    expect(rows[0].error).toMatch(/No recognisable email or name columns: looked for Email, Person Linkedin Url/);
    const headerOnly = await upload("First Name,Email\n");
    expect(await normalize(headerOnly.importId)).toBe("failed");
    const { rows: header } = await db.pool.query("select error_log ->> 'error' as error from csv_imports_raw where id = $1", [
      headerOnly.importId,
    ]);
    expect(header[0].error).toBe("The file has a header but no data rows.");
  });

  it("runs in the worker: the upload's commit enqueues the job, and reprocess_csv_import() runs it again", async () => {
    const worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 5000 });
    try {
      const { importId } = await upload("Email,First Name\nworker@queue.example,Wanda\n");
      const status = async () =>
        (await db.pool.query("select import_status from csv_imports_raw where id = $1", [importId])).rows[0].import_status;
      for (let i = 0; i < 200 && (await status()) !== "completed"; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await status()).toBe("completed");
      const finishedAt = async () =>
        (await db.pool.query("select processing_completed_at as t from csv_imports_raw where id = $1", [importId])).rows[0].t as Date;
      const firstRun = await finishedAt();
      // (the worker may pick the job up at once: "uploaded" can be over before we look)
      expect((await db.pool.query("select (reprocess_csv_import($1)).import_status", [importId])).rows[0].import_status).toBe("uploaded");
      for (let i = 0; i < 200 && !((await status()) === "completed" && (await finishedAt()) > firstRun); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await finishedAt()).getTime()).toBeGreaterThan(firstRun.getTime());
      expect(await outcomes(importId)).toEqual([[1, "inserted", null, null, "worker@queue.example"]]);
    } finally {
      await worker.stop();
    }
  });

  it("works the same for an import and rows inserted through GraphQL, owned by the caller", async () => {
    const server = await startTestServer(db);
    const worker = await startWorker({ databaseUrl: db.url, config: loadConfig(), concurrency: 1, shutdownTimeoutMs: 5000 });
    try {
      const created = await server.graphql(
        `mutation { createCsvImportsRaw(input: { csvImportsRaw: { fileName: "api.csv", headers: ["Email", "First Name"] } }) {
          csvImportsRaw { rowId uploader { email } } } }`,
      );
      expect(created.body.errors).toBeUndefined();
      const { rowId, uploader } = created.body.data.createCsvImportsRaw.csvImportsRaw;
      expect(uploader.email).toBe("owner@leadgraph.local");
      for (const [n, email] of [
        [1, "api.one@example.com"],
        [2, "API.ONE@example.com"],
      ] as const) {
        const row = await server.graphql(
          `mutation ($id: UUID!, $n: Int!, $raw: JSON!) { createCsvImportRow(input: { csvImportRow: { csvImportId: $id, rowNumber: $n, rawRow: $raw } }) { csvImportRow { rowNumber } } }`,
          { id: rowId, n, raw: { Email: email, "First Name": "Api" } },
        );
        expect(row.body.errors).toBeUndefined();
      }
      const status = async () =>
        (await db.pool.query("select import_status from csv_imports_raw where id = $1", [rowId])).rows[0].import_status;
      for (let i = 0; i < 200 && (await status()) !== "completed"; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await outcomes(rowId)).toEqual([
        [1, "inserted", null, null, "api.one@example.com"],
        [2, "duplicate", "same email as row 1", 1, "api.one@example.com"],
      ]);
    } finally {
      await worker.stop();
    }
  });
});

// Staging (15-stage-import.sql) runs on both cores: a CREATE TABLE AS over a
// parallel scan, where a LinkedIn URL with a % goes through
// leadgraph_rules.percent_decode in a parallel worker. With a PL/pgSQL
// exception handler there, the parallel mode's own error was caught and the
// URL left undecoded (migration 000042). Small imports plan serially, so this
// forces a parallel plan: the whole plan in one worker, by index ("Single
// Copy"), the plan that showed it.
describe("CSV staging in a parallel plan", () => {
  const file =
    [
      "First Name,Last Name,Email,Person Linkedin Url",
      "José,García,,https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-example",
      "José,García,,https://linkedin.com/in/josé-garcía-example/",
      "Zoë,Kraus,zoe@kraus-example.de,https://www.linkedin.com/in/zo%C3%AB-kraus-example?trk=x",
      "Bad,Bytes,,https://www.linkedin.com/in/bad-%FF-example",
    ].join("\n") + "\n";

  /** A connection that runs every query it can in one parallel worker. */
  async function parallelClient() {
    const client = await db.pool.connect();
    const { rows } = await client.query("select current_setting('server_version_num')::int as version");
    const force = rows[0].version >= 160000 ? "debug_parallel_query" : "force_parallel_mode";
    await client.query(`set ${force} = on`);
    for (const setting of [
      "parallel_leader_participation = off",
      "parallel_setup_cost = 0",
      "parallel_tuple_cost = 0",
      "enable_seqscan = off",
      "enable_bitmapscan = off",
    ]) {
      await client.query(`set ${setting}`);
    }
    return client;
  }

  it("decodes percent-encoded LinkedIn URLs in the parallel workers, as the serial plan does", async () => {
    const { importId } = await upload(file);
    const client = await parallelClient();
    try {
      const { rows } = await client.query(
        `explain (costs off) select leadgraph_rules.normalize_linkedin_url(r.raw_row ->> 'Person Linkedin Url')
           from leadgraph_private.csv_import_raw_rows r where r.csv_import_id = $1`,
        [importId],
      );
      const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(plan).toMatch(/^Gather[^]*Single Copy: true/);
      expect(await normalizeImport(client, importId, { batchSize: 2 })).toBe("completed");
    } finally {
      await client.query("reset all");
      client.release();
    }
    const josé = "https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-example";
    expect(await outcomes(importId)).toEqual([
      [1, "inserted", null, null, josé],
      [2, "duplicate", "same LinkedIn URL as row 1", 1, josé],
      [3, "inserted", null, null, "zoe@kraus-example.de"],
      [4, "inserted", null, null, "https://www.linkedin.com/in/bad-%FF-example"],
    ]);
    // The same file again, serially: the same people.
    const again = (await upload(file)).importId;
    expect(await normalize(again)).toBe("completed");
    expect((await outcomes(again)).map(([n, outcome, , , lead]) => [n, outcome, lead])).toEqual([
      [1, "unchanged", josé],
      [2, "duplicate", josé],
      [3, "unchanged", "zoe@kraus-example.de"],
      [4, "unchanged", "https://www.linkedin.com/in/bad-%FF-example"],
    ]);
  });

  it("percent_decode accepts exactly the bytes convert_from() does, in a parallel worker too", async () => {
    // Every single byte, every byte after a lead byte, and every second byte
    // of the three- and four-byte forms, with valid tails and tails that break at each byte.
    // (generate_series, not a CTE: a CTE scan would keep the plan serial)
    const hex = (b: string) => `lpad(to_hex(${b}), 2, '0')`;
    const inputs = `
      select '%' || ${hex("a")} as input from generate_series(0, 255) a
      union all select '%' || ${hex("a")} || '%' || ${hex("b")} from generate_series(192, 255) a, generate_series(0, 255) b
      union all select '%' || ${hex("a")} || '%' || ${hex("b")} || t.tail
        from generate_series(224, 247) a, generate_series(0, 255) b, (values (''), ('%80'), ('%80%BF'), ('%BF%80'), ('%41%80'), ('%7F'), ('%C0'), ('%80%7F'), ('%80%C0')) t(tail)
      union all select 'x%' || ${hex("a")} || 'é%zz%' from generate_series(0, 255) a`;
    const client = await parallelClient();
    try {
      // The rule as it was (000022): convert_from() decides, its error caught (serially).
      await client.query(`create function pg_temp.decode_by_convert_from(input text) returns text language plpgsql as $$
        declare
          bytes bytea := '';
          i integer := 1;
        begin
          while i <= length(input) loop
            if substr(input, i, 1) = '%' and substr(input, i + 1, 2) ~ '^[0-9A-Fa-f]{2}$' then
              bytes := bytes || decode(substr(input, i + 1, 2), 'hex');
              i := i + 3;
            else
              bytes := bytes || convert_to(substr(input, i, 1), 'UTF8');
              i := i + 1;
            end if;
          end loop;
          return convert_from(bytes, 'UTF8');
        exception when others then
          return input;
        end $$`);
      // Decoded in a parallel CREATE TABLE AS, as the staging is.
      const plan = await client.query(
        `explain (costs off) create temp table decoded as select leadgraph_rules.percent_decode(input) from (${inputs}) i`,
      );
      expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/Gather/);
      await client.query(`create temp table decoded as select input, leadgraph_rules.percent_decode(input) as output from (${inputs}) i`);
      const { rows } = await client.query(
        "select count(*)::int as n, count(*) filter (where output <> input)::int as changed from decoded",
      );
      expect(rows[0]).toEqual({ n: 256 + 64 * 256 + 24 * 256 * 9 + 256, changed: expect.any(Number) });
      await client.query("reset all");
      const differ = await client.query(
        `select * from (select input, output, pg_temp.decode_by_convert_from(input) as expected from decoded) d
          where output is distinct from expected limit 5`,
      );
      expect(differ.rows).toEqual([]);
      // (and some do decode: é, the two-byte forms, ...)
      expect(rows[0].changed).toBeGreaterThan(1900);
    } finally {
      await client.query("reset all");
      await client.query("discard temp");
      client.release();
    }
  });
});
