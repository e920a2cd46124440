// Named SQL steps: parameters by name, casts and regular-expression classes left alone.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSqlSteps, parseSqlStep, runSqlStep } from "../../src/database/sql-steps.ts";
import { createTestDatabase } from "../helpers/db.ts";

const db = await createTestDatabase();

describe("SQL steps", () => {
  it("numbers named parameters once each, leaving ::casts and [:classes:] alone", () => {
    const step = parseSqlStep(
      "x",
      "select :a::int + :b, :a, regexp_replace(:text, '[[:space:]]+', ' ') from t where y = :b and z ~ '(?:x)' -- :not_a_param",
    );
    expect(step.text).toBe(
      "select $1::int + $2, $1, regexp_replace($3, '[[:space:]]+', ' ') from t where y = $2 and z ~ '(?:x)' -- :not_a_param",
    );
    expect(step.params).toEqual(["a", "b", "text"]);
  });

  it("loads a folder's steps by name in file order and runs them with named values", async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "steps-"));
    fs.writeFileSync(path.join(folder, "20-second.sql"), "select :n::int * 2 as doubled");
    fs.writeFileSync(path.join(folder, "10-first.sql"), "select :n::int + :m::int as sum");
    const steps = loadSqlSteps(folder);
    expect(Object.keys(steps)).toEqual(["first", "second"]);
    expect((await runSqlStep(db.pool, steps.first!, { n: 2, m: 3, unused: 1 })).rows).toEqual([{ sum: 5 }]);
    await expect(runSqlStep(db.pool, steps.second!, {})).rejects.toThrow("SQL step second needs a value for :n");
    fs.rmSync(folder, { recursive: true });
  });
});
