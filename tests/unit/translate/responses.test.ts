import { describe, expect, test } from "bun:test";
import { usageFromBody } from "../../../src/gateway/usage.ts";
import { translator, type TranslateContext } from "../../../src/translate/index.ts";
import { expectValidAnthropicRequest, traceBodies } from "./helpers.ts";

type Obj = Record<string, unknown>;

const anthropicMessage = {
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content: [
    { type: "thinking", thinking: "Let me look.", signature: "EqQBCkYIBxgC" },
    { type: "text", text: "Checking both." },
    { type: "tool_use", id: "toolu_a", name: "exec_command", input: { cmd: "ls" } },
    { type: "tool_use", id: "toolu_b", name: "multi_agent_v1__spawn_agent", input: { message: "help" } },
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: { input_tokens: 100, output_tokens: 40, cache_creation_input_tokens: 20, cache_read_input_tokens: 300 },
};

const chatCompletion = {
  id: "chatcmpl-9",
  object: "chat.completion",
  created: 1,
  model: "qwen3",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: "On it.",
        reasoning_content: "The user wants files.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "Bash", arguments: '{"command":"ls"}' } },
          { id: "call_2", type: "function", function: { name: "Bash", arguments: '{"command":"pwd"}' } },
        ],
      },
      finish_reason: "tool_calls",
    },
  ],
  usage: { prompt_tokens: 500, completion_tokens: 30, total_tokens: 530, prompt_tokens_details: { cached_tokens: 200 }, completion_tokens_details: { reasoning_tokens: 12 } },
};

describe("chat completion → Anthropic message", () => {
  const out = translator("anthropic-messages", "openai-chat")!.response(chatCompletion, { model: "claude-opus-4-8" });

  test("reasoning, text and parallel tool calls become thinking, text and tool_use blocks", () => {
    expect(out.content).toEqual([
      { type: "thinking", thinking: "The user wants files.", signature: "" },
      { type: "text", text: "On it." },
      { type: "tool_use", id: "call_1", name: "Bash", input: { command: "ls" } },
      { type: "tool_use", id: "call_2", name: "Bash", input: { command: "pwd" } },
    ]);
    expect(out).toMatchObject({ type: "message", role: "assistant", model: "claude-opus-4-8", stop_reason: "tool_use", stop_sequence: null });
  });

  test("usage: cached tokens move out of input_tokens into cache_read_input_tokens; the spend reader sees the same totals", () => {
    expect(out.usage).toEqual({ input_tokens: 300, output_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 200 });
    expect(usageFromBody(out)).toMatchObject({ promptTokens: 500, completionTokens: 30, cacheReadTokens: 200, cacheCreationTokens: 0 });
  });

  test("finish reasons", () => {
    const tr = translator("anthropic-messages", "openai-chat")!;
    const stop = (finish_reason: string, tool = false) =>
      tr.response({ ...chatCompletion, choices: [{ index: 0, message: { role: "assistant", content: "x", ...(tool ? { tool_calls: chatCompletion.choices[0]!.message.tool_calls } : {}) }, finish_reason }] }, { model: "m" }).stop_reason;
    expect(stop("stop")).toBe("end_turn");
    expect(stop("length")).toBe("max_tokens");
    expect(stop("content_filter")).toBe("refusal");
    expect(stop("stop", true)).toBe("tool_use"); // servers that say "stop" after tool calls
  });
});

describe("Anthropic message → chat completion", () => {
  const out = translator("openai-chat", "anthropic-messages")!.response(anthropicMessage, { model: "my-claude" });
  const choice = (out.choices as Obj[])[0]!;
  const message = choice.message as Obj;

  test("text, tool calls (arguments as JSON text), reasoning and LiteLLM thinking_blocks with the signature", () => {
    expect(message.content).toBe("Checking both.");
    expect(message.tool_calls).toEqual([
      { id: "toolu_a", type: "function", function: { name: "exec_command", arguments: '{"cmd":"ls"}' } },
      { id: "toolu_b", type: "function", function: { name: "multi_agent_v1__spawn_agent", arguments: '{"message":"help"}' } },
    ]);
    expect(message.reasoning_content).toBe("Let me look.");
    expect(message.thinking_blocks).toEqual([{ type: "thinking", thinking: "Let me look.", signature: "EqQBCkYIBxgC" }]);
    expect(choice.finish_reason).toBe("tool_calls");
    expect(out.model).toBe("my-claude");
    expect(out.object).toBe("chat.completion");
  });

  test("usage: prompt_tokens include cache reads and writes, which are also reported apart", () => {
    expect(out.usage).toMatchObject({
      prompt_tokens: 420,
      completion_tokens: 40,
      total_tokens: 460,
      prompt_tokens_details: { cached_tokens: 300, cache_creation_tokens: 20 },
      cache_read_input_tokens: 300,
      cache_creation_input_tokens: 20,
    });
    expect(usageFromBody(out)).toMatchObject({ promptTokens: 420, completionTokens: 40, cacheReadTokens: 300, cacheCreationTokens: 20, totalTokens: 460 });
  });
});

describe("Anthropic message → Responses (Codex on Claude)", () => {
  const codex = traceBodies("codex-requests.jsonl", "/v1/responses")[2]!.body;
  const tr = translator("openai-responses", "anthropic-messages")!;
  const ctx: TranslateContext = { model: "gpt-on-claude" };
  tr.request(codex, ctx); // records the namespaced tools for the answer
  const out = tr.response(anthropicMessage, ctx);
  const output = out.output as Obj[];

  test("output items in order: reasoning, message, function calls (namespaced call split back)", () => {
    expect(output.map((i) => i.type)).toEqual(["reasoning", "message", "function_call", "function_call"]);
    expect(output[0]).toMatchObject({ summary: [{ type: "summary_text", text: "Let me look." }], encrypted_content: "anthropic-thinking:EqQBCkYIBxgC" });
    expect(output[1]).toMatchObject({ role: "assistant", status: "completed", content: [{ type: "output_text", text: "Checking both.", annotations: [] }] });
    expect(output[2]).toMatchObject({ call_id: "toolu_a", name: "exec_command", arguments: '{"cmd":"ls"}', status: "completed" });
    expect(output[2]!.namespace).toBeUndefined();
    expect(output[3]).toMatchObject({ call_id: "toolu_b", name: "spawn_agent", namespace: "multi_agent_v1" });
    expect(out).toMatchObject({ object: "response", status: "completed", model: "gpt-on-claude" });
    expect(String(out.id)).toStartWith("resp_");
  });

  test("usage in the Responses shape: input includes cache, cache writes in the details", () => {
    expect(out.usage).toEqual({
      input_tokens: 420,
      input_tokens_details: { cached_tokens: 300, cache_write_tokens: 20 },
      output_tokens: 40,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 460,
    });
    expect(usageFromBody(out)).toMatchObject({ promptTokens: 420, cacheReadTokens: 300, cacheCreationTokens: 20, completionTokens: 40 });
  });

  test("sent back as the next input, the items rebuild the signed thinking and the tool pairs Claude requires", () => {
    const outputs = [
      { type: "function_call_output", call_id: "toolu_a", output: "a.txt" },
      { type: "function_call_output", call_id: "toolu_b", output: "agent 7 started" },
    ];
    const next = tr.request({ ...codex, input: [...(codex.input as Obj[]).slice(0, 4), ...output, ...outputs], reasoning: { effort: "low" } }, { model: "x" });
    expectValidAnthropicRequest(next);
    const msgs = next.messages as Obj[];
    expect(msgs[1]!.content).toEqual([
      { type: "thinking", thinking: "Let me look.", signature: "EqQBCkYIBxgC" },
      { type: "text", text: "Checking both." },
      { type: "tool_use", id: "toolu_a", name: "exec_command", input: { cmd: "ls" } },
      { type: "tool_use", id: "toolu_b", name: "multi_agent_v1__spawn_agent", input: { message: "help" } },
    ]);
    expect(next.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
  });

  test("freeform (custom) tools round-trip as custom_tool_call items", () => {
    const c: TranslateContext = { model: "x" };
    const req = tr.request({ model: "x", input: "patch it", tools: [{ type: "custom", name: "apply_patch", description: "Edit files", format: { type: "grammar", syntax: "lark", definition: "start: /.+/" } }] }, c);
    expect(req.tools).toEqual([
      {
        name: "apply_patch",
        description: "Edit files\n\nThe input must follow this lark grammar:\nstart: /.+/",
        input_schema: { type: "object", properties: { input: { type: "string", description: "The raw input for this tool." } }, required: ["input"] },
      },
    ]);
    const res = tr.response({ ...anthropicMessage, content: [{ type: "tool_use", id: "toolu_p", name: "apply_patch", input: { input: "*** Begin Patch" } }] }, c);
    expect((res.output as Obj[])[0]).toMatchObject({ type: "custom_tool_call", call_id: "toolu_p", name: "apply_patch", input: "*** Begin Patch" });
  });

  test("max_tokens ends the response as incomplete", () => {
    const res = tr.response({ ...anthropicMessage, stop_reason: "max_tokens" }, ctx);
    expect(res.status).toBe("incomplete");
    expect(res.incomplete_details).toEqual({ reason: "max_output_tokens" });
  });
});

describe("chat completion → Responses (Codex on vLLM)", () => {
  test("reasoning, message and function calls; usage with cached tokens", () => {
    const out = translator("openai-responses", "openai-chat")!.response(chatCompletion, { model: "codex-vllm" });
    const output = out.output as Obj[];
    expect(output.map((i) => i.type)).toEqual(["reasoning", "message", "function_call", "function_call"]);
    expect(output[0]).toEqual({ type: "reasoning", id: expect.stringMatching(/^rs_/), summary: [{ type: "summary_text", text: "The user wants files." }] });
    expect(output[3]).toMatchObject({ call_id: "call_2", name: "Bash", arguments: '{"command":"pwd"}' });
    expect(out.usage).toMatchObject({ input_tokens: 500, input_tokens_details: { cached_tokens: 200 }, output_tokens_details: { reasoning_tokens: 12 } });
  });
});
