// The HTTP API: GraphQL at /graphql, GraphiQL (Ruru) at /graphiql outside
// production, /healthz and /readyz (src/health.ts), /metrics (src/metrics.ts).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import cors from "cors";
import express from "express";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { checkJwtSecret, DEFAULT_IMPORT_MAX_BYTES, type Config } from "./config.ts";
import { anonymousIsDefaultUser } from "./auth.ts";
import { makePreset } from "./graphile.config.ts";
import { httpGuard } from "./http-guard.ts";
import { healthChecks } from "./health.ts";
import { log } from "./log.ts";
import { graphqlMetricsPlugin, metricsHandler, observePool } from "./metrics.ts";
import { observeRequests, REQUEST_ID_HEADER } from "./request-log.ts";
import { importsRouter } from "./sources/csv/http.ts";
import { instantlyWebhookRouter } from "./sources/instantly/webhooks.ts";
import { vapiWebhookRouter } from "./sources/vapi/webhooks.ts";
import { webRouter } from "./web.ts";

export type ServerOptions = Pick<Config, "host" | "port" | "production" | "jwtSecret" | "corsOrigins" | "graphql"> &
  Partial<Pick<Config, "importMaxBytes" | "metrics">> & {
    /** Committed migrations the database lacks (src/database/migration-status.ts): /readyz answers 503 while there are any. */
    pendingMigrations?: () => Promise<number>;
    /** INSTANTLY_WEBHOOK_SECRET; webhooks answer 503 without it. */
    instantlyWebhookSecret?: string;
    /** VAPI_WEBHOOK_SECRET; VAPI webhooks answer 503 without it. */
    vapiWebhookSecret?: string;
    /** The API's connection (the authenticator role, or the owner). */
    databaseUrl: string;
    /** Use this pool instead of one from databaseUrl (tests count its queries). */
    pool?: pg.Pool;
    /** The built web app to serve at / (default web/dist); API only when it is not built. */
    webDist?: string;
  };

export interface RunningServer {
  /** The base URL, e.g. http://localhost:5678 */
  url: string;
  /** Whether the web app is served at / (it is when web/dist is built). */
  webApp: boolean;
  port: number;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  checkJwtSecret(options);
  const ownPool = !options.pool;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
  // An idle client losing its connection (database restart) must not crash us.
  const logError = (error: Error) => log.error("API database error", { error: error.message });
  pool.on("error", logError);
  pool.on("connect", (client) => client.on("error", logError));
  observePool("api", pool);
  // Looked at before the schema is built: the schema of a database that lacks migrations is the old one.
  const pendingAtStart = options.pendingMigrations ? await options.pendingMigrations().catch(() => 0) : 0;
  if (pendingAtStart > 0)
    log.warn(
      `${pendingAtStart} committed migration${pendingAtStart === 1 ? " is" : "s are"} not applied to the database: /readyz answers 503 until they are (\`leadgraph migrate\`) and this process is restarted`,
    );
  const health = healthChecks({
    databaseUrl: options.databaseUrl,
    production: options.production,
    pendingMigrations: options.pendingMigrations,
    schemaBuiltBeforeMigrations: pendingAtStart > 0,
  });

  const pgl = postgraphile({ extends: [makePreset({ pool, ...options })], plugins: [graphqlMetricsPlugin] });
  // Built now, not on the first request: PostGraphile keeps a failed build for
  // good, so a database lost during it (kill -9 of PostgreSQL) would fail every
  // request until a restart; here it fails the start instead, which says so.
  await pgl.getSchema();
  const serv = pgl.createServ(grafserv);
  const app = express();
  app.disable("x-powered-by");
  // A request id, metrics and a log line for every request (src/request-log.ts).
  app.use(observeRequests(options));
  app.use(httpGuard({ ...options, pool }));
  // Browsers may call us only from the configured frontend origins.
  app.use(
    cors({
      origin: options.corsOrigins,
      methods: ["GET", "POST", "OPTIONS"],
      allowedHeaders: ["Authorization", "Content-Type", "Accept", REQUEST_ID_HEADER],
      exposedHeaders: [REQUEST_ID_HEADER],
      maxAge: 600,
    }),
  );

  // Refuse oversized bodies up front with an error that names the limit
  // (grafserv still enforces it for bodies without a Content-Length).
  app.use("/graphql", (req, res, next) => {
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > options.graphql.maxRequestBytes) {
      res.status(413).json({
        errors: [
          {
            message: `Request body of ${length} bytes exceeds the maximum of ${options.graphql.maxRequestBytes} bytes (MAX_REQUEST_BYTES).`,
            extensions: { code: "REQUEST_TOO_LARGE", limit: "MAX_REQUEST_BYTES" },
          },
        ],
      });
      return;
    }
    next();
  });

  app.use(health.router);
  app.get(
    "/metrics",
    metricsHandler({ production: options.production, metrics: options.metrics ?? { token: undefined, port: undefined, host: undefined } }),
  );
  // CSV uploads: stored as the caller through the same pool (visitor role).
  app.use(
    importsRouter({
      pool,
      auth: { jwtSecret: options.jwtSecret, anonymousIsDefaultUser: anonymousIsDefaultUser(options.production, options.host) },
      maxBytes: options.importMaxBytes ?? DEFAULT_IMPORT_MAX_BYTES,
    }),
  );
  // Instantly webhooks: stored through the same pool (visitor role).
  app.use(instantlyWebhookRouter({ pool, secret: options.instantlyWebhookSecret }));
  app.use(vapiWebhookRouter({ pool, secret: options.vapiWebhookSecret }));
  const web = webRouter(options.webDist);
  if (!web && !options.production) app.get("/", (_req, res) => res.redirect("/graphiql"));

  const server: Server = createServer(app);
  await serv.addTo(app, server);
  // After grafserv, which passes on the paths it does not own.
  if (web) app.use(web);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = ["127.0.0.1", "0.0.0.0", "::", "::1"].includes(options.host) ? "localhost" : options.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    webApp: web !== undefined,
    port,
    close() {
      closing ??= (async () => {
        health.drain();
        // Stop accepting, let in-flight requests finish, drop idle keep-alives.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const forced = setTimeout(() => server.closeAllConnections(), 5000);
        await closed;
        clearTimeout(forced);
        await pgl.release();
        if (ownPool) await pool.end();
        await health.close();
      })();
      return closing;
    },
  };
}
