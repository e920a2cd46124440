// An API server on a test database, configured as `leadgraph start` would be,
// with overrides.
import { afterAll } from "vitest";
import { loadConfig, type Config } from "../../src/config.ts";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server.ts";
import type { TestDatabase } from "./db.ts";

export interface TestServer extends RunningServer {
  /** POSTs a GraphQL request; returns the HTTP status and the parsed body. */
  graphql(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: { data?: any; errors?: Array<{ message: string; extensions?: any }> } }>;
}

export async function startTestServer(
  db: TestDatabase,
  overrides: Partial<Omit<Config, "graphql">> & {
    graphql?: Partial<Config["graphql"]>;
    pool?: ServerOptions["pool"];
    pendingMigrations?: ServerOptions["pendingMigrations"];
    instantlyWebhookSecret?: ServerOptions["instantlyWebhookSecret"];
    vapiWebhookSecret?: ServerOptions["vapiWebhookSecret"];
    webDist?: ServerOptions["webDist"];
  } = {},
): Promise<TestServer> {
  const config = loadConfig();
  const server = await startServer({
    ...config,
    host: "127.0.0.1",
    port: 0,
    production: false,
    jwtSecret: undefined,
    corsOrigins: [],
    ...overrides,
    graphql: { ...config.graphql, persistedOnly: false, ...overrides.graphql },
    databaseUrl: db.authUrl,
  });
  afterAll(() => server.close());
  return {
    ...server,
    async graphql(query, variables = {}, headers = {}) {
      const response = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as any };
    },
  };
}
