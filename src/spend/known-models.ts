import type { findProvider as FindProvider } from "@pydantic/genai-prices";
import { PROVIDER_IDS } from "./cost.ts";

let findProviderFn: typeof FindProvider | undefined;
const known = new Map<string, string[]>();

/** The model ids the embedded price table knows for a LiteLLM provider name (LiteLLM's `models_by_provider`). */
export function knownModels(provider: string): string[] {
  const hit = known.get(provider);
  if (hit) return hit;
  const id = PROVIDER_IDS[provider];
  findProviderFn ??= (require("@pydantic/genai-prices") as { findProvider: typeof FindProvider }).findProvider;
  const models = id ? (findProviderFn({ providerId: id })?.models.map((m) => m.id) ?? []) : [];
  known.set(provider, models);
  return models;
}
