import { GatewayError, type ErrorKind } from "../../errors.ts";
import { SSE_HEADERS, sseEvent, sseStream } from "../../gateway/sse.ts";
import type { Protocol } from "../types.ts";

const ERROR_MOCKS: Record<string, { status: number; kind: ErrorKind }> = {
  "litellm.RateLimitError": { status: 429, kind: "RateLimitError" },
  "litellm.InternalServerError": { status: 500, kind: "InternalServerError" },
  "litellm.ServiceUnavailableError": { status: 503, kind: "ServiceUnavailableError" },
  "litellm.ContextWindowExceededError": { status: 400, kind: "ContextWindowExceededError" },
  "litellm.ContentPolicyViolationError": { status: 400, kind: "ContentPolicyViolationError" },
  "litellm.AuthenticationError": { status: 401, kind: "AuthenticationError" },
  "litellm.Timeout": { status: 408, kind: "Timeout" },
  "litellm.BadRequestError": { status: 400, kind: "BadRequestError" },
};

const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
const rid = () => crypto.randomUUID().replace(/-/g, "").slice(0, 24);

function promptText(body: Record<string, unknown>): string {
  const parts = [body.messages, body.input, body.system, body.instructions].filter((x) => x !== undefined);
  return JSON.stringify(parts);
}

function words(text: string): string[] {
  const out = text.match(/\S+\s*/g);
  return out && out.length ? out : [text];
}

/**
 * Answers a call from `mock_response` without any network: the configured text in the client's
 * protocol, streamed when asked. `litellm.<Error>` values raise that error, as LiteLLM does.
 */
export function mockResponse(protocol: Protocol, body: Record<string, unknown>, value: unknown, model: string, stream: boolean): Response {
  if (typeof value === "string" && ERROR_MOCKS[value]) {
    const e = ERROR_MOCKS[value];
    throw new GatewayError(e.status, `${value}: This is a mock exception for model=${model}, to trigger a fallback.`, {
      kind: e.kind,
    });
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const input = approxTokens(promptText(body));
  const output = approxTokens(text);
  switch (protocol) {
    case "anthropic-messages":
      return stream ? anthropicStream(text, model, input, output) : Response.json(anthropicJson(text, model, input, output));
    case "anthropic-count-tokens":
      return Response.json({ input_tokens: input });
    case "openai-responses":
      return stream ? responsesStream(text, model, input, output) : Response.json(responsesJson(text, model, input, output));
    case "openai-embeddings":
      return Response.json(embeddings(body, model, input));
    case "openai-completions":
      return completions(text, model, input, output, stream);
    default:
      return stream ? chatStream(text, model, input, output) : Response.json(chatJson(text, model, input, output));
  }
}

/** LiteLLM's mock for `/v1/completions`: a `text_completion`, streamed as text chunks when asked. */
function completions(text: string, model: string, input: number, output: number, stream: boolean): Response {
  const base = { id: `cmpl-${rid()}`, object: "text_completion", created: Math.floor(Date.now() / 1000), model };
  const usage = { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
  if (!stream) return Response.json({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: "stop" }], usage });
  const events = words(text).map((w) => sseEvent({ ...base, choices: [{ text: w, index: 0, logprobs: null, finish_reason: null }] }));
  events.push(sseEvent({ ...base, choices: [{ text: "", index: 0, logprobs: null, finish_reason: "stop" }] }), sseEvent({ ...base, choices: [], usage }), "data: [DONE]\n\n");
  return new Response(sseStream(events), { headers: SSE_HEADERS });
}

function chatJson(text: string, model: string, input: number, output: number) {
  return {
    id: `chatcmpl-${rid()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  };
}

function chatStream(text: string, model: string, input: number, output: number): Response {
  const id = `chatcmpl-${rid()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: unknown, finish: string | null, usage?: unknown) =>
    sseEvent({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) });
  const events = [chunk({ role: "assistant", content: "" }, null)];
  for (const w of words(text)) events.push(chunk({ content: w }, null));
  events.push(chunk({}, "stop"));
  events.push(
    sseEvent({ id, object: "chat.completion.chunk", created, model, choices: [], usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output } }),
  );
  events.push("data: [DONE]\n\n");
  return new Response(sseStream(events), { headers: SSE_HEADERS });
}

function anthropicJson(text: string, model: string, input: number, output: number) {
  return {
    id: `msg_${rid()}`,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: input, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function anthropicStream(text: string, model: string, input: number, output: number): Response {
  const msg = { ...anthropicJson("", model, input, 1), content: [], stop_reason: null };
  const events = [
    sseEvent({ type: "message_start", message: msg }, "message_start"),
    sseEvent({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, "content_block_start"),
  ];
  for (const w of words(text)) {
    events.push(sseEvent({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: w } }, "content_block_delta"));
  }
  events.push(sseEvent({ type: "content_block_stop", index: 0 }, "content_block_stop"));
  events.push(
    sseEvent({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: output } }, "message_delta"),
  );
  events.push(sseEvent({ type: "message_stop" }, "message_stop"));
  return new Response(sseStream(events), { headers: SSE_HEADERS });
}

function responsesJson(text: string, model: string, input: number, output: number, id = `resp_${rid()}`) {
  return {
    id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    model,
    output: [
      {
        type: "message",
        id: `msg_${rid()}`,
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text, annotations: [] }],
      },
    ],
    usage: {
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + output,
    },
  };
}

function responsesStream(text: string, model: string, input: number, output: number): Response {
  const id = `resp_${rid()}`;
  const done = responsesJson(text, model, input, output, id);
  const item = done.output[0]!;
  const base = { ...done, status: "in_progress", output: [], usage: null };
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => sseEvent({ type, sequence_number: seq++, ...data }, type);
  const events = [
    ev("response.created", { response: base }),
    ev("response.in_progress", { response: base }),
    ev("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } }),
    ev("response.content_part.added", { item_id: item.id, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
  ];
  for (const w of words(text)) {
    events.push(ev("response.output_text.delta", { item_id: item.id, output_index: 0, content_index: 0, delta: w }));
  }
  events.push(ev("response.output_text.done", { item_id: item.id, output_index: 0, content_index: 0, text }));
  events.push(ev("response.content_part.done", { item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] }));
  events.push(ev("response.output_item.done", { output_index: 0, item }));
  events.push(ev("response.completed", { response: done }));
  return new Response(sseStream(events), { headers: SSE_HEADERS });
}

function embeddings(body: Record<string, unknown>, model: string, input: number) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  return {
    object: "list",
    model,
    data: inputs.map((x, index) => {
      const seed = JSON.stringify(x);
      const vec = Array.from({ length: 8 }, (_, i) => ((seed.charCodeAt(i % seed.length) * (i + 1)) % 97) / 97);
      return { object: "embedding", index, embedding: vec };
    }),
    usage: { prompt_tokens: input, total_tokens: input },
  };
}
