import type { RequestBytes } from "./types.ts";

const utf8 = new TextDecoder();

/** A request body the provider must rewrite, as an object. */
export function parseBody(body: RequestBytes): Record<string, unknown> {
  return JSON.parse(typeof body === "string" ? body : utf8.decode(body)) as Record<string, unknown>;
}

/** Joins a base URL and a path without doubling or dropping the slash; keeps a query on the base. */
export function joinUrl(base: string, path: string): string {
  const q = base.indexOf("?");
  const head = q >= 0 ? base.slice(0, q) : base;
  const query = q >= 0 ? base.slice(q) : "";
  const trimmed = head.endsWith("/") ? head.slice(0, -1) : head;
  if (trimmed.endsWith(path)) return trimmed + query;
  return trimmed + path + query;
}

/** Pulls the human message out of an upstream error body (OpenAI, Anthropic, Google and plain text shapes). */
export function upstreamErrorMessage(_status: number, body: string): string {
  const text = body.trim();
  if (!text) return "";
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const err = j.error as Record<string, unknown> | string | undefined;
    if (typeof err === "string") return err;
    if (err && typeof err.message === "string") return err.message;
    if (typeof j.message === "string") return j.message;
    if (typeof j.detail === "string") return j.detail;
  } catch {
    /* not JSON */
  }
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
