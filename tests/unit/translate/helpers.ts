import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { SseParser, type SseMessage } from "../../../src/translate/sse.ts";

type Obj = Record<string, unknown>;
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** The POST bodies of a recorded trace in /work/shared/traces, with the experiment they belong to. */
export function traceBodies(file: string, path: string): Array<{ experiment: string; body: Obj }> {
  return readFileSync(`/work/shared/traces/${file}`, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { experiment: string; method: string; path: string; body: Obj | null })
    .filter((r) => r.method === "POST" && r.path.endsWith(path) && r.body)
    .map((r) => ({ experiment: r.experiment, body: r.body! }));
}

const ANTHROPIC_KEYS = new Set(["system", "messages", "tools", "tool_choice", "max_tokens", "thinking", "temperature", "top_p", "stop_sequences", "metadata", "stream"]);
const ANTHROPIC_BLOCKS = new Set(["text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking"]);
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;

/** What the Messages API requires of a request body (beyond `model`, which the gateway sets). */
export function expectValidAnthropicRequest(body: Obj): void {
  for (const k of Object.keys(body)) expect(ANTHROPIC_KEYS.has(k), `unexpected Anthropic field ${k}`).toBe(true);
  expect(Number.isInteger(body.max_tokens) && (body.max_tokens as number) > 0).toBe(true);
  for (const b of objs(body.system)) {
    expect(b.type).toBe("text");
    expect(String(b.text).trim()).not.toBe("");
  }
  const msgs = objs(body.messages);
  expect(msgs.length).toBeGreaterThan(0);
  expect(msgs[0]!.role).toBe("user");
  msgs.forEach((m, i) => {
    expect(["user", "assistant"]).toContain(m.role as string);
    if (i > 0) expect(m.role, "roles alternate").not.toBe(msgs[i - 1]!.role);
    const blocks = objs(m.content);
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) {
      expect(ANTHROPIC_BLOCKS.has(String(b.type)), `block type ${b.type}`).toBe(true);
      if (b.type === "text") expect(String(b.text).trim()).not.toBe("");
      if (b.type === "tool_use") {
        expect(String(b.id)).toMatch(TOOL_ID);
        expect(typeof b.input === "object" && b.input !== null && !Array.isArray(b.input)).toBe(true);
      }
      if (b.type === "thinking") expect(String(b.signature)).not.toBe("");
    }
    const uses = blocks.filter((b) => b.type === "tool_use").map((b) => b.id);
    const prevUses = i > 0 ? objs(msgs[i - 1]!.content).filter((b) => b.type === "tool_use").map((b) => b.id) : [];
    const results = blocks.filter((b) => b.type === "tool_result");
    if (m.role === "user") {
      // results lead the turn and answer exactly the previous turn's tool_use ids
      expect(blocks.slice(0, results.length).every((b) => b.type === "tool_result")).toBe(true);
      expect(results.map((r) => r.tool_use_id).sort()).toEqual([...prevUses].sort());
    }
    if (m.role === "assistant" && uses.length) expect(msgs[i + 1]?.role, "tool_use must be answered").toBe("user");
  });
  for (const t of objs(body.tools)) {
    expect(String(t.name)).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
    expect((t.input_schema as Obj).type).toBe("object");
  }
  const thinking = body.thinking as Obj | undefined;
  if (thinking) {
    expect(thinking.budget_tokens as number).toBeGreaterThanOrEqual(1024);
    expect(thinking.budget_tokens as number).toBeLessThan(body.max_tokens as number);
    expect(body.temperature).toBeUndefined();
    expect(body.top_p).toBeUndefined();
  }
  expect(JSON.stringify(body).split('"cache_control"').length - 1).toBeLessThanOrEqual(4);
}

const CHAT_KEYS = new Set([
  "messages", "tools", "tool_choice", "parallel_tool_calls", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop",
  "reasoning_effort", "response_format", "user", "stream", "stream_options",
]);

/** What OpenAI chat completions (and strict compatible servers) require of a request body. */
export function expectValidChatRequest(body: Obj): void {
  for (const k of Object.keys(body)) expect(CHAT_KEYS.has(k), `unexpected chat field ${k}`).toBe(true);
  expect(JSON.stringify(body)).not.toContain("cache_control");
  const msgs = objs(body.messages);
  let pending = new Set<unknown>();
  msgs.forEach((m, i) => {
    expect(["system", "user", "assistant", "tool"]).toContain(m.role as string);
    if (m.role === "system") expect(i, "system message only first").toBe(0);
    if (m.role === "tool") {
      expect(pending.has(m.tool_call_id), `tool message answers a pending call`).toBe(true);
      pending.delete(m.tool_call_id);
      expect(typeof m.content).toBe("string");
      return;
    }
    expect(pending.size, "every tool call answered before the next message").toBe(0);
    if (m.role === "assistant") {
      const calls = objs(m.tool_calls);
      pending = new Set(calls.map((c) => c.id));
      for (const c of calls) {
        expect(c.type).toBe("function");
        expect(() => JSON.parse(String((c.function as Obj).arguments))).not.toThrow();
      }
      expect(m.content !== undefined || calls.length > 0).toBe(true);
    } else {
      expect(typeof m.content === "string" ? (m.content as string).length : objs(m.content).length).toBeGreaterThan(0);
    }
  });
  expect(pending.size).toBe(0);
  for (const t of objs(body.tools)) {
    expect(t.type).toBe("function");
    const fn = t.function as Obj;
    expect(String(fn.name)).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect((fn.parameters as Obj).type).toBe("object");
    expect((fn.parameters as Obj).$schema).toBeUndefined();
  }
  if (body.tool_choice !== undefined || body.parallel_tool_calls !== undefined) expect(objs(body.tools).length).toBeGreaterThan(0);
}

const enc = new TextEncoder();

/** Splits text into byte chunks: whole, every byte, or at pseudo-random cuts (deterministic). */
export function chunked(text: string, how: "whole" | "bytes" | "random", seed = 7): Uint8Array[] {
  const bytes = enc.encode(text);
  if (how === "whole") return [bytes];
  if (how === "bytes") return Array.from(bytes, (b) => new Uint8Array([b]));
  const out: Uint8Array[] = [];
  let s = seed;
  for (let i = 0; i < bytes.length; ) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const n = 1 + (s % 37);
    out.push(bytes.slice(i, i + n));
    i += n;
  }
  return out;
}

/** Pipes chunks through a transform and returns everything it wrote, or the error it failed with. */
export async function runTransform(t: TransformStream<Uint8Array, Uint8Array>, chunks: Uint8Array[]): Promise<{ text: string; error?: unknown }> {
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(ch);
      c.close();
    },
  });
  let text = "";
  const dec = new TextDecoder();
  try {
    for await (const part of source.pipeThrough(t)) text += dec.decode(part, { stream: true });
    return { text };
  } catch (error) {
    return { text, error };
  }
}

export function sseMessages(text: string): SseMessage[] {
  const p = new SseParser();
  return [...p.push(enc.encode(text)), ...p.end()];
}

/** `data:` payloads parsed as JSON (skipping `[DONE]`). */
export function sseJson(text: string): Obj[] {
  return sseMessages(text)
    .filter((m) => m.data !== "[DONE]")
    .map((m) => JSON.parse(m.data) as Obj);
}

export const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
