import { GatewayError, kindForStatus, type ErrorKind } from "../errors.ts";
import type { Deployment } from "../router/deployment.ts";

const CONTEXT_WINDOW =
  /context.length|context window|maximum context|prompt is too long|too many tokens|input is too long|exceeds the (?:model's )?(?:maximum )?context|context_length_exceeded|reduce the length/i;
const CONTENT_POLICY = /content.?policy|content management policy|safety system|content_filter|flagged by/i;

/** Provider headers a client needs to pace itself; passed back on errors and successes. */
export function rateLimitHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((value, name) => {
    if (name === "retry-after" || name === "retry-after-ms" || name.startsWith("x-ratelimit-") || name.startsWith("anthropic-ratelimit-")) {
      out[name] = value;
    }
  });
  return out;
}

function upstreamType(body: string): string | undefined {
  try {
    const j = JSON.parse(body) as { error?: { type?: unknown; code?: unknown } };
    const t = j.error?.type;
    return typeof t === "string" ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Maps a non-2xx upstream answer to a GatewayError with LiteLLM's exception name and message. */
export function upstreamError(d: Deployment, status: number, body: string, headers: Headers): GatewayError {
  const msg = d.provider.errorMessage?.(status, body) ?? body;
  let kind: ErrorKind = kindForStatus(status);
  if (status === 400 || status === 413) {
    if (CONTEXT_WINDOW.test(msg) || CONTEXT_WINDOW.test(body)) kind = "ContextWindowExceededError";
    else if (CONTENT_POLICY.test(msg) || CONTENT_POLICY.test(body)) kind = "ContentPolicyViolationError";
  }
  const exception = d.provider.exceptionName ?? "OpenAIException";
  return new GatewayError(status, `litellm.${kind}: ${exception} - ${msg}`, {
    kind,
    type: upstreamType(body),
    headers: rateLimitHeaders(headers),
  });
}

/** An SSE body that opens with an error event (Anthropic overload) counts as a failed attempt. */
export function streamOpeningError(d: Deployment, first: Uint8Array): GatewayError | undefined {
  if (first.byteLength < 12) return undefined;
  const head = new TextDecoder().decode(first.subarray(0, Math.min(first.byteLength, 4096)));
  if (!head.startsWith("event: error")) return undefined;
  const data = /data:\s*(\{.*\})/.exec(head)?.[1] ?? "";
  let status = 500;
  try {
    const t = (JSON.parse(data) as { error?: { type?: string } }).error?.type;
    if (t === "overloaded_error") status = 529;
    else if (t === "rate_limit_error") status = 429;
  } catch {
    /* keep 500 */
  }
  return upstreamError(d, status, data, new Headers());
}
