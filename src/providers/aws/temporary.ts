import { secrets } from "../../redaction.ts";
import type { AwsCredentials } from "../bedrock/sigv4.ts";

export interface TemporaryCredentials extends AwsCredentials {
  /** epoch ms; absent for long-lived keys */
  expiresAt?: number;
}

const REFRESH_MARGIN_MS = 5 * 60_000;
const cache = new Map<string, { creds: TemporaryCredentials; refreshAt: number }>();
const inflight = new Map<string, Promise<TemporaryCredentials>>();

function refreshAt(c: TemporaryCredentials): number {
  if (c.expiresAt === undefined) return Infinity;
  const now = Date.now();
  return c.expiresAt - Math.min(REFRESH_MARGIN_MS, Math.max(0, c.expiresAt - now) / 2);
}

/**
 * Credentials under `key`, fetched by `load` only when missing or near their Expiration.
 * Concurrent callers share one fetch.
 */
export async function cachedCredentials(key: string, load: () => Promise<TemporaryCredentials>): Promise<TemporaryCredentials> {
  const hit = cache.get(key);
  if (hit && Date.now() < hit.refreshAt) return hit.creds;
  let p = inflight.get(key);
  if (!p) {
    p = load().finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  const got = await p;
  cache.set(key, { creds: got, refreshAt: refreshAt(got) });
  secrets.set(`aws:${key}`, [got.secretAccessKey, got.sessionToken]);
  return got;
}
