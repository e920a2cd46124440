// Each test file works in its own database, cloned from the migrated template.
import crypto from "node:crypto";
import pg from "pg";
import { afterAll, inject } from "vitest";
import { AUTHENTICATOR_ROLE } from "../../src/database/roles.ts";
import { databaseUrl } from "../../src/database/index.ts";
import { TEST_AUTHENTICATOR_PASSWORD } from "../setup/database.ts";

export interface TestDatabase {
  /** As the owner (superuser on the test server). */
  url: string;
  /** As the API's login role, leadgraph_authenticator. */
  authUrl: string;
  /** Owner connections. */
  pool: pg.Pool;
}

async function rootQuery(sql: string) {
  const client = new pg.Client({ connectionString: inject("rootUrl") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database for this test file: migrated, with the seed rows; dropped after the file. */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `leadgraph_test_${crypto.randomBytes(6).toString("hex")}`;
  const template = options.empty ? "template0" : inject("templateDatabase");
  await rootQuery(`create database ${name} template ${template}`);
  const url = databaseUrl(inject("rootUrl"), name);
  const authUrl = databaseUrl(inject("rootUrl"), name, { user: AUTHENTICATOR_ROLE, password: TEST_AUTHENTICATOR_PASSWORD });
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  afterAll(async () => {
    await pool.end();
    await rootQuery(`drop database if exists ${name} with (force)`);
  });
  return { url, authUrl, pool };
}

/** Runs `fn` in a transaction that is always rolled back, so tests leave nothing behind. */
export async function rollback<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    return await fn(client);
  } finally {
    await client.query("rollback");
    client.release();
  }
}
