import type { Context } from "hono";
import { isProxyAdmin } from "../auth/management-access.ts";
import { GatewayError } from "../errors.ts";
import { errorResponse } from "../http/error-response.ts";
import type { Runtime } from "../runtime.ts";

/** The agents API (agents, runs, sessions, memory, artifacts, vault) is the gateway's own: proxy admins only. */
async function requireAdmin(rt: Runtime, c: Context): Promise<void> {
  const auth = await rt.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
  if (!isProxyAdmin(auth)) {
    throw new GatewayError(403, "Admin-only endpoint. Not allowed to access this.", { type: "auth_error" });
  }
}

/** Wraps an agent-API handler: master key (or an admin key) required, errors rendered in OpenAI shape. */
export function adminRoute<T>(rt: () => Runtime, target: () => T) {
  return (fn: (c: Context, t: T) => Promise<Response>) => async (c: Context) => {
    try {
      await requireAdmin(rt(), c);
      return await fn(c, target());
    } catch (e) {
      return errorResponse(e, "openai");
    }
  };
}

export const param = (c: Context, name: string) => c.req.param(name) ?? "";

/** `?limit=` of a list: 1 to 500, 50 when absent or not a number. */
export const listLimit = (v: string | undefined) => Math.max(1, Math.min(Math.floor(Number(v ?? 50)) || 50, 500));

/** A query parameter that must be a positive integer (a version, a sequence number). */
export function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 31 - 1) throw new GatewayError(400, `${name} must be a positive integer`, { type: "invalid_request_error", param: name });
  return n;
}

/** The request body as a JSON object; an empty body is `{}`. */
export async function jsonObject(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError(400, "Invalid JSON in request body", { type: "invalid_request_error" });
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new GatewayError(400, "the request body must be a JSON object", { type: "invalid_request_error" });
  return body as Record<string, unknown>;
}

export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new GatewayError(400, `${key} must be a string`, { type: "invalid_request_error", param: key });
  return v;
}

export function requiredString(body: Record<string, unknown>, key: string): string {
  const v = optionalString(body, key);
  if (v === undefined || !v.trim()) throw new GatewayError(400, `${key} is required`, { type: "invalid_request_error", param: key });
  return v;
}

export const notFound = (what: string, id: string) => new GatewayError(404, `${what} not found: ${id}`, { type: "not_found_error" });
