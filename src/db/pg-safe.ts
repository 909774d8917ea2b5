/**
 * Strings Postgres can store. A `text` value may not hold U+0000, and `jsonb` refuses the `\u0000`
 * escape and UTF-16 surrogates that are not part of a pair; both arrive from clients as valid JSON.
 * Each such code unit becomes U+FFFD (the Unicode replacement character, as a UTF-8 encoder writes
 * for a lone surrogate), so a call carrying one is stored with that character marked, never refused.
 */
export const REPLACEMENT = "\uFFFD";

/** A `text` value without U+0000 or lone surrogates. */
export function pgText(s: string): string {
  if (s.includes("\0")) s = s.replaceAll("\0", REPLACEMENT);
  return s.isWellFormed() ? s : s.toWellFormed();
}

// `\u0000`, a high-surrogate escape not followed by a low one, a low one not preceded by a high one;
// an escape after an odd number of backslashes is literal text (`\\u0000`), left alone.
const BAD_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2}\\u)d[c-f][0-9a-f]{2})/gi;

/** JSON text that `::jsonb` accepts. */
export function pgJsonText(json: string): string {
  return json.includes("\\u") ? json.replace(BAD_ESCAPE, "$1\\ufffd") : json;
}

/** `JSON.stringify` of a value for a `$n::text::jsonb` parameter. */
export function pgJson(value: unknown): string {
  return pgJsonText(JSON.stringify(value) ?? "null");
}

/** The driver's serializer for string-typed parameters: every `text`/`varchar` value the gateway sends. */
export const serializeText = (x: unknown): string => (typeof x === "string" ? pgText(x) : `${x}`);

/** The driver's serializer for `json`/`jsonb` parameters. */
export const serializeJson = (x: unknown): string => pgJson(x);
