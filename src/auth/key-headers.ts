import { rateLimitHeaders } from "../limits/types.ts";
import type { AuthContext } from "./types.ts";

/**
 * `x-litellm-model-region` (the end user's allowed region, as LiteLLM echoes it), and for a virtual
 * key `x-litellm-key-*` and `x-ratelimit-*`; the key spend includes this response's cost.
 */
export function keyHeaders(auth: AuthContext, responseCost: number): Record<string, string> {
  const h: Record<string, string> = auth.allowedModelRegion ? { "x-litellm-model-region": auth.allowedModelRegion } : {};
  const k = auth.keyLimits;
  if (!k) return h;
  h["x-litellm-key-spend"] = String(k.spend() + responseCost);
  if (k.maxBudget !== undefined) h["x-litellm-key-max-budget"] = String(k.maxBudget);
  if (k.tpmLimit !== undefined) h["x-litellm-key-tpm-limit"] = String(k.tpmLimit);
  if (k.rpmLimit !== undefined) h["x-litellm-key-rpm-limit"] = String(k.rpmLimit);
  return Object.assign(h, rateLimitHeaders(auth.admission?.status));
}
