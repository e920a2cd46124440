// One PostgreSQL for the whole run: the embedded one in a temporary folder, or
// the server of TEST_DATABASE_URL. A template database is migrated once; each
// test file clones it (test/helpers/db.ts), so files are isolated and can run
// in parallel.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { databaseUrl } from "../../src/database/index.ts";
import { applyMigrations } from "../../src/database/migrations.ts";
import { startEmbedded, type EmbeddedPostgres } from "../../src/database/embedded.ts";

declare module "vitest" {
  export interface ProvidedContext {
    rootUrl: string;
    templateDatabase: string;
  }
}

/** The API's login in tests (leadgraph_authenticator's password on the test server). */
export const TEST_AUTHENTICATOR_PASSWORD = "leadgraph-test-authenticator";

export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let rootUrl = process.env.TEST_DATABASE_URL;
  if (!rootUrl) {
    dataDir = path.join(os.tmpdir(), `leadgraph-test-${process.pid}-${Date.now()}`);
    // Tests trade durability for speed: this cluster is thrown away at the end.
    embedded = await startEmbedded({
      dataDir,
      settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
    });
    rootUrl = embedded.url("postgres");
  }
  const templateDatabase = `leadgraph_test_template_${process.pid}`;
  const root = new pg.Client({ connectionString: rootUrl });
  await root.connect();
  await root.query(`drop database if exists ${templateDatabase}`);
  await root.query(`create database ${templateDatabase}`);
  await root.end();
  await applyMigrations({
    url: databaseUrl(rootUrl, templateDatabase),
    rootUrl,
    shadowUrl: undefined,
    authenticatorPassword: TEST_AUTHENTICATOR_PASSWORD,
  });

  project.provide("rootUrl", rootUrl);
  project.provide("templateDatabase", templateDatabase);

  return async () => {
    const client = new pg.Client({ connectionString: rootUrl });
    await client.connect();
    await client.query(`drop database if exists ${templateDatabase} with (force)`);
    await client.end();
    if (embedded) await embedded.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  };
}
