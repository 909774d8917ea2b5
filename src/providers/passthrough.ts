import type { PassthroughCall, Target, UpstreamRequest } from "./types.ts";

/** Client headers a pass-through never forwards: the gateway's own key, hop-by-hop and length/encoding headers. */
const NOT_FORWARDED = new Set([
  "authorization", "x-api-key", "api-key", "x-goog-api-key", "x-litellm-api-key", "ocp-apim-subscription-key", "host",
  "connection", "content-length", "transfer-encoding", "accept-encoding", "cookie", "keep-alive", "upgrade", "te",
]);

/** The client's headers as LiteLLM forwards them (`_forward_headers`), with the gateway's key removed, plus the provider's auth. */
export function forwardedHeaders(call: PassthroughCall, t: Target, auth: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  call.headers.forEach((v, k) => {
    if (!NOT_FORWARDED.has(k) && !k.startsWith("x-litellm-")) out[k] = v;
  });
  if (t.extraHeaders) Object.assign(out, t.extraHeaders);
  return Object.assign(out, auth);
}

/** `base` + the client's path without a doubled `/v1` (a base of `…/v1` and a path of `/v1/…`). */
export function passthroughUrl(base: string, path: string, query: string): string {
  let b = base.split("?")[0]!.replace(/\/+$/, "");
  const m = /\/v\d+(beta\d*)?$/.exec(b);
  if (m && path.startsWith(`${m[0]}/`)) b = b.slice(0, -m[0].length);
  return `${b}${path}${query}`;
}

/** A pass-through request with the client's method and body. */
export function passthroughRequest(url: string, call: PassthroughCall, headers: Record<string, string>): UpstreamRequest {
  return { url, method: call.method as UpstreamRequest["method"], headers, body: call.method === "GET" || call.method === "HEAD" ? undefined : call.body };
}
