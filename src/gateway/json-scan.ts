/**
 * A top-level field scanner over JSON bytes: where each member of the outer object sits, without
 * decoding or parsing the values. String contents are jumped over with the native
 * `Uint8Array.prototype.indexOf`; everything outside strings (brackets, commas, colons, numbers,
 * literals) is checked against JSON's grammar. Not checked, because that would mean visiting every
 * byte of every string: control characters, escape sequences and UTF-8 inside string values (a
 * value decoded later with `JSON.parse` still rejects them).
 */

/** One `"key": value` of the outer object, as byte offsets (`valueEnd` exclusive). */
export interface JsonMember {
  key: string;
  keyStart: number;
  valueStart: number;
  valueEnd: number;
}

export interface ScannedObject {
  /** Offsets of the outer `{` and `}`. */
  open: number;
  close: number;
  /** Every member in order, duplicates included. */
  members: JsonMember[];
  /** Key -> index in `members` of its last occurrence (the one `JSON.parse` keeps), in first-occurrence order. */
  index: Map<string, number>;
  /** Where a scan of bytes sharing a prefix with these can resume (see `Marks`), when asked for. */
  marks?: Marks;
}

/**
 * Offsets just past an element of a top-level array value (`member[k]` is that member's index; at
 * least `MARK_GAP` bytes after the mark before) or just past a whole member (`member[k]` is
 * `-1 - index`), in order. The scanner's state at such an
 * offset is known from the member alone, so bytes identical up to and including it scan on from there.
 */
export interface Marks {
  at: number[];
  member: number[];
}

export type ScanResult = ScannedObject | "invalid" | "too-deep";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const TOO_DEEP = -2;
/** Least bytes between two marks inside an array: an array of many small items gets few marks. */
const MARK_GAP = 512;
/** Bytes of a string read one by one before `indexOf` takes over. */
const INLINE_BYTES = 16;

const decoder = new TextDecoder();
let closers = new Uint8Array(64);

function skipWs(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/**
 * `i` at an opening quote: the offset just past its closing quote, or -1. The first bytes are
 * looked at here (most keys and many values are short, and a native call costs more than a few
 * bytes read in JS); a longer string is jumped over with `indexOf`, each quote found checked for
 * the backslashes before it.
 */
function stringEnd(b: Uint8Array, i: number): number {
  let from = i + 1;
  const stop = Math.min(b.length, from + INLINE_BYTES);
  for (; from < stop; from++) {
    const c = b[from];
    if (c === QUOTE) return from + 1;
    if (c === BACKSLASH) from++;
  }
  for (;;) {
    const q = b.indexOf(QUOTE, from);
    if (q < 0) return -1;
    let k = q - 1;
    while (b[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1;
    from = q + 1;
  }
}

function digitsEnd(b: Uint8Array, i: number): number {
  const start = i;
  while (b[i]! >= ZERO && b[i]! <= NINE) i++;
  return i > start ? i : -1;
}

function literalEnd(b: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return -1;
  return i + word.length;
}

/** A number, `true`, `false` or `null` at `i`: the offset past it, or -1. */
function scalarEnd(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === 0x74) return literalEnd(b, i, "true");
  if (c === 0x66) return literalEnd(b, i, "false");
  if (c === 0x6e) return literalEnd(b, i, "null");
  if (c === MINUS) i++;
  if (b[i] === ZERO) i++;
  else if ((i = digitsEnd(b, i)) < 0) return -1;
  if (b[i] === DOT && (i = digitsEnd(b, i + 1)) < 0) return -1;
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === PLUS || b[i] === MINUS) i++;
    if ((i = digitsEnd(b, i)) < 0) return -1;
  }
  return i;
}

/** `i` at a `"key"` inside an object: the offset just past its `:`, or -1. */
function keyColonEnd(b: Uint8Array, i: number): number {
  if (b[i] !== QUOTE) return -1;
  i = stringEnd(b, i);
  if (i < 0) return -1;
  i = skipWs(b, i);
  return b[i] === COLON ? i + 1 : -1;
}

/**
 * One value starting at `i` (any nesting, at most `maxDepth` brackets deep): the offset past it, -1
 * or TOO_DEEP. With `marks`, each end of an element of an outer array is recorded for `member`;
 * `inArray` resumes just past such an element.
 */
function valueEnd(b: Uint8Array, i: number, maxDepth: number, marks?: Marks, member = 0, inArray = false): number {
  let depth = 0;
  if (inArray) {
    closers[0] = CLOSE_ARR;
    depth = 1;
  }
  for (;;) {
    if (!inArray) {
      i = skipWs(b, i);
      const c = b[i];
      if (c === QUOTE) i = stringEnd(b, i);
      else if (c === OPEN_OBJ || c === OPEN_ARR) {
        if (depth >= maxDepth) return TOO_DEEP;
        if (depth >= closers.length) {
          const grown = new Uint8Array(closers.length * 2);
          grown.set(closers);
          closers = grown;
        }
        const close = c === OPEN_OBJ ? CLOSE_OBJ : CLOSE_ARR;
        i = skipWs(b, i + 1);
        if (b[i] === close) i++;
        else {
          closers[depth++] = close;
          if (close === CLOSE_OBJ && (i = keyColonEnd(b, i)) < 0) return -1;
          continue;
        }
      } else i = scalarEnd(b, i);
      if (i < 0) return -1;
    }
    inArray = false;
    for (;;) {
      if (depth === 0) return i;
      if (depth === 1 && marks && closers[0] === CLOSE_ARR && i - (marks.at[marks.at.length - 1] ?? 0) >= MARK_GAP) {
        marks.at.push(i);
        marks.member.push(member);
      }
      i = skipWs(b, i);
      const d = b[i];
      if (d === COMMA) {
        i = skipWs(b, i + 1);
        if (closers[depth - 1] === CLOSE_OBJ && (i = keyColonEnd(b, i)) < 0) return -1;
        break;
      }
      if (d !== closers[depth - 1]) return -1;
      depth--;
      i++;
    }
  }
}

function keyText(b: Uint8Array, start: number, end: number): string | undefined {
  let s = "";
  for (let k = start + 1; k < end - 1; k++) {
    const c = b[k]!;
    if (c === BACKSLASH || c >= 0x80 || c < 0x20) {
      try {
        return JSON.parse(decoder.decode(b.subarray(start, end))) as string;
      } catch {
        return undefined;
      }
    }
    s += String.fromCharCode(c);
  }
  return s;
}

/** A scan to continue: `prev` (a marked scan) made on bytes identical to the new ones up to and including `prev.marks.at[mark]`. */
export interface ScanFrom {
  prev: ScannedObject;
  mark: number;
}

/**
 * Scans a JSON object's top-level members. `maxDepth` counts the outer object as one level, like
 * `nestedDeeperThan`. Anything that is not one JSON object (after whitespace) is "invalid".
 * `marked` records where a later scan may resume; with `from`, the members and marks up to its
 * mark are the earlier scan's and only the bytes after it are read.
 */
export function scanObject(b: Uint8Array, maxDepth: number, marked = false, from?: ScanFrom): ScanResult {
  const members: JsonMember[] = [];
  const index = new Map<string, number>();
  const marks: Marks | undefined = marked || from ? { at: [], member: [] } : undefined;
  let open: number;
  let i: number;
  if (from) {
    const { prev, mark } = from;
    const prevMarks = prev.marks!;
    open = prev.open;
    i = prevMarks.at[mark]!;
    const m = prevMarks.member[mark]!;
    const kept = m < 0 ? -m : m;
    for (let k = 0; k < kept; k++) add(members, index, undefined, prev.members[k]!);
    // an element's mark is recorded again when its array is read on
    const upTo = m >= 0 ? mark : mark + 1;
    marks!.at = prevMarks.at.slice(0, upTo);
    marks!.member = prevMarks.member.slice(0, upTo);
    if (m >= 0) {
      const end = valueEnd(b, i, maxDepth - 1, marks, m, true);
      if (end === TOO_DEEP) return "too-deep";
      if (end < 0) return "invalid";
      add(members, index, marks, { ...prev.members[m]!, valueEnd: end });
      i = end;
    }
    i = skipWs(b, i);
    if (b[i] === CLOSE_OBJ) return closed(b, open, i, members, index, marks);
    if (b[i] !== COMMA) return "invalid";
    i = skipWs(b, i + 1);
  } else {
    i = skipWs(b, 0);
    if (b[i] !== OPEN_OBJ) return "invalid";
    open = i;
    i = skipWs(b, i + 1);
    if (b[i] === CLOSE_OBJ) return closed(b, open, i, members, index, marks);
  }
  for (;;) {
    const keyStart = i;
    if (b[i] !== QUOTE) return "invalid";
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0) return "invalid";
    const key = keyText(b, keyStart, keyEnd);
    if (key === undefined) return "invalid";
    i = skipWs(b, keyEnd);
    if (b[i] !== COLON) return "invalid";
    const valueStart = skipWs(b, i + 1);
    const end = valueEnd(b, valueStart, maxDepth - 1, marks, members.length);
    if (end === TOO_DEEP) return "too-deep";
    if (end < 0) return "invalid";
    add(members, index, marks, { key, keyStart, valueStart, valueEnd: end });
    i = skipWs(b, end);
    if (b[i] === COMMA) i = skipWs(b, i + 1);
    else if (b[i] === CLOSE_OBJ) break;
    else return "invalid";
  }
  return closed(b, open, i, members, index, marks);
}

function add(members: JsonMember[], index: Map<string, number>, marks: Marks | undefined, m: JsonMember): void {
  index.set(m.key, members.length);
  members.push(m);
  if (marks) {
    marks.at.push(m.valueEnd);
    marks.member.push(-members.length);
  }
}

function closed(b: Uint8Array, open: number, close: number, members: JsonMember[], index: Map<string, number>, marks: Marks | undefined): ScanResult {
  if (skipWs(b, close + 1) !== b.length) return "invalid";
  return marks ? { open, close, members, index, marks } : { open, close, members, index };
}
