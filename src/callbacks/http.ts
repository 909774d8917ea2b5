import type { UpstreamRequest } from "../providers/types.ts";
import { bodyBytes, type BodyParts } from "./body.ts";
import { SendError } from "./queue.ts";

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * One delivery to a logging backend (not LLM traffic, which goes through `src/upstream.ts`):
 * a non-2xx answer or a network error becomes a SendError, retryable unless the backend said the
 * request itself is wrong. A body given as parts is written into the worker's shared body buffer
 * (see `bodyBytes`) as fetch is called. Returns the response body text.
 */
export async function deliver(
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string | Uint8Array<ArrayBuffer> | BodyParts },
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<string> {
  let res: Response;
  try {
    const body = typeof init.body === "object" && "parts" in init.body ? bodyBytes(init.body) : init.body;
    res = await fetch(url, { method: init.method ?? "POST", headers: init.headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new SendError(`${hostOf(url)}: ${(e as Error).message}`, true);
  }
  const text = await res.text().catch(() => "");
  if (!res.ok) {
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new SendError(`${hostOf(url)} answered ${res.status}: ${text.slice(0, 300)}`, retryable);
  }
  return text;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "endpoint";
  }
}

/** The `send` the credential chains (AWS STS and metadata, Google OAuth) take, for the sinks' own credentials. */
export function sendAux(r: UpstreamRequest): Promise<Response> {
  return fetch(r.url, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(r.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
}
