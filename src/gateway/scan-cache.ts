import { scanObject, type ScanFrom, type ScannedObject, type ScanResult } from "./json-scan.ts";

interface Entry {
  bytes: Uint8Array;
  scan: ScannedObject;
}

/** Bytes compared per native call while looking for where two bodies part. */
const BLOCK = 64 * 1024;
const SMALL_BLOCK = 1024;

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
    if (prev) this.drop(owner, prev);
    const from = prev && resumeFrom(prev, bytes);
    if (from) this.skipped += from.prev.marks!.at[from.mark]!;
    const scan = scanObject(bytes, maxDepth, true, from);
    if (typeof scan !== "string") this.keep(owner, { bytes, scan });
    return scan;
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
  }
}
