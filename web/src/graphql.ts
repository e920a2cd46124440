// Typed GraphQL documents: `graphql(...)` checks each document against the
// committed schema.graphql (through graphql-env.d.ts, made by gql.tada from it).
import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./graphql-env.d.ts";

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: {
    UUID: string;
    Datetime: string;
    Date: string;
    /** "09:00:00" */
    Time: string;
    Cursor: string;
    BigInt: string;
    BigFloat: string;
    JSON: unknown;
  };
}>();

export type { FragmentOf, ResultOf, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";

/** Connection lists are `[T]` with nullable items: drop the nulls. */
export function present<T>(items: ReadonlyArray<T | null | undefined> | null | undefined): T[] {
  return (items ?? []).filter((item): item is T => item != null);
}
