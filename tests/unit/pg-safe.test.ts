import { describe, expect, test } from "bun:test";
import { pgJson, pgJsonText, pgText } from "../../src/db/pg-safe.ts";

describe("strings Postgres can store", () => {
  test("text: U+0000 and lone surrogates become U+FFFD, pairs stay", () => {
    expect(pgText("a\u0000b\ud800c\udc00d😀")).toBe("a\uFFFDb\uFFFDc\uFFFDd😀");
    const plain = "nothing to do";
    expect(pgText(plain)).toBe(plain);
  });

  test("jsonb: escapes of U+0000 and lone surrogates are replaced in values and keys", () => {
    const out = pgJson({ tags: ["t\u0000x"], ["k\u0000"]: "\ud83d", lo: "\ude00x", pair: "😀" });
    expect(JSON.parse(out)).toEqual({ tags: ["t\uFFFDx"], ["k\uFFFD"]: "\uFFFD", lo: "\uFFFDx", pair: "😀" });
  });

  test("jsonb: literal backslash text and escaped surrogate pairs are left alone", () => {
    expect(JSON.parse(pgJson({ s: "\\u0000 and \\ud800" }))).toEqual({ s: "\\u0000 and \\ud800" });
    expect(pgJsonText('["\\ud83d\\ude00","\\\\\\u0000"]')).toBe('["\\ud83d\\ude00","\\\\\\ufffd"]');
  });
});
