import { cacheable, type CacheControl, type Conversation, type ImagePart, type Part, type TextPart, type ToolChoice, type ToolDef, type Turn } from "../ir.ts";
import { isObj, num, obj, objs, str, type Obj } from "../json.ts";
import { anthropicOutputFormat } from "../response-format.ts";

/** Claude Code's billing marker: meaningless to other models, and it varies, which breaks their prefix caching. */
const BILLING_HEADER = "x-anthropic-billing-header:";

const cacheOf = (b: Obj): CacheControl | undefined => (isObj(b.cache_control) ? b.cache_control : undefined);

function textBlocks(content: unknown): TextPart[] {
  if (typeof content === "string") return content.trim() ? [{ type: "text", text: content }] : [];
  const out: TextPart[] = [];
  for (const b of objs(content)) {
    const text = str(b.text);
    if (text && !text.startsWith(BILLING_HEADER)) out.push(withCache({ type: "text", text }, b));
  }
  return out;
}

/** The client's `cache_control` stays on its block, for an Anthropic-format upstream to honour. */
function withCache<P extends Part>(p: P, b: Obj): P {
  const cache = cacheOf(b);
  if (cache && cacheable(p)) p.cache = cache;
  return p;
}

/** Anthropic's effort levels → the nearest OpenAI effort; `max` (and `xhigh`) is clamped to `high`, which every reasoning model takes. */
const EFFORT: Record<string, string> = { low: "low", medium: "medium", high: "high", xhigh: "high", max: "high" };

/**
 * LiteLLM's effort for an OpenAI-format upstream: `output_config.effort` (Claude Code sends it with
 * adaptive thinking) wins; adaptive thinking alone is "medium"; an enabled budget is mapped by the
 * encoder (`thinkingBudget`); disabled thinking without an effort asks for none.
 */
function effortOf(body: Obj, thinking: Obj): string | undefined {
  const asked = str(obj(body.output_config).effort);
  const mapped = asked ? EFFORT[asked.toLowerCase()] : undefined;
  if (mapped) return mapped;
  return thinking.type === "adaptive" ? "medium" : undefined;
}

function image(b: Obj): ImagePart | undefined {
  const s = obj(b.source);
  if (s.type === "base64" && typeof s.data === "string") {
    return { type: "image", source: { kind: "base64", mediaType: str(s.media_type) ?? "image/png", data: s.data } };
  }
  if (s.type === "url" && typeof s.url === "string") return { type: "image", source: { kind: "url", url: s.url } };
  return undefined;
}

function resultContent(content: unknown): Array<TextPart | ImagePart> {
  if (typeof content === "string") return [{ type: "text", text: content }];
  const out: Array<TextPart | ImagePart> = [];
  for (const b of objs(content)) {
    if (b.type === "text" && typeof b.text === "string") out.push({ type: "text", text: b.text });
    else if (b.type === "image") {
      const img = image(b);
      if (img) out.push(img);
    }
  }
  return out;
}

function part(b: Obj): Part | undefined {
  const p = bare(b);
  return p && withCache(p, b);
}

function bare(b: Obj): Part | undefined {
  switch (b.type) {
    case "text":
      return typeof b.text === "string" ? { type: "text", text: b.text } : undefined;
    case "image":
      return image(b);
    case "document": {
      const s = obj(b.source);
      if (s.type === "base64" && typeof s.data === "string") {
        return { type: "file", mediaType: str(s.media_type) ?? "application/pdf", data: s.data, filename: str(b.title) };
      }
      if (s.type === "text" && typeof s.data === "string") return { type: "text", text: s.data };
      return undefined;
    }
    case "tool_use":
      return { type: "tool_call", id: str(b.id) ?? "", name: str(b.name) ?? "", arguments: JSON.stringify(obj(b.input)) };
    case "tool_result":
      return { type: "tool_result", id: str(b.tool_use_id) ?? "", content: resultContent(b.content), isError: b.is_error === true || undefined };
    case "thinking":
      return { type: "thinking", text: str(b.thinking) ?? "", signature: str(b.signature) || undefined };
    case "redacted_thinking":
      return typeof b.data === "string" ? { type: "redacted_thinking", data: b.data } : undefined;
    default:
      // server_tool_use, web_search_tool_result, search_result, container_upload: Anthropic-hosted, no equivalent.
      return undefined;
  }
}

function toolChoice(v: unknown): ToolChoice | undefined {
  if (!isObj(v)) return undefined;
  if (v.type === "any") return { type: "required" };
  if (v.type === "none") return { type: "none" };
  if (v.type === "tool" && typeof v.name === "string") return { type: "tool", name: v.name };
  return v.type === "auto" ? { type: "auto" } : undefined;
}

/** An Anthropic Messages request as a neutral conversation. */
export function decodeAnthropicRequest(body: Obj): Conversation {
  const system = textBlocks(body.system);
  const turns: Turn[] = [];
  for (const m of objs(body.messages)) {
    // `role: "system"` inside messages comes from Claude Code's mid-conversation-system beta.
    if (m.role === "system") system.push(...textBlocks(m.content));
    else if (m.role === "user" || m.role === "assistant") {
      const parts = typeof m.content === "string" ? [{ type: "text", text: m.content } satisfies TextPart] : objs(m.content).map(part);
      turns.push({ role: m.role, parts: parts.filter((p): p is Part => p !== undefined) });
    }
  }
  const tools = objs(body.tools)
    .filter((t) => (t.type === undefined || t.type === "custom") && typeof t.name === "string")
    .map((t): ToolDef => ({ name: t.name as string, description: str(t.description), parameters: obj(t.input_schema), strict: t.strict === true || undefined, cache: cacheOf(t) }));
  const tc = obj(body.tool_choice);
  const thinking = obj(body.thinking);
  return {
    system,
    turns,
    tools,
    toolChoice: toolChoice(body.tool_choice),
    parallelToolCalls: tc.disable_parallel_tool_use === true ? false : undefined,
    maxTokens: num(body.max_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    stop: Array.isArray(body.stop_sequences) ? body.stop_sequences.filter((s): s is string => typeof s === "string") : undefined,
    user: str(obj(body.metadata).user_id),
    stream: body.stream === true,
    reasoningEffort: effortOf(body, thinking),
    thinkingBudget: thinking.type === "enabled" ? num(thinking.budget_tokens) : undefined,
    responseFormat: anthropicOutputFormat(body),
  };
}
