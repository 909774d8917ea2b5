import { rateLimitHeaders } from "../limits/types.ts";
import type { KeyRecord } from "./key-record.ts";
import type { AuthContext, KeyLimits } from "./types.ts";

const limitsOf = new WeakMap<KeyRecord, KeyLimits>();

/** The key's spend and its limit headers as sent, made once per cached record (a changed key is a new record). */
export function keyLimitsOf(rec: KeyRecord): KeyLimits {
  let k = limitsOf.get(rec);
  if (!k) {
    const text = (n: number | undefined) => (n === undefined ? undefined : String(n));
    limitsOf.set(rec, (k = { spend: rec.spend, maxBudget: text(rec.maxBudget), tpmLimit: text(rec.tpm), rpmLimit: text(rec.rpm) }));
  }
  return k;
}

/**
 * `x-litellm-model-region` (the end user's allowed region, as LiteLLM echoes it), and for a virtual
 * key `x-litellm-key-*` and `x-ratelimit-*`; the key spend includes this response's cost.
 */
export function addKeyHeaders(h: Record<string, string>, auth: AuthContext, responseCost: number): void {
  if (auth.allowedModelRegion) h["x-litellm-model-region"] = auth.allowedModelRegion;
  const k = auth.keyLimits;
  if (!k) return;
  h["x-litellm-key-spend"] = String(k.spend.value + responseCost);
  if (k.maxBudget !== undefined) h["x-litellm-key-max-budget"] = k.maxBudget;
  if (k.tpmLimit !== undefined) h["x-litellm-key-tpm-limit"] = k.tpmLimit;
  if (k.rpmLimit !== undefined) h["x-litellm-key-rpm-limit"] = k.rpmLimit;
  if (auth.admission?.status) rateLimitHeaders(auth.admission.status, h);
}
