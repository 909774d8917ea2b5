import { GatewayError } from "../errors.ts";
import type { BodyBudget, BodyLimits } from "../limits/body-budget.ts";

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

const tooLarge = (len: number | undefined, limits: BodyLimits) =>
  new GatewayError(413, `Request body too large: ${len === undefined ? "" : `${len} bytes, `}the limit is ${limits.maxBytes} bytes (${limits.limitName ?? "general_settings.max_request_size_mb"})`, {
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

/** `read` bounded by the body timeout; a read left behind fails once the connection closes, unobserved. */
function inTime<T>(read: Promise<T>, timeoutMs: number, leftMs = timeoutMs): Promise<T> {
  if (timeoutMs <= 0) return read;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(tooSlow(timeoutMs)), Math.max(1, leftMs));
    read.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * A body with a `Content-Length` is read whole by Bun's native reader (the fast path) after its
 * length is checked and reserved; a chunked one is read chunk by chunk, checked and reserved as it
 * arrives.
 */
async function readBody<T>(req: Request, limits: BodyLimits, whole: (r: Request) => Promise<T>, fromBytes: (b: Uint8Array<ArrayBuffer>) => T): Promise<T> {
  const header = req.headers.get("content-length");
  const declared = header === null ? Number.NaN : Number(header);
  if (!Number.isSafeInteger(declared) || declared < 0) return fromBytes(await readChunks(req, limits));
  if (declared > limits.maxBytes) throw tooLarge(declared, limits);
  const budget = limits.budget;
  if (budget && !budget.take(declared)) throw busy(budget);
  try {
    return await inTime(whole(req), limits.timeoutMs);
  } finally {
    budget?.give(declared);
  }
}

async function readChunks(req: Request, limits: BodyLimits): Promise<Uint8Array<ArrayBuffer>> {
  if (!req.body) return new Uint8Array(0);
  const budget = limits.budget;
  let reserved = 0;
  const reader = req.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  const deadline = Date.now() + limits.timeoutMs;
  try {
    for (;;) {
      const next = await inTime(reader.read(), limits.timeoutMs, deadline - Date.now());
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limits.maxBytes) throw tooLarge(undefined, limits);
      if (budget && size > reserved) {
        if (!budget.take(size - reserved)) throw busy(budget);
        reserved = size;
      }
      chunks.push(next.value);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  } finally {
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

/**
 * The one way request bodies are read: bounded in size, in time and in bytes held at once across
 * the instance. Errors are GatewayErrors (413, 408, 503) the route renders in its client's protocol.
 */
export function readBodyBytes(req: Request, limits: BodyLimits): Promise<Uint8Array<ArrayBuffer>> {
  return readBody(req, limits, async (r) => new Uint8Array(await r.arrayBuffer()), (b) => b);
}

export function readBodyText(req: Request, limits: BodyLimits): Promise<string> {
  return readBody(req, limits, (r) => r.text(), (b) => decoder.decode(b));
}

/** A body already read (through `readBodyBytes`) parsed as the form its `content-type` says. */
export function formOf(bytes: Uint8Array<ArrayBuffer>, contentType: string | undefined): Promise<FormData> {
  return new Response(bytes, { headers: { "content-type": contentType ?? "" } }).formData();
}

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;

/**
 * A small form's text fields (a login page), read through the same bounds with a size of its own.
 * A body of another type is not read and gives no fields; one that does not parse gives none either.
 */
export async function readSmallForm(req: Request, limits: BodyLimits, maxBytes: number, limitName: string): Promise<Record<string, string>> {
  const type = req.headers.get("content-type") ?? "";
  if (!FORM_TYPES.test(type)) return {};
  const bytes = await readBodyBytes(req, { ...limits, maxBytes: Math.min(maxBytes, limits.maxBytes), limitName });
  const form = await formOf(bytes, type).catch(() => undefined);
  const out: Record<string, string> = {};
  for (const [k, v] of form ?? []) if (typeof v === "string") out[k] = v;
  return out;
}
