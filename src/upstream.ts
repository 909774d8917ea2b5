import { GatewayError } from "./errors.ts";
import type { UpstreamRequest } from "./providers/types.ts";

const connectionError = (e: unknown) =>
  new GatewayError(500, `litellm.APIConnectionError: ${(e as Error).message}`, { kind: "APIConnectionError", type: "api_connection_error" });

const timeoutError = (what: string, ms: number) =>
  new GatewayError(408, `litellm.Timeout: ${what} after ${(ms / 1000).toFixed(1)}s`, { kind: "Timeout", type: "timeout" });

/**
 * The only module that sends LLM traffic. Bun's fetch keeps one keep-alive pool per origin.
 * The client's abort signal cancels the upstream call at any time; `timeoutMs` bounds the wait
 * for response headers (a long stream is not cut by it).
 */
/** Above this a timeout cannot fire within a call's life (LiteLLM's default is 6000 s): no timer is armed. */
const NO_TIMER_ABOVE_MS = 3_600_000;

export async function sendUpstream(req: UpstreamRequest, signal: AbortSignal, timeoutMs: number | undefined): Promise<Response> {
  if (timeoutMs === undefined || timeoutMs <= 0 || timeoutMs > NO_TIMER_ABOVE_MS) {
    if (signal.aborted) throw new GatewayError(499, "Client disconnected", { kind: "APIConnectionError" });
    try {
      return await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal, redirect: "manual" });
    } catch (e) {
      if (signal.aborted) throw new GatewayError(499, "Client disconnected", { kind: "APIConnectionError" });
      throw connectionError(e);
    }
  }
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(signal.reason);
  if (signal.aborted) throw new GatewayError(499, "Client disconnected", { kind: "APIConnectionError" });
  signal.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer =
    timeoutMs !== undefined && timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          ctrl.abort();
        }, timeoutMs)
      : undefined;
  try {
    return await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: ctrl.signal,
      redirect: "manual",
    });
  } catch (e) {
    signal.removeEventListener("abort", onAbort);
    if (timedOut) throw timeoutError("Request timed out", timeoutMs!);
    if (signal.aborted) throw new GatewayError(499, "Client disconnected", { kind: "APIConnectionError" });
    throw connectionError(e);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a stream's next chunk, failing with a Timeout if it takes longer than `ms`. */
export async function readWithTimeout<T>(
  reader: ReadableStreamDefaultReader<T>,
  ms: number | undefined,
): Promise<Awaited<ReturnType<ReadableStreamDefaultReader<T>["read"]>>> {
  if (!ms || ms <= 0) return reader.read();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError("No stream data", ms)), ms);
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
