import { asObject as obj, chatMessages, contentText as textOf, imageUrlOf, parseArguments as parseArgs, type ChatMessage, type Json } from "../openai-chat.ts";
import { baseId, signatureFromId } from "./ids.ts";
import type { GeminiContent, GeminiPart, GeminiRequest } from "./types.ts";

/** `data:` URLs become inline bytes; other URLs are referenced by URI. */
function mediaPart(url: string, mimeHint?: string): GeminiPart {
  const m = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (m) return { inlineData: { mimeType: m[1] ?? mimeHint ?? "application/octet-stream", data: m[2]! } };
  return { fileData: { fileUri: url, mimeType: mimeHint ?? guessMime(url) } };
}

function guessMime(url: string): string {
  const ext = /\.([a-z0-9]+)(?:$|\?)/i.exec(url)?.[1]?.toLowerCase();
  const known: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", pdf: "application/pdf" };
  return (ext && known[ext]) ?? "application/octet-stream";
}

function contentParts(content: unknown): GeminiPart[] {
  if (typeof content === "string") return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) return [];
  const parts: GeminiPart[] = [];
  for (const raw of content) {
    const p = obj(raw);
    if (!p) continue;
    if (p.type === "text" && typeof p.text === "string") parts.push({ text: p.text });
    else if (p.type === "image_url") {
      const url = imageUrlOf(p);
      if (url) parts.push(mediaPart(url, obj(p.image_url)?.format as string | undefined));
    } else if (p.type === "file") {
      const f = obj(p.file);
      const data = (f?.file_data ?? f?.file_id) as string | undefined;
      if (data) parts.push(mediaPart(data, f?.format as string | undefined));
    } else if (p.type === "input_audio") {
      const a = obj(p.input_audio);
      if (typeof a?.data === "string") parts.push({ inlineData: { mimeType: `audio/${a.format ?? "wav"}`, data: a.data } });
    }
  }
  return parts;
}

/** Appends a turn, merging it into the previous one when the role repeats (tool results after tool calls). */
function push(contents: GeminiContent[], role: GeminiContent["role"], parts: GeminiPart[]): void {
  if (!parts.length) return;
  const last = contents[contents.length - 1];
  if (last && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

function toolResponse(m: ChatMessage, names: Map<string, string>): GeminiPart {
  const name = names.get(baseId(m.tool_call_id)) ?? m.name ?? "tool";
  const text = textOf(m.content);
  let response: Json;
  try {
    response = obj(JSON.parse(text)) ?? { content: text };
  } catch {
    response = { content: text };
  }
  return { functionResponse: { name, response } };
}

function messages(list: ChatMessage[]): Pick<GeminiRequest, "contents" | "systemInstruction"> {
  const contents: GeminiContent[] = [];
  const system: GeminiPart[] = [];
  const names = new Map<string, string>();
  for (const m of list) {
    if (m.role === "system" || m.role === "developer") {
      const text = textOf(m.content);
      if (text) system.push({ text });
    } else if (m.role === "assistant") {
      const parts = contentParts(m.content);
      for (const tc of m.tool_calls ?? []) {
        const name = tc.function?.name ?? "";
        if (tc.id) names.set(baseId(tc.id), name);
        const sig = signatureFromId(tc.id);
        parts.push({ functionCall: { name, args: parseArgs(tc.function?.arguments) }, ...(sig ? { thoughtSignature: sig } : {}) });
      }
      push(contents, "model", parts);
    } else if (m.role === "tool" || m.role === "function") {
      push(contents, "user", [toolResponse(m, names)]);
    } else {
      push(contents, "user", contentParts(m.content));
    }
  }
  return system.length ? { contents, systemInstruction: { parts: system } } : { contents };
}

function tools(body: Json): Pick<GeminiRequest, "tools" | "toolConfig"> {
  const list = Array.isArray(body.tools) ? body.tools : [];
  const decls = list
    .map((t) => obj(obj(t)?.function))
    .filter((f): f is Json => !!f && typeof f.name === "string")
    .map((f) => {
      const { $schema: _drop, ...schema } = obj(f.parameters) ?? {};
      return {
        name: f.name as string,
        ...(typeof f.description === "string" ? { description: f.description } : {}),
        ...(Object.keys(schema).length ? { parametersJsonSchema: schema } : {}),
      };
    });
  if (!decls.length) return {};
  const out: Pick<GeminiRequest, "tools" | "toolConfig"> = { tools: [{ functionDeclarations: decls }] };
  const choice = body.tool_choice;
  if (choice === "none") out.toolConfig = { functionCallingConfig: { mode: "NONE" } };
  else if (choice === "required") out.toolConfig = { functionCallingConfig: { mode: "ANY" } };
  else if (choice === "auto") out.toolConfig = { functionCallingConfig: { mode: "AUTO" } };
  else {
    const name = obj(obj(choice)?.function)?.name;
    if (typeof name === "string") out.toolConfig = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [name] } };
  }
  return out;
}

const THINKING_BUDGET: Record<string, number> = { minimal: 128, low: 1024, medium: 8192, high: 24576 };

function generationConfig(body: Json): Json | undefined {
  const g: Json = {};
  const num = (k: string) => (typeof body[k] === "number" ? (body[k] as number) : undefined);
  if (num("temperature") !== undefined) g.temperature = num("temperature");
  if (num("top_p") !== undefined) g.topP = num("top_p");
  const max = num("max_completion_tokens") ?? num("max_tokens");
  if (max !== undefined) g.maxOutputTokens = max;
  if (num("n") !== undefined) g.candidateCount = num("n");
  if (num("seed") !== undefined) g.seed = num("seed");
  if (num("presence_penalty") !== undefined) g.presencePenalty = num("presence_penalty");
  if (num("frequency_penalty") !== undefined) g.frequencyPenalty = num("frequency_penalty");
  if (typeof body.stop === "string") g.stopSequences = [body.stop];
  else if (Array.isArray(body.stop)) g.stopSequences = body.stop;
  const rf = obj(body.response_format);
  if (rf?.type === "json_object") g.responseMimeType = "application/json";
  else if (rf?.type === "json_schema") {
    g.responseMimeType = "application/json";
    const schema = obj(rf.json_schema)?.schema;
    if (schema) g.responseJsonSchema = schema;
  }
  const effort = body.reasoning_effort;
  if (typeof effort === "string") {
    g.thinkingConfig = effort === "none" ? { thinkingBudget: 0 } : { thinkingBudget: THINKING_BUDGET[effort] ?? -1, includeThoughts: true };
  }
  return Object.keys(g).length ? g : undefined;
}

/** An OpenAI chat completions body as a Gemini `generateContent` body. */
export function chatToGemini(body: Json): GeminiRequest {
  const out: GeminiRequest = { ...messages(chatMessages(body)), ...tools(body) };
  const g = generationConfig(body);
  if (g) out.generationConfig = g;
  return out;
}
