// What a GraphQL client is told when a request fails. Limits name themselves
// (their errors are SafeErrors or validation errors); database errors the
// client can act on (a duplicate, a missing or still-used row, a value that is
// refused, a rule of our SQL functions, a row it may not touch) get a message
// of their own and a code in every mode, built from the error's fields, never
// quoting values (other users' data) or SQL. Everything else is masked in
// production, with an id the server log has (grafserv's defaultMaskError).
import type { Pool } from "pg";
import { defaultMaskError } from "postgraphile/grafserv";
import { GraphQLError } from "postgraphile/graphql";
import { pgCode, SQLSTATE } from "../database/errors.ts";

interface PgErrorFields {
  message?: string;
  detail?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/** `campaign_leads` -> "campaign lead", `companies` -> "company". */
function rowName(table: string | undefined): string {
  if (!table) return "row";
  const words = table.replace(/_raw$/, "").split("_");
  const last = words.pop()!;
  words.push(last.endsWith("ies") ? last.slice(0, -3) + "y" : last.endsWith("s") ? last.slice(0, -1) : last);
  return words.join(" ");
}

/** `company_id` -> `companyId`, as the GraphQL schema names it. */
const fieldName = (column: string) => column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The columns of a constraint violation's detail, `Key (a, b)=(...) ...`, without the values. */
function keyColumns(detail: string | undefined): string[] {
  const match = /^Key \(([^)]*)\)=/.exec(detail ?? "");
  return match ? match[1].split(",").map((c) => fieldName(c.trim().replace(/^"|"$/g, ""))) : [];
}

const an = (noun: string) => (/^[aeiou]/.test(noun) ? `An ${noun}` : `A ${noun}`);

/** A constraint's or unique index's table, columns and (a foreign key's) referenced table. */
export interface ConstraintInfo {
  table: string;
  columns: string[];
  references?: string;
}

/**
 * PostgreSQL leaves the DETAIL (`Key (email)=(...)`) out under row-level
 * security, so the columns of each constraint come from the catalog, read
 * once; until then (or if it fails) messages just say less.
 */
export function loadConstraints(pool: Pool): Map<string, ConstraintInfo> {
  const constraints = new Map<string, ConstraintInfo>();
  pool
    .query<{ name: string; table: string; columns: string[]; references: string | null }>(
      `select c.conname as name, c.conrelid::regclass::text as table, c.confrelid::regclass::text as references,
              array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, i)
                    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.i) as columns
         from pg_constraint c where c.connamespace = 'public'::regnamespace and c.conrelid <> 0
       union all
       select x.indexrelid::regclass::text, x.indrelid::regclass::text, null,
              array(select a.attname::text from unnest(x.indkey) with ordinality k(attnum, i)
                    join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum order by k.i)
         from pg_index x join pg_class t on t.oid = x.indrelid
        where x.indisunique and t.relnamespace = 'public'::regnamespace`,
    )
    .then(({ rows }) => {
      for (const row of rows) {
        const name = row.name.replace(/^public\./, "");
        if (constraints.has(name)) continue;
        constraints.set(name, { table: row.table, columns: row.columns, references: row.references ?? undefined });
      }
    })
    .catch(() => {});
  return constraints;
}

/** A client-facing message and code for a database error, or undefined for one to mask. */
export function describeDatabaseError(
  error: unknown,
  constraints: ReadonlyMap<string, ConstraintInfo> = new Map(),
): { message: string; code: string; limit?: string } | undefined {
  const code = pgCode(error);
  if (!code) return undefined;
  const pg = error as PgErrorFields;
  const constraint = pg.constraint ? constraints.get(pg.constraint) : undefined;
  const columnsOf = () => {
    const fromDetail = keyColumns(pg.detail);
    return fromDetail.length ? fromDetail : (constraint?.columns.map(fieldName) ?? []);
  };
  switch (code) {
    case SQLSTATE.uniqueViolation: {
      const columns = columnsOf();
      const which = columns.length ? ` (${columns.join(", ")})` : "";
      return {
        message: `${an(rowName(pg.table))} with this ${columns.join(" and ") || "key"} already exists${which}; look it up and update it instead.`,
        code: "ALREADY_EXISTS",
      };
    }
    case SQLSTATE.restrictViolation:
    case SQLSTATE.foreignKeyViolation: {
      const columns = columnsOf();
      const deleted =
        /^update or delete on table "([^"]+)" violates (?:RESTRICT setting of )?foreign key constraint "[^"]+" on table "([^"]+)"/.exec(
          pg.message ?? "",
        );
      if (deleted) {
        return {
          message: `This ${rowName(deleted[1])} is still used by ${rowName(deleted[2])} rows; delete or change those first.`,
          code: "STILL_REFERENCED",
        };
      }
      if (code === SQLSTATE.restrictViolation) {
        // Not a foreign key's: the delete guard of migration 000034 (a lead,
        // campaign or membership holding rows the caller may not delete),
        // whose message counts what holds it and quotes no value.
        return { message: pg.message ?? "This row cannot be deleted through the API.", code: "DELETE_RESTRICTED" };
      }
      const target = constraint?.references ?? /is not present in table "([^"]+)"/.exec(pg.detail ?? "")?.[1];
      return {
        message: `No ${rowName(target)} has the id given in ${columns.join(", ") || "a reference"}.`,
        code: "REFERENCE_NOT_FOUND",
      };
    }
    case SQLSTATE.notNullViolation:
      return {
        message: `${pg.column ? `\`${fieldName(pg.column)}\`` : "A value"} is required for ${an(rowName(pg.table)).toLowerCase()}.`,
        code: "VALUE_REQUIRED",
      };
    case SQLSTATE.checkViolation:
      return {
        message: `A value is not allowed for ${an(rowName(pg.table)).toLowerCase()} (rule ${pg.constraint ?? "unnamed"}); see the field's description.`,
        code: "CHECK_VIOLATION",
      };
    case SQLSTATE.raiseException:
    case SQLSTATE.noDataFound: {
      // Raised by our own SQL functions, with messages written for the caller.
      const message = pg.message ?? "The request was refused.";
      if ((error as { hint?: string }).hint === "MAX_GROUPS") return { message, code: "TOO_MANY_GROUPS", limit: "MAX_GROUPS" };
      return { message, code: code === SQLSTATE.noDataFound ? "NOT_FOUND" : "REFUSED" };
    }
    case SQLSTATE.insufficientPrivilege:
      return {
        message: /row-level security/.test(pg.message ?? "")
          ? `Not allowed: this ${rowName(/table "([^"]+)"/.exec(pg.message ?? "")?.[1])} is not yours to create or change.`
          : "Not allowed: your role may not do this (permission denied).",
        code: "FORBIDDEN",
      };
    case SQLSTATE.serializationFailure:
    case SQLSTATE.deadlockDetected:
      return { message: "The request collided with another one; send it again.", code: "RETRY" };
  }
  if (code === SQLSTATE.invalidParameterValue) {
    // What our SQL functions raise for an argument they refuse, written for the caller.
    return { message: pg.message ?? "Invalid value.", code: "INVALID_VALUE" };
  }
  if (code.startsWith(SQLSTATE.dataExceptionClass)) {
    // About a value of this request (a bad UUID, date or number); PostgreSQL's
    // message quotes at most that value.
    const text = (pg.message ?? "").split("\n")[0];
    return { message: `Invalid value: ${text}.`, code: "INVALID_VALUE" };
  }
  return undefined;
}

export function makeMaskError(production: boolean, constraints: ReadonlyMap<string, ConstraintInfo>) {
  return (error: GraphQLError): GraphQLError => {
    const original = error.originalError;
    if (pgCode(original) === SQLSTATE.queryCanceled) {
      return new GraphQLError(
        "The query took longer than the statement timeout (STATEMENT_TIMEOUT) and was cancelled; ask for less data.",
        { nodes: error.nodes, path: error.path, extensions: { code: "STATEMENT_TIMEOUT", limit: "STATEMENT_TIMEOUT" } },
      );
    }
    const known = describeDatabaseError(original, constraints);
    if (known) {
      // Outside production the database's own words follow, to debug with.
      const message = production || known.message === original!.message ? known.message : `${known.message} [${original!.message}]`;
      return new GraphQLError(message, {
        nodes: error.nodes,
        path: error.path,
        originalError: original,
        extensions: { code: known.code, ...(known.limit ? { limit: known.limit } : {}), sqlstate: pgCode(original) },
      });
    }
    return production ? defaultMaskError(error) : error;
  };
}
