import { toolCallId } from "./ids.ts";
import type { GeminiPart, GeminiResponse, GeminiUsage } from "./types.ts";

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** Gemini's finish reasons in OpenAI's vocabulary. */
export function finishReason(reason: string | undefined, hasToolCalls: boolean): string | null {
  if (!reason) return null;
  if (hasToolCalls) return "tool_calls";
  if (reason === "STOP") return "stop";
  if (reason === "MAX_TOKENS") return "length";
  if (["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"].includes(reason)) return "content_filter";
  return "stop";
}

export function chatUsage(u: GeminiUsage | undefined): Record<string, unknown> | undefined {
  if (!u) return undefined;
  const prompt = u.promptTokenCount ?? 0;
  const thoughts = u.thoughtsTokenCount ?? 0;
  const completion = (u.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

export interface SplitParts {
  text: string;
  reasoning: string;
  toolCalls: ChatToolCall[];
}

/** Text, thoughts and function calls of one candidate's parts. */
export function splitParts(parts: GeminiPart[] | undefined): SplitParts {
  const out: SplitParts = { text: "", reasoning: "", toolCalls: [] };
  for (const p of parts ?? []) {
    if (p.functionCall) {
      out.toolCalls.push({
        id: toolCallId(p.thoughtSignature),
        type: "function",
        function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) },
      });
    } else if (typeof p.text === "string") {
      if (p.thought) out.reasoning += p.text;
      else out.text += p.text;
    }
  }
  return out;
}

export const chatId = (r: GeminiResponse) => `chatcmpl-${r.responseId ?? crypto.randomUUID().replace(/-/g, "")}`;

/** A Gemini `generateContent` answer as an OpenAI chat completion. */
export function geminiToChat(r: GeminiResponse, model: string): Record<string, unknown> {
  const candidates = r.candidates ?? [];
  const choices = candidates.map((c, i) => {
    const s = splitParts(c.content?.parts);
    const message: Record<string, unknown> = { role: "assistant", content: s.text || (s.toolCalls.length ? null : "") };
    if (s.reasoning) message.reasoning_content = s.reasoning;
    if (s.toolCalls.length) message.tool_calls = s.toolCalls;
    return { index: c.index ?? i, message, finish_reason: finishReason(c.finishReason ?? "STOP", s.toolCalls.length > 0) };
  });
  if (!choices.length && r.promptFeedback?.blockReason) {
    choices.push({ index: 0, message: { role: "assistant", content: "" }, finish_reason: "content_filter" });
  }
  const out: Record<string, unknown> = {
    id: chatId(r),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: r.modelVersion ?? model,
    choices,
  };
  const usage = chatUsage(r.usageMetadata);
  if (usage) out.usage = usage;
  return out;
}
