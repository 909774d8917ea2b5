import { createHash, timingSafeEqual } from "node:crypto";

/** LiteLLM's `hash_token`: sha256 hex of the raw key, `sk-` prefix included. */
export function hashToken(raw: string): string {
  return createHash("sha256").update(raw).digest("hex");
}

/** Constant-time comparison of two secrets of any length (compares their digests). */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

/** `sk-...` + last 4 characters, LiteLLM's `key_name`. */
export function abbreviateKey(raw: string): string {
  return `sk-...${raw.slice(-4)}`;
}
