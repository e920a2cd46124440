// The one PostGraphile preset: the server, the schema export and the tests all
// build the GraphQL schema from this.
import "postgraphile";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { PersistedPlugin } from "@grafserv/persisted";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import type { Pool } from "pg";
import { makePgService } from "postgraphile/adaptors/pg";
import type { RuruClientConfig } from "postgraphile/grafserv/ruru/server";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { anonymousIsDefaultUser, authenticate } from "./auth.ts";
import { projectRoot, type Config } from "./config.ts";
import { VISITOR_ROLE } from "./database/roles.ts";
import { loadConstraints, makeMaskError } from "./graphql/errors.ts";
import { makeGroupsLimitPlugin, makePageSizePlugin, makeValidationRulesPlugin, makeVariablesLimitPlugin } from "./graphql/limits.ts";
import { NodeIdInputPlugin } from "./graphql/node-ids.ts";
import { makeRequestBudgetPlugin } from "./graphql/request-budget.ts";
import { LeadLastEventAtOrderPlugin } from "./graphql/order-by.ts";

export const QUERIES_DIR = path.join(projectRoot, "docs", "queries");

export interface PresetOptions {
  pool: Pool;
  production: boolean;
  /** The address the API listens on: off loopback a token is always required. */
  host: string;
  jwtSecret: string | undefined;
  graphql: Config["graphql"];
}

/** The example operations in docs/queries, by the sha256 of their text (the persisted-operations allowlist). */
export function persistedOperations(): Record<string, string> {
  const operations: Record<string, string> = {};
  for (const file of fs
    .readdirSync(QUERIES_DIR)
    .filter((f) => f.endsWith(".graphql"))
    .sort()) {
    const text = fs.readFileSync(path.join(QUERIES_DIR, file), "utf8");
    operations[crypto.createHash("sha256").update(text).digest("hex")] = text;
  }
  return operations;
}

export function makePreset(options: PresetOptions): GraphileConfig.Preset {
  const { production, graphql } = options;
  const limits = {
    maxDepth: graphql.maxDepth,
    maxCost: graphql.maxCost,
    defaultPageSize: graphql.defaultPageSize,
    maxPageSize: graphql.maxPageSize,
    maxFields: graphql.maxFields,
    maxAliases: graphql.maxAliases,
    maxStringLength: graphql.maxStringLength,
  };
  const leadTimeline = fs.readFileSync(path.join(QUERIES_DIR, "lead-timeline.graphql"), "utf8");
  return {
    extends: [
      PostGraphileAmberPreset,
      // Short names (`leads`, `lead.company`, `company.leads`); the committed
      // schema.graphql makes any change of names visible.
      PgSimplifyInflectionPreset,
      PgAggregatesPreset,
      PostGraphileConnectionFilterPreset,
    ],
    plugins: [
      LeadLastEventAtOrderPlugin,
      makeValidationRulesPlugin(limits, production),
      makePageSizePlugin(limits),
      makeGroupsLimitPlugin(graphql.maxGroups),
      makeVariablesLimitPlugin(limits),
      NodeIdInputPlugin,
      makeRequestBudgetPlugin({
        connection: options.pool.options,
        limits: { requestTimeoutMs: graphql.requestTimeoutMs, maxResponseBytes: graphql.maxResponseBytes },
      }),
      ...(graphql.persistedOnly ? [PersistedPlugin] : []),
    ],
    pgServices: [makePgService({ pool: options.pool, schemas: ["public"] })],
    schema: {
      // Operators that indexes can serve (and a few cheap ones); relation
      // filters (`lead: { company: { ... } }`) are on.
      connectionFilterAllowedOperators: [
        "equalTo",
        "notEqualTo",
        "distinctFrom",
        "notDistinctFrom",
        "in",
        "notIn",
        "isNull",
        "lessThan",
        "lessThanOrEqualTo",
        "greaterThan",
        "greaterThanOrEqualTo",
        "startsWithInsensitive",
        "includesInsensitive",
        "contains",
        "anyEqualTo",
      ],
      connectionFilterAllowNullInput: false,
      connectionFilterAllowEmptyObjectInput: false,
    },
    grafserv: {
      graphqlPath: "/graphql",
      graphiqlPath: "/graphiql",
      graphiql: !production,
      graphiqlOnGraphQLGET: !production,
      watch: false,
      // Grafast writes the response's JSON as it executes instead of building
      // objects for JSON.stringify: 15-20% less CPU per request in
      // bench:graphql (docs/decisions.md).
      outputDataAsString: true,
      maxRequestLength: graphql.maxRequestBytes,
      maskError: makeMaskError(production, loadConstraints(options.pool)),
      ...(graphql.persistedOnly
        ? {
            persistedOperations: persistedOperations(),
            // Relay sends `documentId`; Apollo `extensions.persistedQuery.sha256Hash`.
            hashFromPayload: (request: object) => {
              const body = request as { documentId?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } };
              const hash = body.documentId ?? body.extensions?.persistedQuery?.sha256Hash;
              return typeof hash === "string" ? hash : undefined;
            },
            allowUnpersistedOperation: false,
          }
        : {}),
    },
    grafast: {
      // Every request runs as the visitor role, as the token's user, within a
      // statement timeout; RLS policies and column grants do the rest.
      context(requestContext) {
        const userId = authenticate(requestContext.node?.req.headers.authorization, {
          jwtSecret: options.jwtSecret,
          anonymousIsDefaultUser: anonymousIsDefaultUser(production, options.host),
        });
        return {
          pgSettings: {
            role: VISITOR_ROLE,
            "jwt.claims.user_id": userId,
            statement_timeout: graphql.statementTimeout,
          },
        };
      },
    },
    ruru: {
      clientConfig: { defaultQuery: leadTimeline } as RuruClientConfig,
    },
  };
}
