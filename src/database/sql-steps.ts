// Long SQL pipelines (the normalisers) as named steps: one .sql file per
// statement beside the code that runs it, with named parameters (:import_id)
// instead of positions, so a step says what it needs and reordering steps is
// a rename. LEADGRAPH_PROFILE_SQL=1 prints each step's time on stderr;
// collectSqlStepTimes() sums them.
import fs from "node:fs";
import path from "node:path";
import type { QueryResult, QueryResultRow } from "pg";

export interface SqlStep {
  /** The file name without its order prefix and extension: "20-stage-leads.sql" -> "stage-leads". */
  name: string;
  /** The statement with $1, $2, ... in place of the named parameters. */
  text: string;
  /** The parameter names, in $n order. */
  params: readonly string[];
}

interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

// A string literal or a comment (left as they are), or :name (not a ::cast).
const TOKEN = /'(?:[^']|'')*'|--[^\n]*|(?<![:\w]):([a-z_][a-z0-9_]*)/g;

export function parseSqlStep(name: string, source: string): SqlStep {
  const params: string[] = [];
  const text = source.replace(TOKEN, (token: string, param: string | undefined) => {
    if (!param) return token;
    if (!params.includes(param)) params.push(param);
    return `$${params.indexOf(param) + 1}`;
  });
  return { name, text, params };
}

/** Every `NN-name.sql` file of `folder`, by name, in file-name order. */
export function loadSqlSteps(folder: string): Record<string, SqlStep> {
  const steps: Record<string, SqlStep> = {};
  for (const file of fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    const name = file.replace(/^\d+-/, "").replace(/\.sql$/, "");
    steps[name] = parseSqlStep(name, fs.readFileSync(path.join(folder, file), "utf8"));
  }
  return steps;
}

const profiling = () => Boolean(process.env.LEADGRAPH_PROFILE_SQL);

export interface SqlStepTime {
  ms: number;
  calls: number;
}
let collected: Map<string, SqlStepTime> | undefined;

/** From now on, sums each step's time by name in the map returned (bench/import.ts reports where the time went). */
export function collectSqlStepTimes(): Map<string, SqlStepTime> {
  collected = new Map();
  return collected;
}

/** Runs one step with its named values (extra values are ignored; a missing one is an error). */
export async function runSqlStep<R extends QueryResultRow = QueryResultRow>(
  client: Queryable,
  step: SqlStep,
  values: Record<string, unknown> = {},
): Promise<QueryResult<R>> {
  const params = step.params.map((param) => {
    if (!(param in values)) throw new Error(`SQL step ${step.name} needs a value for :${param}`);
    return values[param];
  });
  const started = performance.now();
  try {
    return await client.query<R>(step.text, params);
  } finally {
    const ms = performance.now() - started;
    // Straight to stderr, not through src/log.ts: bench/sync.ts reads these lines as they are.
    if (profiling()) process.stderr.write(`[sql] ${ms.toFixed(0).padStart(6)} ms  ${step.name}\n`);
    if (collected) {
      const total = collected.get(step.name) ?? { ms: 0, calls: 0 };
      collected.set(step.name, { ms: total.ms + ms, calls: total.calls + 1 });
    }
  }
}

/** The steps of `folder`, run by name: `run(client, "stage-rows", values)`. */
export function sqlStepRunner(folder: string) {
  const steps = loadSqlSteps(folder);
  return function run<R extends QueryResultRow = QueryResultRow>(
    client: Queryable,
    name: string,
    values: Record<string, unknown> = {},
  ): Promise<QueryResult<R>> {
    const step = steps[name];
    if (!step) throw new Error(`no SQL step ${name} in ${folder}`);
    return runSqlStep<R>(client, step, values);
  };
}
