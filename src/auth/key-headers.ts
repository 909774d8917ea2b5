import { rateLimitHeaders } from "../limits/types.ts";
import type { AuthContext } from "./types.ts";

/**
 * `x-litellm-model-region` (the end user's allowed region, as LiteLLM echoes it), and for a virtual
 * key `x-litellm-key-*` and `x-ratelimit-*`; the key spend includes this response's cost.
 */
export function addKeyHeaders(h: Record<string, string>, auth: AuthContext, responseCost: number): void {
  if (auth.allowedModelRegion) h["x-litellm-model-region"] = auth.allowedModelRegion;
  const k = auth.keyLimits;
  if (!k) return;
  h["x-litellm-key-spend"] = String(k.spend() + responseCost);
  if (k.maxBudget !== undefined) h["x-litellm-key-max-budget"] = String(k.maxBudget);
  if (k.tpmLimit !== undefined) h["x-litellm-key-tpm-limit"] = String(k.tpmLimit);
  if (k.rpmLimit !== undefined) h["x-litellm-key-rpm-limit"] = String(k.rpmLimit);
  if (auth.admission?.status) rateLimitHeaders(auth.admission.status, h);
}
