// What jsonb cannot store: NUL characters and lone UTF-16 surrogates. A
// payload carrying them is kept with them replaced rather than refused (a
// refused webhook delivery is lost; VAPI and Instantly do not resend it).

/** `raw` with the characters jsonb refuses replaced by U+FFFD. */
export function sanitized(raw: unknown): unknown {
  return JSON.parse(
    JSON.stringify(raw, (_key, value) => (typeof value === "string" ? value.replaceAll("\u0000", "\ufffd").toWellFormed() : value)) ??
      "null",
  );
}

/** Whether jsonb would refuse `raw`. */
export function jsonbRefuses(raw: unknown): boolean {
  let refused = false;
  JSON.stringify(raw, (_key, value) => {
    if (!refused && typeof value === "string" && (value.includes("\u0000") || !value.isWellFormed())) refused = true;
    return value;
  });
  return refused;
}
