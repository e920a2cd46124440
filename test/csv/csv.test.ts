// Reading CSV files as real Apollo exports are (docs/sources/csv.md, "Reading the file" and "Columns recognised").
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CsvError, openCsv, type CsvRecord } from "../../src/sources/csv/reader.ts";

const HEADER_E =
  "First Name,Last Name,Title,Company Name,Company Name for Emails,Email,Email Status,Primary Email Source,Primary Email Verification Source,Email Confidence,Primary Email Catch-all Status,Primary Email Last Verified At,Seniority,Departments,Contact Owner,Work Direct Phone,Home Phone,Mobile Phone,Corporate Phone,Other Phone,Stage,Lists,Last Contacted,Account Owner,# Employees,Industry,Keywords,Person Linkedin Url,Website,Company Linkedin Url,Facebook Url,Twitter Url,City,State,Country,Company Address,Company City,Company State,Company Country,Company Phone,Technologies,Annual Revenue,Total Funding,Latest Funding,Latest Funding Amount,Last Raised At,Subsidiary of,Email Sent,Email Open,Email Bounced,Replied,Demoed,Number of Retail Locations,Apollo Contact Id,Apollo Account Id,Secondary Email,Secondary Email Source,Secondary Email Status,Secondary Email Verification Source,Tertiary Email,Tertiary Email Source,Tertiary Email Status,Tertiary Email Verification Source";
const ROWS_E = [
  `Jane,Doe,Co-Founder & CEO,"Northwind Labs, Inc.",Northwind Labs,jane.doe@northwind-example.com,Verified,Apollo,Apollo,,Not Catch-all,2025-10-22T19:30:26+00:00,Founder,C-Suite,owner@ourco.example,,,,'+1 555-555-0100,,Cold,,,owner@ourco.example,23,information technology & services,"saas, data infrastructure, analytics",http://www.linkedin.com/in/jane-doe-example,https://northwind-example.com,http://www.linkedin.com/company/northwind-example,,,Austin,Texas,United States,"100 Congress Ave, Austin, Texas, United States, 78701",Austin,Texas,United States,'+1 555-555-0100,"Gmail, Google Apps, Slack, HubSpot",4500000,2000000,Seed,2000000,2024-03-01T00:00:00+00:00,,FALSE,FALSE,FALSE,FALSE,FALSE,,6a1f0c2b9e8d7c6b5a4f3e21,6a1f0c2b9e8d7c6b5a4f3e99,,,,,,,,`,
  `Tom,Berg,VP Sales ,"Northwind Labs, Inc.",Northwind Labs,,Unavailable,,,,,,Vp,"Sales, Operations",owner@ourco.example,,,,'+1 555-555-0100,,Cold,,,owner@ourco.example,23,information technology & services,"saas, data infrastructure, analytics",http://www.linkedin.com/in/tom-berg-example,https://northwind-example.com,http://www.linkedin.com/company/northwind-example,,,Austin,Texas,United States,"100 Congress Ave, Austin, Texas, United States, 78701",Austin,Texas,United States,'+1 555-555-0100,"Gmail, Google Apps, Slack, HubSpot, ",4500000,,,,,,FALSE,FALSE,FALSE,FALSE,FALSE,,6a1f0c2b9e8d7c6b5a4f3e22,6a1f0c2b9e8d7c6b5a4f3e99,,,,,,,,`,
  `Ana,Souza,Diretora de Marketing,Corpão Ltda,Corpão,ana@corpao-example.com.br,Verified,Apollo,Apollo,,Catch-all,2025-09-01T08:30:51+00:00,Director,Marketing,owner@ourco.example,,,'+55 11 91234-5678,,,Cold,,,owner@ourco.example,8,marketing & advertising,,http://www.linkedin.com/in/ana-souza-example,https://corpao-example.com.br/,,,,São Paulo,São Paulo,Brazil,,,,Brazil,,,,,,,,,FALSE,FALSE,FALSE,FALSE,FALSE,,6a1f0c2b9e8d7c6b5a4f3e23,6a1f0c2b9e8d7c6b5a4f3e77,,,,,,,,`,
];

/** The file as a stream of small chunks, so that cells and UTF-8 characters cross chunk boundaries. */
function stream(content: string | Buffer, chunkSize = 7): Readable {
  const buffer = typeof content === "string" ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += chunkSize) chunks.push(buffer.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

async function readAll(content: string | Buffer, limits?: Parameters<typeof openCsv>[1]) {
  const { header, records } = await openCsv(stream(content), limits);
  const rows: CsvRecord[] = [];
  for await (const record of records) rows.push(record);
  return { header, rows };
}

async function csvError(content: string | Buffer, limits?: Parameters<typeof openCsv>[1]): Promise<string> {
  try {
    await readAll(content, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(CsvError);
    return (error as Error).message;
  }
  throw new Error("expected a CsvError");
}

describe("openCsv", () => {
  it("reads an Apollo export (header E): quoted commas, non-ASCII, apostrophe phones, empty emails, exactly as written", async () => {
    const { header, rows } = await readAll([HEADER_E, ...ROWS_E].join("\n") + "\n");
    expect(header.columns).toHaveLength(63);
    expect(header.delimiter).toBe(",");
    expect(rows.map((r) => r.rowNumber)).toEqual([1, 2, 3]);
    expect(rows[0].row["Company Name"]).toBe("Northwind Labs, Inc.");
    expect(rows[0].row["Corporate Phone"]).toBe("'+1 555-555-0100");
    expect(rows[1].row.Email).toBe("");
    expect(rows[1].row.Title).toBe("VP Sales "); // untrimmed, as read
    expect(rows[1].row.Technologies).toBe("Gmail, Google Apps, Slack, HubSpot, ");
    expect(rows[2].row["Company Name"]).toBe("Corpão Ltda");
    expect(rows[2].row.City).toBe("São Paulo");
    expect(rows.every((r) => r.cellCount === 63 && r.extraCells.length === 0)).toBe(true);
  });

  it("reads the same file saved by Excel: UTF-8 BOM and CRLF", async () => {
    const plain = await readAll([HEADER_E, ...ROWS_E].join("\n") + "\n");
    const excel = await readAll("\uFEFF" + [HEADER_E, ...ROWS_E].join("\r\n") + "\r\n");
    expect(excel.header.columns[0]).toBe("First Name");
    expect(excel.rows.map((r) => r.row)).toEqual(plain.rows.map((r) => r.row));
  });

  it("keeps multi-line quoted cells (version A's SEO Description) and quotes inside cells", async () => {
    const { rows } = await readAll(
      'First Name,Company,Email,SEO Description\nJane,Northwind,jane@northwind-example.com,"Line one\nline two, with ""quotes"""\nTom,Acme,tom@acme.example,plain\n',
    );
    expect(rows).toHaveLength(2);
    expect(rows[0].row["SEO Description"]).toBe('Line one\nline two, with "quotes"');
    expect(rows[1].rowNumber).toBe(2);
  });

  it("detects semicolon-delimited files", async () => {
    const { header, rows } = await readAll('First Name;Last Name;Email\nJane;Doe;jane@x.example\n"Tom; Jr";Berg;tom@x.example\n');
    expect(header.delimiter).toBe(";");
    expect(rows.map((r) => r.row["First Name"])).toEqual(["Jane", "Tom; Jr"]);
  });

  it("renames duplicate header names instead of losing a column", async () => {
    const { header, rows } = await readAll("Email,Name,Email\na@x.example,A,b@x.example\n");
    expect(header.columns).toEqual(["Email", "Name", "Email (2)"]);
    expect(header.renamed).toEqual(["Email (2)"]);
    expect(rows[0].row).toEqual({ Email: "a@x.example", Name: "A", "Email (2)": "b@x.example" });
  });

  it("keeps ragged rows: missing cells are absent, extra cells kept in order", async () => {
    const { rows } = await readAll("A,B,C\n1,2\n1,2,3,4,5\n");
    expect(rows[0]).toMatchObject({ row: { A: "1", B: "2" }, cellCount: 2, extraCells: [] });
    expect(rows[1]).toMatchObject({ row: { A: "1", B: "2", C: "3" }, cellCount: 5, extraCells: ["4", "5"] });
  });

  it("keeps quotes inside unquoted cells as text (formulas typed in Excel)", async () => {
    const { rows } = await readAll('Name,Note\nA,=HYPERLINK("http://x.example")\n');
    expect(rows[0].row.Note).toBe('=HYPERLINK("http://x.example")');
  });

  it("reads a header-only file as zero rows", async () => {
    const { header, rows } = await readAll("First Name,Email\n");
    expect(header.columns).toEqual(["First Name", "Email"]);
    expect(rows).toEqual([]);
  });

  it("rejects empty, binary and oversized input with a clear message", async () => {
    expect(await csvError("")).toMatch(/empty/);
    expect(await csvError("\uFEFF\n\n")).toMatch(/empty/);
    expect(await csvError(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, 0xff, 0xfe]))).toMatch(/not CSV text/);
    expect(await csvError("A,B\n" + "1,2\n".repeat(100), { maxFileBytes: 200, maxRecordBytes: 1000 })).toMatch(
      /larger than the limit of 200 bytes/,
    );
    expect(await csvError(`A,B\n1,"${"x".repeat(5000)}"\n`, { maxFileBytes: 1e6, maxRecordBytes: 1000 })).toMatch(/larger than 1000 bytes/);
    expect(await csvError('A,B\n1,"never closed\n2,3\n')).toMatch(/not valid CSV/);
  });
});
