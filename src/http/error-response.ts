import { clientErrorOf } from "../db/data-errors.ts";
import { GatewayError } from "../errors.ts";
import { errorBody, type ErrorShape } from "../error-shapes.ts";

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

export { errorBody, shapeFor, streamErrorEvent, type ErrorShape } from "../error-shapes.ts";
