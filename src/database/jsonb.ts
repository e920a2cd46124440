// What a jsonb column can store, in one place for every source (webhooks,
// sync pages). Two kinds of trouble:
// - characters jsonb refuses, in a string or in a key: NUL and lone UTF-16
//   surrogates. A payload carrying them is kept with them replaced (U+FFFD)
//   rather than refused (a refused webhook delivery is lost; VAPI does not
//   resend it, Instantly retries and then switches the webhook off).
// - nesting deeper than MAX_JSON_DEPTH: nothing to repair. Node's
//   JSON.stringify overflows its stack near 5,000 levels (and PostgreSQL's
//   parser past max_stack_depth), so such a body is refused with a reason
//   before anything walks it recursively.

/** Far above any real payload (Instantly's and VAPI's nest under 20), far below where either side overflows. */
export const MAX_JSON_DEPTH = 200;

const repaired = (text: string) => text.replaceAll("\u0000", "\ufffd").toWellFormed();
const refusedText = (text: string) => text.includes("\u0000") || !text.isWellFormed();

/** `raw` with the characters jsonb refuses, in strings and in keys, replaced by U+FFFD. */
export function sanitized(raw: unknown): unknown {
  return JSON.parse(
    JSON.stringify(raw, (_key, value: unknown) => {
      if (typeof value === "string") return repaired(value);
      if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).some(refusedText))
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [repaired(key), item]));
      return value;
    }) ?? "null",
  );
}

/** Whether jsonb would refuse `raw` as it is (a NUL or a lone surrogate in a string or a key): sanitized() repairs it. */
export function jsonbRefuses(raw: unknown): boolean {
  let refused = false;
  JSON.stringify(raw, (key, value: unknown) => {
    if (!refused && (refusedText(key) || (typeof value === "string" && refusedText(value)))) refused = true;
    return value;
  });
  return refused;
}

/**
 * Why `raw` cannot be stored at all (nested deeper than MAX_JSON_DEPTH), or
 * undefined. Iterative: call it before anything recursive (JSON.stringify,
 * jsonbRefuses, sanitized) touches the value.
 */
export function unstorableJson(raw: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<[unknown, number]> = [[raw, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (!value || typeof value !== "object") continue;
    if (depth > maxDepth) return `the JSON is nested deeper than ${maxDepth} levels`;
    for (const item of Array.isArray(value) ? value : Object.values(value)) stack.push([item, depth + 1]);
  }
  return undefined;
}
