import { describe, expect, test } from "bun:test";
import { chatToConverse } from "../../src/providers/bedrock/converse-request.ts";
import { converseToChat } from "../../src/providers/bedrock/converse-response.ts";

describe("OpenAI chat ⇄ Bedrock Converse", () => {
  test("request: system, image, tool calls, merged tool results, tool choice, inference config", () => {
    const c = chatToConverse({
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: [{ type: "text", text: "see" }, { type: "image_url", image_url: { url: "data:image/jpg;base64,QUJD" } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "t1", function: { name: "a", arguments: '{"x":1}' } }, { id: "t2", function: { name: "b", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "t1", content: "one" },
        { role: "tool", tool_call_id: "t2", content: [{ type: "text", text: "two" }] },
      ],
      tools: [{ type: "function", function: { name: "a", parameters: { type: "object" } } }],
      tool_choice: "required",
      max_tokens: 7,
      stop: ["X"],
    });
    expect(c).toEqual({
      system: [{ text: "s" }],
      messages: [
        { role: "user", content: [{ text: "see" }, { image: { format: "jpeg", source: { bytes: "QUJD" } } }] },
        { role: "assistant", content: [{ toolUse: { toolUseId: "t1", name: "a", input: { x: 1 } } }, { toolUse: { toolUseId: "t2", name: "b", input: {} } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "one" }] } }, { toolResult: { toolUseId: "t2", content: [{ text: "two" }] } }] },
      ],
      inferenceConfig: { maxTokens: 7, stopSequences: ["X"] },
      toolConfig: { tools: [{ toolSpec: { name: "a", inputSchema: { json: { type: "object" } } } }], toolChoice: { any: {} } },
    });
  });

  test("tool_choice none drops the tools", () => {
    expect(chatToConverse({ messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "a" } }], tool_choice: "none" }).toolConfig).toBeUndefined();
  });

  test("response: text, tool use, stop reason and usage with cache tokens", () => {
    const r = converseToChat(
      { output: { message: { content: [{ text: "ok" }, { toolUse: { toolUseId: "t", name: "a", input: { q: 1 } } }] } }, stopReason: "tool_use", usage: { inputTokens: 3, outputTokens: 4, cacheReadInputTokens: 2, cacheWriteInputTokens: 1 } },
      "m",
    ) as { choices: Array<{ message: Record<string, unknown>; finish_reason: string }>; usage: Record<string, unknown> };
    expect(r.choices[0]!.finish_reason).toBe("tool_calls");
    expect(r.choices[0]!.message.tool_calls).toEqual([{ id: "t", type: "function", function: { name: "a", arguments: '{"q":1}' } }]);
    expect(r.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 4, total_tokens: 10, cache_read_input_tokens: 2, cache_creation_input_tokens: 1 });
  });
});
