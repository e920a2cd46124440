// What a hostile probe of the CSV import found (issue 13, section 5), one
// regression test each: files too wide to store, rows numbered to make the
// normaliser walk empty ranges, an import deleted while it is normalised,
// reprocessing someone else's import, rows that are not objects, numbers
// as Europeans write them, and emails with SQL in them.
import { Readable } from "node:stream";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { collectSqlStepTimes } from "../../src/database/sql-steps.ts";
import { CsvError, openCsv } from "../../src/sources/csv/reader.ts";
import { VISITOR_ROLE } from "../../src/database/roles.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { counts, normalize, outcomes, upload } from "./helpers.ts";

const db = await createTestDatabase();

const OTHER_USER = "60000000-0000-4000-8000-000000000001";
await db.pool.query("insert into users (id, email, full_name) values ($1, 'other@example.com', 'Other User')", [OTHER_USER]);

/** Runs `fn` as a GraphQL request of user `userId` would (the visitor role, its id in the claims), then commits. */
async function asVisitor<T>(userId: string | null, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', $1, true), set_config('jwt.claims.user_id', $2, true)", [VISITOR_ROLE, userId ?? ""]);
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
}

const importCount = async () => (await db.pool.query("select count(*)::int as n from csv_imports_raw")).rows[0].n as number;

async function uploadError(content: string, limits = {}): Promise<string> {
  const before = await importCount();
  try {
    await upload(db, content, { limits });
  } catch (error) {
    expect(error).toBeInstanceOf(CsvError);
    // (one transaction: nothing of the file is stored)
    expect(await importCount()).toBe(before);
    return (error as Error).message;
  }
  throw new Error("the upload was accepted");
}

describe("a file too wide to store (item 4)", () => {
  it("refuses more columns than the limit, naming it, and stores nothing", async () => {
    const header = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(",");
    expect(await uploadError(`${header}\n${",".repeat(99_999)}\n`, { maxRecordBytes: 2 ** 21 })).toBe(
      "The file has 100000 columns, over the limit of 500 columns per file.",
    );
  });

  it("refuses a row with more cells than the limit, after rows that were fine", async () => {
    const rows = ["Email,First Name", "a@wide.example,A", `b@wide.example,B${",x".repeat(600)}`];
    expect(await uploadError(rows.join("\n") + "\n")).toBe("Row 2 has 602 cells, over the limit of 500 columns per file.");
  });

  it("refuses a cell larger than the limit", async () => {
    expect(await uploadError(`Email,Notes\nc@wide.example,"${"x".repeat(70_000)}"\n`)).toBe(
      "Row 1, column 2 (Notes): a cell of 70000 characters, over the limit of 65536 characters.",
    );
  });

  it("reads files up to the limits", async () => {
    const header = Array.from({ length: 500 }, (_, i) => `c${i}`).join(",");
    const { header: read } = await openCsv(Readable.from([Buffer.from(`${header}\n${"x,".repeat(499)}x\n`)]));
    expect(read.columns).toHaveLength(500);
  });
});

/** An import of rows inserted directly (as GraphQL would) with the given row numbers. */
async function importWithRowNumbers(rowNumbers: number[], tag: string): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(
    "insert into csv_imports_raw (file_name, headers) values ('numbered.csv', '{Email}') returning id",
  );
  const importId = rows[0].id;
  await db.pool.query(
    `insert into csv_import_rows (csv_import_id, row_number, raw_row)
     select $1, n, jsonb_build_object('Email', 'row' || n || '@' || $3 || '.example') from unnest($2::int[]) n`,
    [importId, rowNumbers, tag],
  );
  return importId;
}

describe("row numbers with gaps (item 6)", () => {
  it("works in batches of the rows that exist, whatever their numbers", async () => {
    const importId = await importWithRowNumbers([1, 2, 3, 1_000_000, 2147483646], "gaps");
    const steps = collectSqlStepTimes();
    expect(await normalize(db, importId, 2)).toBe("completed");
    // 5 rows, batches of 2: three batches (and the look-up that finds no
    // fourth), not one per 2 row numbers up to 2147483646.
    expect(steps.get("stage-rows")?.calls).toBe(3);
    expect(steps.get("next-batch")?.calls).toBe(4);
    expect((await outcomes(db, importId)).map(([n, outcome]) => [n, outcome])).toEqual([
      [1, "inserted"],
      [2, "inserted"],
      [3, "inserted"],
      [1_000_000, "inserted"],
      [2147483646, "inserted"],
    ]);
    expect(await counts(db, importId)).toMatchObject({ status: "completed", total: 5, inserted: 5 });
  });

  it("ends at the largest row number", async () => {
    const importId = await importWithRowNumbers([2147483647], "largest");
    const steps = collectSqlStepTimes();
    expect(await normalize(db, importId, 2)).toBe("completed");
    expect(steps.get("next-batch")?.calls).toBe(1);
    expect(await counts(db, importId)).toMatchObject({ status: "completed", total: 1, inserted: 1 });
  });

  it("stops when the import is deleted while it is normalised", async () => {
    const importId = await importWithRowNumbers([1, 2, 3, 4, 5, 6, 7, 8, 9], "deleted");
    const client = await db.pool.connect();
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    let batchesLookedUp = 0;
    // Between the first and the second batch, someone deletes the import.
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
      const text = typeof args[0] === "string" ? args[0] : "";
      if (text.includes("limit $3") && text.includes("row_number >=") && ++batchesLookedUp === 2) {
        await db.pool.query("delete from csv_imports_raw where id = $1", [importId]);
      }
      return query(...args);
    };
    const steps = collectSqlStepTimes();
    try {
      const { normalizeImport } = await import("../../src/sources/csv/normalize/index.ts");
      expect(await normalizeImport(client, importId, { batchSize: 2 })).toBe("gone");
    } finally {
      client.release(true); // (its query is wrapped: not back to the pool)
    }
    expect(steps.get("stage-rows")?.calls).toBe(1);
    expect((await db.pool.query("select count(*)::int as n from csv_import_rows where csv_import_id = $1", [importId])).rows[0].n).toBe(0);
  });

  it("stops between batches when the worker asks it to", async () => {
    const importId = await importWithRowNumbers([1, 2, 3, 4, 5, 6], "stopped");
    const stop = new AbortController();
    const client = await db.pool.connect();
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    let batches = 0;
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
      const result = await query(...args);
      const text = typeof args[0] === "string" ? args[0] : "";
      if (text.includes("processed_rows = processed_rows +") && ++batches === 1) stop.abort("shutting down");
      return result;
    };
    try {
      const { normalizeImport } = await import("../../src/sources/csv/normalize/index.ts");
      await expect(normalizeImport(client, importId, { batchSize: 2, signal: stop.signal })).rejects.toThrow(/stopped between batches/);
    } finally {
      client.release(true); // (its query is wrapped: not back to the pool)
    }
    // One batch written; the retry runs the whole import, every row once.
    expect((await db.pool.query("select processed_rows from csv_imports_raw where id = $1", [importId])).rows[0].processed_rows).toBe(2);
    expect(await normalize(db, importId, 2)).toBe("completed");
    expect(await counts(db, importId)).toMatchObject({ status: "completed", total: 6, inserted: 6 });
  });
});

describe("reprocess_csv_import (item 6)", () => {
  it("runs only the caller's own imports for a visitor; the owner (the CLI) may run any", async () => {
    const { importId } = await upload(db, "Email\nmine@reprocess.example\n", { asUser: OTHER_USER });
    const { importId: notTheirs } = await upload(db, "Email\ntheirs@reprocess.example\n");
    // The default user's import, reprocessed by the other user: refused, saying why.
    await expect(asVisitor(OTHER_USER, (c) => c.query("select reprocess_csv_import($1)", [notTheirs]))).rejects.toMatchObject({
      code: "42501",
      message: `CSV import ${notTheirs} was uploaded by another user: only its uploader can reprocess it`,
    });
    await expect(asVisitor(null, (c) => c.query("select reprocess_csv_import($1)", [importId]))).rejects.toMatchObject({ code: "42501" });
    const own = await asVisitor(OTHER_USER, (c) => c.query("select (reprocess_csv_import($1)).import_status", [importId]));
    expect(own.rows[0].import_status).toBe("uploaded");
    const byOwner = await db.pool.query("select (reprocess_csv_import($1)).import_status", [notTheirs]);
    expect(byOwner.rows[0].import_status).toBe("uploaded");
  });

  it("refuses every visitor, signed in or not, an import nobody uploaded; the owner may run it", async () => {
    // (an import inserted by the schema's owner without an uploader: nobody's
    // own, so no visitor's, not even one whose user id is empty too)
    const { rows } = await db.pool.query<{ id: string }>(
      "insert into csv_imports_raw (file_name, headers, uploaded_by) values ('nobodys.csv', '{Email}', null) returning id",
    );
    const importId = rows[0].id;
    for (const visitor of [null, OTHER_USER]) {
      await expect(asVisitor(visitor, (c) => c.query("select reprocess_csv_import($1)", [importId]))).rejects.toMatchObject({
        code: "42501",
      });
    }
    const byOwner = await db.pool.query("select (reprocess_csv_import($1)).import_status", [importId]);
    expect(byOwner.rows[0].import_status).toBe("uploaded");
  });
});

describe("adding rows to an import (the rule of reprocess_csv_import)", () => {
  it("lets a visitor add rows to their own imports only, through the view and through an upload's store", async () => {
    const { importId: theirs } = await upload(db, "Email\nrows@own.example\n", { asUser: OTHER_USER });
    const { importId: notTheirs } = await upload(db, "Email\nrows@other.example\n");
    const insertRow = (importId: string, rowNumber: number) => (c: pg.PoolClient) =>
      c.query(`insert into csv_import_rows (csv_import_id, row_number, raw_row) values ($1, $2, '{"Email": "x@y.example"}')`, [
        importId,
        rowNumber,
      ]);
    await expect(asVisitor(OTHER_USER, insertRow(notTheirs, 10))).rejects.toMatchObject({
      code: "42501",
      detail: "Rows can be added only to an import of your own.",
    });
    await expect(asVisitor(null, insertRow(theirs, 10))).rejects.toMatchObject({ code: "42501" });
    await asVisitor(OTHER_USER, insertRow(theirs, 10));
    // (the upload's path: its temp table, then one insert by the function)
    const store = (importId: string) => async (c: pg.PoolClient) => {
      await c.query("reset role");
      await c.query("create temp table csv_upload_rows (row_number integer, raw_row jsonb) on commit drop");
      await c.query(`insert into csv_upload_rows values (11, '{"Email": "z@y.example"}')`);
      await c.query("grant insert, select on csv_upload_rows to " + VISITOR_ROLE);
      await c.query("select set_config('role', $1, true)", [VISITOR_ROLE]);
      return (await c.query("select store_csv_upload_rows($1) as n", [importId])).rows[0].n;
    };
    await expect(asVisitor(OTHER_USER, store(notTheirs))).rejects.toMatchObject({ code: "42501" });
    expect(await asVisitor(OTHER_USER, store(theirs))).toBe("1");
    // The owner (the CLI, the worker) may add to any import.
    await db.pool.query(`insert into csv_import_rows (csv_import_id, row_number, raw_row) values ($1, 12, '{"Email": "o@y.example"}')`, [
      notTheirs,
    ]);
    const { rows } = await db.pool.query(
      "select csv_import_id = $1 as theirs, array_agg(row_number order by row_number) as numbers from csv_import_rows where csv_import_id in ($1, $2) group by 1 order by 1",
      [theirs, notTheirs],
    );
    expect(rows).toEqual([
      { theirs: false, numbers: [1, 12] },
      { theirs: true, numbers: [1, 10, 11] },
    ]);
  });
});

describe("rows that are not objects (item 12)", () => {
  it("are refused at insert, through the API or not", async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      "insert into csv_imports_raw (file_name, headers, uploaded_by) values ('api.csv', '{Email}', $1) returning id",
      [OTHER_USER],
    );
    for (const raw of ["[1, 2]", '"a@b.example"', "42", "null"]) {
      await expect(
        asVisitor(OTHER_USER, (c) =>
          c.query("insert into csv_import_rows (csv_import_id, row_number, raw_row) values ($1, 1, $2)", [rows[0].id, raw]),
        ),
      ).rejects.toMatchObject({ code: "23514", constraint: "csv_import_rows_raw_row_is_object" });
    }
  });

  it("stored before the constraint, are rejected with a reason and the import completes", async () => {
    const client = await db.pool.connect();
    let importId: string;
    try {
      // (an older database: the constraint does not check rows stored before it)
      await client.query("begin");
      await client.query("alter table leadgraph_private.csv_import_raw_rows drop constraint csv_import_rows_raw_row_is_object");
      const { rows } = await client.query<{ id: string }>("insert into csv_imports_raw (file_name) values ('old.csv') returning id");
      importId = rows[0].id;
      await client.query(
        `insert into csv_import_rows (csv_import_id, row_number, raw_row) values
         ($1, 1, '["x@old.example"]'), ($1, 2, '{"Email": "ok@old.example"}'), ($1, 3, '7')`,
        [importId],
      );
      await client.query(
        "alter table leadgraph_private.csv_import_raw_rows add constraint csv_import_rows_raw_row_is_object check (jsonb_typeof(raw_row) = 'object') not valid",
      );
      await client.query("commit");
    } finally {
      client.release();
    }
    expect(await normalize(db, importId)).toBe("completed_with_errors");
    const reason = "the stored row is not a JSON object of header -> cell text";
    expect(await outcomes(db, importId)).toEqual([
      [1, "rejected", reason, null, null],
      [2, "inserted", null, null, "ok@old.example"],
      [3, "rejected", reason, null, null],
    ]);
  });
});

describe("numbers as written (item 12)", () => {
  it("parse_number reads grouped and decimal-comma numbers, and nothing else", async () => {
    const cases: Array<[string, string | null]> = [
      ["1200", "1200"],
      ["1.200", "1200"],
      ["1,200", "1200"],
      ["1.200,50", "1200.50"],
      ["1,200.50", "1200.50"],
      ["1 200", "1200"],
      ["1\u00a0200\u00a0000", "1200000"],
      ["1\u202f200", "1200"],
      ["1'200", "1200"],
      ["12.000.000", "12000000"],
      ["1200,5", "1200.5"],
      ["1.5", "1.5"],
      ["0.500", "0.500"],
      [" 42 ", "42"],
      ["1.2.3", null],
      ["1.20.000", null],
      ["1,200,50", null],
      ["n/a", null],
      ["", null],
      ["-3", null],
    ];
    const { rows } = await db.pool.query("select c, leadgraph_rules.parse_number(c)::text as n from unnest($1::text[]) c", [
      cases.map(([cell]) => cell),
    ]);
    expect(rows.map((r) => [r.c, r.n])).toEqual(cases);
  });

  it("an import keeps European numbers instead of dropping them", async () => {
    const { importId } = await upload(
      db,
      [
        "Email,Company Name,Website,# Employees,Annual Revenue,Total Funding",
        'eu@zahlen.example,Zahlen GmbH,zahlen.example,1.200,"1.200.000,50",2 500 000',
      ].join("\n") + "\n",
    );
    expect(await normalize(db, importId)).toBe("completed");
    const { rows } = await db.pool.query(
      "select employee_count, annual_revenue::text, total_funding::text from companies where company_domain = 'zahlen.example'",
    );
    expect(rows).toEqual([{ employee_count: 1200, annual_revenue: "1200000.50", total_funding: "2500000" }]);
  });
});

describe("the email rule (item 12)", () => {
  it("a lead's email must be an address: SQL after it is refused, international addresses are kept", async () => {
    for (const email of ["x@y.test'--", "x@y.test; drop table leads", "no-at-sign", "two@@example.com"]) {
      await expect(asVisitor(OTHER_USER, (c) => c.query("insert into leads (email) values ($1)", [email]))).rejects.toMatchObject({
        code: "23514",
        constraint: "leads_email_is_email",
      });
    }
    for (const email of ["o'brien@example.com", "zoë@münchen.de", "用户@例子.中国", "plus+tag@sub.example.co.uk"]) {
      await asVisitor(OTHER_USER, (c) => c.query("insert into leads (email) values ($1)", [email]));
    }
  });

  it("an import rejects such an address with its reason", async () => {
    const { importId } = await upload(db, "Email,First Name\nx@y.test'--,Mallory\n");
    expect(await normalize(db, importId)).toBe("completed_with_errors");
    expect(await outcomes(db, importId)).toEqual([[1, "rejected", "invalid email: x@y.test'--", null, null]]);
  });
});

describe("files not in UTF-8 (item 10)", () => {
  const cp1252 = (text: string) => Buffer.from(text, "latin1");
  it("reads Windows-1252 accents after the first 64 KB, says so, and stores no replacement character", async () => {
    const filler = Array.from({ length: 3000 }, (_, i) => `ascii${i}@enc.example,Plain`).join("\n");
    const content = Buffer.concat([Buffer.from(`Email,Last Name\n${filler}\n`), cp1252("mueller@enc.example,Müller Señor\n")]);
    expect(content.length).toBeGreaterThan(64 * 1024);
    const result = await (
      await import("../../src/sources/csv/upload.ts")
    ).uploadCsv(db.pool, Readable.from([content]), { fileName: "latin.csv" });
    expect(result.encoding).toBe("windows-1252");
    const { rows } = await db.pool.query(
      "select source_encoding, (select raw_row ->> 'Last Name' from csv_import_rows where csv_import_id = $1 and row_number = 3001) as last, (select count(*)::int from csv_import_rows where csv_import_id = $1 and raw_row::text like '%\uFFFD%') as replaced from csv_imports_raw where id = $1",
      [result.importId],
    );
    expect(rows[0]).toEqual({ source_encoding: "windows-1252", last: "Müller Señor", replaced: 0 });
  });

  it("refuses a file that is UTF-8 first and another encoding later, storing nothing", async () => {
    const before = await importCount();
    const content = Buffer.concat([Buffer.from("Email,Name\nzoe@enc.example,Zoë\n"), cp1252("x@enc.example,Müller\n")]);
    await expect(
      (await import("../../src/sources/csv/upload.ts")).uploadCsv(db.pool, Readable.from([content]), { fileName: "mixed.csv" }),
    ).rejects.toThrow(/not valid UTF-8/);
    expect(await importCount()).toBe(before);
  });

  it("reads UTF-16 with a BOM (Excel's Unicode text), and still refuses binary data", async () => {
    const text = "Email\tName\nutf16@enc.example\tJosé\n";
    for (const [bytes, encoding] of [
      [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]), "utf-16le"],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]), "utf-16be"],
    ] as const) {
      const opened = await openCsv(Readable.from([bytes]));
      const rows = [];
      for await (const record of opened.records) rows.push(record.row);
      expect(opened.header.columns).toEqual(["Email", "Name"]);
      expect(rows).toEqual([{ Email: "utf16@enc.example", Name: "José" }]);
      expect(opened.encoding()).toBe(encoding);
    }
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => ((i * 2654435761) >>> 24) | 1));
    await expect(
      openCsv(Readable.from([random])).then(async (o) => {
        for await (const _ of o.records);
      }),
    ).rejects.toThrow(/not CSV text/);
  });
});
