import { encodeChatResponse } from "../../translate/chat/response.ts";
import { ChatStreamEncoder } from "../../translate/chat/stream-encode.ts";
import type { Reply, StopReason, StreamEvent, TokenUsage } from "../../translate/ir.ts";
import { withTools } from "../../translate/ir.ts";
import { num, obj, objs, str, type Obj } from "../../translate/json.ts";
import { translateStream } from "../../translate/pipeline.ts";
import type { SseMessage } from "../../translate/sse.ts";
import type { StreamDecoder } from "../../translate/types.ts";

const TOOL_CHOICE: Record<string, string> = { required: "REQUIRED", none: "NONE" };

/** An OpenAI message as Cohere v2 takes it: the same roles and tool calls, no nulls. */
function cohereMessage(m: Obj): Obj {
  const out: Obj = { role: m.role === "developer" ? "system" : m.role };
  if (m.content !== null && m.content !== undefined && m.content !== "") out.content = m.content;
  if (Array.isArray(m.tool_calls) && m.tool_calls.length) out.tool_calls = m.tool_calls;
  if (typeof m.tool_call_id === "string") out.tool_call_id = m.tool_call_id;
  if (m.role === "tool" && out.content === undefined) out.content = "";
  return out;
}

function responseFormat(rf: Obj): Obj | undefined {
  if (rf.type === "json_object") return { type: "json_object" };
  if (rf.type === "json_schema") return { type: "json_object", json_schema: obj(rf.json_schema).schema };
  return undefined;
}

/** OpenAI chat → Cohere `POST /v2/chat` (LiteLLM's `cohere_chat` v2 transformation). */
export function chatToCohere(b: Obj): Obj {
  const out: Obj = { model: b.model, messages: objs(b.messages).map(cohereMessage) };
  if (Array.isArray(b.tools) && b.tools.length) out.tools = b.tools;
  const choice = typeof b.tool_choice === "string" ? TOOL_CHOICE[b.tool_choice] : undefined;
  if (choice) out.tool_choice = choice;
  const max = num(b.max_completion_tokens) ?? num(b.max_tokens);
  if (max !== undefined) out.max_tokens = max;
  for (const k of ["temperature", "seed", "frequency_penalty", "presence_penalty"]) if (num(b[k]) !== undefined) out[k] = b[k];
  if (num(b.top_p) !== undefined) out.p = b.top_p;
  if (typeof b.stop === "string") out.stop_sequences = [b.stop];
  else if (Array.isArray(b.stop)) out.stop_sequences = b.stop;
  const rf = responseFormat(obj(b.response_format));
  if (rf) out.response_format = rf;
  if (b.stream === true) out.stream = true;
  return out;
}

const STOP: Record<string, StopReason> = { COMPLETE: "end", STOP_SEQUENCE: "stop_sequence", MAX_TOKENS: "max_tokens", TOOL_CALL: "tool_use", ERROR_TOXIC: "content_filter" };

/** Cohere bills `billed_units`; `tokens` counts what the model saw. Spend follows the bill. */
function cohereUsage(u: Obj): Partial<TokenUsage> {
  const billed = obj(u.billed_units);
  const tokens = obj(u.tokens);
  return { input: num(billed.input_tokens) ?? num(tokens.input_tokens) ?? 0, output: num(billed.output_tokens) ?? num(tokens.output_tokens) ?? 0 };
}

function cohereReply(b: Obj): Reply {
  const m = obj(b.message);
  const parts: Reply["parts"] = [];
  const text = objs(m.content).map((c) => str(c.text) ?? "").join("");
  if (text) parts.push({ type: "text", text });
  for (const tc of objs(m.tool_calls)) {
    const fn = obj(tc.function);
    parts.push({ type: "tool_call", id: str(tc.id) ?? "", name: str(fn.name) ?? "", arguments: str(fn.arguments) ?? "{}" });
  }
  const u = cohereUsage(obj(b.usage));
  return { id: str(b.id) ?? "", parts, stop: withTools(STOP[str(b.finish_reason) ?? ""] ?? "end", parts), usage: { input: u.input ?? 0, output: u.output ?? 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 } };
}

export const cohereToChat = (body: unknown, model: string): Obj => encodeChatResponse(cohereReply(obj(body)), { model });

/** Cohere v2 chat stream events (`message-start`, `content-delta`, `tool-call-*`, `message-end`) as neutral events. */
class CohereStreamDecoder implements StreamDecoder {
  private tools = 0;

  push(msg: SseMessage): StreamEvent[] {
    let e: Obj;
    try {
      e = JSON.parse(msg.data) as Obj;
    } catch {
      return [];
    }
    const delta = obj(e.delta);
    const message = obj(delta.message);
    switch (e.type ?? msg.event) {
      case "message-start":
        return [{ type: "start", id: str(e.id) ?? "" }];
      case "content-delta":
        return [{ type: "text", text: str(obj(message.content).text) ?? "" }];
      case "tool-call-start": {
        const tc = obj(message.tool_calls);
        const fn = obj(tc.function);
        const key = this.tools++;
        const out: StreamEvent[] = [{ type: "tool_start", key, id: str(tc.id) ?? "", name: str(fn.name) ?? "" }];
        if (str(fn.arguments)) out.push({ type: "tool_args", key, delta: str(fn.arguments)! });
        return out;
      }
      case "tool-call-delta":
        return [{ type: "tool_args", key: this.tools - 1, delta: str(obj(obj(message.tool_calls).function).arguments) ?? "" }];
      case "message-end":
        return [
          { type: "usage", usage: cohereUsage(obj(delta.usage)) },
          { type: "stop", reason: STOP[str(delta.finish_reason) ?? ""] ?? "end" },
          { type: "end" },
        ];
      default:
        return [];
    }
  }
}

export const cohereStreamToChat = (model: string) => translateStream(new CohereStreamDecoder(), new ChatStreamEncoder({ model }));
