/**
 * Scripted Bedrock Converse answers for the fake runtime:
 *   last user turn holds a toolResult → "Tool output was: <text>"
 *   last user text has USE_BASH       → a toolUse of the first declared tool
 *   toolChoice names a tool           → a toolUse of it, its input following the tool's schema
 *   otherwise                         → "Hello from the fake Converse!"
 * It validates what Bedrock validates: alternating roles starting with user, toolResults that
 * answer the previous turn's toolUse ids, tool specs with an inputSchema.json.
 */
import { eventFrame } from "./aws-event-stream.ts";
import { sampleFor } from "./schema-sample.ts";

type Json = Record<string, unknown>;
interface Msg {
  role: string;
  content: Json[];
}

export class ConverseValidationError extends Error {}

function validate(body: Json): Msg[] {
  const messages = body.messages as Msg[] | undefined;
  if (!Array.isArray(messages) || !messages.length) throw new ConverseValidationError("messages must not be empty");
  messages.forEach((m, i) => {
    if (m.role !== (i % 2 === 0 ? "user" : "assistant")) throw new ConverseValidationError("A conversation must alternate between user and assistant roles");
    if (!Array.isArray(m.content) || !m.content.length) throw new ConverseValidationError("content must not be empty");
    const results = m.content.filter((b) => b.toolResult).map((b) => (b.toolResult as { toolUseId: string }).toolUseId);
    const previous = new Set((messages[i - 1]?.content ?? []).filter((b) => b.toolUse).map((b) => (b.toolUse as { toolUseId: string }).toolUseId));
    for (const id of results) if (!previous.has(id)) throw new ConverseValidationError(`toolResult ${id} does not match a toolUse of the previous turn`);
  });
  const tools = ((body.toolConfig as Json | undefined)?.tools ?? []) as Array<{ toolSpec?: { name?: string; inputSchema?: { json?: unknown } } }>;
  for (const t of tools) if (!t.toolSpec?.name || !t.toolSpec.inputSchema?.json) throw new ConverseValidationError("toolSpec needs name and inputSchema.json");
  return messages;
}

export function converseBlocks(body: Json): Json[] {
  const messages = validate(body);
  const last = messages[messages.length - 1]!;
  const result = last.content.find((b) => b.toolResult)?.toolResult as { content?: Array<{ text?: string }> } | undefined;
  if (result) {
    const out = (result.content ?? []).map((c) => c.text ?? "").join("");
    return [{ text: `Tool output was: ${/hello/.test(out) ? "hello" : out.trim()}` }];
  }
  const config = (body.toolConfig ?? {}) as { tools?: Array<{ toolSpec: { name: string; inputSchema: { json: unknown } } }>; toolChoice?: { tool?: { name?: string } } };
  const forced = config.tools?.find((t) => t.toolSpec.name === config.toolChoice?.tool?.name);
  if (forced) return [{ toolUse: { toolUseId: `tooluse_${Date.now().toString(36)}`, name: forced.toolSpec.name, input: sampleFor(forced.toolSpec.inputSchema.json) } }];
  const text = last.content.map((b) => (typeof b.text === "string" ? b.text : "")).join(" ");
  if (text.includes("USE_BASH")) {
    const name = ((body.toolConfig as { tools?: Array<{ toolSpec: { name: string } }> } | undefined)?.tools?.[0]?.toolSpec.name) ?? "Bash";
    return [{ text: "Running the command." }, { toolUse: { toolUseId: `tooluse_${Date.now().toString(36)}`, name, input: { command: "echo hello" } } }];
  }
  return [{ text: "Hello from the fake Converse!" }];
}

const USAGE = { inputTokens: 20, outputTokens: 8, totalTokens: 33, cacheReadInputTokens: 5 };

export function converseJson(body: Json): Json {
  const content = converseBlocks(body);
  const stopReason = content.some((b) => b.toolUse) ? "tool_use" : "end_turn";
  return { output: { message: { role: "assistant", content } }, stopReason, usage: USAGE, metrics: { latencyMs: 12 } };
}

/** converse-stream events as event-stream frames. */
export function converseFrames(body: Json): Array<Uint8Array<ArrayBuffer>> {
  const content = converseBlocks(body);
  const frames = [eventFrame("messageStart", { role: "assistant" })];
  content.forEach((b, i) => {
    const tu = b.toolUse as { toolUseId: string; name: string; input: unknown } | undefined;
    if (tu) {
      frames.push(eventFrame("contentBlockStart", { contentBlockIndex: i, start: { toolUse: { toolUseId: tu.toolUseId, name: tu.name } } }));
      const json = JSON.stringify(tu.input);
      frames.push(eventFrame("contentBlockDelta", { contentBlockIndex: i, delta: { toolUse: { input: json.slice(0, 5) } } }));
      frames.push(eventFrame("contentBlockDelta", { contentBlockIndex: i, delta: { toolUse: { input: json.slice(5) } } }));
    } else {
      for (const w of String(b.text).match(/\S+\s*/g) ?? []) frames.push(eventFrame("contentBlockDelta", { contentBlockIndex: i, delta: { text: w } }));
    }
    frames.push(eventFrame("contentBlockStop", { contentBlockIndex: i }));
  });
  frames.push(eventFrame("messageStop", { stopReason: content.some((b) => b.toolUse) ? "tool_use" : "end_turn" }));
  frames.push(eventFrame("metadata", { usage: USAGE, metrics: { latencyMs: 12 } }));
  return frames;
}
