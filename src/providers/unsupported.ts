import { GatewayError } from "../errors.ts";
import type { Protocol, Provider } from "./types.ts";

const EVERY: Protocol[] = [
  "openai-chat", "openai-responses", "openai-embeddings", "anthropic-messages", "anthropic-count-tokens", "openai-completions",
  "openai-images", "openai-image-edits", "openai-transcriptions", "openai-speech", "openai-moderations", "rerank",
];

/**
 * A `model_list` entry the gateway cannot call (an unknown provider prefix, a missing `api_base`):
 * LiteLLM boots with it, lists it, and fails the call. Here the call fails with the reason and the
 * config key that causes it, instead of the whole config failing or the model vanishing.
 */
const reasons = new WeakMap<Provider, string>();

/** Why a deployment's provider cannot be called, or undefined for a callable one. */
export const unusableReason = (p: Provider): string | undefined => reasons.get(p);

export function unusable(name: string, reason: string): Provider {
  const p: Provider = {
    name,
    native: new Set<Protocol>(EVERY),
    preferred: "openai-chat",
    buildRequest() {
      throw new GatewayError(400, `litellm.BadRequestError: ${reason}`, { type: "invalid_request_error", kind: "BadRequestError" });
    },
  };
  reasons.set(p, reason);
  return p;
}
