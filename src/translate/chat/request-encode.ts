import type { Conversation, ImagePart, Part, ResponseFormat, ToolChoice } from "../ir.ts";
import { compact, type Obj } from "../json.ts";
import { dataUrl, urlFromSource } from "../media.ts";
import { acceptsReasoningEffort, endUser, isOpenAIReasoningModel, parameters } from "../openai-params.ts";
import { DEFAULT_FORMAT_NAME } from "../response-format.ts";
import { prepareTurns } from "../turns.ts";
import type { TranslateContext } from "../types.ts";

/** Chat messages have no thinking; whitespace-only text would only make empty messages. */
function accepted(p: Part): boolean {
  if (p.type === "thinking" || p.type === "redacted_thinking") return false;
  return (p.type !== "text" && p.type !== "refusal") || p.text.trim() !== "";
}

function contentPart(p: Part): Obj | undefined {
  if (p.type === "text") return { type: "text", text: p.text };
  if (p.type === "image") return { type: "image_url", image_url: { url: urlFromSource(p.source) } };
  if (p.type === "file") return { type: "file", file: compact({ file_data: dataUrl(p.mediaType, p.data), filename: p.filename }) };
  return undefined;
}

/** Plain text stays a string: several OpenAI-compatible servers take nothing else. */
function content(parts: Part[]): string | Obj[] {
  if (parts.every((p) => p.type === "text")) return parts.map((p) => (p.type === "text" ? p.text : "")).join("\n\n");
  return parts.map(contentPart).filter((p): p is Obj => p !== undefined);
}

function assistant(parts: Part[]): Obj {
  const text = parts.filter((p) => p.type === "text");
  const refusal = parts.flatMap((p) => (p.type === "refusal" ? [p.text] : [])).join("\n\n");
  const calls = parts.flatMap((p) =>
    p.type === "tool_call" ? [{ id: p.id, type: "function", function: { name: p.name, arguments: p.arguments || "{}" } }] : [],
  );
  return compact({
    role: "assistant",
    content: text.length ? content(text) : calls.length || refusal ? null : "",
    refusal: refusal || undefined,
    tool_calls: calls.length ? calls : undefined,
  });
}

/** Tool results become `tool` messages (text only); their images follow in a user message. */
function user(parts: Part[]): Obj[] {
  const out: Obj[] = [];
  const rest: Part[] = [];
  const images: ImagePart[] = [];
  for (const p of parts) {
    if (p.type !== "tool_result") {
      rest.push(p);
      continue;
    }
    const text = p.content.flatMap((c) => (c.type === "text" ? [c.text] : [])).join("\n\n");
    const imgs = p.content.filter((c): c is ImagePart => c.type === "image");
    images.push(...imgs);
    const body = text || (imgs.length ? `The tool returned ${imgs.length} image(s), attached below.` : "");
    out.push({ role: "tool", tool_call_id: p.id, content: p.isError ? `Error: ${body}` : body });
  }
  const tail: Part[] = images.length ? [{ type: "text", text: "Images returned by the tool calls above:" }, ...images, ...rest] : rest;
  if (tail.length) out.push({ role: "user", content: content(tail) });
  return out;
}

function toolChoice(c: ToolChoice | undefined, names: Set<string>): unknown {
  if (!c) return undefined;
  if (c.type !== "tool") return c.type;
  return names.has(c.name) ? { type: "function", function: { name: c.name } } : "auto";
}

function responseFormat(f: ResponseFormat | undefined): Obj | undefined {
  if (!f) return undefined;
  if (f.type === "json_object" || !f.schema) return { type: "json_object" };
  return { type: "json_schema", json_schema: compact({ name: f.name ?? DEFAULT_FORMAT_NAME, schema: f.schema, strict: f.strict }) };
}


/** A neutral conversation as an OpenAI chat completions request body (without `model`). */
export function encodeChatRequest(conv: Conversation, ctx: TranslateContext): Obj {
  const messages: Obj[] = [];
  const system = conv.system.flatMap((s) => (s.text.trim() ? [s.text] : [])).join("\n\n");
  if (system) messages.push({ role: "system", content: system });
  for (const t of prepareTurns(conv.turns, accepted)) messages.push(...(t.role === "assistant" ? [assistant(t.parts)] : user(t.parts)));
  const tools = conv.tools.map((t) => ({
    type: "function",
    function: compact({ name: t.name, description: t.description, parameters: parameters(t.parameters), strict: t.strict }),
  }));
  const names = new Set(conv.tools.map((t) => t.name));
  const reasoning = isOpenAIReasoningModel(ctx.upstreamModel ?? ctx.model);
  return compact({
    messages,
    tools: tools.length ? tools : undefined,
    tool_choice: tools.length ? toolChoice(conv.toolChoice, names) : undefined,
    parallel_tool_calls: tools.length ? conv.parallelToolCalls : undefined,
    [reasoning ? "max_completion_tokens" : "max_tokens"]: conv.maxTokens,
    temperature: reasoning ? undefined : conv.temperature,
    top_p: reasoning ? undefined : conv.topP,
    stop: !reasoning && conv.stop?.length ? conv.stop.slice(0, 4) : undefined,
    reasoning_effort: acceptsReasoningEffort(ctx.upstreamModel ?? ctx.model) ? conv.reasoningEffort : undefined,
    response_format: responseFormat(conv.responseFormat),
    user: endUser(conv.user),
    stream: conv.stream || undefined,
    stream_options: conv.stream ? { include_usage: true } : undefined,
  });
}
