// One PostgreSQL for the whole run: the embedded one in a temporary folder, or
// the server of TEST_DATABASE_URL (any of 15-18, as a superuser or as an owner
// with CREATEDB and CREATEROLE, like a managed database's). A template database
// is migrated once; each test file clones it (test/helpers/db.ts), so files
// are isolated and can run in parallel.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { databaseUrl } from "../../src/database/index.ts";
import { applyMigrations } from "../../src/database/migrations.ts";
import { AUTHENTICATOR_ROLE } from "../../src/database/roles.ts";
import { startEmbedded, type EmbeddedPostgres } from "../../src/database/embedded.ts";

declare module "vitest" {
  export interface ProvidedContext {
    rootUrl: string;
    templateDatabase: string;
    /** server_version_num of the test server, e.g. 150020 or 180004. */
    serverVersion: number;
    /** Whether the test server is the embedded PostgreSQL (no TEST_DATABASE_URL). */
    embedded: boolean;
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
  const { rows } = await root.query<{ version: number; superuser: boolean }>(
    "select current_setting('server_version_num')::int as version, rolsuper as superuser from pg_roles where rolname = current_user",
  );
  const { version, superuser } = rows[0]!;
  await root.query(`drop database if exists ${templateDatabase}`);
  try {
    await root.query(`create database ${templateDatabase} template template0 ${unicodeLocale(version)}`);
  } catch (error) {
    throw new Error(
      `could not create the test database with the locale leadgraph recommends for PostgreSQL ${Math.floor(version / 10000)} ` +
        `(${unicodeLocale(version)}; see README, "Supported PostgreSQL versions"): ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await root.end();
  }
  await applyMigrations({
    url: databaseUrl(rootUrl, templateDatabase),
    rootUrl,
    shadowUrl: undefined,
    authenticatorPassword: TEST_AUTHENTICATOR_PASSWORD,
  });
  if (!superuser) await allowEndingAuthenticatorSessions(rootUrl);

  project.provide("rootUrl", rootUrl);
  project.provide("templateDatabase", templateDatabase);
  project.provide("serverVersion", version);
  project.provide("embedded", embedded !== undefined);

  return async () => {
    const client = new pg.Client({ connectionString: rootUrl });
    await client.connect();
    await client.query(`drop database if exists ${templateDatabase} with (force)`);
    await client.end();
    if (embedded) await embedded.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  };
}

/**
 * The default collation of a database for leadgraph: Unicode case mapping
 * (lower(), ILIKE, regular expressions) and code-point order. PostgreSQL 17+
 * has it built in, as the embedded cluster uses; 15 and 16 get it from the
 * operating system's C.UTF-8 locale (docs/decisions.md, "Unicode-aware matching").
 */
export function unicodeLocale(serverVersion: number): string {
  return serverVersion >= 170000
    ? "encoding 'UTF8' locale_provider builtin builtin_locale 'C.UTF-8'"
    : "encoding 'UTF8' locale_provider libc locale 'C.UTF-8'";
}

/**
 * Tests drop databases that servers they started still use (`drop database
 * ... with (force)`), which ends those sessions. An owner that is not a
 * superuser may end only the sessions of roles it has the privileges of, so
 * it becomes a member of the API's login role, which it created (PostgreSQL
 * 16+ gave it the admin option on it then; 15 lets CREATEROLE grant it).
 */
async function allowEndingAuthenticatorSessions(rootUrl: string) {
  const client = new pg.Client({ connectionString: rootUrl });
  await client.connect();
  try {
    const { rows } = await client.query("select pg_has_role(current_user, $1, 'usage') as can", [AUTHENTICATOR_ROLE]);
    if (!rows[0].can) await client.query(`grant ${AUTHENTICATOR_ROLE} to current_user`);
  } finally {
    await client.end();
  }
}
