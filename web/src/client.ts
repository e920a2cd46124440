// The GraphQL client. POST only: the API refuses queries sent by GET
// (urql's default for queries would be GET).
import { Client, cacheExchange, fetchExchange } from "urql";
import { authHeaders } from "./auth.ts";

export function makeClient(token: string | null): Client {
  return new Client({
    url: "/graphql",
    preferGetMethod: false,
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: () => ({ headers: authHeaders(token) }),
    requestPolicy: "cache-and-network",
  });
}

/** The message of a GraphQL or network error, in words. */
export function errorText(
  error: { message: string; graphQLErrors?: { message: string }[]; networkError?: Error } | undefined,
): string | undefined {
  if (!error) return undefined;
  if (error.graphQLErrors?.length) return error.graphQLErrors.map((e) => e.message).join("; ");
  if (error.networkError) return `The server did not answer (${error.networkError.message}). Is leadgraph running?`;
  return error.message;
}
