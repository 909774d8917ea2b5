import { sseEvent } from "../../gateway/sse.ts";
import { SseParser } from "../sse-parse.ts";
import { chatId, chatUsage, finishReason, splitParts } from "./response.ts";
import type { GeminiResponse } from "./types.ts";

/** Gemini `streamGenerateContent?alt=sse` events as OpenAI chat completion chunks (then usage, then [DONE]). */
export function geminiStreamToChat(model: string): TransformStream<Uint8Array, Uint8Array> {
  const parser = new SseParser();
  const enc = new TextEncoder();
  const created = Math.floor(Date.now() / 1000);
  let id: string | undefined;
  let shownModel = model;
  let started = false;
  let toolIndex = 0;
  let usage: Record<string, unknown> | undefined;
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    sseEvent({ id, object: "chat.completion.chunk", created, model: shownModel, choices: [{ index: 0, delta, finish_reason: finish }] });

  const handle = (r: GeminiResponse, out: TransformStreamDefaultController<Uint8Array>) => {
    if (!id) id = chatId(r);
    if (r.modelVersion) shownModel = r.modelVersion;
    let text = "";
    if (!started) {
      started = true;
      text += chunk({ role: "assistant", content: "" }, null);
    }
    const c = r.candidates?.[0];
    const s = splitParts(c?.content?.parts);
    if (s.reasoning) text += chunk({ reasoning_content: s.reasoning }, null);
    if (s.text) text += chunk({ content: s.text }, null);
    if (s.toolCalls.length) {
      text += chunk({ tool_calls: s.toolCalls.map((tc) => ({ index: toolIndex++, ...tc })) }, null);
    }
    if (c?.finishReason) text += chunk({}, finishReason(c.finishReason, toolIndex > 0));
    else if (!c && r.promptFeedback?.blockReason) text += chunk({}, "content_filter");
    usage = chatUsage(r.usageMetadata) ?? usage;
    if (text) out.enqueue(enc.encode(text));
  };

  const each = (events: ReturnType<SseParser["push"]>, out: TransformStreamDefaultController<Uint8Array>) => {
    for (const e of events) {
      if (!e.data.trim()) continue;
      handle(JSON.parse(e.data) as GeminiResponse, out);
    }
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(bytes, out) {
      each(parser.push(bytes), out);
    },
    flush(out) {
      each(parser.end(), out);
      let tail = "";
      if (usage) tail += sseEvent({ id, object: "chat.completion.chunk", created, model: shownModel, choices: [], usage });
      tail += sseEvent("[DONE]");
      out.enqueue(enc.encode(tail));
    },
  });
}
