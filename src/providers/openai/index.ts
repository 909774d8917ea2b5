import type { BuildContext, Protocol, Provider, Target, UpstreamRequest } from "../types.ts";
import { joinUrl, upstreamErrorMessage } from "../util.ts";

const PATHS: Partial<Record<Protocol, string>> = {
  "openai-chat": "/chat/completions",
  "openai-responses": "/responses",
  "openai-embeddings": "/embeddings",
};

export interface OpenAIStyle {
  name: string;
  defaultApiBase?: string;
  apiKeyEnv?: string[];
  apiBaseEnv?: string[];
  protocols?: Protocol[];
  exceptionName?: string;
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

function openAIStyleProvider(spec: OpenAIStyle, native: Set<Protocol>): Provider {
  return {
    name: spec.name,
    defaultApiBase: spec.defaultApiBase,
    env: { apiKey: spec.apiKeyEnv, apiBase: spec.apiBaseEnv },
    native,
    preferred: "openai-chat",
    exceptionName: spec.exceptionName ?? "OpenAIException",
    buildRequest(t: Target, protocol: Protocol, body: string, _ctx: BuildContext): UpstreamRequest {
      const path = PATHS[protocol];
      if (!path) throw new Error(`${spec.name} does not serve ${protocol}`);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (t.apiKey) headers.authorization = `Bearer ${t.apiKey}`;
      if (t.organization) headers["openai-organization"] = t.organization;
      if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
      return { url: joinUrl(t.apiBase, path), method: "POST", headers, body };
    },
    errorMessage: upstreamErrorMessage,
  };
}

export const openai = openAIStyle({
  name: "openai",
  defaultApiBase: "https://api.openai.com/v1",
  apiKeyEnv: ["OPENAI_API_KEY"],
  apiBaseEnv: ["OPENAI_BASE_URL", "OPENAI_API_BASE"],
  protocols: ["openai-chat", "openai-responses", "openai-embeddings"],
});
