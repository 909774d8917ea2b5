import type { RedactedThinkingPart, ThinkingPart } from "../ir.ts";

/**
 * Anthropic signs its thinking and requires it back, unchanged, during a tool loop. A Responses
 * client (Codex with store:false) sends reasoning items back with their `encrypted_content`, so
 * the signature travels there, marked so it is never confused with OpenAI's own encrypted reasoning.
 */
const SIGNED = "anthropic-thinking:";
const REDACTED = "anthropic-redacted:";

export function toEncryptedReasoning(p: ThinkingPart | RedactedThinkingPart): string | undefined {
  if (p.type === "redacted_thinking") return REDACTED + p.data;
  return p.signature ? SIGNED + p.signature : undefined;
}

/** A reasoning input item as thinking; without our marker it has no signature and targets drop it. */
export function fromEncryptedReasoning(enc: string | undefined, text: string): ThinkingPart | RedactedThinkingPart {
  if (enc?.startsWith(REDACTED)) return { type: "redacted_thinking", data: enc.slice(REDACTED.length) };
  if (enc?.startsWith(SIGNED)) return { type: "thinking", text, signature: enc.slice(SIGNED.length) };
  return { type: "thinking", text };
}
