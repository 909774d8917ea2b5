import { injectCachePoints } from "../cache-points.ts";
import { cacheable, type Conversation, type ImageSource, type Part, type ToolChoice } from "../ir.ts";
import { argsObject, compact, type Obj } from "../json.ts";
import { prepareTurns } from "../turns.ts";
import type { TranslateContext } from "../types.ts";
import { anthropicSchema } from "./output-schema.ts";

/** LiteLLM's reasoning_effort → thinking budget table (low/medium/high), extended for xhigh. */
const EFFORT_BUDGET: Record<string, number> = { low: 1024, medium: 2048, high: 4096, xhigh: 8192 };
const MIN_BUDGET = 1024;
/** LiteLLM's name for the tool that carries structured output on models without native support. */
export const JSON_TOOL = "json_tool_call";

/**
 * Anthropic requires max_tokens; OpenAI clients rarely send it. Models before 3.7 cap output at
 * 4096 (Claude 3) or 8192 (3.5); every later model takes at least 32000.
 */
export function defaultMaxTokens(model: string): number {
  if (/claude-3-(haiku|sonnet|opus)/.test(model)) return 4096;
  if (/claude-3[-.]5/.test(model)) return 8192;
  return 32000;
}

/**
 * Claude models with structured output (`output_config.format`, strict tools): Opus 4.1, and 4.5
 * onwards. Older ones, and other models behind an Anthropic-format API, get a forced tool instead.
 */
export function nativeStructuredOutput(model: string): boolean {
  const m = /claude-(?:(opus|sonnet|haiku)-(\d+)(?:[-.](\d{1,2})(?!\d))?|(\d+)[-.](\d)-(?:opus|sonnet|haiku))/.exec(model);
  if (!m) return false;
  const major = Number(m[2] ?? m[4]);
  const minor = Number(m[3] ?? m[5] ?? 0);
  return major > 4 || (major === 4 && (minor >= 5 || (minor === 1 && m[1] === "opus")));
}

/** Tool ids must match ^[a-zA-Z0-9_-]+$; ids minted by other providers may not. */
const toolId = (id: string) => id.replace(/[^a-zA-Z0-9_-]/g, "_") || "toolu_missing";

function source(s: ImageSource): Obj {
  return s.kind === "base64" ? { type: "base64", media_type: s.mediaType, data: s.data } : { type: "url", url: s.url };
}

function block(p: Part): Obj | undefined {
  const b = bare(p);
  if (b && cacheable(p) && p.cache) b.cache_control = p.cache;
  return b;
}

function bare(p: Part): Obj | undefined {
  switch (p.type) {
    case "text":
    case "refusal":
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
  if (p.type === "text" || p.type === "refusal") return p.text.trim() !== "";
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

function toolChoiceFor(c: ToolChoice | undefined, names: Set<string>, parallel: boolean | undefined): Obj | undefined {
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

/**
 * Structured output: on models that have it, the schema goes in `output_config.format` and the
 * answer is text; otherwise (and for schema-less JSON mode) a tool whose input is the answer is
 * added and forced (LiteLLM's `json_tool_call`; not forced while thinking, which forbids it), and
 * its call is read back as the text answer (`ctx.jsonTool`).
 */
function structuredOutput(conv: Conversation, model: string): { outputConfig?: Obj; tool?: Obj } {
  const f = conv.responseFormat;
  if (!f) return {};
  if (f.type === "json_schema" && f.schema && nativeStructuredOutput(model)) {
    return { outputConfig: { format: { type: "json_schema", schema: anthropicSchema(f.schema) } } };
  }
  const schema = f.schema ?? { properties: {}, additionalProperties: true };
  return { tool: { name: JSON_TOOL, description: "Respond with a JSON object.", input_schema: { ...schema, type: "object" } } };
}

/** A neutral conversation as an Anthropic Messages request body (without `model`). */
export function encodeAnthropicRequest(conv: Conversation, ctx: TranslateContext): Obj {
  if (ctx.cachePoints?.length) injectCachePoints(conv, ctx.cachePoints);
  const model = ctx.upstreamModel ?? ctx.model;
  const system = conv.system.filter((s) => s.text.trim()).map((s) => block(s)!);
  const msgs = messages(conv);
  const strict = nativeStructuredOutput(model);
  const tools = conv.tools.map((t): Obj =>
    compact({ name: t.name, description: t.description, input_schema: { type: "object", ...t.parameters }, strict: (strict && t.strict) || undefined, cache_control: t.cache }),
  );
  const names = new Set(conv.tools.map((t) => t.name));
  const maxTokens = conv.maxTokens ?? defaultMaxTokens(model);
  const budget = thinkingBudget(conv, msgs, maxTokens);
  const structured = structuredOutput(conv, model);
  let toolChoice = tools.length ? toolChoiceFor(conv.toolChoice, names, conv.parallelToolCalls) : undefined;
  if (structured.tool) {
    tools.push(structured.tool);
    ctx.jsonTool = JSON_TOOL;
    if (!budget) toolChoice = { type: "tool", name: JSON_TOOL, ...(conv.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {}) };
  }
  const temperature = budget || conv.temperature === undefined ? undefined : Math.min(1, Math.max(0, conv.temperature));
  // Recent models reject temperature together with top_p; thinking allows neither.
  const topP = budget || temperature !== undefined ? undefined : conv.topP;
  const stop = conv.stop?.filter((s) => s.trim());
  return compact({
    system: system.length ? system : undefined,
    messages: msgs,
    tools: tools.length ? tools : undefined,
    tool_choice: toolChoice,
    max_tokens: maxTokens,
    thinking: budget ? { type: "enabled", budget_tokens: budget } : undefined,
    output_config: structured.outputConfig,
    temperature,
    top_p: topP,
    stop_sequences: stop?.length ? stop : undefined,
    metadata: conv.user ? { user_id: conv.user.slice(0, 256) } : undefined,
    stream: conv.stream || undefined,
  });
}
