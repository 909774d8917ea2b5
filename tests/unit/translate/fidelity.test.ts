import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../../src/errors.ts";
import { MemoryResponses } from "../../../src/gateway/responses-memory.ts";
import { chatToConverse } from "../../../src/providers/bedrock/converse-request.ts";
import { converseToChat } from "../../../src/providers/bedrock/converse-response.ts";
import { chatToGemini } from "../../../src/providers/gemini/request.ts";
import { anthropicSchema } from "../../../src/translate/anthropic/output-schema.ts";
import { nativeStructuredOutput } from "../../../src/translate/anthropic/request-encode.ts";
import { translator, type TranslateContext } from "../../../src/translate/index.ts";
import { anthropicFromSse, chatFromSse } from "./accumulate.ts";
import { chunked, runTransform, sse } from "./helpers.ts";

type Obj = Record<string, unknown>;
const PERSON = { type: "object", properties: { name: { type: "string" } }, required: ["name"], additionalProperties: false };

describe("which Claude models take output_config.format (the rest get the forced json_tool_call)", () => {
  const TABLE: Array<[string, boolean]> = [
    ["claude-sonnet-4-5", true],
    ["claude-sonnet-4-5-20250929", true],
    ["claude-opus-4-1-20250805", true],
    ["claude-haiku-4-5", true],
    ["claude-opus-4-6", true],
    ["claude-sonnet-5", true],
    ["anthropic.claude-sonnet-4-5-20250929-v1:0", true],
    ["claude-sonnet-4-20250514", false],
    ["claude-opus-4-20250514", false],
    ["claude-3-7-sonnet-20250219", false],
    ["claude-3-5-haiku-20241022", false],
    ["glm-4.6", false],
  ];
  for (const [model, native] of TABLE) test(`${model}: ${native ? "native" : "tool"}`, () => expect(nativeStructuredOutput(model)).toBe(native));
});

describe("a schema as Claude's structured output takes it (as Anthropic's SDKs prepare it)", () => {
  test("an OpenAI strict schema passes unchanged", () => {
    expect(anthropicSchema(PERSON)).toEqual(PERSON);
  });
  test("objects are closed, oneOf is anyOf, unsupported constraints become a hint in the description", () => {
    const out = anthropicSchema({
      type: "object",
      properties: {
        email: { type: "string", format: "email", minLength: 3 },
        code: { type: "string", pattern: "^[A-Z]+$", description: "A code." },
        tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 5 },
        kind: { oneOf: [{ type: "string" }, { type: "integer", minimum: 0 }] },
      },
    });
    expect(out).toEqual({
      type: "object",
      additionalProperties: false,
      properties: {
        email: { type: "string", format: "email", description: "{minLength: 3}" },
        code: { type: "string", description: 'A code.\n\n{pattern: "^[A-Z]+$"}' },
        tags: { type: "array", items: { type: "string" }, minItems: 1, description: "{maxItems: 5}" },
        kind: { anyOf: [{ type: "string" }, { type: "integer", description: "{minimum: 0}" }] },
      },
    });
  });
});

describe("structured output requests, per upstream", () => {
  const ctx = (upstreamModel: string): TranslateContext => ({ model: "m", upstreamModel });
  const chatAsk = { model: "m", messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "person", schema: PERSON, strict: true } } };

  test("on a Claude model without it, thinking on: the JSON tool is offered but not forced (thinking forbids it)", () => {
    const out = translator("openai-chat", "anthropic-messages")!.request({ ...chatAsk, max_tokens: 8000, reasoning_effort: "low" }, ctx("claude-3-7-sonnet-20250219"));
    expect(out.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(out.tool_choice).toBeUndefined();
    expect((out.tools as Obj[]).map((t) => t.name)).toEqual(["json_tool_call"]);
  });

  test("Gemini (behind the chat translator): an Anthropic client's output_config becomes responseJsonSchema, a forced tool allowedFunctionNames", () => {
    const chat = translator("anthropic-messages", "openai-chat")!.request(
      {
        model: "m",
        max_tokens: 100,
        messages: [{ role: "user", content: "x" }],
        output_config: { format: { type: "json_schema", schema: PERSON } },
        tools: [{ name: "f", input_schema: { type: "object" } }],
        tool_choice: { type: "tool", name: "f" },
      },
      ctx("gemini-2.5-pro"),
    );
    const g = chatToGemini(chat);
    expect(g.generationConfig).toMatchObject({ responseMimeType: "application/json", responseJsonSchema: PERSON });
    expect(g.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] } });
  });

  test("Bedrock Converse (behind the chat translator): a Responses client's text.format becomes the forced json_tool_call, read back as the text", () => {
    const chat = translator("openai-responses", "openai-chat")!.request(
      { model: "m", input: "x", text: { format: { type: "json_schema", name: "person", schema: PERSON, strict: true } } },
      ctx("amazon.nova-pro-v1:0"),
    );
    const conv = chatToConverse(chat);
    expect(conv.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "json_tool_call", description: "Respond with a JSON object.", inputSchema: { json: PERSON } } }],
      toolChoice: { tool: { name: "json_tool_call" } },
    });
    const answer = converseToChat({ output: { message: { content: [{ toolUse: { toolUseId: "t1", name: "json_tool_call", input: { name: "Ada" } } }] } }, stopReason: "tool_use" }, "nova");
    expect((answer.choices as Obj[])[0]).toMatchObject({ message: { content: '{"name":"Ada"}' }, finish_reason: "stop" });
  });
});

describe("the forced JSON tool's answer, streamed from Anthropic, is the client's text", () => {
  const stream = [
    sse({ type: "message_start", message: { id: "msg_j", type: "message", role: "assistant", content: [], usage: { input_tokens: 9, output_tokens: 1 } } }, "message_start"),
    sse({ type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_j", name: "json_tool_call", input: {} } }, "content_block_start"),
    sse({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"name":' } }, "content_block_delta"),
    sse({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '"Ada"}' } }, "content_block_delta"),
    sse({ type: "content_block_stop", index: 0 }, "content_block_stop"),
    sse({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 5 } }, "message_delta"),
    sse({ type: "message_stop" }, "message_stop"),
  ].join("");
  for (const how of ["whole", "bytes"] as const) {
    test(`chat client, split: ${how}`, async () => {
      const ctx: TranslateContext = { model: "m", upstreamModel: "claude-3-5-haiku-20241022" };
      const tr = translator("openai-chat", "anthropic-messages")!;
      tr.request({ model: "m", stream: true, messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" } }, ctx);
      const r = chatFromSse((await runTransform(tr.stream(ctx), chunked(stream, how))).text);
      expect(r.content).toBe('{"name":"Ada"}');
      expect(r.calls).toEqual([]);
      expect(r.finish).toBe("stop");
    });
  }
});

describe("Responses upstream streams → other clients", () => {
  const ev = (type: string, data: Obj) => sse({ type, ...data }, type);
  const STREAM = [
    ev("response.created", { response: { id: "resp_u1", status: "in_progress", output: [], usage: null } }),
    ev("response.output_item.added", { output_index: 0, item: { type: "reasoning", id: "rs_1", summary: [] } }),
    ev("response.reasoning_summary_text.delta", { output_index: 0, delta: "Hmm." }),
    ev("response.output_item.added", { output_index: 1, item: { type: "message", id: "msg_1", content: [] } }),
    ev("response.output_text.delta", { output_index: 1, delta: "Hi ✓" }),
    // A server that sends a call's arguments only with its done event.
    ev("response.output_item.added", { output_index: 2, item: { type: "function_call", id: "fc_1", call_id: "call_1", name: "Bash", arguments: "" } }),
    ev("response.output_item.done", { output_index: 2, item: { type: "function_call", id: "fc_1", call_id: "call_1", name: "Bash", arguments: '{"command":"ls"}' } }),
    ev("response.output_item.added", { output_index: 3, item: { type: "function_call", id: "fc_2", call_id: "call_2", name: "Bash", arguments: "" } }),
    ev("response.function_call_arguments.delta", { output_index: 3, delta: '{"command":' }),
    ev("response.function_call_arguments.delta", { output_index: 3, delta: '"pwd"}' }),
    ev("response.output_item.done", { output_index: 3, item: { type: "function_call", id: "fc_2", call_id: "call_2", name: "Bash", arguments: '{"command":"pwd"}' } }),
    ev("response.completed", { response: { id: "resp_u1", status: "completed", usage: { input_tokens: 120, input_tokens_details: { cached_tokens: 20 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 10 } } } }),
  ].join("");

  for (const how of ["whole", "bytes", "random"] as const) {
    test(`Anthropic client, split: ${how}`, async () => {
      const ctx: TranslateContext = { model: "client", inputTokens: 77 };
      const r = anthropicFromSse((await runTransform(translator("anthropic-messages", "openai-responses")!.stream(ctx), chunked(STREAM, how))).text);
      expect(r.message.usage).toMatchObject({ input_tokens: 77 });
      expect(r.blocks).toEqual([
        { type: "thinking", thinking: "Hmm.", signature: "" },
        { type: "text", text: "Hi ✓" },
        { type: "tool_use", id: "call_1", name: "Bash", input: { command: "ls" } },
        { type: "tool_use", id: "call_2", name: "Bash", input: { command: "pwd" } },
      ]);
      expect(r.stop).toEqual({ stop_reason: "tool_use", stop_sequence: null });
      expect(r.usage).toMatchObject({ input_tokens: 100, cache_read_input_tokens: 20, output_tokens: 30 });
    });
  }

  test("an error before any output fails the attempt, so the router can retry", async () => {
    const failed = ev("response.created", { response: { id: "r" } }) + ev("response.failed", { response: { error: { code: "rate_limit_exceeded", message: "slow down" } } });
    const { error } = await runTransform(translator("openai-chat", "openai-responses")!.stream({ model: "c" }), chunked(failed, "whole"));
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(429);
  });
});

describe("Responses memory: items by their own id", () => {
  const msg = (id: string, text: string) => ({ type: "message", id, role: "assistant", content: [{ type: "output_text", text }] });
  test("input and output items are found by id; a turn pushed out of the budget takes its items along", () => {
    const m = new MemoryResponses(600);
    m.remember("r1", { input: [{ type: "message", id: "in_1", role: "user", content: "q" }], output: [msg("msg_1", "a".repeat(200))] });
    expect(m.item("msg_1")).toEqual(msg("msg_1", "a".repeat(200)));
    expect(m.item("in_1")).toMatchObject({ role: "user" });
    expect(m.item("nope")).toBeUndefined();
    m.remember("r2", { input: [], output: [msg("msg_2", "b".repeat(200))] });
    m.remember("r3", { input: [], output: [msg("msg_3", "c".repeat(200))] });
    expect(m.item("msg_1")).toBeUndefined();
    expect(m.item("msg_3")).toBeDefined();
  });
});

describe("cache_control_injection_points", () => {
  const tr = translator("openai-chat", "anthropic-messages")!;
  const marks = (b: Obj) => JSON.stringify(b).split('"cache_control"').length - 1;
  const body = {
    model: "m",
    messages: [
      { role: "system", content: "rules" },
      { role: "user", content: "q" },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c1", content: "r" },
    ],
    tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
  };

  test("a string index counts from the end; role 'tool' marks tool results; the control is the configured one", () => {
    const out = tr.request(body, { model: "m", cachePoints: [{ location: "message", index: "-1", control: { type: "ephemeral", ttl: "1h" } }, { location: "message", role: "tool" }] });
    expect(marks(out)).toBe(1);
    expect((((out.messages as Obj[]).at(-1)!.content as Obj[])[0]!).cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
  });

  test("never more than Anthropic's four breakpoints, counting the client's own (tools included)", () => {
    const marked = { ...body, tools: [{ type: "function", cache_control: { type: "ephemeral" }, function: { name: "f", parameters: { type: "object" } } }] };
    const points = [{ location: "message", role: "system" }, { location: "message", role: "user" }, { location: "message", role: "assistant" }, { location: "message", index: -1 }];
    const out = tr.request(marked, { model: "m", cachePoints: points });
    expect(marks(out)).toBe(4);
    expect((out.tools as Obj[])[0]!.cache_control).toEqual({ type: "ephemeral" });
    expect(JSON.stringify((out.messages as Obj[]).at(-1))).not.toContain("cache_control");
  });

  test("points are ignored for OpenAI-format upstreams", () => {
    const out = translator("anthropic-messages", "openai-chat")!.request({ model: "m", max_tokens: 10, system: "s", messages: [{ role: "user", content: "q" }] }, { model: "m", cachePoints: [{ location: "message", role: "system" }] });
    expect(marks(out)).toBe(0);
  });
});

describe("a deployment's default parameters reach a translated request in the upstream's own form", () => {
  test("response_format and temperature defaults on an Anthropic upstream", () => {
    const ctx: TranslateContext = { model: "m", upstreamModel: "claude-sonnet-4-5", defaults: { response_format: { type: "json_schema", json_schema: { schema: PERSON } }, temperature: 0.3 } };
    const out = translator("openai-responses", "anthropic-messages")!.request({ model: "m", input: "x", temperature: 0.9 }, ctx);
    expect(out.output_config).toEqual({ format: { type: "json_schema", schema: PERSON } });
    expect(out.temperature).toBe(0.9);
    expect(out.response_format).toBeUndefined();
  });
});
