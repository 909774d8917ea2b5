import { badRequest } from "../../errors.ts";
import { cacheable, type CacheControl, type Conversation, type ImagePart, type Part, type TextPart, type ToolChoice, type ToolDef, type Turn } from "../ir.ts";
import { isObj, num, obj, objs, str, type Obj } from "../json.ts";
import { parseDataUrl, sourceFromUrl } from "../media.ts";
import { responseFormat } from "../response-format.ts";

const cacheOf = (o: Obj): CacheControl | undefined => (isObj(o.cache_control) ? o.cache_control : undefined);

/**
 * LiteLLM's `cache_control` on OpenAI messages: on a content part, or on the message itself (which
 * marks its last part, as LiteLLM's Anthropic transformation does for string content).
 */
function withMessageCache<P extends Part>(parts: P[], m: Obj): P[] {
  const cache = cacheOf(m);
  const last = parts.at(-1);
  if (cache && last && cacheable(last) && !last.cache) last.cache = cache;
  return parts;
}

function texts(content: unknown): TextPart[] {
  if (typeof content === "string") return content.trim() ? [{ type: "text", text: content }] : [];
  const out: TextPart[] = [];
  for (const p of objs(content)) {
    const text = str(p.text) ?? str(p.refusal);
    if (text) out.push({ type: "text", text, cache: cacheOf(p) });
  }
  return out;
}

function userPart(p: Obj): Part | undefined {
  const part = bareUserPart(p);
  const cache = cacheOf(p);
  if (part && cache && cacheable(part)) part.cache = cache;
  return part;
}

function bareUserPart(p: Obj): Part | undefined {
  if (p.type === "text" && typeof p.text === "string") return { type: "text", text: p.text };
  if (p.type === "image_url") {
    const url = str(obj(p.image_url).url) ?? str(p.image_url);
    return url ? ({ type: "image", source: sourceFromUrl(url) } satisfies ImagePart) : undefined;
  }
  if (p.type === "file") {
    const f = obj(p.file);
    const data = parseDataUrl(str(f.file_data) ?? "");
    return data ? { type: "file", ...data, filename: str(f.filename) } : undefined;
  }
  return undefined; // input_audio and file ids have no counterpart upstream
}

function userParts(content: unknown): Part[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return objs(content)
    .map(userPart)
    .filter((p): p is Part => p !== undefined);
}

function toolResultContent(content: unknown): Array<TextPart | ImagePart> {
  return userParts(content).filter((p): p is TextPart | ImagePart => p.type === "text" || p.type === "image");
}

/** LiteLLM returns Anthropic thinking (with its signature) as `thinking_blocks`; clients send them back. */
function thinkingBlocks(v: unknown): Part[] {
  const out: Part[] = [];
  for (const b of objs(v)) {
    if (b.type === "thinking") out.push({ type: "thinking", text: str(b.thinking) ?? "", signature: str(b.signature) || undefined });
    else if (b.type === "redacted_thinking" && typeof b.data === "string") out.push({ type: "redacted_thinking", data: b.data });
  }
  return out;
}

function assistantParts(m: Obj): Part[] {
  const parts: Part[] = thinkingBlocks(m.thinking_blocks);
  parts.push(...texts(m.content));
  if (typeof m.refusal === "string" && m.refusal) parts.push({ type: "refusal", text: m.refusal });
  for (const tc of objs(m.tool_calls)) {
    const fn = obj(tc.function);
    parts.push({ type: "tool_call", id: str(tc.id) ?? "", name: str(fn.name) ?? "", arguments: str(fn.arguments) ?? "" });
  }
  return parts;
}

function toolChoice(v: unknown): ToolChoice | undefined {
  if (v === "none" || v === "auto" || v === "required") return { type: v };
  const name = isObj(v) ? str(obj(v.function).name) : undefined;
  if (name) return { type: "tool", name };
  if (isObj(v) && v.type === "allowed_tools") return { type: obj(v.allowed_tools).mode === "required" ? "required" : "auto" };
  return undefined;
}

function stopList(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;
}

/** An OpenAI chat completions request as a neutral conversation. */
export function decodeChatRequest(body: Obj): Conversation {
  const n = num(body.n);
  if (n !== undefined && n > 1) throw badRequest("litellm.BadRequestError: n > 1 is not supported by this model's provider", "n");
  const system: TextPart[] = [];
  const turns: Turn[] = [];
  for (const m of objs(body.messages)) {
    if (m.role === "system" || m.role === "developer") system.push(...withMessageCache(texts(m.content), m));
    else if (m.role === "user") turns.push({ role: "user", parts: withMessageCache(userParts(m.content), m) });
    else if (m.role === "assistant") turns.push({ role: "assistant", parts: withMessageCache(assistantParts(m), m) });
    else if (m.role === "tool") {
      const result: Part = { type: "tool_result", id: str(m.tool_call_id) ?? "", content: toolResultContent(m.content) };
      turns.push({ role: "user", parts: withMessageCache([result], m) });
    }
  }
  const tools = objs(body.tools)
    .filter((t) => t.type === "function" && typeof obj(t.function).name === "string")
    .map((t): ToolDef => {
      const fn = obj(t.function);
      return { name: fn.name as string, description: str(fn.description), parameters: obj(fn.parameters), strict: fn.strict === true || undefined, cache: cacheOf(t) ?? cacheOf(fn) };
    });
  return {
    system,
    turns,
    tools,
    toolChoice: toolChoice(body.tool_choice),
    parallelToolCalls: typeof body.parallel_tool_calls === "boolean" ? body.parallel_tool_calls : undefined,
    maxTokens: num(body.max_completion_tokens) ?? num(body.max_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    stop: stopList(body.stop),
    user: str(body.user),
    stream: body.stream === true,
    reasoningEffort: str(body.reasoning_effort),
    responseFormat: responseFormat(body.response_format),
  };
}
