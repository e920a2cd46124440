// PostgreSQL's error codes (SQLSTATE) that leadgraph acts on, by name, in one
// place. The full list: https://www.postgresql.org/docs/current/errcodes-appendix.html
export const SQLSTATE = {
  /** 22xxx: data exception (a value out of range, an invalid date, bad JSON...). */
  dataExceptionClass: "22",
  /** Raised by our SQL functions for an argument they refuse (an unknown status, a payload that is not an object). */
  invalidParameterValue: "22023",
  /** 23xxx: integrity constraint violation (not null, foreign key, unique, check). */
  integrityConstraintViolationClass: "23",
  /** A foreign key's `on delete restrict` (PostgreSQL 16+; 15 says 23503). */
  restrictViolation: "23001",
  notNullViolation: "23502",
  foreignKeyViolation: "23503",
  uniqueViolation: "23505",
  checkViolation: "23514",
  /** Raised by our SQL functions (`raise exception`), and their "not found". */
  raiseException: "P0001",
  noDataFound: "P0002",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
  /** A value too large for an index row or a row too big, e.g. a huge text in a btree index. */
  programLimitExceeded: "54000",
  queryCanceled: "57014",
  insufficientPrivilege: "42501",
  duplicateDatabase: "42P04",
  duplicateObject: "42710",
  /** A table or schema that does not exist (yet): e.g. graphile_migrate's, before the first migration. */
  undefinedTable: "42P01",
  invalidSchemaName: "3F000",
} as const;

/** The SQLSTATE of a PostgreSQL error (node-postgres puts it in `code`), else undefined. */
export function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** PostgreSQL errors about the data (classes 22 data exception and 23 integrity), not the connection or the code. */
export function isDataError(error: unknown): boolean {
  const code = pgCode(error);
  return (
    code !== undefined &&
    (code.startsWith(SQLSTATE.dataExceptionClass) ||
      code.startsWith(SQLSTATE.integrityConstraintViolationClass) ||
      code === SQLSTATE.programLimitExceeded)
  );
}
