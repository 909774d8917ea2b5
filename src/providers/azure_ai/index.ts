import { anthropicHeaders } from "../anthropic/index.ts";
import type { BuildContext, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { upstreamErrorMessage } from "../util.ts";

/** The Azure AI Model Inference API version for Foundry `…/models` endpoints. */
export const AZURE_AI_INFERENCE_VERSION = "2024-05-01-preview";

const PATHS: Partial<Record<Protocol, string>> = { "openai-chat": "/chat/completions", "openai-embeddings": "/embeddings" };

function trimBase(apiBase: string): string {
  const q = apiBase.indexOf("?");
  const b = (q >= 0 ? apiBase.slice(0, q) : apiBase).replace(/\/+$/, "");
  return b.replace(/\/(chat\/completions|embeddings)$/, "");
}

/**
 * Foundry "models" endpoints (`https://<resource>.services.ai.azure.com/models`) need an
 * `api-version`; serverless endpoints (`*.models.ai.azure.com`, `/v1`) take none unless configured.
 */
function inferenceUrl(t: Target, path: string): string {
  const base = trimBase(t.apiBase);
  const version = t.apiVersion ?? (base.endsWith("/models") ? AZURE_AI_INFERENCE_VERSION : undefined);
  return `${base}${path}${version ? `?api-version=${encodeURIComponent(version)}` : ""}`;
}

/** Azure AI Foundry (`azure_ai/<model>`): the OpenAI-shaped inference API with the `api-key` header. */
export const azureAIInference: Provider = {
  name: "azure_ai",
  env: { apiKey: ["AZURE_AI_API_KEY"], apiBase: ["AZURE_AI_API_BASE"] },
  native: new Set<Protocol>(["openai-chat", "openai-embeddings"]),
  preferred: "openai-chat",
  exceptionName: "Azure_aiException",
  buildRequest(t: Target, protocol: Protocol, body: RequestBytes, _ctx: BuildContext): UpstreamRequest {
    const path = PATHS[protocol];
    if (!path) throw new Error(`azure_ai does not serve ${protocol}`);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (t.apiKey) {
      headers["api-key"] = t.apiKey;
      headers.authorization = `Bearer ${t.apiKey}`;
    }
    if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
    return { url: inferenceUrl(t, path), method: "POST", headers, body };
  },
  errorMessage: upstreamErrorMessage,
};

/** Claude on Foundry: the Messages API under `<resource>/anthropic/v1/messages`. */
export const azureAIAnthropic: Provider = {
  ...azureAIInference,
  native: new Set<Protocol>(["anthropic-messages", "anthropic-count-tokens"]),
  preferred: "anthropic-messages",
  buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): UpstreamRequest {
    if (protocol !== "anthropic-messages" && protocol !== "anthropic-count-tokens") throw new Error(`azure_ai (anthropic) does not serve ${protocol}`);
    const origin = trimBase(t.apiBase).replace(/\/(models|anthropic(\/v1(\/messages)?)?)$/, "");
    const url = `${origin}/anthropic/v1/messages${protocol === "anthropic-count-tokens" ? "/count_tokens" : ""}`;
    return { url, method: "POST", headers: anthropicHeaders(t, ctx.clientHeaders), body };
  },
};

export const azureAI: Provider = {
  ...azureAIInference,
  forModel: (model) => (model.startsWith("claude") ? azureAIAnthropic : azureAIInference),
};
