// The committed migrations build the whole model on an empty database, and
// applying them again changes nothing.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../../src/config.ts";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/database/migrations.ts";
import { createTestDatabase } from "../helpers/db.ts";

async function snapshot(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query(
      "select table_schema || '.' || table_name as t from information_schema.tables where table_schema in ('public', 'graphile_migrate') order by 1",
    );
    const migrations = await client.query("select filename from graphile_migrate.migrations order by filename");
    const worker = await client.query("select count(*)::int as n from pg_namespace where nspname = 'graphile_worker'");
    const seeds = await client.query(
      "select (select count(*) from users)::int as users, (select count(*) from offers)::int as offers, (select count(*) from campaigns)::int as campaigns",
    );
    return {
      tables: tables.rows.map((r) => r.t),
      migrations: migrations.rows.map((r) => r.filename),
      workerSchema: worker.rows[0].n,
      seeds: seeds.rows[0],
    };
  } finally {
    await client.end();
  }
}

describe("migrations", () => {
  it("apply on an empty database, and re-running them changes nothing", async () => {
    const db = await createTestDatabase({ empty: true });
    await applyMigrations({ url: db.url, rootUrl: undefined, shadowUrl: undefined, authenticatorPassword: undefined });
    const first = await snapshot(db.url);
    const committed = fs.readdirSync(path.join(projectRoot, "migrations", "committed")).filter((f) => f.endsWith(".sql"));
    expect(committed.length).toBeGreaterThanOrEqual(17);
    expect(first.migrations).toEqual(committed.map((_, i) => `${String(i + 1).padStart(6, "0")}.sql`));
    expect(first.tables).toContain("public.events");
    expect(first.tables).toContain("public.csv_import_rows");
    expect(first.workerSchema).toBe(1);
    expect(first.seeds).toEqual({ users: 1, offers: 1, campaigns: 1 });

    await applyMigrations({ url: db.url, rootUrl: undefined, shadowUrl: undefined, authenticatorPassword: undefined });
    expect(await snapshot(db.url)).toEqual(first);
  });
});
