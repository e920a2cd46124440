// Abuse limits for the GraphQL API, applied in every mode. Each rejection is
// a GraphQL error that names the limit (and the setting that changes it).
import { access, constant, context, lambda, SafeError, type Step } from "postgraphile/grafast";
import { sql } from "postgraphile/pg-sql2";
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type ASTNode,
  type DocumentNode,
  NoSchemaIntrospectionCustomRule,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from "postgraphile/graphql";

export interface Limits {
  maxDepth: number;
  maxCost: number;
  defaultPageSize: number;
  maxPageSize: number;
  /** Fields of an operation with every fragment expanded where it is spread (MAX_QUERY_FIELDS). */
  maxFields: number;
  /** Aliased fields, counted the same way (MAX_ALIASES). */
  maxAliases: number;
  /** Longest string a query's arguments take, literal or variable (MAX_FILTER_STRING_LENGTH). */
  maxStringLength: number;
}

type Fragments = Map<string, FragmentDefinitionNode>;

function fragmentsOf(context: ValidationContext): Fragments {
  const fragments: Fragments = new Map();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** Nesting depth of an operation (fragments followed; introspection fields ignored). */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) => {
    const fragments = fragmentsOf(context);
    // A fragment's own depth, computed once however often it is spread
    // (re-walking it per spread makes a 1 KB query take hours).
    const fragmentDepth = new Map<string, number>();
    const depthOf = (set: SelectionSetNode, seen: ReadonlySet<string>): number => {
      let deepest = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.selectionSet && !selection.name.value.startsWith("__")) {
            deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, seen));
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, seen));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue; // cycles are reported by the standard rules
          if (!fragmentDepth.has(name)) fragmentDepth.set(name, depthOf(fragment.selectionSet, new Set(seen).add(name)));
          deepest = Math.max(deepest, fragmentDepth.get(name)!);
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query depth ${depth} exceeds the maximum depth of ${maxDepth} (MAX_QUERY_DEPTH).`, {
              nodes: [node],
              extensions: { code: "QUERY_TOO_DEEP", limit: "MAX_QUERY_DEPTH", maxDepth, depth },
            }),
          );
        }
      },
    };
  };
}

interface SelectionCounts {
  fields: number;
  aliases: number;
}

const shown = (n: number) => (Number.isSafeInteger(n) ? String(n) : "over 2^53");

/**
 * Fields and aliases of an operation with every fragment expanded where it is
 * spread: what the planner walks. A fragment spread twice per level doubles
 * them each level (`fragment F2 on Lead { ...F1 ...F1 }`): an 830-byte query
 * planned for 11 s with the event loop blocked. Each fragment is counted
 * once, so counting stays linear in the document.
 */
export function fieldCountRule(limits: Pick<Limits, "maxFields" | "maxAliases">): ValidationRule {
  return (context) => {
    const fragments = fragmentsOf(context);
    const fragmentCounts = new Map<string, SelectionCounts>();
    const countsOf = (set: SelectionSetNode, seen: ReadonlySet<string>): SelectionCounts => {
      let fields = 0;
      let aliases = 0;
      for (const selection of set.selections) {
        let inner: SelectionCounts | undefined;
        if (selection.kind === Kind.FIELD) {
          fields += 1;
          if (selection.alias && selection.alias.value !== selection.name.value) aliases += 1;
          if (selection.selectionSet) inner = countsOf(selection.selectionSet, seen);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          inner = countsOf(selection.selectionSet, seen);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue; // cycles are reported by the standard rules
          if (!fragmentCounts.has(name)) fragmentCounts.set(name, countsOf(fragment.selectionSet, new Set(seen).add(name)));
          inner = fragmentCounts.get(name)!;
        }
        if (inner) {
          fields += inner.fields;
          aliases += inner.aliases;
        }
      }
      return { fields, aliases };
    };
    return {
      OperationDefinition(node) {
        const { fields, aliases } = countsOf(node.selectionSet, new Set());
        if (fields > limits.maxFields) {
          context.reportError(
            new GraphQLError(
              `Query has ${shown(fields)} fields with its fragments expanded, over the maximum of ${limits.maxFields} (MAX_QUERY_FIELDS); spread fewer fragments.`,
              { nodes: [node], extensions: { code: "QUERY_TOO_MANY_FIELDS", limit: "MAX_QUERY_FIELDS", maxFields: limits.maxFields } },
            ),
          );
        }
        if (aliases > limits.maxAliases) {
          context.reportError(
            new GraphQLError(
              `Query has ${aliases} aliased fields, over the maximum of ${limits.maxAliases} (MAX_ALIASES); send several requests.`,
              { nodes: [node], extensions: { code: "QUERY_TOO_MANY_ALIASES", limit: "MAX_ALIASES", maxAliases: limits.maxAliases } },
            ),
          );
        }
      },
    };
  };
}

const stringTooLong = (length: number, maxLength: number, nodes?: readonly ASTNode[]) =>
  new GraphQLError(
    `An argument is a string of ${length} characters, over the maximum of ${maxLength} (MAX_FILTER_STRING_LENGTH); search for something shorter.`,
    { nodes, extensions: { code: "ARGUMENT_TOO_LONG", limit: "MAX_FILTER_STRING_LENGTH", maxLength } },
  );

/** A mutation's `input` is data to store (a note, a CSV row), bounded by MAX_REQUEST_BYTES only. */
const isMutationInput = (argument: ArgumentNode, parent: unknown, schema: GraphQLSchema) =>
  argument.name.value === "input" && parent != null && parent === schema.getMutationType();

/**
 * Strings in arguments, outside mutation inputs: a filter's pattern or a
 * search query is matched against every row, so 40,000 characters of it held
 * a statement for the whole STATEMENT_TIMEOUT. Variables are checked when the
 * request runs (`variablesLimitPlugin`).
 */
export function stringLengthRule(maxLength: number): ValidationRule {
  return (context) => ({
    Argument(node) {
      if (isMutationInput(node, context.getParentType(), context.getSchema())) return false;
    },
    StringValue(node) {
      if (node.value.length > maxLength) context.reportError(stringTooLong(node.value.length, maxLength, [node]));
    },
  });
}

/** The variables a document uses where stringLengthRule applies, once per document. */
const limitedVariablesByDocument = new WeakMap<DocumentNode, ReadonlySet<string>>();
function limitedVariables(schema: GraphQLSchema, document: DocumentNode): ReadonlySet<string> {
  let names = limitedVariablesByDocument.get(document);
  if (!names) {
    const found = new Set<string>();
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        VariableDefinition: () => false,
        Argument: (node) => (isMutationInput(node, typeInfo.getParentType(), schema) ? false : undefined),
        Variable: (node) => void found.add(node.name.value),
      }),
    );
    names = found;
    limitedVariablesByDocument.set(document, names);
  }
  return names;
}

/** The length of the first string in `value` longer than `maxLength`, if any. */
function overlongString(value: unknown, maxLength: number): number | undefined {
  if (typeof value === "string") return value.length > maxLength ? value.length : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const length = overlongString(item, maxLength);
    if (length !== undefined) return length;
  }
  return undefined;
}

/** MAX_FILTER_STRING_LENGTH for the variables, before anything runs. */
export function makeVariablesLimitPlugin(limits: Pick<Limits, "maxStringLength">): GraphileConfig.Plugin {
  return {
    name: "LeadgraphVariablesLimitPlugin",
    version: "0.0.0",
    grafast: {
      middleware: {
        execute(next, { args }) {
          const variables = args.variableValues;
          if (variables) {
            for (const name of limitedVariables(args.schema, args.document)) {
              const length = overlongString(variables[name], limits.maxStringLength);
              if (length !== undefined) return { errors: [stringTooLong(length, limits.maxStringLength)] };
            }
          }
          return next();
        },
      },
    },
  };
}

/**
 * Estimated cost of an operation: every object it fetches counts 1, times the
 * page sizes of the connections around it. A connection's page size (the
 * literal first/last, else the largest page since a variable could ask for
 * it, else the default page size) multiplies its `nodes`/`edges`; other lists
 * (e.g. groupedAggregates) count as a full page.
 */
export function costLimitRule(limits: Limits): ValidationRule {
  return (context) => {
    const schema: GraphQLSchema = context.getSchema();
    const fragments = fragmentsOf(context);
    const pageSize = (args: readonly { name: { value: string }; value: ValueNode }[] | undefined): number => {
      const arg = args?.find((a) => a.name.value === "first" || a.name.value === "last");
      if (!arg) return limits.defaultPageSize;
      return arg.value.kind === Kind.INT ? Number(arg.value.value) : limits.maxPageSize;
    };
    // cost(selection, multiplier) = multiplier * cost(selection, 1): a
    // fragment's unit cost is computed once however often it is spread.
    const fragmentCost = new Map<string, number>();
    const unitCost = (
      set: SelectionSetNode,
      parent: GraphQLCompositeType,
      seen: ReadonlySet<string>,
      connectionPage: number | undefined,
    ): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (!selection.selectionSet || selection.name.value.startsWith("__")) continue;
          const field: GraphQLField<unknown, unknown> | undefined =
            isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
          if (!field) continue; // unknown fields are reported by the standard rules
          const type = getNamedType(field.type);
          if (!isCompositeType(type)) continue;
          // A connection's page multiplies its nodes/edges (each one fetched);
          // other lists (groupedAggregates, ...) count as a full page.
          let rows = 1;
          if (connectionPage !== undefined && ["nodes", "edges"].includes(selection.name.value)) rows = connectionPage;
          else if (isListType(getNullableType(field.type))) rows = limits.maxPageSize;
          const childPage = type.name.endsWith("Connection") ? pageSize(selection.arguments) : undefined;
          total += rows + rows * unitCost(selection.selectionSet, type, seen, childPage);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
          if (condition && isCompositeType(condition)) total += unitCost(selection.selectionSet, condition, seen, connectionPage);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          const condition = fragment && schema.getType(fragment.typeCondition.name.value);
          if (!fragment || !condition || !isCompositeType(condition) || seen.has(name)) continue;
          const key = `${name}:${connectionPage ?? ""}`;
          if (!fragmentCost.has(key))
            fragmentCost.set(key, unitCost(fragment.selectionSet, condition, new Set(seen).add(name), connectionPage));
          total += fragmentCost.get(key)!;
        }
        // Far over the limit already: no need to be exact (and no runaway work).
        if (total > limits.maxCost * 1000) return total;
      }
      return total;
    };
    return {
      OperationDefinition(node) {
        const root =
          node.operation === "query"
            ? schema.getQueryType()
            : node.operation === "mutation"
              ? schema.getMutationType()
              : schema.getSubscriptionType();
        if (!root) return;
        const cost = unitCost(node.selectionSet, root, new Set(), undefined);
        if (cost > limits.maxCost) {
          context.reportError(
            new GraphQLError(
              `Query cost ${cost > limits.maxCost * 1000 ? `over ${limits.maxCost * 1000}` : cost} exceeds the maximum cost of ${limits.maxCost} (MAX_QUERY_COST); ask for smaller pages or fewer nested lists.`,
              { nodes: [node], extensions: { code: "QUERY_TOO_COSTLY", limit: "MAX_QUERY_COST", maxCost: limits.maxCost, cost } },
            ),
          );
        }
      },
    };
  };
}

/**
 * graphql-js's rules suggest the names they know ("Did you mean ...?"): in
 * production that hands out the schema introspection is off to keep.
 */
function withoutSuggestions(rule: ValidationRule): ValidationRule {
  return (context) => {
    const quiet = Object.create(context, {
      reportError: {
        value: (error: GraphQLError) => {
          const message = error.message.replace(/ Did you mean .*\?$/s, "");
          context.reportError(
            message === error.message ? error : new GraphQLError(message, { nodes: error.nodes, extensions: error.extensions }),
          );
        },
      },
    }) as ValidationContext;
    return rule(quiet);
  };
}

/** Adds our validation rules to every request grafserv handles (HTTP and websockets). */
export function makeValidationRulesPlugin(limits: Limits, production: boolean): GraphileConfig.Plugin {
  return {
    name: "LeadgraphValidationRulesPlugin",
    version: "0.0.0",
    grafserv: {
      middleware: {
        setPreset(next, event) {
          event.validationRules.push(
            depthLimitRule(limits.maxDepth),
            costLimitRule(limits),
            fieldCountRule(limits),
            stringLengthRule(limits.maxStringLength),
          );
          if (production) {
            event.validationRules.push(NoSchemaIntrospectionCustomRule);
            event.validationRules.splice(0, Infinity, ...event.validationRules.map(withoutSuggestions));
          }
          return next();
        },
      },
    },
  };
}

/**
 * Caps first/last on every connection and applies a default page size when
 * both are omitted. Grafast skips an omitted argument's applyPlan, so the
 * field's plan applies both arguments itself.
 */
export function makePageSizePlugin(limits: Limits): GraphileConfig.Plugin {
  const clamp = ([first, last]: readonly [number | null | undefined, number | null | undefined]) => {
    for (const [name, value] of [
      ["first", first],
      ["last", last],
    ] as const) {
      if (value != null && (value < 0 || value > limits.maxPageSize)) {
        throw new SafeError(`Argument '${name}' must be between 0 and ${limits.maxPageSize} (MAX_PAGE_SIZE), got ${value}.`);
      }
    }
    return first == null && last == null ? { first: limits.defaultPageSize, last: null } : { first: first ?? null, last: last ?? null };
  };
  return {
    name: "LeadgraphPageSizePlugin",
    version: "0.0.0",
    after: ["PgFirstLastBeforeAfterArgsPlugin"],
    schema: {
      hooks: {
        GraphQLObjectType_fields_field_args(args, _build, { scope }) {
          if (!scope.isPgFieldConnection) return args;
          if (args.first) args.first = { ...args.first, applyPlan: undefined };
          if (args.last) args.last = { ...args.last, applyPlan: undefined };
          return args;
        },
        GraphQLObjectType_fields_field(field, _build, { scope }) {
          if (!scope.isPgFieldConnection || !field.plan) return field;
          const originalPlan = field.plan;
          return {
            ...field,
            plan(...planArgs) {
              const [, fieldArgs, info] = planArgs;

              const $connection = (originalPlan as any).apply(this, planArgs);
              const names = new Set(info.field.args.map((a) => a.name));
              if (!names.has("first") || typeof $connection?.setFirst !== "function") return $connection;
              const $limits = lambda(
                [fieldArgs.getRaw("first"), names.has("last") ? fieldArgs.getRaw("last") : constant(null)] as Step[],

                clamp as any,
              );
              $connection.setFirst(access($limits, "first"));
              if (names.has("last")) $connection.setLast(access($limits, "last"));
              return $connection;
            },
          };
        },
      },
    },
  };
}

/**
 * `groupedAggregates` has no page: grouping events by timestamp returned
 * 129,605 groups. Past MAX_GROUPS groups its statement raises (through
 * `grouped_aggregates_over_limit()`, migration 000033) instead of returning
 * them, so the client gets an error naming the limit.
 */
export function makeGroupsLimitPlugin(maxGroups: number): GraphileConfig.Plugin {
  const guard = sql`case when count(*) over () > ${sql.literal(maxGroups)} then public.grouped_aggregates_over_limit(${sql.literal(maxGroups)}) end`;
  const guardGroups = (queryBuilder: { selectAndReturnIndex(fragment: typeof guard): number }) => {
    queryBuilder.selectAndReturnIndex(guard);
  };
  return {
    name: "LeadgraphGroupsLimitPlugin",
    version: "0.0.0",
    after: ["PgAggregatesAddConnectionGroupedAggregatesPlugin"],
    schema: {
      hooks: {
        GraphQLObjectType_fields_field(field, _build, { scope }) {
          if (scope.fieldName !== "groupedAggregates" || !scope.isConnectionType || !field.plan) return field;
          const originalPlan = field.plan;
          return {
            ...field,
            plan(...planArgs) {
              const $groups = (originalPlan as any).apply(this, planArgs);
              // The window counts the groups of this one statement (or subquery,
              // when nested). Added when the query is built: a select cannot be
              // added while the field is planned.
              $groups.apply(lambda(context(), () => guardGroups));
              return $groups;
            },
          };
        },
      },
    },
  };
}
