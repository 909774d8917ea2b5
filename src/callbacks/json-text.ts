import type { BodyParts } from "./body.ts";

/** Strings this long are serialized once per call and shared (see `LargeStrings`). */
export const LARGE_STRING = 4096;

/**
 * The JSON of one long string (a prompt), serialized once per call. Sent, it is written as UTF-8
 * straight into the body buffer (`bodyBytes`): no copy of its own is kept.
 */
export class Fragment {
  private utf8Length?: number;

  constructor(readonly json: string) {}

  get byteLength(): number {
    return (this.utf8Length ??= Buffer.byteLength(this.json));
  }
}

type Piece = string | Fragment;

const pieceLength = (p: Piece) => (typeof p === "string" ? p.length : p.json.length);

/**
 * A JSON text held as pieces: short strings, and the fragments of long strings it shares with the
 * call's other payloads. Read as a string it is the whole text; sent, its pieces are written into
 * the worker's body buffer (`bodyBytes`), without first building the text as a string. Adjacent
 * strings are merged, so every boundary between pieces is a fragment's quote (which
 * `SecretScrubber.scrubText` relies on).
 */
export class JsonText implements BodyParts {
  readonly pieces: readonly Piece[];
  /** The text's length in UTF-16 code units, as `String#length` counts it. */
  readonly length: number;

  constructor(pieces: Array<Piece | JsonText>) {
    const out: Piece[] = [];
    for (const p of pieces.flatMap((x) => (x instanceof JsonText ? x.pieces : [x]))) {
      const last = out.length - 1;
      if (typeof p === "string" && typeof out[last] === "string") out[last] += p;
      else if (p !== "") out.push(p);
    }
    this.pieces = out;
    this.length = out.reduce((n, p) => n + pieceLength(p), 0);
  }

  static of(text: string): JsonText {
    return new JsonText([text]);
  }

  /** `skeleton` with `insert` where the JSON string `markJson` stands. */
  static splice(skeleton: string, markJson: string, insert: JsonText): JsonText {
    const at = skeleton.split(markJson);
    if (at.length === 1) return JsonText.of(skeleton);
    return new JsonText(at.flatMap((s, i) => (i ? [insert, s] : [s])));
  }

  toString(): string {
    return this.pieces.map((p) => (typeof p === "string" ? p : p.json)).join("");
  }

  /** The first `chars` UTF-16 code units of the text, without joining the rest. */
  head(chars: number): string {
    let out = "";
    for (const p of this.pieces) {
      if (out.length >= chars) break;
      out += (typeof p === "string" ? p : p.json).slice(0, chars - out.length);
    }
    return out;
  }

  /** Serialized inside another JSON value, it is the string it holds. */
  toJSON(): string {
    return this.toString();
  }

  get byteLength(): number {
    let n = 0;
    for (const p of this.pieces) n += typeof p === "string" ? Buffer.byteLength(p) : p.byteLength;
    return n;
  }

  /** The text as a request body's parts (its strings and its fragments' JSON). */
  get parts(): string[] {
    return this.pieces.map((p) => (typeof p === "string" ? p : p.json));
  }

  /** A text of each item, in `[a,b]` (or another separator and brackets). */
  static list(items: readonly JsonText[], open = "[", sep = ",", close = "]"): JsonText {
    return new JsonText([open, ...items.flatMap((t, i) => (i ? [sep, t] : [t])), close]);
  }
}

/**
 * The long strings of one call, each serialized once: `stringify` gives the JSON of a value with
 * every string of `LARGE_STRING` or more code units as a fragment, the same fragment wherever the
 * same string appears (the prompt in the standard payload, in Langfuse's input, in the spans).
 */
export class LargeStrings {
  private readonly mark = `\u0000large-${crypto.randomUUID()}-`;
  private readonly markJson = JSON.stringify(this.mark);
  /** Long strings seen, with their fragments (compared by `===`: the same string object in the common case). */
  private readonly seen: Array<[string, Fragment]> = [];

  stringify(value: unknown): JsonText {
    const used: Fragment[] = [];
    const text = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v !== "string" || v.length < LARGE_STRING) return v;
      used.push(this.fragment(v));
      return `${this.mark}${used.length - 1}`;
    }) as string | undefined;
    if (text === undefined || !used.length) return JsonText.of(String(text));
    const open = this.markJson.slice(0, -1);
    const pieces: Array<string | Fragment> = [];
    let from = 0;
    for (let at = text.indexOf(open); at >= 0; at = text.indexOf(open, from)) {
      const end = text.indexOf('"', at + open.length);
      pieces.push(text.slice(from, at), used[Number(text.slice(at + open.length, end))]!);
      from = end + 1;
    }
    pieces.push(text.slice(from));
    return new JsonText(pieces);
  }

  private fragment(s: string): Fragment {
    for (const [k, f] of this.seen) if (k === s) return f;
    const f = new Fragment(JSON.stringify(s));
    this.seen.push([s, f]);
    return f;
  }
}
