import { withTools, type Reply, type StopReason, type TokenUsage } from "../ir.ts";
import { compact, num, obj, objs, str, type Obj } from "../json.ts";
import type { TranslateContext } from "../types.ts";

const STOP_FROM: Record<string, StopReason> = {
  stop: "end",
  length: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "content_filter",
};

const STOP_TO: Record<StopReason, string> = {
  end: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  content_filter: "content_filter",
};

export const stopFromChat = (s: unknown): StopReason => STOP_FROM[str(s) ?? ""] ?? "end";
export const stopToChat = (s: StopReason): string => STOP_TO[s];

export function usageFromChat(u: Obj): Partial<TokenUsage> {
  const pd = obj(u.prompt_tokens_details);
  const cd = obj(u.completion_tokens_details);
  const out: Partial<TokenUsage> = {};
  const set = (k: keyof TokenUsage, v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("input", num(u.prompt_tokens));
  set("output", num(u.completion_tokens));
  set("cacheRead", num(pd.cached_tokens) ?? num(u.cache_read_input_tokens));
  set("cacheWrite", num(pd.cache_write_tokens) ?? num(pd.cache_creation_tokens) ?? num(u.cache_creation_input_tokens));
  set("reasoning", num(cd.reasoning_tokens));
  return out;
}

/** OpenAI's usage object, plus the cache-token fields LiteLLM adds for Anthropic models. */
export function usageToChat(u: TokenUsage): Obj {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead, cache_creation_tokens: u.cacheWrite },
    completion_tokens_details: { reasoning_tokens: u.reasoning },
    cache_read_input_tokens: u.cacheRead,
    cache_creation_input_tokens: u.cacheWrite,
  };
}

/** Open models served over chat report their chain of thought as `reasoning_content` (vLLM, DeepSeek) or `reasoning` (groq, OpenRouter). */
export const reasoningOf = (m: Obj): string | undefined => str(m.reasoning_content) || str(m.reasoning) || undefined;

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return objs(content)
    .map((p) => str(p.text) ?? "")
    .join("");
}

/** A chat completion (upstream answer) as a neutral reply. */
export function decodeChatResponse(body: Obj): Reply {
  const choice = objs(body.choices)[0] ?? {};
  const m = obj(choice.message);
  const parts: Reply["parts"] = [];
  const reasoning = reasoningOf(m);
  if (reasoning) parts.push({ type: "thinking", text: reasoning });
  const text = textOf(m.content);
  if (text) parts.push({ type: "text", text });
  const refusal = str(m.refusal);
  if (refusal) parts.push({ type: "refusal", text: refusal });
  for (const tc of objs(m.tool_calls)) {
    const fn = obj(tc.function);
    parts.push({ type: "tool_call", id: str(tc.id) ?? "", name: str(fn.name) ?? "", arguments: str(fn.arguments) ?? "" });
  }
  const u = usageFromChat(obj(body.usage));
  return {
    id: str(body.id) ?? "",
    parts,
    stop: withTools(stopFromChat(choice.finish_reason), parts),
    usage: { input: u.input ?? 0, output: u.output ?? 0, cacheRead: u.cacheRead ?? 0, cacheWrite: u.cacheWrite ?? 0, reasoning: u.reasoning ?? 0 },
  };
}

/** A neutral reply as the chat completion the client expects. */
export function encodeChatResponse(r: Reply, ctx: TranslateContext): Obj {
  const text = r.parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
  const refusal = r.parts.flatMap((p) => (p.type === "refusal" ? [p.text] : [])).join("");
  const calls = r.parts.flatMap((p) =>
    p.type === "tool_call" ? [{ id: p.id, type: "function", function: { name: p.name, arguments: p.arguments || "{}" } }] : [],
  );
  const reasoning = r.parts.flatMap((p) => (p.type === "thinking" ? [p.text] : [])).join("\n\n");
  const blocks = r.parts.flatMap((p): Obj[] =>
    p.type === "thinking"
      ? [{ type: "thinking", thinking: p.text, signature: p.signature ?? "" }]
      : p.type === "redacted_thinking"
        ? [{ type: "redacted_thinking", data: p.data }]
        : [],
  );
  const message = compact({
    role: "assistant",
    content: text || null,
    refusal: refusal || null,
    tool_calls: calls.length ? calls : undefined,
    reasoning_content: reasoning || undefined,
    // LiteLLM's field: clients send it back so a Claude tool loop can keep its signed thinking.
    thinking_blocks: blocks.length ? blocks : undefined,
  });
  return {
    id: r.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: ctx.model,
    choices: [{ index: 0, message, finish_reason: stopToChat(r.stop), logprobs: null }],
    usage: usageToChat(r.usage),
  };
}
