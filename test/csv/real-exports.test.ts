// What real Apollo exports showed: phones in whichever column holds them, a
// person revealed after a LinkedIn-only export, counts of what changed, job
// changes, internationalised domains, companies known only by an account id.
import { beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { counts, normalize, outcomes, upload } from "./helpers.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

async function lead(email: string) {
  const { rows } = await db.pool.query(
    `select l.first_name, l.job_title, l.seniority, l.departments, l.phone, l.mobile_phone, l.phones, l.city, l.country,
            l.linkedin_url, c.company_name, c.company_domain
       from leads l left join companies c on c.id = l.company_id where l.email = $1`,
    [email],
  );
  return rows[0];
}

describe("phones", () => {
  it("takes the first non-empty phone column of each row as the phone, and keeps every phone of the row", async () => {
    const headerE = "First Name,Last Name,Email,Work Direct Phone,Home Phone,Mobile Phone,Corporate Phone,Other Phone";
    const e = await upload(
      db,
      [
        headerE,
        `Ana,Souza,ana.phones@corpao-example.com.br,,,'+55 11 91234-5678,'+55 11 3000-0000,'+55 11 3000-0001`,
        `Tom,Berg,tom.phones@northwind-example.com,'+1 555-555-0101,'+1 555-555-0109,'+1 555-555-0102,'+1 555-555-0100,`,
      ].join("\n") + "\n",
    );
    expect(await normalize(db, e.importId)).toBe("completed");
    // Header A: "First Phone" is Apollo's primary number.
    const a = await upload(
      db,
      "First Name,Last Name,Email,First Phone,Work Direct Phone,Home Phone,Mobile Phone,Corporate Phone,Other Phone\n" +
        `Vera,Alt,vera.phones@acme-old.example,'+44 20 7946 0000,'+44 20 7946 0000,'+44 20 7946 0001,,'+44 20 7946 0999,\n`,
    );
    expect(await normalize(db, a.importId)).toBe("completed");

    const phones = async (email: string) => {
      const { phone, mobile_phone, phones } = await lead(email);
      return { phone, mobile_phone, phones };
    };
    expect(await phones("ana.phones@corpao-example.com.br")).toEqual({
      phone: "+55 11 91234-5678",
      mobile_phone: "+55 11 91234-5678",
      phones: ["+55 11 91234-5678", "+55 11 3000-0001"],
    });
    expect(await phones("tom.phones@northwind-example.com")).toEqual({
      phone: "+1 555-555-0101",
      mobile_phone: "+1 555-555-0102",
      phones: ["+1 555-555-0101", "+1 555-555-0102", "+1 555-555-0109"],
    });
    expect(await phones("vera.phones@acme-old.example")).toEqual({
      phone: "+44 20 7946 0000",
      mobile_phone: null,
      phones: ["+44 20 7946 0000", "+44 20 7946 0001"],
    });
  });
});

describe("a person exported first by LinkedIn only, then with an email", () => {
  it("stays one lead, which gets the email (one lead per email, one email per lead)", async () => {
    const header = "First Name,Last Name,Title,Email,Person Linkedin Url";
    const first = await upload(
      db,
      [
        header,
        "Tom,Berg,VP Sales,,http://www.linkedin.com/in/tom-berg-reveal",
        "Kim,Ito,CTO,,http://www.linkedin.com/in/kim-ito-reveal",
      ].join("\n") + "\n",
    );
    expect(await normalize(db, first.importId)).toBe("completed");
    const second = await upload(
      db,
      [
        header,
        "Tom,Berg,VP Sales,tom.berg@northwind-reveal.example,https://linkedin.com/in/Tom-Berg-Reveal/",
        // Two addresses for one profile: the first row's goes to the known lead, the other is a lead of its own.
        "Kim,Ito,CTO,kim@ito-reveal.example,https://www.linkedin.com/in/kim-ito-reveal",
        "Kim,Ito,CTO,kim.ito@other-reveal.example,https://www.linkedin.com/in/kim-ito-reveal",
      ].join("\n") + "\n",
    );
    expect(await normalize(db, second.importId)).toBe("completed");
    expect(await outcomes(db, second.importId)).toEqual([
      [1, "updated", null, null, "tom.berg@northwind-reveal.example"],
      [2, "updated", null, null, "kim@ito-reveal.example"],
      [3, "inserted", null, null, "kim.ito@other-reveal.example"],
    ]);
    const { rows } = await db.pool.query(
      `select l.email, r.csv_import_id = $1 as from_first_import from leads l join csv_import_rows r on r.lead_id = l.id
        where l.linkedin_url ilike '%-reveal%' order by l.email, 2`,
      [first.importId],
    );
    expect(rows).toEqual([
      { email: "kim.ito@other-reveal.example", from_first_import: false },
      { email: "kim@ito-reveal.example", from_first_import: false },
      { email: "kim@ito-reveal.example", from_first_import: true },
      { email: "tom.berg@northwind-reveal.example", from_first_import: false },
      { email: "tom.berg@northwind-reveal.example", from_first_import: true },
    ]);
  });
});

describe("outcome counts", () => {
  const FILE =
    [
      "First Name,Last Name,Email,Person Linkedin Url,Company Name,Website",
      "Jo,Lee,,http://www.linkedin.com/in/jo-lee-count,Acme,https://acme-count.example",
      "Jo,Lee,jo.lee@acme-count.example,https://www.linkedin.com/in/jo-lee-count/,Acme,https://acme-count.example",
      "Max,Roe,max.roe@acme-count.example,http://www.linkedin.com/in/max-roe-count,Acme,https://acme-count.example",
      "Max,Roe,,https://linkedin.com/in/MAX-ROE-COUNT,Acme,https://acme-count.example",
      "Eve,Oak,,http://www.linkedin.com/in/eve-oak-count,Acme,https://acme-count.example",
    ].join("\n") + "\n";

  it("counts a LinkedIn-only row of a person whose email row is in the same file as a duplicate of that row, at any batch size", async () => {
    const expected = [
      [1, "duplicate", "same LinkedIn URL as row 2", 2, "jo.lee@acme-count.example"],
      [2, "inserted", null, null, "jo.lee@acme-count.example"],
      [3, "inserted", null, null, "max.roe@acme-count.example"],
      [4, "duplicate", "same LinkedIn URL as row 3", 3, "max.roe@acme-count.example"],
      [5, "inserted", null, null, "http://www.linkedin.com/in/eve-oak-count"],
    ];
    for (const batchSize of [1, 2, 1000]) {
      const fresh = await createTestDatabase();
      const { importId } = await upload(fresh, FILE);
      expect(await normalize(fresh, importId, batchSize)).toBe("completed");
      expect(await outcomes(fresh, importId), `batch size ${batchSize}`).toEqual(expected);
      expect(await counts(fresh, importId)).toMatchObject({ inserted: 3, updated: 0, duplicates: 2 });
      const { rows } = await fresh.pool.query("select count(*)::int as n from leads where linkedin_url ilike '%-count%'");
      expect(rows[0].n).toBe(3);
    }
  });

  it("reports a re-import of an unchanged file as unchanged: no lead updated, no updated_at bumped", async () => {
    const first = await upload(db, FILE);
    expect(await normalize(db, first.importId)).toBe("completed");
    const stamps = async () =>
      (await db.pool.query("select id, updated_at from leads where linkedin_url ilike '%-count%' order by id")).rows;
    const before = await stamps();
    const again = await upload(db, FILE);
    expect(await normalize(db, again.importId)).toBe("completed");
    expect((await outcomes(db, again.importId)).map((o) => o[1])).toEqual([
      "duplicate",
      "unchanged",
      "unchanged",
      "duplicate",
      "unchanged",
    ]);
    expect(await counts(db, again.importId)).toMatchObject({ inserted: 0, updated: 0, duplicates: 2 });
    expect(await stamps()).toEqual(before);
  });
});

describe("one outcome per lead and import", () => {
  it("counts a row reaching, by LinkedIn profile, the lead an earlier row reached by email as a duplicate of it", async () => {
    for (const batchSize of [1, 1000]) {
      const known = await upload(
        db,
        `First Name,Email,Person Linkedin Url\nIda,ida.${batchSize}@same-lead.example,http://www.linkedin.com/in/ida-${batchSize}\n`,
      );
      expect(await normalize(db, known.importId)).toBe("completed");
      const { importId } = await upload(
        db,
        `First Name,Title,Email,Person Linkedin Url\nIda,CTO,ida.${batchSize}@same-lead.example,\nIda,CEO,,https://linkedin.com/in/IDA-${batchSize}/\n`,
      );
      expect(await normalize(db, importId, batchSize)).toBe("completed");
      expect(await outcomes(db, importId), `batch size ${batchSize}`).toEqual([
        [1, "updated", null, null, `ida.${batchSize}@same-lead.example`],
        [2, "duplicate", "same lead as row 1", 1, `ida.${batchSize}@same-lead.example`],
      ]);
      expect((await lead(`ida.${batchSize}@same-lead.example`)).job_title).toBe("CTO");
    }
  });
});

describe("job changes", () => {
  const HEADER = "First Name,Last Name,Title,Seniority,Departments,Email,Mobile Phone,City,Country,Company Name,Website";

  it("a newer export's non-empty values win, empty ones blank nothing; reprocessing the older export changes nothing", async () => {
    const older = await upload(
      db,
      `${HEADER}\nAna,Souza,Diretora de Marketing,Director,Marketing,ana.souza@corpao-job.example,'+55 11 91234-5678,São Paulo,Brazil,Corpão Ltda,https://corpao-job.example\n`,
    );
    expect(await normalize(db, older.importId)).toBe("completed");
    const newer = await upload(
      db,
      `${HEADER}\nAna,Souza,CMO,C suite,"Marketing, Sales",ana.souza@corpao-job.example,,,Brazil,Nova Marca,https://nova-marca-job.example\n`,
    );
    expect(await normalize(db, newer.importId)).toBe("completed");
    const expected = {
      first_name: "Ana",
      job_title: "CMO",
      seniority: "C suite",
      departments: ["Marketing", "Sales"],
      phone: "+55 11 91234-5678",
      mobile_phone: "+55 11 91234-5678",
      phones: ["+55 11 91234-5678"],
      city: "São Paulo",
      country: "Brazil",
      linkedin_url: null,
      company_name: "Nova Marca",
      company_domain: "nova-marca-job.example",
    };
    expect(await lead("ana.souza@corpao-job.example")).toEqual(expected);
    expect(await outcomes(db, newer.importId)).toEqual([[1, "updated", null, null, "ana.souza@corpao-job.example"]]);

    expect(await normalize(db, older.importId)).toBe("completed");
    expect(await lead("ana.souza@corpao-job.example")).toEqual(expected);
    expect(await outcomes(db, older.importId)).toEqual([[1, "inserted", null, null, "ana.souza@corpao-job.example"]]);
  });
});

describe("companies", () => {
  it("accepts internationalised domains, from the website or the email", async () => {
    const { importId } = await upload(
      db,
      "First Name,Email,Company Name,Website\n" +
        "Jürgen,jurgen@stadtwerke.example,Stadtwerke München,https://www.münchen.de/\n" +
        "Grete,grete@bücher-idn.example,,\n",
    );
    expect(await normalize(db, importId)).toBe("completed");
    expect((await lead("jurgen@stadtwerke.example")).company_domain).toBe("münchen.de");
    expect((await lead("grete@bücher-idn.example")).company_domain).toBe("bücher-idn.example");
  });

  it("creates a company only with a name or a domain; an Apollo account id alone links to a company known by it", async () => {
    const first = await upload(
      db,
      "First Name,Last Name,Email,Company Name,Website,Apollo Account Id\n" +
        "Lia,Ng,lia.ng@gmail.com,,,acct-only-1\n" +
        "Ray,Ng,ray.ng@gmail.com,Ng Studio,,acct-named-2\n",
    );
    expect(await normalize(db, first.importId)).toBe("completed");
    const second = await upload(db, "First Name,Last Name,Email,Apollo Account Id\nSol,Ng,sol.ng@gmail.com,acct-named-2\n");
    expect(await normalize(db, second.importId)).toBe("completed");
    const { rows } = await db.pool.query(
      "select company_name, company_domain, apollo_account_id from companies where apollo_account_id like 'acct-%' order by 1",
    );
    expect(rows).toEqual([{ company_name: "Ng Studio", company_domain: null, apollo_account_id: "acct-named-2" }]);
    expect((await lead("lia.ng@gmail.com")).company_name).toBeNull();
    expect((await lead("ray.ng@gmail.com")).company_name).toBe("Ng Studio");
    expect((await lead("sol.ng@gmail.com")).company_name).toBe("Ng Studio");
  });

  it("takes a newer export's size and technologies, keeps what it leaves empty, and replaces a name that is only the domain", async () => {
    await db.pool.query("insert into companies (company_name, company_domain) values ('grow-co.example', 'grow-co.example')");
    const header = "First Name,Email,Company Name,Website,# Employees,Technologies";
    const older = await upload(db, `${header}\nUla,ula@grow-co.example,Grow Co,https://grow-co.example,10,"Slack, HubSpot"\n`);
    expect(await normalize(db, older.importId)).toBe("completed");
    const newer = await upload(db, `${header}\nUla,ula@grow-co.example,Grow Company,https://grow-co.example,12,\n`);
    expect(await normalize(db, newer.importId)).toBe("completed");
    expect(await normalize(db, older.importId)).toBe("completed");
    const { rows } = await db.pool.query(
      "select company_name, employee_count, technologies, last_seen_in_csv_id from companies where company_domain = 'grow-co.example'",
    );
    expect(rows).toEqual([
      { company_name: "Grow Co", employee_count: 12, technologies: ["Slack", "HubSpot"], last_seen_in_csv_id: newer.importId },
    ]);
  });
});
