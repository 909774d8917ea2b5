import { describe, expect, test } from "bun:test";
import { answerOf } from "../../../src/callbacks/answer.ts";
import { fakeRequest, sseChunks } from "./helpers.ts";

const data = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const ev = (name: string, o: unknown) => `event: ${name}\ndata: ${JSON.stringify(o)}\n\n`;

function observed(protocol: Parameters<typeof fakeRequest>[0], chunks?: Uint8Array[], text?: string) {
  const req = fakeRequest(protocol, { model: "m", stream: !!chunks });
  req.observed = { attempts: [], capturedBytes: 0, chunks: chunks ?? [], responseText: text };
  return req;
}

describe("the answer the client got, rebuilt for the logs", () => {
  test("an OpenAI chat stream (text and a tool call whose arguments arrive in pieces) adds up to a chat completion", () => {
    const base = { id: "chatcmpl-9", object: "chat.completion.chunk", created: 1, model: "gpt-4o" };
    const chunks = sseChunks([
      data({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }] }),
      data({ ...base, choices: [{ index: 0, delta: { content: "lo" }, finish_reason: null }] }),
      data({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Bash", arguments: '{"comm' } }] } }] }),
      data({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'and":"ls"}' } }] } }] }),
      data({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }),
      data({ ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } }),
      "data: [DONE]\n\n",
    ]);
    const a = answerOf(observed("openai-chat", chunks))!;
    expect(a.message).toEqual({ role: "assistant", content: "Hello", tool_calls: [{ id: "call_1", type: "function", function: { name: "Bash", arguments: '{"command":"ls"}' } }] });
    expect(a.finishReason).toBe("tool_calls");
    const choice = (a.body.choices as Array<Record<string, unknown>>)[0]!;
    expect((choice.message as Record<string, unknown>).content).toBe("Hello");
    expect(choice.finish_reason).toBe("tool_calls");
  });

  test("an Anthropic stream (thinking, text, tool_use) adds up to an Anthropic message", () => {
    const chunks = sseChunks([
      ev("message_start", { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude", content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 1 } } }),
      ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } }),
      ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } }),
      ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig" } }),
      ev("content_block_stop", { type: "content_block_stop", index: 0 }),
      ev("content_block_start", { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }),
      ev("content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Running it." } }),
      ev("content_block_stop", { type: "content_block_stop", index: 1 }),
      ev("content_block_start", { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_1", name: "Bash", input: {} } }),
      ev("content_block_delta", { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"command":' } }),
      ev("content_block_delta", { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '"ls"}' } }),
      ev("content_block_stop", { type: "content_block_stop", index: 2 }),
      ev("message_delta", { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 7 } }),
      ev("message_stop", { type: "message_stop" }),
    ]);
    const a = answerOf(observed("anthropic-messages", chunks))!;
    expect(a.body.type).toBe("message");
    expect(a.body.stop_reason).toBe("tool_use");
    expect(a.body.content).toEqual([
      { type: "thinking", thinking: "hmm", signature: "sig" },
      { type: "text", text: "Running it." },
      { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
    ]);
    expect(a.message).toMatchObject({ role: "assistant", content: "Running it.", reasoning_content: "hmm", tool_calls: [{ id: "toolu_1", function: { name: "Bash", arguments: '{"command":"ls"}' } }] });
  });

  test("a Responses stream adds up to a response; a JSON answer is read as sent", () => {
    const resp = { id: "resp_1", object: "response", created_at: 1, status: "completed", model: "gpt-5", output: [{ type: "message", id: "msg_1", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Hello", annotations: [] }] }], usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } };
    const chunks = sseChunks([
      ev("response.created", { type: "response.created", response: { ...resp, status: "in_progress", output: [] } }),
      ev("response.output_item.added", { type: "response.output_item.added", output_index: 0, item: { type: "message", id: "msg_1", role: "assistant", content: [] } }),
      ev("response.output_text.delta", { type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta: "Hello" }),
      ev("response.completed", { type: "response.completed", response: resp }),
    ]);
    const a = answerOf(observed("openai-responses", chunks))!;
    expect(a.message.content).toBe("Hello");
    expect(JSON.stringify(a.body.output)).toContain('"text":"Hello"');
    const j = answerOf(observed("openai-chat", undefined, JSON.stringify({ id: "c", object: "chat.completion", model: "gpt-4o", choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" }] })))!;
    expect(j.body.id).toBe("c");
    expect(j.message).toEqual({ role: "assistant", content: "Hi" });
    expect(j.finishReason).toBe("stop");
  });

  test("nothing kept, nothing rebuilt", () => {
    expect(answerOf(fakeRequest("openai-chat", { model: "m" }))).toBeUndefined();
  });
});
