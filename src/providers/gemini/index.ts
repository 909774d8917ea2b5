import { forwardedHeaders, passthroughRequest, passthroughUrl } from "../passthrough.ts";
import type { BuildContext, PassthroughCall, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { parseBody, upstreamErrorMessage } from "../util.ts";
import { chatToGemini } from "./request.ts";
import { geminiToChat } from "./response.ts";
import { geminiStreamToChat } from "./stream.ts";
import type { GeminiResponse } from "./types.ts";

/** The OpenAI chat body the core hands over, as a Gemini body (shared with Vertex). */
export function geminiBody(protocol: Protocol, body: RequestBytes, provider: string): string {
  if (protocol !== "openai-chat") throw new Error(`${provider} does not serve ${protocol}`);
  return JSON.stringify(chatToGemini(parseBody(body)));
}

/** `:generateContent`, or `:streamGenerateContent?alt=sse` for streams. */
export const geminiMethod = (stream: boolean) => (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");

export const geminiResponses: NonNullable<Provider["responseTransform"]> = {
  json: (body, model) => geminiToChat(body as GeminiResponse, model),
  stream: geminiStreamToChat,
};

function modelsUrl(apiBase: string, model: string, stream: boolean): string {
  const base = apiBase.replace(/\/+$/, "");
  const versioned = /\/v1(beta|alpha)?$/.test(base) ? base : `${base}/v1beta`;
  return `${versioned}/models/${encodeURIComponent(model.replace(/^models\//, ""))}${geminiMethod(stream)}`;
}

/** Google AI Studio (`gemini/<model>`): OpenAI chat in, Gemini generateContent on the wire. */
export const gemini: Provider = {
  name: "gemini",
  defaultApiBase: "https://generativelanguage.googleapis.com",
  env: { apiKey: ["GEMINI_API_KEY", "GOOGLE_API_KEY"], apiBase: ["GEMINI_API_BASE"] },
  native: new Set<Protocol>(["openai-chat"]),
  preferred: "openai-chat",
  exceptionName: "GeminiException",
  buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): UpstreamRequest {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (t.apiKey) headers["x-goog-api-key"] = t.apiKey;
    if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
    return { url: modelsUrl(t.apiBase, t.model, ctx.stream), method: "POST", headers, body: geminiBody(protocol, body, "gemini") };
  },
  /** LiteLLM's `/gemini/*`: the client's `key` (its virtual key) is dropped; the gateway's Gemini key goes in `x-goog-api-key`. */
  passthrough(t: Target, call: PassthroughCall): UpstreamRequest {
    const q = new URLSearchParams(call.query);
    q.delete("key");
    const query = q.size ? `?${q}` : "";
    return passthroughRequest(passthroughUrl(t.apiBase, call.path, query), call, forwardedHeaders(call, t, t.apiKey ? { "x-goog-api-key": t.apiKey } : {}));
  },
  errorMessage: upstreamErrorMessage,
  responseTransform: geminiResponses,
};
