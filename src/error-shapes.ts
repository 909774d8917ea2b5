import type { GatewayError } from "./errors.ts";
import type { Protocol } from "./providers/types.ts";
import { secrets } from "./redaction.ts";

/** How an error looks in each client protocol: the JSON body of a refused call and the last event of a broken stream. */

export type ErrorShape = "openai" | "anthropic";

export const shapeFor = (p: Protocol): ErrorShape =>
  p === "anthropic-messages" || p === "anthropic-count-tokens" ? "anthropic" : "openai";

function anthropicType(err: GatewayError): string {
  switch (err.status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    case 504:
    case 408:
      return "timeout_error";
    default:
      return "api_error";
  }
}

export function errorBody(err: GatewayError, shape: ErrorShape): Record<string, unknown> {
  if (shape === "anthropic") return { type: "error", error: { type: anthropicType(err), message: err.message } };
  return { error: { message: err.message, type: err.type, param: err.param, code: String(err.status) } };
}

/** An error as the last SSE event of a stream that already started, in the client's protocol. */
export function streamErrorEvent(protocol: Protocol, text: string): string {
  const message = secrets.redact(text);
  if (protocol === "anthropic-messages") {
    return `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "api_error", message } })}\n\n`;
  }
  if (protocol === "openai-responses") {
    return `event: error\ndata: ${JSON.stringify({ type: "error", code: "api_error", message, param: null })}\n\n`;
  }
  return `data: ${JSON.stringify({ error: { message, type: "api_error", param: null, code: "500" } })}\n\n`;
}
