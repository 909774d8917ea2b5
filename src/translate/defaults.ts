import type { Conversation } from "./ir.ts";
import { num, str } from "./json.ts";
import { responseFormat } from "./response-format.ts";

/**
 * A deployment's default request parameters (LiteLLM `litellm_params`: `temperature`,
 * `max_tokens`, `response_format`, ...; OpenAI chat names) fill what the client left unset, before
 * the request is written in the upstream's protocol, so they arrive in its own form.
 */
export function applyDefaults(conv: Conversation, defaults: Readonly<Record<string, unknown>>): void {
  conv.temperature ??= num(defaults.temperature);
  conv.topP ??= num(defaults.top_p);
  conv.maxTokens ??= num(defaults.max_completion_tokens) ?? num(defaults.max_tokens);
  conv.user ??= str(defaults.user);
  conv.responseFormat ??= responseFormat(defaults.response_format);
  if (conv.thinkingBudget === undefined) conv.reasoningEffort ??= str(defaults.reasoning_effort);
  const stop = defaults.stop;
  conv.stop ??= typeof stop === "string" ? [stop] : Array.isArray(stop) ? stop.filter((s): s is string => typeof s === "string") : undefined;
}
