// A GraphQL request's budget: its time (REQUEST_TIMEOUT_MS), its client
// (gone: nobody waits for the answer) and the data its statements return
// (MAX_RESPONSE_BYTES). When one runs out the request's running statements
// are cancelled, it starts no more, and it ends with an error naming why.
// STATEMENT_TIMEOUT still bounds each statement on its own.
import crypto from "node:crypto";
import type { ServerResponse } from "node:http";
import pg from "pg";
import { isAsyncIterable, SafeError } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import { log } from "../log.ts";

export interface BudgetLimits {
  requestTimeoutMs: number;
  maxResponseBytes: number;
}

/** application_name of a request's transactions: how its statements are found to cancel them. */
const TAG_PREFIX = "leadgraph-graphql ";

export const requestTimedOut = (limits: BudgetLimits) =>
  new SafeError(
    `The request took longer than ${limits.requestTimeoutMs} ms (REQUEST_TIMEOUT_MS); its statements were cancelled. Ask for less data.`,
    { code: "REQUEST_TIMEOUT", limit: "REQUEST_TIMEOUT_MS", requestTimeoutMs: limits.requestTimeoutMs },
  );

export const responseTooLarge = (limits: BudgetLimits) =>
  new SafeError(
    `The response grew past ${limits.maxResponseBytes} bytes (MAX_RESPONSE_BYTES) and was stopped; ask for fewer rows or fewer large fields (rawRow, apolloData, rawJson).`,
    { code: "RESPONSE_TOO_LARGE", limit: "MAX_RESPONSE_BYTES", maxResponseBytes: limits.maxResponseBytes },
  );

const clientGone = () => new SafeError("The client closed the connection; the request was cancelled.", { code: "CLIENT_CLOSED_REQUEST" });

/**
 * Cancels the statements of stopped requests with pg_cancel_backend, found by
 * their application_name, over a connection of its own: the pool may be full
 * of the very statements to cancel. Requests stopped at once share one.
 */
class StatementCanceller {
  private pending = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly connection: pg.ClientConfig;

  constructor(connection: pg.ClientConfig) {
    this.connection = connection;
  }

  cancel(tag: string): Promise<void> {
    this.pending.add(tag);
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const tags = [...this.pending];
      this.pending.clear();
      const client = new pg.Client({ ...this.connection, application_name: "leadgraph-cancel" });
      client.on("error", () => {});
      try {
        await client.connect();
        // Only statements still tagged: a connection back in the pool runs another request.
        await client.query(
          "select pg_cancel_backend(pid) from pg_stat_activity where application_name = any($1::text[]) and pid <> pg_backend_pid()",
          [tags],
        );
      } catch (error) {
        log.warn("could not cancel the statements of a stopped GraphQL request", { error: (error as Error).message });
      } finally {
        await client.end().catch(() => {});
      }
    }
  }
}

/** What a request's transactions run through; see makeRequestBudgetPlugin. */
interface PgClientLike {
  query(options: { text: string; values?: readonly unknown[] }): Promise<{ rows: readonly unknown[] }>;
}

/** Characters of text in a statement's rows (nested rows included): about what they add to the response. */
function sizeOfRows(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value === null || typeof value !== "object") return 8;
  let size = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) size += sizeOfRows(item);
  return size;
}

class RequestBudget {
  readonly tag = TAG_PREFIX + crypto.randomBytes(8).toString("hex");
  reason: SafeError | undefined;
  private bytes = 0;
  private statements = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly limits: BudgetLimits;
  private readonly canceller: StatementCanceller;

  constructor(limits: BudgetLimits, canceller: StatementCanceller, response: ServerResponse | undefined) {
    this.limits = limits;
    this.canceller = canceller;
    this.timer = setTimeout(() => this.stop(requestTimedOut(limits)), limits.requestTimeoutMs);
    response?.once("close", () => {
      if (!response.writableFinished) this.stop(clientGone());
    });
  }

  stop(reason: SafeError): void {
    if (this.reason) return;
    this.reason = reason;
    clearTimeout(this.timer);
    if (this.statements > 0) void this.canceller.cancel(this.tag);
  }

  finish(): void {
    clearTimeout(this.timer);
  }

  /** `client` refusing statements once stopped, counting what they return. */
  watch<T extends PgClientLike>(client: T): T {
    const query = client.query.bind(client);
    return {
      ...client,
      query: async (options: Parameters<T["query"]>[0]) => {
        if (this.reason) throw this.reason;
        this.statements++;
        try {
          const result = await query(options);
          this.bytes += sizeOfRows(result.rows);
          if (this.bytes > this.limits.maxResponseBytes) this.stop(responseTooLarge(this.limits));
          if (this.reason) throw this.reason;
          return result;
        } catch (error) {
          // A statement cancelled by stop() fails with 57014: say why instead.
          throw this.reason ?? error;
        } finally {
          this.statements--;
        }
      },
    } as T;
  }
}

const $$budget = Symbol("requestBudget");

type WithPgClient = ((pgSettings: unknown, callback: (client: PgClientLike) => Promise<unknown>) => Promise<unknown>) & {
  release?: () => void;
};

function asGraphQLError(error: SafeError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error, extensions: error.extensions ?? {} });
}

/** The data's size as sent (outputDataAsString gives the JSON text itself). */
function dataBytes(data: unknown): number {
  if (data == null) return 0;
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return Buffer.byteLength(text);
}

export function makeRequestBudgetPlugin(options: { connection: pg.ClientConfig; limits: BudgetLimits }): GraphileConfig.Plugin {
  const { limits } = options;
  const canceller = new StatementCanceller(options.connection);
  return {
    name: "LeadgraphRequestBudgetPlugin",
    version: "0.0.0",
    grafast: {
      middleware: {
        async prepareArgs(next) {
          const args = await next();
          const context = args.contextValue as unknown as Record<string | symbol, unknown>;
          const response = (args.requestContext as { node?: { res?: ServerResponse } } | undefined)?.node?.res;
          const budget = new RequestBudget(limits, canceller, response);
          context[$$budget] = budget;
          const pgSettings = context.pgSettings as Record<string, string> | undefined;
          if (pgSettings) pgSettings.application_name = budget.tag;
          const withPgClient = context.withPgClient as WithPgClient | undefined;
          if (withPgClient) {
            const watched: WithPgClient = (settings, callback) => {
              if (budget.reason) return Promise.reject(budget.reason);
              return withPgClient(settings, (client) => callback(budget.watch(client)));
            };
            watched.release = withPgClient.release;
            context.withPgClient = watched;
          }
          return args;
        },
        async execute(next, event) {
          const budget = (event.args.contextValue as Record<symbol, RequestBudget | undefined>)[$$budget];
          try {
            const result = await next();
            if (!budget || isAsyncIterable(result)) return result;
            if (budget.reason) return { errors: [asGraphQLError(budget.reason)] };
            if (dataBytes(result.data) > limits.maxResponseBytes) return { errors: [asGraphQLError(responseTooLarge(limits))] };
            return result;
          } finally {
            budget?.finish();
          }
        },
      },
    },
  };
}
