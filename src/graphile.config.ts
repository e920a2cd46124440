// The one PostGraphile preset: the server, the schema export and the tests all
// build the GraphQL schema from this.
import "postgraphile";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import type { Pool } from "pg";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

export interface PresetOptions {
  pool: Pool;
  production: boolean;
}

export function makePreset({ pool, production }: PresetOptions): GraphileConfig.Preset {
  return {
    extends: [PostGraphileAmberPreset, PgAggregatesPreset],
    pgServices: [makePgService({ pool, schemas: ["public"] })],
    grafserv: {
      graphqlPath: "/graphql",
      graphiqlPath: "/graphiql",
      graphiql: !production,
      watch: false,
    },
  };
}
