import { crc32 } from "node:zlib";

/**
 * Encoder of the AWS event-stream framing for the fake Bedrock (string headers only, which is all
 * Bedrock's runtime streams use). Written apart from the gateway's decoder so each checks the other.
 */
export function encodeEventMessage(headers: Record<string, string>, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const parts: number[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = enc.encode(name);
    const v = enc.encode(value);
    parts.push(n.length, ...n, 7, (v.length >> 8) & 0xff, v.length & 0xff, ...v);
  }
  const h = Uint8Array.from(parts);
  const total = 12 + h.length + payload.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, h.length);
  view.setUint32(8, crc32(out.subarray(0, 8)) >>> 0);
  out.set(h, 12);
  out.set(payload, 12 + h.length);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)) >>> 0);
  return out;
}

/** A Bedrock stream `event` frame with a JSON payload. */
export function eventFrame(eventType: string, payload: unknown): Uint8Array<ArrayBuffer> {
  const body = new TextEncoder().encode(JSON.stringify(payload));
  return encodeEventMessage({ ":event-type": eventType, ":content-type": "application/json", ":message-type": "event" }, body);
}

/** A Bedrock stream `exception` frame. */
export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify({ message }));
  return encodeEventMessage({ ":exception-type": exceptionType, ":content-type": "application/json", ":message-type": "exception" }, body);
}
