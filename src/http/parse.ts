import type { Context } from "hono";
import { GatewayError } from "../errors.ts";

/** Reads and parses a JSON object body once, keeping the raw text for byte pass-through. */
export async function readJsonBody(c: Context, maxBytes: number): Promise<{ raw: string; body: Record<string, unknown> }> {
  const len = Number(c.req.header("content-length") ?? 0);
  if (len > maxBytes) {
    throw new GatewayError(413, `Request body too large: ${len} bytes, the limit is ${maxBytes} bytes (general_settings.max_request_size_mb)`, {
      type: "invalid_request_error",
      kind: "BadRequestError",
    });
  }
  const raw = await c.req.text();
  if (raw.length > maxBytes) {
    throw new GatewayError(413, `Request body too large: the limit is ${maxBytes} bytes (general_settings.max_request_size_mb)`, {
      type: "invalid_request_error",
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (e) {
    throw new GatewayError(400, `Invalid JSON in request body: ${(e as Error).message}`, { type: "invalid_request_error" });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError(400, "Request body must be a JSON object", { type: "invalid_request_error" });
  }
  return { raw, body: body as Record<string, unknown> };
}

export function clientIp(c: Context): string | undefined {
  const xff = c.req.header("x-forwarded-for");
  if (xff) return xff.split(",")[0]!.trim();
  return undefined;
}
