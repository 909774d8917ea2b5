import { OPENAI_PATHS } from "../openai/index.ts";
import { forwardedHeaders, passthroughRequest } from "../passthrough.ts";
import type { BuildContext, PassthroughCall, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { upstreamErrorMessage } from "../util.ts";

export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

/** The OpenAI APIs Azure serves per deployment (`/openai/deployments/{name}/...`); it has no moderations. */
const DEPLOYMENT_PATHS: Partial<Record<Protocol, string>> = Object.fromEntries(
  (["openai-chat", "openai-embeddings", "openai-completions", "openai-images", "openai-image-edits", "openai-transcriptions", "openai-speech"] as Protocol[]).map((p) => [p, OPENAI_PATHS[p]]),
);

function trimBase(apiBase: string): string {
  const b = apiBase.endsWith("/") ? apiBase.slice(0, -1) : apiBase;
  const i = b.indexOf("/openai");
  return i >= 0 ? b.slice(0, i) : b;
}

/** Azure OpenAI: deployment in the path, `api-version` in the query, key in the `api-key` header. */
export const azure: Provider = {
  name: "azure",
  env: { apiKey: ["AZURE_API_KEY", "AZURE_OPENAI_API_KEY"], apiBase: ["AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"], apiVersion: ["AZURE_API_VERSION"] },
  native: new Set<Protocol>(["openai-responses", ...(Object.keys(DEPLOYMENT_PATHS) as Protocol[])]),
  preferred: "openai-chat",
  exceptionName: "AzureException",
  buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): UpstreamRequest {
    const base = trimBase(t.apiBase);
    const version = encodeURIComponent(t.apiVersion ?? AZURE_DEFAULT_API_VERSION);
    const dep = encodeURIComponent(t.model);
    const path = DEPLOYMENT_PATHS[protocol];
    let url: string;
    if (path) url = `${base}/openai/deployments/${dep}${path}?api-version=${version}`;
    else if (protocol === "openai-responses") url = `${base}/openai/responses?api-version=${version}`;
    else throw new Error(`azure does not serve ${protocol}`);
    const headers: Record<string, string> = { "content-type": ctx.contentType ?? "application/json" };
    if (t.apiKey) headers["api-key"] = t.apiKey;
    const adToken = t.params.azure_ad_token;
    if (typeof adToken === "string" && adToken) headers.authorization = `Bearer ${adToken}`;
    if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
    return { url, method: "POST", headers, body };
  },
  passthrough(t: Target, call: PassthroughCall): UpstreamRequest {
    const auth: Record<string, string> = t.apiKey ? { "api-key": t.apiKey } : {};
    const adToken = t.params.azure_ad_token;
    if (typeof adToken === "string" && adToken) auth.authorization = `Bearer ${adToken}`;
    return passthroughRequest(`${trimBase(t.apiBase)}${call.path}${call.query}`, call, forwardedHeaders(call, t, auth));
  },
  errorMessage: upstreamErrorMessage,
};
