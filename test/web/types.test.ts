// The app's documents are typed from schema.graphql through
// web/src/graphql-env.d.ts (`tsc -p web` in npm test checks them): that file
// must be what gql.tada makes from the committed schema.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";

it("web/src/graphql-env.d.ts matches schema.graphql (npm run web:types regenerates it)", () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "leadgraph-types-")), "graphql-env.d.ts");
  const cli = path.resolve("node_modules/gql.tada/bin/cli.js");
  const result = spawnSync(process.execPath, [cli, "generate-output", "--tsconfig", "web/tsconfig.json", "--output", out], {
    encoding: "utf8",
  });
  expect(result.status, result.stderr).toBe(0);
  expect(fs.readFileSync(out, "utf8") === fs.readFileSync("web/src/graphql-env.d.ts", "utf8")).toBe(true);
});
