/** Which fake answers: at once, after 50 ms, or a stream paced at one chunk per PACE_MS. */
export type FakeKind = "zero" | "slow" | "paced";
/** The client's protocol: OpenAI chat, or Anthropic messages (translated onto an OpenAI deployment). */
export type Api = "chat" | "messages";

export const SLOW_MS = 50;
export const PACE_MS = 50;
/** Text chunks in a paced stream (each one SSE event). */
export const STREAM_CHUNKS = 20;
/** 20 pieces of 6 characters: the fake cuts the reply into equal pieces, none of them empty. */
export const STREAM_REPLY = Array.from({ length: STREAM_CHUNKS }, (_, i) => `tok${String(i).padStart(2, "0")} `).join("");

/** One request, as a load tool sends it. */
export interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
  api: Api;
}

const PROMPT = "Say hello in one short sentence.";

export function requestBody(api: Api, model: string, stream: boolean): string {
  const messages = [{ role: "user", content: PROMPT }];
  if (api === "messages") return JSON.stringify({ model, max_tokens: 64, messages, ...(stream ? { stream: true } : {}) });
  return JSON.stringify({ model, messages, max_tokens: 64, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });
}

/** Marks an SSE event carrying one text chunk, per client protocol (what the stream client counts). */
export const TEXT_EVENT: Record<Api, string> = { chat: `"delta":{"content":`, messages: `"text_delta"` };
/** Marks the event that ends a stream normally. */
export const END_EVENT: Record<Api, string> = { chat: "data: [DONE]", messages: "message_stop" };
