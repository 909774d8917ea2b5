import type { Conversation, Part } from "./ir.ts";

/** About four characters a token, as the gateway's own `count_tokens` estimate counts. */
const CHARS_PER_TOKEN = 4;
/** An image costs Claude about (width × height) / 750 tokens; a typical screenshot is around this. */
const MEDIA_TOKENS = 1600;

function partChars(p: Part): number {
  switch (p.type) {
    case "text":
    case "refusal":
    case "thinking":
      return p.text.length;
    case "tool_call":
      return p.name.length + p.arguments.length;
    case "tool_result":
      return p.content.reduce((n, c) => n + (c.type === "text" ? c.text.length : MEDIA_TOKENS * CHARS_PER_TOKEN), 0);
    case "redacted_thinking":
      return p.data.length;
    case "image":
    case "file":
      return MEDIA_TOKENS * CHARS_PER_TOKEN;
  }
}

/**
 * The gateway's estimate of a request's prompt tokens, for streams whose upstream reports usage
 * only at the end while the client reads it from the opening event (Anthropic `message_start`).
 */
export function estimateInputTokens(conv: Conversation): number {
  let chars = 0;
  for (const s of conv.system) chars += s.text.length;
  for (const t of conv.turns) for (const p of t.parts) chars += partChars(p);
  for (const t of conv.tools) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN));
}
