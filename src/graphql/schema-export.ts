// The GraphQL schema as SDL, sorted so that diffs show real changes only.
import pg from "pg";
import { makeSchema } from "postgraphile";
import { lexicographicSortSchema, printSchema } from "postgraphile/graphql";
import type { Config } from "../config.ts";
import { makePreset } from "../graphile.config.ts";

export async function exportSchema(databaseUrl: string, config: Pick<Config, "production" | "jwtSecret" | "graphql">): Promise<string> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const { schema } = await makeSchema(makePreset({ pool, host: "127.0.0.1", ...config }));
    return printSchema(lexicographicSortSchema(schema)) + "\n";
  } finally {
    await pool.end();
  }
}
