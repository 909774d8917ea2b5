import { forwardedHeaders, passthroughRequest, passthroughUrl } from "../passthrough.ts";
import type { BuildContext, PassthroughCall, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { joinUrl, parseBody, upstreamErrorMessage } from "../util.ts";
import { chatToCohere, cohereStreamToChat, cohereToChat } from "./chat.ts";
import { cohereToEmbeddings, embeddingsToCohere, rerankToCohere, withDocuments } from "./embed-rerank.ts";

const identity = () => new TransformStream<Uint8Array, Uint8Array>();

const CALLS: Partial<Record<Protocol, { path: string; body: (b: Record<string, unknown>) => Record<string, unknown>; answers: NonNullable<Provider["responseTransform"]> }>> = {
  "openai-chat": { path: "/v2/chat", body: chatToCohere, answers: { json: cohereToChat, stream: cohereStreamToChat } },
  "openai-embeddings": { path: "/v2/embed", body: embeddingsToCohere, answers: { json: cohereToEmbeddings, stream: identity } },
  rerank: { path: "/v2/rerank", body: rerankToCohere, answers: { json: (answer, _model, request) => withDocuments(answer as Record<string, unknown>, request), stream: identity } },
};

function trimBase(apiBase: string): string {
  return apiBase.replace(/\/+$/, "").replace(/\/v[12]$/, "");
}

/**
 * Cohere's own API (`cohere/<model>`, `cohere_chat/<model>`): chat v2, embed v2 and rerank v2,
 * converted from and back to the OpenAI shapes (rerank answers are Cohere's shape already).
 */
function cohereProvider(name: string): Provider {
  return {
    name,
    defaultApiBase: "https://api.cohere.com",
    env: { apiKey: ["COHERE_API_KEY", "CO_API_KEY"], apiBase: ["COHERE_API_BASE"] },
    native: new Set<Protocol>(["openai-chat", "openai-embeddings", "rerank"]),
    preferred: "openai-chat",
    exceptionName: "CohereException",
    buildRequest(t: Target, protocol: Protocol, body: RequestBytes, _ctx: BuildContext): UpstreamRequest {
      const call = CALLS[protocol];
      if (!call) throw new Error(`${name} does not serve ${protocol}`);
      const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
      if (t.apiKey) headers.authorization = `Bearer ${t.apiKey}`;
      if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
      return { url: joinUrl(trimBase(t.apiBase), call.path), method: "POST", headers, body: JSON.stringify(call.body(parseBody(body))) };
    },
    responseTransformFor: (protocol) => CALLS[protocol]?.answers,
    passthrough(t: Target, call: PassthroughCall): UpstreamRequest {
      return passthroughRequest(passthroughUrl(trimBase(t.apiBase), call.path, call.query), call, forwardedHeaders(call, t, t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : {}));
    },
    errorMessage: upstreamErrorMessage,
  };
}

export const cohere = cohereProvider("cohere");
export const cohereChat = cohereProvider("cohere_chat");
