import { createHash } from "node:crypto";
import type { Conversation } from "./ir.ts";
import type { Obj } from "./json.ts";

/** What the chat and Responses encoders share about OpenAI's request parameters. */
const bare = (model: string) => model.slice(model.lastIndexOf("/") + 1);

/**
 * OpenAI reasoning models reject `max_tokens` (they take `max_completion_tokens`), sampling
 * parameters and `stop`; most OpenAI-compatible servers know only `max_tokens`.
 */
export function isOpenAIReasoningModel(model: string): boolean {
  return /^(o\d|gpt-5(?!-chat)|codex-)/.test(bare(model));
}

/** Older OpenAI chat models reject `reasoning_effort`. */
export const acceptsReasoningEffort = (model: string) => !/^(gpt-4|gpt-3\.5|gpt-5-chat|chatgpt-)/.test(bare(model));

/**
 * OpenAI rejects a `user` longer than 64 characters; Claude Code's `metadata.user_id` is a ~150
 * character JSON string. A long id is replaced by its sha256, which still tells users apart.
 */
export function endUser(id: string | undefined): string | undefined {
  if (id === undefined || id.length <= 64) return id;
  return createHash("sha256").update(id).digest("hex");
}

/** `$schema` is noise to function calling and some OpenAI-compatible servers reject it. */
export function parameters(p: Record<string, unknown>): Obj {
  const { $schema: _drop, ...rest } = p;
  return { type: "object", ...rest };
}

/** LiteLLM's Anthropic thinking budget → OpenAI effort tiers (its /v1/messages → Responses mapping). */
export function reasoningEffort(conv: Conversation): string | undefined {
  if (conv.reasoningEffort) return conv.reasoningEffort;
  const b = conv.thinkingBudget;
  if (b === undefined) return undefined;
  return b >= 10_000 ? "high" : b >= 5_000 ? "medium" : b >= 2_000 ? "low" : "minimal";
}
