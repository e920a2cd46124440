// What the sync sets aside before PostgreSQL would refuse it (and fail the
// whole page again on every retry).
import { describe, expect, it } from "vitest";
import { sanitized, unstorable } from "../../src/sources/instantly/api/storable.ts";

describe("unstorable", () => {
  it("accepts ordinary records, timestamps with offsets and dates", () => {
    expect(unstorable({ id: "a", subject: "Hi ✓ 😀", timestamp_created: "2025-10-15T21:49:47.000Z" })).toBeUndefined();
    expect(unstorable({ timestamp_email: "2025-10-15T23:30:00-05:00", date: "2024-02-29" })).toBeUndefined();
  });

  it("names NUL characters, lone surrogates and impossible dates", () => {
    expect(unstorable({ body: { text: "a\u0000b" } })).toMatch(/text contains a NUL character/);
    expect(unstorable({ subject: "broken \ud83d here" })).toMatch(/subject contains a lone UTF-16 surrogate/);
    expect(unstorable({ timestamp_created: "2025-02-30T10:00:00.000Z" })).toMatch(
      /timestamp_created: "2025-02-30T10:00:00.000Z" is not a valid date/,
    );
    expect(unstorable({ date: "2025-13-01" })).toMatch(/not a valid date/);
  });

  it("names keys jsonb refuses and nesting too deep to store, without overflowing", () => {
    expect(unstorable({ payload: { "a\u0000b": 1 } })).toMatch(/a key contains a NUL character/);
    expect(unstorable({ ["\udc00"]: "x" })).toMatch(/a key contains a lone UTF-16 surrogate/);
    let deep: unknown = "bottom";
    for (let level = 0; level < 20_000; level++) deep = { next: deep };
    expect(unstorable({ id: "a", deep })).toMatch(/nested deeper than 200 levels/);
  });

  it("sanitized() replaces what jsonb refuses so the record itself can be kept", () => {
    const clean = sanitized({ a: "x\u0000y", b: ["\ud83d"] }) as { a: string; b: string[] };
    expect(clean).toEqual({ a: "x\ufffdy", b: ["\ufffd"] });
    expect(unstorable(clean)).toBeUndefined();
  });
});
