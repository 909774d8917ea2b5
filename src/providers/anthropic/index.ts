import { forwardedHeaders, passthroughRequest, passthroughUrl } from "../passthrough.ts";
import type { BuildContext, PassthroughCall, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { upstreamErrorMessage } from "../util.ts";

export const ANTHROPIC_VERSION = "2023-06-01";

function messagesUrl(apiBase: string, protocol: Protocol): string {
  let base = apiBase.endsWith("/") ? apiBase.slice(0, -1) : apiBase;
  if (base.endsWith("/v1/messages")) base = base.slice(0, -"/v1/messages".length);
  else if (base.endsWith("/v1")) base = base.slice(0, -3);
  return protocol === "anthropic-count-tokens" ? `${base}/v1/messages/count_tokens` : `${base}/v1/messages`;
}

/** Headers the Messages API reads that clients (Claude Code) set and the upstream must see. */
export function anthropicHeaders(t: Target, clientHeaders: Headers): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": clientHeaders.get("anthropic-version") ?? ANTHROPIC_VERSION,
  };
  const beta = clientHeaders.get("anthropic-beta");
  if (beta) headers["anthropic-beta"] = beta;
  if (t.apiKey) headers["x-api-key"] = t.apiKey;
  if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
  return headers;
}

export const anthropic: Provider = {
  name: "anthropic",
  defaultApiBase: "https://api.anthropic.com",
  env: { apiKey: ["ANTHROPIC_API_KEY"], apiBase: ["ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"] },
  native: new Set<Protocol>(["anthropic-messages", "anthropic-count-tokens"]),
  preferred: "anthropic-messages",
  exceptionName: "AnthropicException",
  buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): UpstreamRequest {
    if (protocol !== "anthropic-messages" && protocol !== "anthropic-count-tokens") {
      throw new Error(`anthropic does not serve ${protocol}`);
    }
    const query = protocol === "anthropic-messages" && ctx.query.includes("beta=true") ? "?beta=true" : "";
    return { url: messagesUrl(t.apiBase, protocol) + query, method: "POST", headers: anthropicHeaders(t, ctx.clientHeaders), body };
  },
  passthrough(t: Target, call: PassthroughCall): UpstreamRequest {
    return passthroughRequest(passthroughUrl(t.apiBase, call.path, call.query), call, forwardedHeaders(call, t, t.apiKey ? { "x-api-key": t.apiKey } : {}));
  },
  errorMessage: upstreamErrorMessage,
};
