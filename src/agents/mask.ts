const MIN_SECRET = 4;
const STAR = 0x2a;

/**
 * Overwrites every occurrence of a secret with asterisks of the same length, so byte offsets stay
 * valid (a tar archive stays a tar archive). Returns the input itself when nothing matched.
 */
export function maskSecrets(data: Uint8Array, secrets: string[]): Uint8Array {
  let out: Buffer | undefined;
  for (const s of secrets) {
    if (s.length < MIN_SECRET) continue;
    const needle = Buffer.from(s, "utf8");
    const hay = out ?? Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let at = hay.indexOf(needle);
    if (at < 0) continue;
    out ??= Buffer.from(hay);
    while (at >= 0) {
      out.fill(STAR, at, at + needle.length);
      at = out.indexOf(needle, at + needle.length);
    }
  }
  return out ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : data;
}

export function maskText(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_SECRET) out = out.split(s).join("*".repeat(s.length));
  return out;
}
