// Every GraphQL document of the app is valid against the committed schema.
// gql.tada types the results (`tsc -p web`) but lets some mistakes through,
// e.g. a filter field the schema does not have: the page then fails at run
// time. Here each document is validated by graphql-js, with the fragments it
// composes, as the server would.
import fs from "node:fs";
import path from "node:path";
import {
  buildSchema,
  NoUnusedFragmentsRule,
  parse,
  specifiedRules,
  UniqueFragmentNamesRule,
  UniqueOperationNamesRule,
  validate,
  type DocumentNode,
} from "graphql";
import { expect, it } from "vitest";

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [file] : [];
  });
}

/** The template literals passed to graphql(`...`) (gql.tada's documents never interpolate). */
function documentsIn(file: string): { file: string; text: string }[] {
  const code = fs.readFileSync(file, "utf8");
  return [...code.matchAll(/\bgraphql\(\s*`([^`]*)`/g)].map((m) => ({ file, text: m[1]! }));
}

it("every document in web/src is valid against schema.graphql", () => {
  // (@_unmask is gql.tada's, read by its types only.)
  const schema = buildSchema(fs.readFileSync("schema.graphql", "utf8") + "\ndirective @_unmask on FRAGMENT_DEFINITION\n");
  const documents = sources("web/src").flatMap(documentsIn);
  expect(documents.length).toBeGreaterThan(20);
  // Fragments are defined once anywhere and spread by name.
  const fragments = documents.flatMap(({ text }) => parse(text).definitions.filter((d) => d.kind === "FragmentDefinition"));
  const skipped: unknown[] = [NoUnusedFragmentsRule, UniqueFragmentNamesRule, UniqueOperationNamesRule];
  const rules = specifiedRules.filter((rule) => !skipped.includes(rule));
  const problems: string[] = [];
  for (const { file, text } of documents) {
    const own = parse(text);
    const document: DocumentNode = {
      kind: own.kind,
      definitions: [...own.definitions, ...fragments.filter((f) => !own.definitions.includes(f))],
    };
    for (const error of validate(schema, document, rules)) problems.push(`${file}: ${error.message}`);
  }
  expect([...new Set(problems)]).toEqual([]);
});
