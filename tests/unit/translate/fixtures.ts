import { sse } from "./helpers.ts";

/** An Anthropic stream as the API sends it: signed thinking, text, two parallel tool_use blocks, cache usage. */
export const ANTHROPIC_STREAM = [
  sse({ type: "message_start", message: { id: "msg_s1", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 50, output_tokens: 1, cache_creation_input_tokens: 10, cache_read_input_tokens: 200 } } }, "message_start"),
  sse({ type: "ping" }, "ping"),
  sse({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }, "content_block_start"),
  sse({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Need to " } }, "content_block_delta"),
  sse({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "list files." } }, "content_block_delta"),
  sse({ type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sigXYZ" } }, "content_block_delta"),
  sse({ type: "content_block_stop", index: 0 }, "content_block_stop"),
  sse({ type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }, "content_block_start"),
  sse({ type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Listing ✓ " } }, "content_block_delta"),
  sse({ type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "now." } }, "content_block_delta"),
  sse({ type: "content_block_stop", index: 1 }, "content_block_stop"),
  sse({ type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_1", name: "exec_command", input: {} } }, "content_block_start"),
  sse({ type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"cmd":' } }, "content_block_delta"),
  sse({ type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '"ls -la"}' } }, "content_block_delta"),
  sse({ type: "content_block_stop", index: 2 }, "content_block_stop"),
  sse({ type: "content_block_start", index: 3, content_block: { type: "tool_use", id: "toolu_2", name: "multi_agent_v1__wait_agent", input: {} } }, "content_block_start"),
  sse({ type: "content_block_delta", index: 3, delta: { type: "input_json_delta", partial_json: '{"targets":["a"]}' } }, "content_block_delta"),
  sse({ type: "content_block_stop", index: 3 }, "content_block_stop"),
  sse({ type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 77 } }, "message_delta"),
  sse({ type: "message_stop" }, "message_stop"),
].join("");

const chunk = (delta: unknown, finish_reason: string | null = null) =>
  sse({ id: "chatcmpl-s1", object: "chat.completion.chunk", created: 1, model: "qwen3", choices: [{ index: 0, delta, finish_reason }] });

/** A chat stream as vLLM/OpenAI send it: reasoning, text, two tool calls (arguments split), then the usage chunk. */
export const CHAT_STREAM = [
  chunk({ role: "assistant", content: "" }),
  chunk({ reasoning_content: "Think" }),
  chunk({ reasoning_content: "ing." }),
  chunk({ content: "Hel" }),
  chunk({ content: "lo ✓" }),
  chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Bash", arguments: "" } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"command":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"ls"}' } }] }),
  chunk({ tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "Bash", arguments: '{"command":"pwd"}' } }] }),
  chunk({}, "tool_calls"),
  sse({ id: "chatcmpl-s1", object: "chat.completion.chunk", created: 1, model: "qwen3", choices: [], usage: { prompt_tokens: 400, completion_tokens: 25, total_tokens: 425, prompt_tokens_details: { cached_tokens: 100 } } }),
  sse("[DONE]"),
].join("");

export const chatChunk = chunk;
