import { withTools, type Reply, type StopReason, type TokenUsage } from "../ir.ts";
import { argsObject, num, obj, objs, str, type Obj } from "../json.ts";
import type { TranslateContext } from "../types.ts";

const STOP_FROM: Record<string, StopReason> = {
  end_turn: "end",
  pause_turn: "end",
  max_tokens: "max_tokens",
  model_context_window_exceeded: "max_tokens",
  stop_sequence: "stop_sequence",
  tool_use: "tool_use",
  refusal: "content_filter",
};

const STOP_TO: Record<StopReason, string> = {
  end: "end_turn",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  tool_use: "tool_use",
  content_filter: "refusal",
};

export const stopFromAnthropic = (s: unknown): StopReason => STOP_FROM[str(s) ?? ""] ?? "end";
export const stopToAnthropic = (s: StopReason): string => STOP_TO[s];

/** Anthropic's `input_tokens` excludes cache reads and writes; the neutral `input` includes them. */
export function usageFromAnthropic(u: Obj): Partial<TokenUsage> {
  const out: Partial<TokenUsage> = {};
  const input = num(u.input_tokens);
  const read = num(u.cache_read_input_tokens);
  const write = num(u.cache_creation_input_tokens);
  if (input !== undefined) out.input = input + (read ?? 0) + (write ?? 0);
  if (read !== undefined) out.cacheRead = read;
  if (write !== undefined) out.cacheWrite = write;
  const output = num(u.output_tokens);
  if (output !== undefined) out.output = output;
  return out;
}

export function usageToAnthropic(u: TokenUsage): Obj {
  return {
    input_tokens: Math.max(0, u.input - u.cacheRead - u.cacheWrite),
    output_tokens: u.output,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
  };
}

/** An Anthropic message (upstream answer) as a neutral reply; the structured-output tool's call is the text answer. */
export function decodeAnthropicResponse(body: Obj, ctx: TranslateContext): Reply {
  const parts: Reply["parts"] = [];
  let answered = false;
  for (const b of objs(body.content)) {
    if (b.type === "text" && typeof b.text === "string") parts.push({ type: "text", text: b.text });
    else if (b.type === "thinking") parts.push({ type: "thinking", text: str(b.thinking) ?? "", signature: str(b.signature) || undefined });
    else if (b.type === "redacted_thinking" && typeof b.data === "string") parts.push({ type: "redacted_thinking", data: b.data });
    else if (b.type === "tool_use" && ctx.jsonTool && b.name === ctx.jsonTool) {
      parts.push({ type: "text", text: JSON.stringify(obj(b.input)) });
      answered = true;
    } else if (b.type === "tool_use") {
      parts.push({ type: "tool_call", id: str(b.id) ?? "", name: str(b.name) ?? "", arguments: JSON.stringify(obj(b.input)) });
    }
  }
  const u = usageFromAnthropic(obj(body.usage));
  const stop = stopFromAnthropic(body.stop_reason);
  return {
    id: str(body.id) ?? "",
    parts,
    stop: withTools(answered && stop === "tool_use" ? "end" : stop, parts),
    stopSequence: str(body.stop_sequence),
    usage: { input: u.input ?? 0, output: u.output ?? 0, cacheRead: u.cacheRead ?? 0, cacheWrite: u.cacheWrite ?? 0, reasoning: 0 },
  };
}

/** An OpenAI refusal is Anthropic's `refusal` stop, with its explanation as text. */
export const refusedStop = (stop: StopReason, refused: boolean): StopReason => (refused ? "content_filter" : stop);

/** A neutral reply as the Anthropic message the client expects. */
export function encodeAnthropicResponse(r: Reply, ctx: TranslateContext): Obj {
  const content = r.parts.map((p): Obj => {
    switch (p.type) {
      case "text":
      case "refusal":
        return { type: "text", text: p.text };
      case "thinking":
        return { type: "thinking", thinking: p.text, signature: p.signature ?? "" };
      case "redacted_thinking":
        return { type: "redacted_thinking", data: p.data };
      case "tool_call":
        return { type: "tool_use", id: p.id, name: p.name, input: argsObject(p.arguments) };
    }
  });
  return {
    id: r.id,
    type: "message",
    role: "assistant",
    model: ctx.model,
    content,
    stop_reason: stopToAnthropic(refusedStop(r.stop, r.parts.some((p) => p.type === "refusal"))),
    stop_sequence: r.stopSequence ?? null,
    usage: usageToAnthropic(r.usage),
  };
}
