// Which PostgreSQL leadgraph uses: the one named by DATABASE_URL, or else the
// embedded one in the data directory (started on demand).
import type { Config } from "../config.ts";
import { ensureDatabase, runningEmbeddedUrl, startEmbedded, type EmbeddedPostgres } from "./embedded.ts";
import { AUTHENTICATOR_ROLE } from "./roles.ts";

export const DATABASE_NAME = "leadgraph";
export const SHADOW_DATABASE_NAME = "leadgraph_shadow";

/** The URL of `database` on the server of `serverUrl`, optionally as another login. */
export function databaseUrl(serverUrl: string, database: string, login?: { user: string; password: string }): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  if (login) {
    url.username = login.user;
    url.password = login.password;
  }
  return url.toString();
}

export interface Database {
  /** The application database as its owner: migrations and the worker. */
  url: string;
  /** The API's connection (the authenticator role); requests switch to the visitor role. */
  authUrl: string;
  /** Set the authenticator role's password to this (embedded only: we manage its cluster). */
  authenticatorPassword: string | undefined;
  /** A superuser connection for creating and dropping databases (graphile-migrate reset, shadow). */
  rootUrl: string | undefined;
  /** graphile-migrate's shadow database, used by `watch` and `commit`. */
  shadowUrl: string | undefined;
  embedded: EmbeddedPostgres | undefined;
  /** Stops the embedded PostgreSQL if this process owns it. */
  close(): Promise<void>;
}

export async function openDatabase(
  config: Config,
  log: (message: string) => void = () => {},
  /** When the embedded PostgreSQL died and could not be started again. */
  onLost?: (error: Error) => void,
): Promise<Database> {
  if (config.databaseUrl) {
    return {
      url: config.databaseUrl,
      authUrl: config.authDatabaseUrl ?? config.databaseUrl,
      authenticatorPassword: undefined,
      rootUrl: config.rootDatabaseUrl,
      shadowUrl: config.shadowDatabaseUrl,
      embedded: undefined,
      close: async () => {},
    };
  }
  const embedded = await startEmbedded({ dataDir: config.dataDir, port: config.pgPort, log, onLost });
  try {
    await ensureDatabase(embedded.url("postgres"), DATABASE_NAME);
    await ensureDatabase(embedded.url("postgres"), SHADOW_DATABASE_NAME);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return {
    url: embedded.url(DATABASE_NAME),
    authUrl: embedded.url(DATABASE_NAME, { user: AUTHENTICATOR_ROLE, password: embedded.authenticatorPassword }),
    authenticatorPassword: embedded.authenticatorPassword,
    rootUrl: embedded.url("postgres"),
    shadowUrl: embedded.url(SHADOW_DATABASE_NAME),
    embedded,
    close: () => embedded.stop(),
  };
}

/** The URL of the database in use, without starting anything (for `leadgraph db-url`). */
export async function currentDatabaseUrl(config: Config): Promise<string | undefined> {
  return config.databaseUrl ?? (await runningEmbeddedUrl(config.dataDir, DATABASE_NAME));
}
