import { clientErrorOf } from "../db/data-errors.ts";
import { GatewayError } from "../errors.ts";
import type { Protocol } from "../providers/types.ts";
import { secrets } from "../redaction.ts";

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

/** A walk over client JSON that ran out of stack: the request was nested too deeply, the client's fault. */
const isStackOverflow = (e: unknown) => e instanceof RangeError && /call stack/i.test(e.message);

/**
 * Any error as a GatewayError: values Postgres refused (`clientErrorOf`) and JSON too deep to walk
 * are the client's (4xx); anything else unexpected is a 500.
 */
export function asGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const client = clientErrorOf(e);
  if (client) return client;
  if (isStackOverflow(e)) return new GatewayError(400, "Invalid request body: JSON nested too deeply", { type: "invalid_request_error" });
  return new GatewayError(500, (e as Error)?.message ?? String(e), { kind: "InternalServerError" });
}

/** The one place a GatewayError becomes an HTTP response. */
export function errorResponse(e: unknown, shape: ErrorShape, extraHeaders?: Record<string, string>): Response {
  const err = asGatewayError(e);
  const status = err.status === 499 ? 499 : err.status >= 400 && err.status <= 599 ? err.status : 500;
  const headers: Record<string, string> = { "content-type": "application/json", ...extraHeaders, ...err.headers };
  return new Response(JSON.stringify(errorBody(err, shape)), { status, headers });
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
