import { forwardedHeaders, passthroughRequest, passthroughUrl } from "../passthrough.ts";
import type { BuildContext, PassthroughCall, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { joinUrl, upstreamErrorMessage } from "../util.ts";

/** Where each OpenAI API lives under an OpenAI-style base URL. */
export const OPENAI_PATHS: Readonly<Partial<Record<Protocol, string>>> = {
  "openai-chat": "/chat/completions",
  "openai-responses": "/responses",
  "openai-embeddings": "/embeddings",
  "openai-completions": "/completions",
  "openai-images": "/images/generations",
  "openai-image-edits": "/images/edits",
  "openai-transcriptions": "/audio/transcriptions",
  "openai-speech": "/audio/speech",
  "openai-moderations": "/moderations",
  rerank: "/rerank",
};

/** Everything OpenAI itself serves. */
export const OPENAI_PROTOCOLS: Protocol[] = [
  "openai-chat",
  "openai-responses",
  "openai-embeddings",
  "openai-completions",
  "openai-images",
  "openai-image-edits",
  "openai-transcriptions",
  "openai-speech",
  "openai-moderations",
];

export interface OpenAIStyle {
  name: string;
  defaultApiBase?: string;
  apiKeyEnv?: string[];
  apiBaseEnv?: string[];
  protocols?: Protocol[];
  exceptionName?: string;
  /** The header carrying the key, when the server does not read `Authorization: Bearer`. */
  keyHeader?: string;
}

const RESPONSES_PREFIX = "responses/";

/**
 * LiteLLM's Responses bridge: `openai/responses/<model>` is served through the Responses API only,
 * so chat and Anthropic clients are translated to it (and the prefix never reaches the upstream).
 */
function responsesOnly(p: Provider): Provider {
  return {
    ...p,
    native: new Set<Protocol>(["openai-responses", "openai-embeddings"]),
    preferred: "openai-responses",
    forModel: undefined,
    wireModel: (model) => (model.startsWith(RESPONSES_PREFIX) ? model.slice(RESPONSES_PREFIX.length) : model),
  };
}

/** An OpenAI-wire provider: OpenAI itself and every OpenAI-compatible server reached through `api_base`. */
export function openAIStyle(spec: OpenAIStyle): Provider {
  const native = new Set<Protocol>(spec.protocols ?? ["openai-chat", "openai-embeddings"]);
  const provider = openAIStyleProvider(spec, native);
  if (!native.has("openai-responses")) return provider;
  const bridged = responsesOnly(provider);
  return { ...provider, forModel: (model) => (model.startsWith(RESPONSES_PREFIX) ? bridged : provider) };
}

/** Headers of an OpenAI-style call: the key as a bearer token (or the server's own header), the body's type. */
export function openAIHeaders(t: Target, ctx: Pick<BuildContext, "contentType">, keyHeader?: string): Record<string, string> {
  const headers: Record<string, string> = { "content-type": ctx.contentType ?? "application/json" };
  if (t.apiKey) {
    if (keyHeader) headers[keyHeader] = t.apiKey;
    else headers.authorization = `Bearer ${t.apiKey}`;
  }
  if (t.organization) headers["openai-organization"] = t.organization;
  if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
  return headers;
}

function openAIStyleProvider(spec: OpenAIStyle, native: Set<Protocol>): Provider {
  return {
    name: spec.name,
    defaultApiBase: spec.defaultApiBase,
    env: { apiKey: spec.apiKeyEnv, apiBase: spec.apiBaseEnv },
    native,
    preferred: "openai-chat",
    exceptionName: spec.exceptionName ?? "OpenAIException",
    buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): UpstreamRequest {
      const path = OPENAI_PATHS[protocol];
      if (!path || !native.has(protocol)) throw new Error(`${spec.name} does not serve ${protocol}`);
      return { url: joinUrl(t.apiBase, path), method: "POST", headers: openAIHeaders(t, ctx, spec.keyHeader), body };
    },
    passthrough(t: Target, call: PassthroughCall): UpstreamRequest {
      const auth: Record<string, string> = {};
      if (t.apiKey) auth[spec.keyHeader ?? "authorization"] = spec.keyHeader ? t.apiKey : `Bearer ${t.apiKey}`;
      return passthroughRequest(passthroughUrl(t.apiBase, call.path, call.query), call, forwardedHeaders(call, t, auth));
    },
    errorMessage: upstreamErrorMessage,
  };
}

export const openai = openAIStyle({
  name: "openai",
  defaultApiBase: "https://api.openai.com/v1",
  apiKeyEnv: ["OPENAI_API_KEY"],
  apiBaseEnv: ["OPENAI_BASE_URL", "OPENAI_API_BASE"],
  protocols: OPENAI_PROTOCOLS,
});
