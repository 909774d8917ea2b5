import { describe, expect, test } from "bun:test";
import { translator } from "../../../src/translate/index.ts";
import { expectValidAnthropicRequest, expectValidChatRequest } from "./helpers.ts";

type Obj = Record<string, unknown>;
const chatToAnthropic = translator("openai-chat", "anthropic-messages")!;
const anthropicToChat = translator("anthropic-messages", "openai-chat")!;
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

const BASH = { type: "function", function: { name: "Bash", description: "Run a command", parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] } } };

describe("OpenAI chat request → Anthropic messages", () => {
  const body: Obj = {
    model: "claude-x",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "developer", content: [{ type: "text", text: "Use tools." }] },
      {
        role: "user",
        content: [
          { type: "text", text: "What is in these?" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg", detail: "high" } },
        ],
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_a", type: "function", function: { name: "Bash", arguments: '{"command":"ls"}' } },
          { id: "call_b", type: "function", function: { name: "Bash", arguments: '{"command":"pwd"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "a.txt" },
      { role: "tool", tool_call_id: "call_b", content: [{ type: "text", text: "/home" }] },
      { role: "user", content: "thanks" },
    ],
    tools: [BASH],
    tool_choice: { type: "function", function: { name: "Bash" } },
    parallel_tool_calls: false,
    temperature: 1.7,
    top_p: 0.9,
    stop: "END",
    user: "user-42",
    stream: true,
    stream_options: { include_usage: true },
    metadata: { litellm: "x" },
    mock_testing_fallbacks: false,
  };
  const out = chatToAnthropic.request(body, { model: "claude-x", upstreamModel: "claude-sonnet-4-5" });

  test("is a valid Anthropic body", () => expectValidAnthropicRequest(out));

  test("system and developer messages become the system prompt", () => {
    expect((out.system as Obj[]).map((b) => b.text)).toEqual(["Be brief.", "Use tools."]);
  });

  test("images: data URLs become base64 sources, http URLs url sources", () => {
    const content = (out.messages as Obj[])[0]!.content as Obj[];
    expect(content[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG } });
    expect(content[2]).toEqual({ type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } });
  });

  test("parallel tool calls and their results share one turn each, results first, then the user's text", () => {
    const msgs = out.messages as Obj[];
    expect(msgs.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(msgs[1]!.content).toEqual([
      { type: "tool_use", id: "call_a", name: "Bash", input: { command: "ls" } },
      { type: "tool_use", id: "call_b", name: "Bash", input: { command: "pwd" } },
    ]);
    const last = msgs[2]!.content as Obj[];
    expect(last.map((b) => b.type)).toEqual(["tool_result", "tool_result", "text"]);
    expect(last[0]).toMatchObject({ tool_use_id: "call_a", content: [{ type: "text", text: "a.txt" }] });
    expect(last[1]).toMatchObject({ tool_use_id: "call_b", content: [{ type: "text", text: "/home" }] });
  });

  test("tool_choice, parallel_tool_calls, sampling, stop, user and stream map; OpenAI-only fields are dropped", () => {
    expect(out.tool_choice).toEqual({ type: "tool", name: "Bash", disable_parallel_tool_use: true });
    expect(out.temperature).toBe(1); // Anthropic's range is 0..1
    expect(out.top_p).toBeUndefined(); // recent Claude models reject temperature with top_p
    expect(out.stop_sequences).toEqual(["END"]);
    expect(out.metadata).toEqual({ user_id: "user-42" });
    expect(out.stream).toBe(true);
    expect(out.max_tokens).toBe(32000);
    expect(out.tools).toEqual([{ name: "Bash", description: "Run a command", input_schema: BASH.function.parameters }]);
  });

  test("reasoning_effort turns thinking on with LiteLLM's budgets", () => {
    const r = chatToAnthropic.request({ model: "c", max_tokens: 3000, reasoning_effort: "medium", messages: [{ role: "user", content: "hi" }] }, { model: "c" });
    expect(r.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(r.max_tokens).toBe(3000);
    const tight = chatToAnthropic.request({ model: "c", max_tokens: 1500, reasoning_effort: "high", messages: [{ role: "user", content: "hi" }] }, { model: "c" });
    expect(tight.thinking).toEqual({ type: "enabled", budget_tokens: 1499 });
    const tiny = chatToAnthropic.request({ model: "c", max_tokens: 500, reasoning_effort: "high", messages: [{ role: "user", content: "hi" }] }, { model: "c" });
    expect(tiny.thinking).toBeUndefined();
  });

  test("LiteLLM thinking_blocks sent back keep a Claude tool loop thinking; without them thinking is turned off", () => {
    const history = (withBlocks: boolean): Obj => ({
      model: "c",
      reasoning_effort: "low",
      messages: [
        { role: "user", content: "list files" },
        {
          role: "assistant",
          content: "",
          ...(withBlocks ? { thinking_blocks: [{ type: "thinking", thinking: "I should run ls", signature: "sig123" }] } : {}),
          tool_calls: [{ id: "toolu_1", type: "function", function: { name: "Bash", arguments: '{"command":"ls"}' } }],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "a.txt" },
      ],
      tools: [BASH],
    });
    const kept = chatToAnthropic.request(history(true), { model: "c" });
    expect((kept.messages as Obj[])[1]!.content).toEqual([
      { type: "thinking", thinking: "I should run ls", signature: "sig123" },
      { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
    ]);
    expect(kept.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expectValidAnthropicRequest(kept);
    const lost = chatToAnthropic.request(history(false), { model: "c" });
    expect(lost.thinking).toBeUndefined();
    expectValidAnthropicRequest(lost);
  });

  test("a tool call left without result and a result without call are repaired, not sent broken", () => {
    const r = chatToAnthropic.request(
      {
        model: "c",
        messages: [
          { role: "user", content: "go" },
          { role: "assistant", content: "ok", tool_calls: [{ id: "call.1", type: "function", function: { name: "Bash", arguments: "{" } }] },
          { role: "user", content: "never mind" },
          { role: "tool", tool_call_id: "ghost", content: "stray output" },
        ],
      },
      { model: "c" },
    );
    expectValidAnthropicRequest(r);
    const msgs = r.messages as Obj[];
    expect((msgs[1]!.content as Obj[])[1]).toEqual({ type: "tool_use", id: "call_1", name: "Bash", input: {} });
    const answer = msgs[2]!.content as Obj[];
    expect(answer[0]).toMatchObject({ type: "tool_result", tool_use_id: "call_1", is_error: true });
    expect(answer.slice(1).map((b) => b.text)).toEqual(["never mind", "Result of tool call ghost:\nstray output"]);
  });

  test("n > 1 cannot be served by Anthropic: a clear 400", () => {
    expect(() => chatToAnthropic.request({ model: "c", n: 2, messages: [{ role: "user", content: "hi" }] }, { model: "c" })).toThrow(/n > 1/);
  });
});

describe("Anthropic request with images, documents, thinking and tool-result images → OpenAI chat", () => {
  const out = anthropicToChat.request(
    {
      model: "claude-x",
      max_tokens: 1000,
      system: "You are terse.",
      thinking: { type: "enabled", budget_tokens: 2000 },
      stop_sequences: ["a", "b", "c", "d", "e"],
      top_k: 5,
      temperature: 0.3,
      tool_choice: { type: "any" },
      tools: [
        { name: "Read", description: "read a file", input_schema: { type: "object", properties: { path: { type: "string" } } }, cache_control: { type: "ephemeral" } },
        { type: "web_search_20250305", name: "web_search", max_uses: 3 },
      ],
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
            { type: "image", source: { type: "url", url: "https://example.com/x.png" } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" }, title: "spec.pdf" },
            { type: "text", text: "Describe.", cache_control: { type: "ephemeral" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hmm", signature: "sig" },
            { type: "tool_use", id: "toolu_1", name: "Read", input: { path: "a.png" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "binary image" }, { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }] },
          ],
        },
      ],
    },
    { model: "claude-x", upstreamModel: "gpt-4o" },
  );

  test("is a valid chat body without Anthropic-only fields or server tools", () => {
    expectValidChatRequest(out);
    expect(out.top_k).toBeUndefined();
    expect(out.tools).toEqual([{ type: "function", function: { name: "Read", description: "read a file", parameters: { type: "object", properties: { path: { type: "string" } } } } }]);
    expect(out.tool_choice).toBe("required");
    expect(out.stop).toEqual(["a", "b", "c", "d"]); // OpenAI takes at most four
    expect(out.temperature).toBe(0.3);
    expect(out.reasoning_effort).toBeUndefined();
  });

  test("images and PDFs become content parts; thinking is not sent", () => {
    const msgs = out.messages as Obj[];
    expect(msgs[0]).toEqual({ role: "system", content: "You are terse." });
    expect(msgs[1]!.content).toEqual([
      { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
      { type: "image_url", image_url: { url: "https://example.com/x.png" } },
      { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "spec.pdf" } },
      { type: "text", text: "Describe." },
    ]);
    expect(msgs[2]).toEqual({ role: "assistant", content: null, tool_calls: [{ id: "toolu_1", type: "function", function: { name: "Read", arguments: '{"path":"a.png"}' } }] });
  });

  test("a tool result's text goes in the tool message, its image in a user message right after", () => {
    const msgs = out.messages as Obj[];
    expect(msgs[3]).toEqual({ role: "tool", tool_call_id: "toolu_1", content: "binary image" });
    expect(msgs[4]).toEqual({
      role: "user",
      content: [{ type: "text", text: "Images returned by the tool calls above:" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }],
    });
  });
});
