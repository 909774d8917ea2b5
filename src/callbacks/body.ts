/** A delivery's body as pieces sent one after another: strings (as UTF-8) and bytes. */
export interface BodyParts {
  readonly parts: ReadonlyArray<string | Uint8Array>;
}

/** A body longer than this gets a buffer of its own instead of growing the shared one. */
const MAX_SHARED_BYTES = 32 * 1024 * 1024;
let shared = Buffer.allocUnsafeSlow(0) as Buffer<ArrayBuffer>;

/**
 * The body's bytes, written into one buffer the logging worker reuses for every delivery (and for
 * searching a text's UTF-8, see SecretScrubber), valid until the next call: only for consumers that
 * copy their input before they return (Bun's `fetch` and `S3Client.write` copy a byte-array body
 * when called; tests/unit/callbacks/body.test.ts holds them to it). A Blob or a fresh array per body was new memory, and its page faults, for every
 * sink and batch: over 1 MB per call carrying a 256 KB prompt.
 */
export function bodyBytes(b: BodyParts): Buffer<ArrayBuffer> {
  let bound = 0;
  for (const p of b.parts) bound += typeof p === "string" ? p.length * 3 : p.length;
  let out = shared;
  if (bound > out.length) {
    if (bound > MAX_SHARED_BYTES) {
      let exact = 0;
      for (const p of b.parts) exact += typeof p === "string" ? Buffer.byteLength(p) : p.length;
      out = Buffer.allocUnsafeSlow(exact) as Buffer<ArrayBuffer>;
    } else shared = out = Buffer.allocUnsafeSlow(Math.min(MAX_SHARED_BYTES, Math.max(bound, out.length * 2))) as Buffer<ArrayBuffer>;
  }
  return out.subarray(0, writeParts(out, b.parts));
}

/** Writes the parts one after another from the start of `out` (room for their UTF-8); returns the bytes written. */
export function writeParts(out: Buffer, parts: BodyParts["parts"]): number {
  let at = 0;
  for (const p of parts) {
    if (typeof p === "string") at += out.write(p, at);
    else {
      out.set(p, at);
      at += p.length;
    }
  }
  return at;
}
