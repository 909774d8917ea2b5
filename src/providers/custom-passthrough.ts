import { forwardedHeaders, passthroughRequest } from "./passthrough.ts";
import type { PassthroughCall, Protocol, Provider, Target, UpstreamRequest } from "./types.ts";

export interface CustomEndpoint {
  target: string;
  headers?: Record<string, string> | null;
  forward_headers?: boolean | null;
}

/** `os.environ/NAME` inside a header value (`Bearer os.environ/COHERE_API_KEY`), as LiteLLM resolves it. */
export function withEnv(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/os\.environ\/([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => env[name] ?? "");
}

/**
 * A `general_settings.pass_through_endpoints` entry as a provider: the client's request (and, with
 * `include_subpath`, the rest of its path) sent to `target` with the configured headers, and the
 * client's own headers too when `forward_headers` is set.
 */
export function customEndpoint(e: CustomEndpoint, env: Readonly<Record<string, string | undefined>>): Provider {
  const configured = Object.fromEntries(Object.entries(e.headers ?? {}).map(([k, v]) => [k.toLowerCase(), withEnv(v, env)]));
  return {
    name: "pass_through_endpoint",
    native: new Set<Protocol>(),
    preferred: "openai-chat",
    buildRequest() {
      throw new Error("a custom pass-through endpoint is not a model");
    },
    passthrough(t: Target, call: PassthroughCall): UpstreamRequest {
      const base: Record<string, string> = {};
      const type = call.headers.get("content-type");
      if (type) base["content-type"] = type;
      const headers = e.forward_headers ? forwardedHeaders(call, t, configured) : { ...base, ...configured };
      return passthroughRequest(`${e.target.replace(/\/+$/, "")}${call.path === "/" ? "" : call.path}${call.query}`, call, headers);
    },
  };
}
