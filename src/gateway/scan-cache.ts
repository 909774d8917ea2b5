import { scanObject, type ScanFrom, type ScannedObject, type ScanResult } from "./json-scan.ts";

interface Entry {
  bytes: Uint8Array;
  scan: ScannedObject;
  /** The call that read the bytes is over: they are kept for the next scan only. */
  done: boolean;
}

/** Bytes compared per native call while looking for where two bodies part. */
const BLOCK = 64 * 1024;
const SMALL_BLOCK = 1024;

/**
 * Gives a body's memory back at once rather than at the next garbage collection: megabyte bodies
 * freed late leave the allocator mapping fresh pages for the next one (measured at 2 MB: about 200
 * page faults per request against 40). The upload does not need them (fetch keeps its own copy).
 */
function free(bytes: Uint8Array): void {
  const buf = bytes.buffer as ArrayBuffer;
  if (bytes.byteOffset === 0 && bytes.byteLength === buf.byteLength && !buf.detached) buf.transfer(0);
}

function same(a: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  return Buffer.compare(a.subarray(from, to), b.subarray(from, to)) === 0;
}

/** A length `a` and `b` share from their start (at most `n`), rounded down to a block where they part. */
function sharedPrefix(a: Uint8Array, b: Uint8Array, n: number): number {
  let at = 0;
  while (at + BLOCK <= n && same(a, b, at, at + BLOCK)) at += BLOCK;
  const stop = Math.min(n, at + BLOCK);
  while (at + SMALL_BLOCK <= stop && same(a, b, at, at + SMALL_BLOCK)) at += SMALL_BLOCK;
  return at + SMALL_BLOCK > stop && same(a, b, at, stop) ? stop : at;
}

/** The last mark of `prev` whose offset and the byte there are inside the shared prefix. */
function resumeFrom(prev: Entry, bytes: Uint8Array): ScanFrom | undefined {
  const { at } = prev.scan.marks!;
  if (!at.length) return undefined;
  const shared = sharedPrefix(prev.bytes, bytes, Math.min(prev.bytes.byteLength, bytes.byteLength, at[at.length - 1]! + 1));
  let lo = 0;
  let hi = at.length - 1;
  let mark = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (at[mid]! < shared) {
      mark = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return mark < 0 ? undefined : { prev: prev.scan, mark };
}

/**
 * The last large body scanned per client credential. A coding agent's next request is its last
 * one plus new turns (the same bytes up to the last messages), so its scan resumes where the
 * bodies part instead of reading megabytes again. Only the same credential's body is compared, so
 * timing tells a client nothing about another's prompts; the bytes held are bounded.
 */
export class ScanCache {
  private readonly entries = new Map<string, Entry>();
  private held = 0;
  /** Bytes not read again because a scan resumed (for tests and diagnostics). */
  skipped = 0;

  constructor(
    private readonly minBytes: number,
    private readonly maxHeldBytes: number,
  ) {}

  get heldBytes(): number {
    return this.held;
  }

  scan(owner: string | undefined, bytes: Uint8Array, maxDepth: number): ScanResult {
    if (owner === undefined || bytes.byteLength < this.minBytes || bytes.byteLength > this.maxHeldBytes) return scanObject(bytes, maxDepth);
    const prev = this.entries.get(owner);
    const from = prev && resumeFrom(prev, bytes);
    if (from) this.skipped += from.prev.marks!.at[from.mark]!;
    const scan = scanObject(bytes, maxDepth, true, from);
    if (prev) this.drop(owner, prev);
    if (typeof scan !== "string") this.keep(owner, { bytes, scan, done: false });
    return scan;
  }

  /**
   * The call that read `bytes` (of at least `minBytes`) is over and nothing reads them again: they
   * are freed now, or when the entry keeping them for the owner's next scan is replaced.
   */
  done(owner: string | undefined, bytes: Uint8Array): void {
    const e = owner === undefined ? undefined : this.entries.get(owner);
    if (e?.bytes === bytes) e.done = true;
    else free(bytes);
  }

  private keep(owner: string, e: Entry): void {
    this.entries.set(owner, e);
    this.held += e.bytes.byteLength;
    for (const [k, old] of this.entries) {
      if (this.held <= this.maxHeldBytes) break;
      this.drop(k, old);
    }
  }

  private drop(owner: string, e: Entry): void {
    this.entries.delete(owner);
    this.held -= e.bytes.byteLength;
    if (e.done) free(e.bytes);
  }
}
