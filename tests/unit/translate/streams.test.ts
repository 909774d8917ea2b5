import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../../src/errors.ts";
import { scanUsageObjects, usageFromObjects } from "../../../src/gateway/usage.ts";
import { translator, type TranslateContext } from "../../../src/translate/index.ts";
import { anthropicFromSse, chatFromSse, responsesFromSse } from "./accumulate.ts";
import { ANTHROPIC_STREAM, CHAT_STREAM, chatChunk } from "./fixtures.ts";
import { chunked, runTransform, sse, traceBodies } from "./helpers.ts";

type Obj = Record<string, unknown>;
const SPLITS = ["whole", "bytes", "random"] as const;
const gatewayUsage = (text: string) => usageFromObjects(scanUsageObjects(text));

async function translate(from: "anthropic-messages" | "openai-chat" | "openai-responses", to: "openai-chat" | "anthropic-messages", input: string, how: (typeof SPLITS)[number], ctx: TranslateContext = { model: "client-model" }) {
  return runTransform(translator(from, to)!.stream(ctx), chunked(input, how));
}

describe("chat stream → Anthropic SSE (Claude Code on an OpenAI-style upstream)", () => {
  for (const how of SPLITS) {
    test(`split: ${how}`, async () => {
      const { text, error } = await translate("anthropic-messages", "openai-chat", CHAT_STREAM, how);
      expect(error).toBeUndefined();
      const r = anthropicFromSse(text);
      expect(r.message).toMatchObject({ id: "chatcmpl-s1", type: "message", role: "assistant", model: "client-model", content: [] });
      expect(r.blocks).toEqual([
        { type: "thinking", thinking: "Thinking.", signature: "" },
        { type: "text", text: "Hello ✓" },
        { type: "tool_use", id: "call_1", name: "Bash", input: { command: "ls" } },
        { type: "tool_use", id: "call_2", name: "Bash", input: { command: "pwd" } },
      ]);
      expect(r.stop).toEqual({ stop_reason: "tool_use", stop_sequence: null });
      expect(r.usage).toMatchObject({ input_tokens: 300, output_tokens: 25, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 });
      expect(r.last.type).toBe("message_stop");
      expect(gatewayUsage(text)).toMatchObject({ promptTokens: 400, completionTokens: 25, cacheReadTokens: 100, totalTokens: 425 });
    });
  }

  test("a tool call whose name arrives after its id, and a server that says stop after tool calls", async () => {
    const input = [
      chatChunk({ role: "assistant", content: null }),
      chatChunk({ tool_calls: [{ index: 0, id: "call_x", type: "function", function: { arguments: "" } }] }),
      chatChunk({ tool_calls: [{ index: 0, function: { name: "Bash", arguments: '{"comm' } }] }),
      chatChunk({ tool_calls: [{ index: 0, function: { arguments: 'and":"ls"}' } }] }),
      chatChunk({}, "stop"),
      sse("[DONE]"),
    ].join("");
    const r = anthropicFromSse((await translate("anthropic-messages", "openai-chat", input, "random")).text);
    expect(r.blocks).toEqual([{ type: "tool_use", id: "call_x", name: "Bash", input: { command: "ls" } }]);
    expect(r.stop?.stop_reason).toBe("tool_use");
  });

  test("an upstream that closes without [DONE] still gets a complete message", async () => {
    const input = [chatChunk({ role: "assistant", content: "Hi" }), chatChunk({}, "length")].join("");
    const r = anthropicFromSse((await translate("anthropic-messages", "openai-chat", input, "whole")).text);
    expect(r.blocks).toEqual([{ type: "text", text: "Hi" }]);
    expect(r.stop?.stop_reason).toBe("max_tokens");
    expect(r.last.type).toBe("message_stop");
  });
});

describe("Anthropic stream → chat chunks (OpenAI SDK on Claude)", () => {
  for (const how of SPLITS) {
    test(`split: ${how}`, async () => {
      const { text, error } = await translate("openai-chat", "anthropic-messages", ANTHROPIC_STREAM, how);
      expect(error).toBeUndefined();
      const r = chatFromSse(text);
      expect(r.first!.choices).toEqual([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null, logprobs: null }]);
      expect(r.content).toBe("Listing ✓ now.");
      expect(r.reasoning).toBe("Need to list files.");
      expect(r.calls).toEqual([
        { id: "toolu_1", name: "exec_command", arguments: '{"cmd":"ls -la"}' },
        { id: "toolu_2", name: "multi_agent_v1__wait_agent", arguments: '{"targets":["a"]}' },
      ]);
      expect(r.finish).toBe("tool_calls");
      expect(r.usage).toMatchObject({ prompt_tokens: 260, completion_tokens: 77, total_tokens: 337, prompt_tokens_details: { cached_tokens: 200, cache_creation_tokens: 10 } });
      expect(r.done).toBe(true);
      expect([...r.ids]).toEqual(["msg_s1"]);
      expect([...r.models]).toEqual(["client-model"]);
      expect(gatewayUsage(text)).toMatchObject({ promptTokens: 260, completionTokens: 77, cacheReadTokens: 200, cacheCreationTokens: 10 });
    });
  }
});

describe("Anthropic stream → Responses events (Codex on Claude)", () => {
  const codex = traceBodies("codex-requests.jsonl", "/v1/responses")[2]!.body;
  for (const how of SPLITS) {
    test(`split: ${how}`, async () => {
      const ctx: TranslateContext = { model: "gpt-on-claude" };
      const tr = translator("openai-responses", "anthropic-messages")!;
      tr.request(codex, ctx);
      const { text, error } = await runTransform(tr.stream(ctx), chunked(ANTHROPIC_STREAM, how));
      expect(error).toBeUndefined();
      const r = responsesFromSse(text);
      expect(r.types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
      expect(r.last.type).toBe("response.completed");
      const output = r.response!.output as Obj[];
      expect(output.map((i) => i.type)).toEqual(["reasoning", "message", "function_call", "function_call"]);
      expect(output[0]).toMatchObject({ summary: [{ type: "summary_text", text: "Need to list files." }], encrypted_content: "anthropic-thinking:sigXYZ" });
      expect(output[1]).toMatchObject({ content: [{ type: "output_text", text: "Listing ✓ now." }] });
      expect(output[2]).toMatchObject({ call_id: "toolu_1", name: "exec_command", arguments: '{"cmd":"ls -la"}' });
      expect(output[3]).toMatchObject({ call_id: "toolu_2", name: "wait_agent", namespace: "multi_agent_v1", arguments: '{"targets":["a"]}' });
      // what was streamed matches the final items
      expect([...r.done.values()]).toEqual(output);
      expect(r.deltas.get(String(output[1]!.id))).toBe("Listing ✓ now.");
      expect(r.deltas.get(String(output[2]!.id))).toBe('{"cmd":"ls -la"}');
      expect(r.deltas.get(String(output[0]!.id))).toBe("Need to list files.");
      expect(r.response!.usage).toEqual({ input_tokens: 260, input_tokens_details: { cached_tokens: 200, cache_write_tokens: 10 }, output_tokens: 77, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 337 });
      expect(r.response!.model).toBe("gpt-on-claude");
      expect(gatewayUsage(text)).toMatchObject({ promptTokens: 260, cacheReadTokens: 200, cacheCreationTokens: 10, completionTokens: 77 });
    });
  }
});

describe("chat stream → Responses events (Codex on vLLM)", () => {
  test("reasoning, message and two function calls with their argument deltas", async () => {
    const { text } = await translate("openai-responses", "openai-chat", CHAT_STREAM, "bytes");
    const r = responsesFromSse(text);
    const output = r.response!.output as Obj[];
    expect(output.map((i) => i.type)).toEqual(["reasoning", "message", "function_call", "function_call"]);
    expect(output[0]!.encrypted_content).toBeUndefined();
    expect(output[2]).toMatchObject({ call_id: "call_1", arguments: '{"command":"ls"}' });
    expect(output[3]).toMatchObject({ call_id: "call_2", arguments: '{"command":"pwd"}' });
    expect(r.deltas.get(String(output[2]!.id))).toBe('{"command":"ls"}');
    expect(r.response!.status).toBe("completed");
    expect(r.response!.usage).toMatchObject({ input_tokens: 400, input_tokens_details: { cached_tokens: 100 }, output_tokens: 25 });
  });
});

describe("upstream errors inside the stream", () => {
  const overloaded = sse({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, "error");
  const partial = ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf("event: content_block_stop"));

  test("the client's opening goes out as soon as the upstream's stream starts, before any content", async () => {
    const start = ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf("event: ping"));
    const t = translator("openai-chat", "anthropic-messages")!.stream({ model: "client-model" });
    const writer = t.writable.getWriter();
    void writer.write(new TextEncoder().encode(start));
    const first = await t.readable.getReader().read();
    const text = new TextDecoder().decode(first.value);
    expect(text).toContain('"role":"assistant"');
    expect(text).not.toContain("finish_reason\":\"stop");
    void writer.abort();
  });

  test("an error in the same read as the upstream's start: a GatewayError the router can retry (Anthropic overload → 529)", async () => {
    const { text, error } = await translate("openai-chat", "anthropic-messages", ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf("event: ping")) + overloaded, "whole");
    expect(text).toBe("");
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(529);
    expect((error as GatewayError).message).toContain("Overloaded");
  });

  test("before any output from a chat upstream: rate limit → 429", async () => {
    const { text, error } = await translate("anthropic-messages", "openai-chat", sse({ error: { message: "slow down", type: "rate_limit_exceeded", code: null } }), "whole");
    expect(text).toBe("");
    expect((error as GatewayError).status).toBe(429);
  });

  test("after output, to a chat client: an error chunk ends the stream, without [DONE]", async () => {
    const { text, error } = await translate("openai-chat", "anthropic-messages", partial + overloaded + ANTHROPIC_STREAM, "random");
    expect(error).toBeUndefined();
    const r = chatFromSse(text);
    expect(r.reasoning).toBe("Need to list files.");
    expect(r.error).toEqual({ message: "Overloaded", type: "overloaded_error", param: null, code: "529" });
    expect(r.done).toBe(false);
    expect(r.content).toBe("");
  });

  test("after output, to an Anthropic client: an `error` event in Anthropic's shape ends the stream", async () => {
    const input = chatChunk({ role: "assistant", content: "Partial" }) + sse({ error: { message: "engine crashed", type: "server_error", code: 500 } });
    const { text } = await translate("anthropic-messages", "openai-chat", input, "bytes");
    const last = text.trim().split("\n\n").at(-1)!;
    expect(last).toBe(`event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "api_error", message: "engine crashed" } })}`);
    expect(text).toContain('"text":"Partial"');
    expect(text).not.toContain("message_stop");
  });

  test("after output, to a Responses client: `error` then `response.failed`, which Codex acts on", async () => {
    const { text } = await translate("openai-responses", "anthropic-messages", partial + overloaded, "whole");
    const r = responsesFromSse(text);
    expect(r.types.slice(-2)).toEqual(["error", "response.failed"]);
    expect(r.response).toMatchObject({ status: "failed", error: { code: "server_error", message: "Overloaded" } });
    expect((r.response!.output as Obj[])[0]).toMatchObject({ type: "reasoning", summary: [{ text: "Need to list files." }] });
  });
});
