import type { RefusalPart, Reply, StopReason, TextPart, ThinkingPart, RedactedThinkingPart, ToolCallPart, TokenUsage } from "../ir.ts";
import { argsObject, compact, randomId, type Obj } from "../json.ts";
import type { TranslateContext } from "../types.ts";
import { toEncryptedReasoning } from "./reasoning.ts";

export function usageToResponses(u: TokenUsage): Obj {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cacheRead, cache_write_tokens: u.cacheWrite },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

export const outputText = (text: string): Obj => ({ type: "output_text", text, annotations: [], logprobs: [] });
export const refusalContent = (refusal: string): Obj => ({ type: "refusal", refusal });

/** A message item; without content it is the empty item that opens a stream. */
export function messageItem(id: string, content: Obj[] = [], status = "completed"): Obj {
  return { type: "message", id, status, role: "assistant", content };
}

export function reasoningItem(id: string, p: ThinkingPart | RedactedThinkingPart): Obj {
  const summary = p.type === "thinking" && p.text ? [{ type: "summary_text", text: p.text }] : [];
  return compact({ type: "reasoning", id, summary, encrypted_content: toEncryptedReasoning(p) });
}

/** A tool call under the name the client gave the tool (namespaced or freeform tools were renamed upstream). */
export function callItem(id: string, p: ToolCallPart, ctx: TranslateContext, status = "completed"): Obj {
  const tool = ctx.tools?.get(p.name);
  if (tool?.custom) {
    const input = argsObject(p.arguments).input;
    return { type: "custom_tool_call", id, call_id: p.id, name: tool.name, input: typeof input === "string" ? input : "", status };
  }
  return compact({ type: "function_call", id, call_id: p.id, name: tool?.name ?? p.name, namespace: tool?.namespace, arguments: p.arguments || "{}", status });
}

const INCOMPLETE: Partial<Record<StopReason, string>> = { max_tokens: "max_output_tokens", content_filter: "content_filter" };

/** The Response object, in progress (no stop yet), completed or incomplete. */
export function responseObject(id: string, createdAt: number, ctx: TranslateContext, output: Obj[], stop?: StopReason, usage?: TokenUsage): Obj {
  const reason = stop && INCOMPLETE[stop];
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: stop === undefined ? "in_progress" : reason ? "incomplete" : "completed",
    error: null,
    incomplete_details: reason ? { reason } : null,
    model: ctx.model,
    output,
    usage: usage ? usageToResponses(usage) : null,
  };
}

export const responseId = (upstreamId: string) => (upstreamId ? `resp_${upstreamId.replace(/[^a-zA-Z0-9_-]/g, "")}` : randomId("resp_"));

/** A neutral reply as the Response object the client expects. */
export function encodeResponsesResponse(r: Reply, ctx: TranslateContext): Obj {
  const output: Obj[] = [];
  let text: Array<TextPart | RefusalPart> = [];
  const flushText = () => {
    const said = text.flatMap((t) => (t.type === "text" ? [t.text] : [])).join("");
    const refused = text.flatMap((t) => (t.type === "refusal" ? [t.text] : [])).join("");
    const content = [...(said ? [outputText(said)] : []), ...(refused ? [refusalContent(refused)] : [])];
    if (content.length) output.push(messageItem(randomId("msg_"), content));
    text = [];
  };
  for (const p of r.parts) {
    if (p.type === "text" || p.type === "refusal") {
      text.push(p);
      continue;
    }
    flushText();
    output.push(p.type === "tool_call" ? callItem(randomId("fc_"), p, ctx) : reasoningItem(randomId("rs_"), p));
  }
  flushText();
  const id = responseId(r.id);
  rememberTurn(ctx, id, output);
  return responseObject(id, Math.floor(Date.now() / 1000), ctx, output, r.stop, r.usage);
}

/** A stored (`store` not false) translated response, so a later `previous_response_id` can name it. */
export function rememberTurn(ctx: TranslateContext, id: string, output: Obj[]): void {
  if (ctx.remember && ctx.responses) ctx.responses.remember(id, { ...ctx.remember, output });
}
