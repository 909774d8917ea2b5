/**
 * Decoder of the AWS event-stream binary framing (`application/vnd.amazon.eventstream`):
 * total length (4) | headers length (4) | prelude CRC32 (4) | headers | payload | message CRC32 (4).
 * Integers are big-endian; both CRCs are checked.
 */
export type HeaderValue = string | number | bigint | boolean | Uint8Array;

export interface EventMessage {
  headers: Record<string, HeaderValue>;
  payload: Uint8Array;
}

export class EventStreamError extends Error {}

const PRELUDE = 12;
const MAX_MESSAGE = 24 * 1024 * 1024;
const crc32 = (b: Uint8Array) => Bun.hash.crc32(b) >>> 0;

function readHeaders(b: Uint8Array): Record<string, HeaderValue> {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dec = new TextDecoder();
  const out: Record<string, HeaderValue> = {};
  let i = 0;
  while (i < b.length) {
    const nameLen = b[i]!;
    const name = dec.decode(b.subarray(i + 1, i + 1 + nameLen));
    i += 1 + nameLen;
    const type = b[i++];
    switch (type) {
      case 0: out[name] = true; break;
      case 1: out[name] = false; break;
      case 2: out[name] = view.getInt8(i); i += 1; break;
      case 3: out[name] = view.getInt16(i); i += 2; break;
      case 4: out[name] = view.getInt32(i); i += 4; break;
      case 5: out[name] = view.getBigInt64(i); i += 8; break;
      case 6:
      case 7: {
        const len = view.getUint16(i);
        const val = b.subarray(i + 2, i + 2 + len);
        out[name] = type === 7 ? dec.decode(val) : val.slice();
        i += 2 + len;
        break;
      }
      case 8: out[name] = Number(view.getBigInt64(i)); i += 8; break;
      case 9: out[name] = b.slice(i, i + 16); i += 16; break;
      default: throw new EventStreamError(`unknown header type ${type}`);
    }
  }
  return out;
}

/** Decodes one whole message (its bytes exactly). */
export function decodeMessage(m: Uint8Array): EventMessage {
  const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
  const total = view.getUint32(0);
  const headersLen = view.getUint32(4);
  if (total !== m.length || headersLen + PRELUDE + 4 > total) throw new EventStreamError("bad message lengths");
  if (crc32(m.subarray(0, 8)) !== view.getUint32(8)) throw new EventStreamError("prelude CRC mismatch");
  if (crc32(m.subarray(0, total - 4)) !== view.getUint32(total - 4)) throw new EventStreamError("message CRC mismatch");
  return {
    headers: readHeaders(m.subarray(PRELUDE, PRELUDE + headersLen)),
    payload: m.slice(PRELUDE + headersLen, total - 4),
  };
}

/** Incremental decoder: feed any byte chunks, get whole messages. */
export class EventStreamDecoder {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): EventMessage[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const out: EventMessage[] = [];
    let at = 0;
    while (joined.length - at >= PRELUDE) {
      const total = new DataView(joined.buffer, at, 4).getUint32(0);
      if (total < PRELUDE + 4 || total > MAX_MESSAGE) throw new EventStreamError(`bad message length ${total}`);
      if (joined.length - at < total) break;
      out.push(decodeMessage(joined.subarray(at, at + total)));
      at += total;
    }
    this.buf = joined.slice(at);
    return out;
  }

  /** True when bytes of an unfinished message remain. */
  get pending(): boolean {
    return this.buf.length > 0;
  }
}
