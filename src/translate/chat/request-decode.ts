import { badRequest } from "../../errors.ts";
import type { Conversation, ImagePart, Part, TextPart, ToolChoice, Turn } from "../ir.ts";
import { isObj, num, obj, objs, str, type Obj } from "../json.ts";
import { parseDataUrl, sourceFromUrl } from "../media.ts";
import { responseFormat } from "../response-format.ts";

function texts(content: unknown): string[] {
  if (typeof content === "string") return content.trim() ? [content] : [];
  return objs(content)
    .map((p) => str(p.text) ?? str(p.refusal))
    .filter((t): t is string => !!t);
}

function userPart(p: Obj): Part | undefined {
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
  for (const t of texts(m.content)) parts.push({ type: "text", text: t });
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
  const system: string[] = [];
  const turns: Turn[] = [];
  for (const m of objs(body.messages)) {
    if (m.role === "system" || m.role === "developer") system.push(...texts(m.content));
    else if (m.role === "user") turns.push({ role: "user", parts: userParts(m.content) });
    else if (m.role === "assistant") turns.push({ role: "assistant", parts: assistantParts(m) });
    else if (m.role === "tool") {
      turns.push({ role: "user", parts: [{ type: "tool_result", id: str(m.tool_call_id) ?? "", content: toolResultContent(m.content) }] });
    }
  }
  const tools = objs(body.tools)
    .filter((t) => t.type === "function" && typeof obj(t.function).name === "string")
    .map((t) => {
      const fn = obj(t.function);
      return { name: fn.name as string, description: str(fn.description), parameters: obj(fn.parameters) };
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
