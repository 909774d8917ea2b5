import { asObject as obj, chatMessages, contentText as textOf, imageUrlOf, parseArguments, type Json } from "../openai-chat.ts";

type Block = Json;

function imageBlock(url: string): Block | undefined {
  const m = /^data:image\/([a-z]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (!m) return undefined;
  return { image: { format: m[1] === "jpg" ? "jpeg" : m[1], source: { bytes: m[2] } } };
}

function contentBlocks(content: unknown): Block[] {
  if (typeof content === "string") return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) return [];
  const out: Block[] = [];
  for (const raw of content) {
    const p = obj(raw);
    if (p?.type === "text" && typeof p.text === "string" && p.text) out.push({ text: p.text });
    else if (p?.type === "image_url") {
      const url = imageUrlOf(p);
      const b = url ? imageBlock(url) : undefined;
      if (b) out.push(b);
    }
  }
  return out;
}

/** Converse wants alternating roles: consecutive turns of one role are merged. */
function push(messages: Array<{ role: string; content: Block[] }>, role: string, content: Block[]): void {
  if (!content.length) return;
  const last = messages[messages.length - 1];
  if (last?.role === role) last.content.push(...content);
  else messages.push({ role, content });
}

/** LiteLLM's name for the tool that carries structured output on Converse; its call is read back as the answer. */
export const JSON_TOOL = "json_tool_call";

/** `response_format` as a forced tool whose input is the JSON answer (LiteLLM's Converse JSON mode). */
function jsonTool(body: Json): Json | undefined {
  const rf = obj(body.response_format);
  if (rf?.type !== "json_schema" && rf?.type !== "json_object") return undefined;
  const schema = obj(obj(rf.json_schema)?.schema) ?? { type: "object", properties: {}, additionalProperties: true };
  return { toolSpec: { name: JSON_TOOL, description: "Respond with a JSON object.", inputSchema: { json: { ...schema, type: "object" } } } };
}

function toolConfig(body: Json): Json | undefined {
  const json = jsonTool(body);
  if (body.tool_choice === "none" && !json) return undefined;
  const tools: Json[] = (body.tool_choice === "none" || !Array.isArray(body.tools) ? [] : body.tools)
    .map((t) => obj(obj(t)?.function))
    .filter((f): f is Json => typeof f?.name === "string")
    .map((f) => ({
      toolSpec: {
        name: f.name,
        ...(typeof f.description === "string" && f.description ? { description: f.description } : {}),
        inputSchema: { json: obj(f.parameters) ?? { type: "object", properties: {} } },
      },
    }));
  if (json) return { tools: [...tools, json], toolChoice: { tool: { name: JSON_TOOL } } };
  if (!tools.length) return undefined;
  const choice = body.tool_choice;
  const name = obj(obj(choice)?.function)?.name;
  const toolChoice = choice === "required" ? { any: {} } : typeof name === "string" ? { tool: { name } } : choice === "auto" ? { auto: {} } : undefined;
  return { tools, ...(toolChoice ? { toolChoice } : {}) };
}

function inferenceConfig(body: Json): Json | undefined {
  const c: Json = {};
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (typeof max === "number") c.maxTokens = max;
  if (typeof body.temperature === "number") c.temperature = body.temperature;
  if (typeof body.top_p === "number") c.topP = body.top_p;
  if (typeof body.stop === "string") c.stopSequences = [body.stop];
  else if (Array.isArray(body.stop)) c.stopSequences = body.stop;
  return Object.keys(c).length ? c : undefined;
}

/** An OpenAI chat completions body as a Bedrock Converse body. */
export function chatToConverse(body: Json): Json {
  const system: Block[] = [];
  const messages: Array<{ role: string; content: Block[] }> = [];
  for (const m of chatMessages(body)) {
    if (m.role === "system" || m.role === "developer") {
      const t = textOf(m.content);
      if (t) system.push({ text: t });
    } else if (m.role === "assistant") {
      const blocks = contentBlocks(m.content);
      for (const tc of m.tool_calls ?? []) {
        blocks.push({ toolUse: { toolUseId: tc.id ?? "", name: tc.function?.name ?? "", input: parseArguments(tc.function?.arguments) } });
      }
      push(messages, "assistant", blocks);
    } else if (m.role === "tool") {
      push(messages, "user", [{ toolResult: { toolUseId: m.tool_call_id ?? "", content: [{ text: textOf(m.content) || " " }] } }]);
    } else {
      push(messages, "user", contentBlocks(m.content));
    }
  }
  const out: Json = { messages };
  if (system.length) out.system = system;
  const ic = inferenceConfig(body);
  if (ic) out.inferenceConfig = ic;
  const tc = toolConfig(body);
  if (tc) out.toolConfig = tc;
  return out;
}
