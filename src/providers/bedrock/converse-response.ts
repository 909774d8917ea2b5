import { sseEvent } from "../../gateway/sse.ts";
import { streamException } from "./errors.ts";
import { JSON_TOOL } from "./converse-request.ts";
import { EventStreamDecoder } from "./event-stream.ts";

type Json = Record<string, unknown>;

interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

const STOP: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  tool_use: "tool_calls",
  max_tokens: "length",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
};

const finish = (reason: unknown) => STOP[String(reason)] ?? "stop";
const newId = () => `chatcmpl-${crypto.randomUUID().replace(/-/g, "")}`;

/** Converse counts input without cache tokens; OpenAI's prompt_tokens include them. */
function chatUsage(u: ConverseUsage | undefined): Json | undefined {
  if (!u) return undefined;
  const cacheRead = u.cacheReadInputTokens ?? 0;
  const cacheWrite = u.cacheWriteInputTokens ?? 0;
  const prompt = (u.inputTokens ?? 0) + cacheRead + cacheWrite;
  const completion = u.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  };
}

/** A Converse answer as an OpenAI chat completion. */
export function converseToChat(body: unknown, model: string): Json {
  const r = body as { output?: { message?: { content?: Json[] } }; stopReason?: string; usage?: ConverseUsage };
  let text = "";
  let reasoning = "";
  let answered: string | undefined;
  const toolCalls: Json[] = [];
  for (const b of r.output?.message?.content ?? []) {
    if (typeof b.text === "string") text += b.text;
    const rc = (b.reasoningContent as { reasoningText?: { text?: string } } | undefined)?.reasoningText?.text;
    if (rc) reasoning += rc;
    const tu = b.toolUse as { toolUseId: string; name: string; input?: unknown } | undefined;
    if (tu?.name === JSON_TOOL) answered = JSON.stringify(tu.input ?? {});
    else if (tu) toolCalls.push({ id: tu.toolUseId, type: "function", function: { name: tu.name, arguments: JSON.stringify(tu.input ?? {}) } });
  }
  // Structured output came as the JSON tool's call: it is the answer, and the turn ended normally.
  if (answered !== undefined) text += answered;
  const message: Json = { role: "assistant", content: text || (toolCalls.length ? null : "") };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length) message.tool_calls = toolCalls;
  const reason = answered !== undefined && !toolCalls.length ? "stop" : finish(r.stopReason);
  const out: Json = { id: newId(), object: "chat.completion", created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, message, finish_reason: reason }] };
  const usage = chatUsage(r.usage);
  if (usage) out.usage = usage;
  return out;
}

/** converse-stream event frames as OpenAI chat completion chunks, then a usage chunk and [DONE]. */
export function converseStreamToChat(model: string): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new EventStreamDecoder();
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const id = newId();
  const created = Math.floor(Date.now() / 1000);
  const toolIndex = new Map<number, number>();
  const jsonBlocks = new Set<number>();
  let usage: Json | undefined;
  const chunk = (delta: Json, finishReason: string | null) => sseEvent({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] });

  const handle = (type: string, e: Json): string => {
    const block = typeof e.contentBlockIndex === "number" ? e.contentBlockIndex : 0;
    if (type === "messageStart") return chunk({ role: "assistant", content: "" }, null);
    if (type === "contentBlockStart") {
      const tu = (e.start as { toolUse?: { toolUseId: string; name: string } } | undefined)?.toolUse;
      if (!tu) return "";
      if (tu.name === JSON_TOOL) {
        jsonBlocks.add(block);
        return "";
      }
      const index = toolIndex.size;
      toolIndex.set(block, index);
      return chunk({ tool_calls: [{ index, id: tu.toolUseId, type: "function", function: { name: tu.name, arguments: "" } }] }, null);
    }
    if (type === "contentBlockDelta") {
      const d = (e.delta ?? {}) as { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string } };
      if (typeof d.text === "string") return chunk({ content: d.text }, null);
      if (d.toolUse && jsonBlocks.has(block)) return d.toolUse.input ? chunk({ content: d.toolUse.input }, null) : "";
      if (d.toolUse) return chunk({ tool_calls: [{ index: toolIndex.get(block) ?? 0, function: { arguments: d.toolUse.input ?? "" } }] }, null);
      if (d.reasoningContent?.text) return chunk({ reasoning_content: d.reasoningContent.text }, null);
      return "";
    }
    if (type === "messageStop") return chunk({}, jsonBlocks.size && !toolIndex.size ? "stop" : finish(e.stopReason));
    if (type === "metadata") usage = chatUsage(e.usage as ConverseUsage | undefined);
    return "";
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(bytes, out) {
      let text = "";
      for (const m of decoder.push(bytes)) {
        const kind = m.headers[":message-type"];
        if (kind === "exception" || kind === "error") throw streamException(String(m.headers[":exception-type"] ?? m.headers[":error-code"]), m.payload);
        text += handle(String(m.headers[":event-type"]), JSON.parse(dec.decode(m.payload)) as Json);
      }
      if (text) out.enqueue(enc.encode(text));
    },
    flush(out) {
      if (decoder.pending) throw new Error("bedrock event stream ended inside a message");
      let tail = usage ? sseEvent({ id, object: "chat.completion.chunk", created, model, choices: [], usage }) : "";
      tail += sseEvent("[DONE]");
      out.enqueue(enc.encode(tail));
    },
  });
}
