import { GatewayError } from "../errors.ts";
import type { BodyBudget, BodyLimits } from "../limits/body-budget.ts";

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

const tooLarge = (len: number | undefined, max: number) =>
  new GatewayError(413, `Request body too large: ${len === undefined ? "" : `${len} bytes, `}the limit is ${max} bytes (general_settings.max_request_size_mb)`, {
    type: "invalid_request_error",
    kind: "BadRequestError",
  });

const busy = (budget: BodyBudget) =>
  new GatewayError(
    503,
    `litellm.ServiceUnavailableError: this instance is already receiving ${mb(budget.inUse)} MB of request bodies, its limit (general_settings.max_request_body_in_flight_mb = ${mb(budget.capacity)}); retry shortly`,
    { type: "service_unavailable", kind: "ServiceUnavailableError", headers: { "retry-after": "1" } },
  );

const tooSlow = (ms: number) =>
  new GatewayError(408, `Request body not received within ${ms / 1000} s (general_settings.request_body_timeout_seconds); the connection is closed`, {
    type: "invalid_request_error",
    kind: "Timeout",
    headers: { connection: "close" },
  });

/**
 * The one way request bodies are read: bounded in size, in time and in bytes held at once across
 * the instance. Errors are GatewayErrors (413, 408, 503) the route renders in its client's protocol.
 */
export async function readBodyBytes(req: Request, limits: BodyLimits): Promise<Uint8Array<ArrayBuffer>> {
  const header = req.headers.get("content-length");
  const declared = header === null ? undefined : Number(header);
  if (declared !== undefined && declared > limits.maxBytes) throw tooLarge(declared, limits.maxBytes);
  if (!req.body || declared === 0) return new Uint8Array(0);
  const budget = limits.budget;
  let reserved = 0;
  if (budget && declared !== undefined) {
    if (!budget.take(declared)) throw busy(budget);
    reserved = declared;
  }
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired =
    limits.timeoutMs > 0
      ? new Promise<"expired">((resolve) => {
          timer = setTimeout(() => resolve("expired"), limits.timeoutMs);
        })
      : undefined;
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  try {
    for (;;) {
      const next = expired ? await Promise.race([reader.read(), expired]) : await reader.read();
      if (next === "expired") {
        reader.cancel().catch(() => {});
        throw tooSlow(limits.timeoutMs);
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limits.maxBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge(undefined, limits.maxBytes);
      }
      if (budget && size > reserved) {
        if (!budget.take(size - reserved)) {
          reader.cancel().catch(() => {});
          throw busy(budget);
        }
        reserved = size;
      }
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
    budget?.give(reserved);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const decoder = new TextDecoder();

export async function readBodyText(req: Request, limits: BodyLimits): Promise<string> {
  return decoder.decode(await readBodyBytes(req, limits));
}
