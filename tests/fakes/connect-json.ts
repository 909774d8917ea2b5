/**
 * Connect protocol with the JSON codec, server side, as much as envd's clients use: unary calls
 * (plain JSON bodies) and server-streaming calls (enveloped JSON messages ending with an
 * end-stream envelope). https://connectrpc.com/docs/protocol
 */

export type ConnectCode =
  | "canceled"
  | "unknown"
  | "invalid_argument"
  | "deadline_exceeded"
  | "not_found"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "unavailable"
  | "unimplemented"
  | "internal";

const HTTP_STATUS: Record<ConnectCode, number> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  unavailable: 503,
  unimplemented: 404,
  internal: 500,
};

const FLAG_END_STREAM = 0x02;
const enc = new TextEncoder();

export function envelope(message: unknown, flags = 0): Uint8Array<ArrayBuffer> {
  const json = enc.encode(JSON.stringify(message));
  const out = new Uint8Array(5 + json.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, json.length);
  out.set(json, 5);
  return out;
}

export const endStream = (error?: { code: ConnectCode; message: string }) => envelope(error ? { error } : {}, FLAG_END_STREAM);

/** The first message of an enveloped request body (server-streaming requests carry exactly one). */
export function firstEnvelope<T>(body: Uint8Array): T {
  if (body.length < 5) throw new Error("short Connect envelope");
  const len = new DataView(body.buffer, body.byteOffset).getUint32(1);
  return JSON.parse(new TextDecoder().decode(body.subarray(5, 5 + len))) as T;
}

export const unaryError = (code: ConnectCode, message: string) => Response.json({ code, message }, { status: HTTP_STATUS[code] });

export const isStreamingRequest = (req: Request) => (req.headers.get("content-type") ?? "").startsWith("application/connect+json");

export const STREAM_HEADERS = { "content-type": "application/connect+json" };
