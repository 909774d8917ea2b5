import type { Conversation, Part, ResponseFormat, ToolChoice, ToolResultPart } from "../ir.ts";
import { compact, type Obj } from "../json.ts";
import { dataUrl, urlFromSource } from "../media.ts";
import { endUser, isOpenAIReasoningModel, parameters, reasoningEffort } from "../openai-params.ts";
import { DEFAULT_FORMAT_NAME } from "../response-format.ts";
import { prepareTurns } from "../turns.ts";
import type { TranslateContext } from "../types.ts";

/** Thinking from another provider cannot be replayed to OpenAI (it has no OpenAI encrypted content). */
function accepted(p: Part): boolean {
  if (p.type === "thinking" || p.type === "redacted_thinking") return false;
  return (p.type !== "text" && p.type !== "refusal") || p.text.trim() !== "";
}

function inputContent(p: Part): Obj | undefined {
  if (p.type === "text") return { type: "input_text", text: p.text };
  if (p.type === "image") return { type: "input_image", image_url: urlFromSource(p.source), detail: "auto" };
  if (p.type === "file") return compact({ type: "input_file", file_data: dataUrl(p.mediaType, p.data), filename: p.filename ?? "document.pdf" });
  return undefined;
}

function toolOutput(r: ToolResultPart): string | Obj[] {
  const prefix = r.isError ? "Error: " : "";
  if (r.content.every((c) => c.type === "text")) return prefix + r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n\n");
  return r.content.map((c) => inputContent(c)!);
}

/**
 * Turns as Responses input items: user text and media as a user message, tool results as
 * `function_call_output`, assistant text (and refusals) as an assistant message, tool calls as
 * `function_call`, in the order they were said.
 */
function items(conv: Conversation): Obj[] {
  const out: Obj[] = [];
  for (const t of prepareTurns(conv.turns, accepted)) {
    let content: Obj[] = [];
    const flush = () => {
      if (content.length) out.push({ type: "message", role: t.role, content });
      content = [];
    };
    for (const p of t.parts) {
      if (p.type === "tool_result") {
        flush();
        out.push({ type: "function_call_output", call_id: p.id, output: toolOutput(p) });
      } else if (p.type === "tool_call") {
        flush();
        out.push({ type: "function_call", call_id: p.id, name: p.name, arguments: p.arguments || "{}" });
      } else if (t.role === "assistant") {
        if (p.type === "text") content.push({ type: "output_text", text: p.text });
        else if (p.type === "refusal") content.push({ type: "refusal", refusal: p.text });
      } else {
        const c = inputContent(p);
        if (c) content.push(c);
      }
    }
    flush();
  }
  return out;
}

function toolChoice(c: ToolChoice | undefined, names: Set<string>): unknown {
  if (!c) return undefined;
  if (c.type !== "tool") return c.type;
  return names.has(c.name) ? { type: "function", name: c.name } : "auto";
}

function textFormat(f: ResponseFormat | undefined): Obj | undefined {
  if (!f) return undefined;
  if (f.type === "json_object" || !f.schema) return { format: { type: "json_object" } };
  return { format: { type: "json_schema", name: f.name ?? DEFAULT_FORMAT_NAME, schema: f.schema, strict: f.strict ?? false } };
}

/**
 * A neutral conversation as an OpenAI Responses request body (without `model`). Function tools are
 * strict only when the client asked (the Responses API would otherwise make them strict).
 */
export function encodeResponsesRequest(conv: Conversation, ctx: TranslateContext): Obj {
  const instructions = conv.system.flatMap((s) => (s.text.trim() ? [s.text] : [])).join("\n\n");
  const tools = conv.tools.map((t) => compact({ type: "function", name: t.name, description: t.description, parameters: parameters(t.parameters), strict: t.strict ?? false }));
  const names = new Set(conv.tools.map((t) => t.name));
  const reasoning = isOpenAIReasoningModel(ctx.upstreamModel ?? ctx.model);
  const effort = reasoningEffort(conv);
  return compact({
    instructions: instructions || undefined,
    input: items(conv),
    tools: tools.length ? tools : undefined,
    tool_choice: tools.length ? toolChoice(conv.toolChoice, names) : undefined,
    parallel_tool_calls: tools.length ? conv.parallelToolCalls : undefined,
    max_output_tokens: conv.maxTokens,
    temperature: reasoning ? undefined : conv.temperature,
    top_p: reasoning ? undefined : conv.topP,
    reasoning: effort && reasoning ? { effort } : undefined,
    text: textFormat(conv.responseFormat),
    user: endUser(conv.user),
    stream: conv.stream || undefined,
  });
}
