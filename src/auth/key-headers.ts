import { rateLimitHeaders } from "../limits/types.ts";
import type { KeyRecord } from "./key-record.ts";
import type { AuthContext, KeyLimits } from "./types.ts";

const limitsOf = new WeakMap<KeyRecord, KeyLimits>();

/** The key's spend and its limit headers as sent, made once per cached record (a changed key is a new record). */
export function keyLimitsOf(rec: KeyRecord): KeyLimits {
  let k = limitsOf.get(rec);
  if (k) return k;
  const fixed: [string, string][] = [];
  if (rec.maxBudget !== undefined) fixed.push(["x-litellm-key-max-budget", String(rec.maxBudget)]);
  if (rec.tpm !== undefined) fixed.push(["x-litellm-key-tpm-limit", String(rec.tpm)]);
  if (rec.rpm !== undefined) fixed.push(["x-litellm-key-rpm-limit", String(rec.rpm)]);
  limitsOf.set(rec, (k = { spend: rec.spend, fixed }));
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
  for (const [name, value] of k.fixed) h[name] = value;
  if (auth.admission?.status) rateLimitHeaders(auth.admission.status, h);
}
