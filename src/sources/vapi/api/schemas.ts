// Lenient validation of VAPI's Call objects (docs/sources/vapi.md). VAPI adds
// fields and values over time (endedReason alone has hundreds), so unknown
// fields are kept and most fields may be missing or null. A Call is rejected
// only when the raw layer cannot key or order it: no id, or a createdAt /
// updatedAt that is not a timestamp; or when jsonb cannot store it. The
// reason is readable, and the sync sets such a call aside in vapi_rejects
// (stage 'fetch') instead of failing its page.
import { z } from "zod";
import { jsonbRefuses } from "../../../database/jsonb.ts";

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const timestamp = z.string().refine((value) => ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)), {
  message: "expected an ISO timestamp",
});
const text = z.string().nullish();

export const callSchema = z.looseObject({
  id: z.string().min(1),
  createdAt: timestamp,
  updatedAt: timestamp,
  orgId: text,
  type: text,
  status: text,
  endedReason: text,
  startedAt: timestamp.nullish(),
  endedAt: timestamp.nullish(),
  assistantId: text,
  phoneNumberId: text,
  customer: z.looseObject({ number: text, externalId: text, name: text }).nullish(),
});

/** A validated Call (unknown fields kept). */
export type Call = z.infer<typeof callSchema>;

export interface CallValidation {
  /** Calls exactly as received, in the order received. */
  valid: unknown[];
  /** sourceId: the call's id when it has one, else a digest of the item. */
  rejected: { raw: unknown; sourceId: string; reason: string }[];
}

/** Splits a page into storable calls and rejects with a reason such as `call.updatedAt: missing`. Never throws. */
export function validateCalls(items: unknown[]): CallValidation {
  const result: CallValidation = { valid: [], rejected: [] };
  for (const raw of items) {
    const reason = rejectReason(raw);
    if (reason === undefined) result.valid.push(raw);
    else result.rejected.push({ raw, sourceId: sourceIdOf(raw), reason });
  }
  return result;
}

/** Why a Call cannot be stored, or undefined. */
export function rejectReason(raw: unknown): string | undefined {
  const parsed = callSchema.safeParse(raw);
  if (!parsed.success) return describeIssues(raw, parsed.error.issues);
  if (jsonbRefuses(raw)) return "call: contains a NUL character or a lone UTF-16 surrogate (jsonb stores neither)";
  return undefined;
}

function sourceIdOf(raw: unknown): string {
  const id = (raw as { id?: unknown } | null)?.id;
  if (typeof id === "string" && id) return id;
  // No id: a stable key per distinct item, so a repeat updates its reject.
  let hash = 0;
  for (const char of JSON.stringify(raw) ?? "undefined") hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return `no-id:${(hash >>> 0).toString(16)}`;
}

function describeIssues(raw: unknown, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = ["call", ...issue.path.map(String)].join(".");
      const value = valueAt(raw, issue.path);
      if (issue.code === "invalid_type")
        return value === undefined
          ? `${where}: missing, expected ${issue.expected}`
          : `${where}: expected ${issue.expected}, got ${typeName(value)}`;
      if (issue.code === "too_small") return `${where}: empty`;
      if (issue.code === "custom") return `${where}: ${issue.message}, got ${JSON.stringify(value)?.slice(0, 60)}`;
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
