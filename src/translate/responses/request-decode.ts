import { badRequest, GatewayError } from "../../errors.ts";
import type { ClientTool, Conversation, ImagePart, Part, TextPart, ToolChoice, ToolDef, Turn } from "../ir.ts";
import { isObj, num, obj, objs, str, type Obj } from "../json.ts";
import { parseDataUrl, sourceFromUrl } from "../media.ts";
import type { TranslateContext } from "../types.ts";
import { responseFormat } from "../response-format.ts";
import { fromEncryptedReasoning } from "./reasoning.ts";

/** Codex's own rule for flattening a namespaced tool name where namespaces do not exist. */
export const flatName = (namespace: string, name: string) => `${namespace.replace(/_+$/, "")}__${name.replace(/^_+/, "")}`;

function contentParts(content: unknown): Part[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  const out: Part[] = [];
  for (const p of objs(content)) {
    if ((p.type === "input_text" || p.type === "output_text" || p.type === "text") && typeof p.text === "string") {
      out.push({ type: "text", text: p.text });
    } else if (p.type === "refusal" && typeof p.refusal === "string") out.push({ type: "refusal", text: p.refusal });
    else if (p.type === "input_image" && typeof p.image_url === "string") out.push({ type: "image", source: sourceFromUrl(p.image_url) });
    else if (p.type === "input_file") {
      const data = parseDataUrl(str(p.file_data) ?? "");
      if (data) out.push({ type: "file", ...data, filename: str(p.filename) });
    }
  }
  return out;
}

function outputContent(output: unknown): Array<TextPart | ImagePart> {
  if (typeof output === "string") return [{ type: "text", text: output }];
  return contentParts(output).filter((p): p is TextPart | ImagePart => p.type === "text" || p.type === "image");
}

const texts = (content: unknown) => contentParts(content).filter((p): p is TextPart => p.type === "text" && p.text.trim() !== "");

/** One input item as a turn, or as system text; hosted-tool items (web_search_call, ...) have no counterpart. */
function item(it: Obj, system: TextPart[]): Turn | undefined {
  const type = it.type ?? (it.role ? "message" : undefined);
  switch (type) {
    case "message":
      if (it.role === "system" || it.role === "developer") {
        system.push(...texts(it.content));
        return undefined;
      }
      return { role: it.role === "assistant" ? "assistant" : "user", parts: contentParts(it.content) };
    case "function_call": {
      const name = str(it.name) ?? "";
      const ns = str(it.namespace);
      return { role: "assistant", parts: [{ type: "tool_call", id: str(it.call_id) ?? "", name: ns ? flatName(ns, name) : name, arguments: str(it.arguments) ?? "" }] };
    }
    case "custom_tool_call":
      return { role: "assistant", parts: [{ type: "tool_call", id: str(it.call_id) ?? "", name: str(it.name) ?? "", arguments: JSON.stringify({ input: str(it.input) ?? "" }) }] };
    case "function_call_output":
    case "custom_tool_call_output":
      return { role: "user", parts: [{ type: "tool_result", id: str(it.call_id) ?? "", content: outputContent(it.output) }] };
    case "reasoning": {
      const summary = objs(it.summary).map((s) => str(s.text) ?? "");
      const content = objs(it.content).map((s) => str(s.text) ?? "");
      const part = fromEncryptedReasoning(str(it.encrypted_content), (summary.length ? summary : content).join("\n\n"));
      return { role: "assistant", parts: [part] };
    }
    default:
      return undefined;
  }
}

function customTool(t: Obj): ToolDef {
  const format = obj(t.format);
  const grammar = format.type === "grammar" && typeof format.definition === "string" ? `\n\nThe input must follow this ${str(format.syntax) ?? ""} grammar:\n${format.definition}` : "";
  return {
    name: String(t.name),
    description: (str(t.description) ?? "") + grammar,
    parameters: { type: "object", properties: { input: { type: "string", description: "The raw input for this tool." } }, required: ["input"] },
  };
}

/**
 * Function tools pass; freeform (`custom`) tools become one-string-argument functions and
 * `namespace` tools are flattened (both recorded in ctx so answers name them as the client did).
 * Hosted tools (web_search, file_search, ...) are dropped: only OpenAI can run them, and Codex
 * always offers web_search, so refusing it would make Codex unusable on every other model.
 */
function tools(list: unknown, ctx: TranslateContext): ToolDef[] {
  const out: ToolDef[] = [];
  const record = (flat: string, t: ClientTool) => (ctx.tools ??= new Map()).set(flat, t);
  for (const t of objs(list)) {
    if (typeof t.name !== "string") continue;
    if (t.type === "function") out.push({ name: t.name, description: str(t.description), parameters: obj(t.parameters), strict: t.strict === true || undefined });
    else if (t.type === "custom") {
      out.push(customTool(t));
      record(t.name, { name: t.name, custom: true });
    } else if (t.type === "namespace") {
      for (const fn of objs(t.tools).filter((f) => f.type === "function" && typeof f.name === "string")) {
        const flat = flatName(t.name, fn.name as string);
        const description = [str(t.description), str(fn.description)].filter(Boolean).join("\n\n");
        out.push({ name: flat, description: description || undefined, parameters: obj(fn.parameters) });
        record(flat, { name: fn.name as string, namespace: t.name });
      }
    }
  }
  return out;
}

function toolChoice(v: unknown): ToolChoice | undefined {
  if (v === "none" || v === "auto" || v === "required") return { type: v };
  if (!isObj(v)) return undefined;
  if ((v.type === "function" || v.type === "custom") && typeof v.name === "string") return { type: "tool", name: v.name };
  if (v.type === "allowed_tools") return { type: v.mode === "required" ? "required" : "auto" };
  return { type: "auto" };
}

/** Each `item_reference` as the stored item it names; an unknown id is OpenAI's 404. */
function resolveReferences(input: Obj[], ctx: TranslateContext): Obj[] {
  if (!input.some((it) => it.type === "item_reference")) return input;
  return input.map((it) => {
    if (it.type !== "item_reference") return it;
    const id = str(it.id) ?? "";
    const found = ctx.responses?.item(id);
    // A client mistake, not the deployment's: BadRequestError, so the router neither retries nor cools down.
    if (!found) throw new GatewayError(404, `Item with id '${id}' not found.`, { kind: "BadRequestError", type: "invalid_request_error", param: "input" });
    return found;
  });
}

/**
 * An OpenAI Responses request as a neutral conversation. `previous_response_id` and `item_reference`
 * items are resolved from the gateway's memory of earlier translated responses (`ctx.responses`);
 * unknown ids are OpenAI's 400 and 404.
 */
export function decodeResponsesRequest(body: Obj, ctx: TranslateContext): Conversation {
  const previous = str(body.previous_response_id);
  const own = resolveReferences(typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : objs(body.input), ctx);
  let earlier: Obj[] = [];
  if (previous) {
    const found = ctx.responses?.items(previous);
    if (!found) throw badRequest(`Previous response with id '${previous}' not found.`, "previous_response_id");
    earlier = found;
  }
  if (body.store !== false && ctx.responses) ctx.remember = { previous, input: own };
  const system: TextPart[] = [];
  if (typeof body.instructions === "string" && body.instructions.trim()) system.push({ type: "text", text: body.instructions });
  const input = earlier.length ? [...earlier, ...own] : own;
  const turns = input.map((it) => item(it, system)).filter((t): t is Turn => t !== undefined);
  return {
    system,
    turns,
    tools: tools(body.tools, ctx),
    toolChoice: toolChoice(body.tool_choice),
    parallelToolCalls: typeof body.parallel_tool_calls === "boolean" ? body.parallel_tool_calls : undefined,
    maxTokens: num(body.max_output_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    user: str(body.user) ?? str(body.safety_identifier),
    stream: body.stream === true,
    reasoningEffort: str(obj(body.reasoning).effort),
    responseFormat: responseFormat(obj(body.text).format),
  };
}
