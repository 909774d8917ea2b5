import type { Conversation, ImageSource, Part, ToolChoice } from "../ir.ts";
import { argsObject, compact, type Obj } from "../json.ts";
import { prepareTurns } from "../turns.ts";
import type { TranslateContext } from "../types.ts";

/** LiteLLM's reasoning_effort → thinking budget table (low/medium/high), extended for xhigh. */
const EFFORT_BUDGET: Record<string, number> = { low: 1024, medium: 2048, high: 4096, xhigh: 8192 };
const MIN_BUDGET = 1024;
const CACHE = { type: "ephemeral" } as const;

/**
 * Anthropic requires max_tokens; OpenAI clients rarely send it. Models before 3.7 cap output at
 * 4096 (Claude 3) or 8192 (3.5); every later model takes at least 32000.
 */
export function defaultMaxTokens(model: string): number {
  if (/claude-3-(haiku|sonnet|opus)/.test(model)) return 4096;
  if (/claude-3[-.]5/.test(model)) return 8192;
  return 32000;
}

/** Tool ids must match ^[a-zA-Z0-9_-]+$; ids minted by other providers may not. */
const toolId = (id: string) => id.replace(/[^a-zA-Z0-9_-]/g, "_") || "toolu_missing";

function source(s: ImageSource): Obj {
  return s.kind === "base64" ? { type: "base64", media_type: s.mediaType, data: s.data } : { type: "url", url: s.url };
}

function block(p: Part): Obj | undefined {
  switch (p.type) {
    case "text":
      return { type: "text", text: p.text };
    case "image":
      return { type: "image", source: source(p.source) };
    case "file":
      return compact({ type: "document", source: { type: "base64", media_type: p.mediaType, data: p.data }, title: p.filename });
    case "thinking":
      return { type: "thinking", thinking: p.text, signature: p.signature };
    case "redacted_thinking":
      return { type: "redacted_thinking", data: p.data };
    case "tool_call":
      return { type: "tool_use", id: toolId(p.id), name: p.name, input: argsObject(p.arguments) };
    case "tool_result": {
      const content = p.content.filter((c) => c.type !== "text" || c.text.trim()).map(block);
      return compact({ type: "tool_result", tool_use_id: toolId(p.id), content, is_error: p.isError });
    }
  }
}

/** Anthropic rejects whitespace-only text and thinking it did not sign. */
function accepted(p: Part): boolean {
  if (p.type === "text") return p.text.trim() !== "";
  if (p.type === "thinking") return !!p.signature;
  return true;
}

/** Tool results lead a user turn and thinking leads an assistant turn, as the API requires. */
const rank = (b: Obj) => (b.type === "tool_result" || b.type === "thinking" || b.type === "redacted_thinking" ? 0 : 1);

function messages(conv: Conversation): Array<{ role: string; content: Obj[] }> {
  return prepareTurns(conv.turns, accepted).map((t) => ({
    role: t.role,
    content: t.parts
      .map(block)
      .filter((b): b is Obj => b !== undefined)
      .sort((a, b) => rank(a) - rank(b)),
  }));
}

function toolChoice(c: ToolChoice | undefined, names: Set<string>, parallel: boolean | undefined): Obj | undefined {
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  switch (c?.type) {
    case "none":
      return { type: "none" };
    case "required":
      return { type: "any", ...noParallel };
    case "tool":
      return names.has(c.name) ? { type: "tool", name: c.name, ...noParallel } : { type: "auto", ...noParallel };
    default:
      return parallel === false ? { type: "auto", ...noParallel } : undefined;
  }
}

function thinkingBudget(conv: Conversation, msgs: Array<{ role: string; content: Obj[] }>, maxTokens: number): number | undefined {
  let budget = conv.thinkingBudget ?? (conv.reasoningEffort ? EFFORT_BUDGET[conv.reasoningEffort] : undefined);
  if (budget === undefined) return undefined;
  budget = Math.min(budget, maxTokens - 1);
  if (budget < MIN_BUDGET) return undefined;
  // Thinking cannot be combined with a forced tool choice.
  if (conv.toolChoice?.type === "required" || conv.toolChoice?.type === "tool") return undefined;
  // With thinking on, the last assistant turn of a tool loop must start with its (signed) thinking;
  // a client that did not keep it cannot continue with thinking.
  const lastAssistant = msgs.findLast((m) => m.role === "assistant");
  if (lastAssistant?.content.some((b) => b.type === "tool_use") && rank(lastAssistant.content[0]!) !== 0) return undefined;
  return budget;
}

/** Marks the end of the system prompt and of the conversation so repeated agent turns hit the prompt cache. */
function addCacheBreakpoints(system: Obj[], msgs: Array<{ content: Obj[] }>): void {
  const lastSystem = system.at(-1);
  if (lastSystem) lastSystem.cache_control = CACHE;
  const last = msgs.at(-1)?.content.findLast((b) => b.type !== "thinking" && b.type !== "redacted_thinking");
  if (last) last.cache_control = CACHE;
}

/** A neutral conversation as an Anthropic Messages request body (without `model`). */
export function encodeAnthropicRequest(conv: Conversation, ctx: TranslateContext): Obj {
  const system = conv.system.filter((s) => s.trim()).map((text): Obj => ({ type: "text", text }));
  const msgs = messages(conv);
  addCacheBreakpoints(system, msgs);
  const tools = conv.tools.map((t) => compact({ name: t.name, description: t.description, input_schema: { type: "object", ...t.parameters } }));
  const names = new Set(tools.map((t) => t.name));
  const maxTokens = conv.maxTokens ?? defaultMaxTokens(ctx.upstreamModel ?? ctx.model);
  const budget = thinkingBudget(conv, msgs, maxTokens);
  const temperature = budget || conv.temperature === undefined ? undefined : Math.min(1, Math.max(0, conv.temperature));
  // Recent models reject temperature together with top_p; thinking allows neither.
  const topP = budget || temperature !== undefined ? undefined : conv.topP;
  const stop = conv.stop?.filter((s) => s.trim());
  return compact({
    system: system.length ? system : undefined,
    messages: msgs,
    tools: tools.length ? tools : undefined,
    tool_choice: tools.length ? toolChoice(conv.toolChoice, names, conv.parallelToolCalls) : undefined,
    max_tokens: maxTokens,
    thinking: budget ? { type: "enabled", budget_tokens: budget } : undefined,
    temperature,
    top_p: topP,
    stop_sequences: stop?.length ? stop : undefined,
    metadata: conv.user ? { user_id: conv.user.slice(0, 256) } : undefined,
    stream: conv.stream || undefined,
  });
}
