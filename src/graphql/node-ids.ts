// `updateLeadById(input: { id })` and the other `...ById` mutations take a
// Node ID (a lead's `id`, base64 of `["Lead", "<uuid>"]`). Given a UUID or
// another type's Node ID, PostGraphile finds no row and answers null, which
// reads as "nothing to change": refuse it instead, saying what to send.
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode, type ValueNode } from "postgraphile/graphql";

/** The type name a Node ID names, or undefined if `value` is not one. */
export function nodeIdType(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
    return Array.isArray(decoded) && typeof decoded[0] === "string" && decoded.length > 1 ? decoded[0] : undefined;
  } catch {
    return undefined;
  }
}

function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/** `input.id` of a mutation field, from the literal or the variables. */
function inputId(input: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!input) return undefined;
  if (input.kind === Kind.VARIABLE) return (variables[input.name.value] as { id?: unknown } | null | undefined)?.id;
  if (input.kind !== Kind.OBJECT) return undefined;
  const id = input.fields.find((f) => f.name.value === "id")?.value;
  if (!id) return undefined;
  if (id.kind === Kind.VARIABLE) return variables[id.name.value];
  return id.kind === Kind.STRING ? id.value : undefined;
}

function checkNodeIds(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>) {
  const operation = operationOf(document, operationName);
  if (operation?.operation !== "mutation") return undefined;
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || !/^(update|delete)\w+ById$/.test(selection.name.value)) continue;
    const field = selection.name.value;
    const expected = field.replace(/^(update|delete)/, "").replace(/ById$/, "");
    const id = inputId(selection.arguments?.find((a) => a.name.value === "input")?.value, variables);
    if (id === undefined) continue; // missing: GraphQL's own validation says so
    const named = nodeIdType(id);
    if (named === expected) continue;
    const plain = field.replace(/ById$/, "");
    const message =
      named === undefined
        ? `${field} takes a Node ID in input.id (the ${expected}'s \`id\`), not ${typeof id === "string" && /^[0-9a-f-]{36}$/i.test(id) ? "a UUID" : "this value"}; for a UUID use ${plain}(input: { rowId }).`
        : `${field} takes a ${expected}'s Node ID in input.id, but this one is ${named.match(/^[AEIOU]/) ? "an" : "a"} ${named}'s.`;
    return new GraphQLError(message, { nodes: [selection], extensions: { code: "INVALID_NODE_ID", field } });
  }
  return undefined;
}

export const NodeIdInputPlugin: GraphileConfig.Plugin = {
  name: "LeadgraphNodeIdInputPlugin",
  version: "0.0.0",
  grafast: {
    middleware: {
      execute(next, { args }) {
        const error = checkNodeIds(args.document, args.operationName, (args.variableValues ?? {}) as Record<string, unknown>);
        return error ? { errors: [error] } : next();
      },
    },
  },
};
