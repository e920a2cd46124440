// Addresses that differ only in the case of a non-ASCII letter, or in how an
// accented letter is encoded, are one person: through the real upload and
// the worker's normalisation.
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../helpers/db.ts";
import { counts, importThroughWorker, outcomes } from "./helpers.ts";

const db = await createTestDatabase();

describe("a CSV import with addresses in any language", () => {
  it("gives one lead per person whatever the case or the encoding of their letters", async () => {
    const importId = await importThroughWorker(
      db,
      [
        "First Name,Last Name,Email,Company Name,Website",
        "Łukasz,Nowak,Łukasz.x@acme-pl.example,Acme PL,https://acme-pl.example",
        "łukasz,nowak,łukasz.x@acme-pl.example,Acme PL,https://acme-pl.example",
        "Zoë,Brontë,zoë.y@acme-uk.example,Acme UK,https://acme-uk.example",
        "ZOË,BRONTË,ZOË.Y@ACME-UK.EXAMPLE,Acme UK,https://acme-uk.example",
        // "e" followed by a combining diaeresis (NFD), as some systems write "ë"
        "Zoe\u0308,Bronte\u0308,zoe\u0308.y@acme-uk.example,Acme UK,https://acme-uk.example",
      ].join("\n") + "\n",
    );
    expect(await outcomes(db, importId)).toEqual([
      [1, "inserted", null, null, "łukasz.x@acme-pl.example"],
      [2, "duplicate", "same email as row 1", 1, "łukasz.x@acme-pl.example"],
      [3, "inserted", null, null, "zoë.y@acme-uk.example"],
      [4, "duplicate", "same email as row 3", 3, "zoë.y@acme-uk.example"],
      [5, "duplicate", "same email as row 3", 3, "zoë.y@acme-uk.example"],
    ]);
    expect(await counts(db, importId)).toMatchObject({ status: "completed", inserted: 2, duplicates: 3 });
    const { rows } = await db.pool.query("select first_name, last_name, email from leads order by first_name");
    expect(rows).toEqual([
      { first_name: "Łukasz", last_name: "Nowak", email: "łukasz.x@acme-pl.example" },
      { first_name: "Zoë", last_name: "Brontë", email: "zoë.y@acme-uk.example" },
    ]);
  });
});
