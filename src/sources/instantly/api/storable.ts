// Checks for what PostgreSQL refuses to store, so one bad record is set aside
// instead of failing its page (or webhook delivery) on every retry.

// What passes validation but PostgreSQL would refuse, failing the whole page
// again on every retry: NUL characters and lone surrogates (jsonb stores
// neither) and timestamps no calendar has (JavaScript rolls 2025-02-30 over to
// March; PostgreSQL refuses it).
const TIMESTAMP_KEYS = new Set(["timestamp_created", "timestamp_email", "timestamp_updated", "date"]);

export function unstorable(raw: unknown): string | undefined {
  // Checked first, iteratively: JSON.stringify below would overflow on it.
  let reason = unstorableJson(raw);
  JSON.stringify(reason ? null : raw, (key, value) => {
    if (reason) return value;
    // A key jsonb refuses fails the page like a value does.
    if (key.includes("\u0000")) reason = `a key contains a NUL character`;
    else if (!key.isWellFormed()) reason = `a key contains a lone UTF-16 surrogate`;
    if (reason || typeof value !== "string") return value;
    if (value.includes("\u0000")) reason = `${key || "a value"} contains a NUL character`;
    else if (!value.isWellFormed()) reason = `${key || "a value"} contains a lone UTF-16 surrogate`;
    else if (TIMESTAMP_KEYS.has(key) && value) {
      const [, y, m, d] = /^(\d{4})-(\d{2})-(\d{2})/.exec(value) ?? [];
      const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
      if (!y || day.getUTCMonth() !== Number(m) - 1 || day.getUTCDate() !== Number(d) || Number.isNaN(Date.parse(value))) {
        reason = `${key}: "${value}" is not a valid date`;
      }
    }
    return value;
  });
  return reason;
}

export { sanitized } from "../../../database/jsonb.ts";
import { unstorableJson } from "../../../database/jsonb.ts";
