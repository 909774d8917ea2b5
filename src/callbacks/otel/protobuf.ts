import { writeParts, type BodyParts } from "../body.ts";
import { JsonText } from "../json-text.ts";
import type { AttrValue, SpanData, SpanEvent, TraceBatchInfo } from "./span.ts";

/**
 * The protobuf encoding of OTLP's `ExportTraceServiceRequest` (opentelemetry-proto, trace/v1),
 * written by hand: only the fields the gateway sets. Small fields go into a scratch buffer; large
 * byte strings, nested messages and a JsonText's fragments (as strings) are kept as parts and
 * written once, into the request's body (`body`) or one array (`finish`), so a long attribute (a
 * prompt) is copied once however deep it sits.
 */
class Writer {
  private readonly parts: Array<Uint8Array | string> = [];
  private buf = new Uint8Array(128);
  private pos = 0;
  /** Bytes written so far. */
  length = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.seal();
    this.buf = new Uint8Array(Math.max(128, n));
  }

  /** Moves the scratch bytes into the parts. */
  private seal(): void {
    if (!this.pos) return;
    this.parts.push(this.buf.subarray(0, this.pos));
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
  }

  private view(n: number): DataView {
    this.room(n);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    this.length += n;
    return v;
  }

  varint(v: number): void {
    this.room(10);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      this.length++;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    this.length++;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.append(b);
  }

  /** A JsonText as a string field: its fragments stay strings, encoded only where the request's bytes are written. */
  text(field: number, t: JsonText): void {
    if (!t.length) return;
    this.tag(field, 2);
    this.varint(t.byteLength);
    for (const p of t.pieces) {
      if (typeof p === "string") this.append(encoder.encode(p));
      else {
        this.seal();
        this.parts.push(p.json);
        this.length += p.byteLength;
      }
    }
  }

  private append(b: Uint8Array): void {
    if (b.length > 64) {
      this.seal();
      this.parts.push(b);
    } else {
      this.room(b.length);
      this.buf.set(b, this.pos);
      this.pos += b.length;
    }
    this.length += b.length;
  }

  string(field: number, s: string): void {
    if (s) this.bytes(field, encoder.encode(s));
  }

  message(field: number, w: Writer): void {
    this.tag(field, 2);
    this.varint(w.length);
    this.seal();
    w.seal();
    this.parts.push(...w.parts);
    this.length += w.length;
  }

  uint(field: number, v: number): void {
    if (!v) return;
    this.tag(field, 0);
    this.varint(v);
  }

  bool(field: number, v: boolean): void {
    this.tag(field, 0);
    this.varint(v ? 1 : 0);
  }

  /** int64 as a varint (two's complement for negatives, ten bytes). */
  int64(field: number, v: number): void {
    this.tag(field, 0);
    if (v >= 0) return this.varint(v);
    let n = BigInt.asUintN(64, BigInt(v));
    this.room(10);
    while (n > 0x7fn) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      this.length++;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
    this.length++;
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.view(8).setFloat64(0, v, true);
  }

  fixed64(field: number, v: bigint): void {
    this.tag(field, 1);
    this.view(8).setBigUint64(0, v, true);
  }

  fixed32(field: number, v: number): void {
    this.tag(field, 5);
    this.view(4).setUint32(0, v, true);
  }

  /** The parts as a request body (see `bodyBytes`). */
  body(): BodyParts {
    this.seal();
    return { parts: this.parts };
  }

  finish(): Uint8Array {
    this.seal();
    const out = Buffer.allocUnsafe(this.length);
    writeParts(out, this.parts);
    return out;
  }
}

const encoder = new TextEncoder();

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const nanos = (ms: number) => BigInt(Math.round(ms * 1000)) * 1000n;

function anyValue(v: AttrValue): Writer {
  const w = new Writer();
  if (typeof v === "string") w.string(1, v);
  else if (v instanceof JsonText) w.text(1, v);
  else if (typeof v === "boolean") w.bool(2, v);
  else if (typeof v === "number") {
    if (Number.isSafeInteger(v)) w.int64(3, v);
    else w.double(4, v);
  } else {
    const arr = new Writer();
    for (const s of v) arr.message(1, anyValue(s));
    w.message(5, arr);
  }
  return w;
}

function keyValue(key: string, v: AttrValue): Writer {
  const w = new Writer();
  w.string(1, key);
  w.message(2, anyValue(v));
  return w;
}

function event(e: SpanEvent): Writer {
  const w = new Writer();
  w.fixed64(1, nanos(e.timeMs));
  w.string(2, e.name);
  for (const [k, v] of e.attributes) w.message(3, keyValue(k, v));
  return w;
}

function span(s: SpanData): Writer {
  const w = new Writer();
  w.bytes(1, hexBytes(s.traceId));
  w.bytes(2, hexBytes(s.spanId));
  if (s.parentSpanId) w.bytes(4, hexBytes(s.parentSpanId));
  w.string(5, s.name);
  w.uint(6, s.kind);
  w.fixed64(7, nanos(s.startMs));
  w.fixed64(8, nanos(s.endMs));
  for (const [k, v] of s.attributes) w.message(9, keyValue(k, v));
  for (const e of s.events) w.message(11, event(e));
  const status = new Writer();
  status.string(2, s.status.message ?? "");
  status.uint(3, s.status.code);
  w.message(15, status);
  w.fixed32(16, s.flags & 0xff);
  return w;
}

/** `ExportTraceServiceRequest` bytes for one batch of spans from one resource and scope. */
export function encodeTraceRequest(spans: SpanData[], info: TraceBatchInfo): Uint8Array {
  return traceRequest(spans, info).finish();
}

/** The same request as a request body's parts. */
export function encodeTraceRequestBody(spans: SpanData[], info: TraceBatchInfo): BodyParts {
  return traceRequest(spans, info).body();
}

function traceRequest(spans: SpanData[], info: TraceBatchInfo): Writer {
  const resource = new Writer();
  for (const [k, v] of info.resource) resource.message(1, keyValue(k, v));
  const scope = new Writer();
  scope.string(1, info.scopeName);
  scope.string(2, info.scopeVersion);
  const scopeSpans = new Writer();
  scopeSpans.message(1, scope);
  for (const s of spans) scopeSpans.message(2, span(s));
  const resourceSpans = new Writer();
  resourceSpans.message(1, resource);
  resourceSpans.message(2, scopeSpans);
  const req = new Writer();
  req.message(1, resourceSpans);
  return req;
}
