import type { Context } from "hono";
import { GatewayError } from "../errors.ts";
import type { BodyLimits } from "../limits/body-budget.ts";
import { readBodyText } from "./body-reader.ts";

/** Reads and parses a JSON object body once, keeping the raw text for byte pass-through. */
export async function readJsonBody(c: Context, limits: BodyLimits): Promise<{ raw: string; body: Record<string, unknown> }> {
  const raw = await readBodyText(c.req.raw, limits);
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
