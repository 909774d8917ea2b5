import type { AttrValue, SpanData, SpanEvent, TraceBatchInfo } from "./span.ts";

/**
 * The protobuf encoding of OTLP's `ExportTraceServiceRequest` (opentelemetry-proto, trace/v1),
 * written by hand: only the fields the gateway sets. Nested messages are encoded into their own
 * buffer first, then written length-prefixed.
 */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;
  private readonly view = () => new DataView(this.buf.buffer, this.buf.byteOffset);

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number): void {
    this.room(10);
    while (v > 0x7f) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(field: number, s: string): void {
    if (s) this.bytes(field, encoder.encode(s));
  }

  message(field: number, w: Writer): void {
    this.bytes(field, w.finish());
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
      this.buf[this.len++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.len++] = Number(n);
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.room(8);
    this.view().setFloat64(this.len, v, true);
    this.len += 8;
  }

  fixed64(field: number, v: bigint): void {
    this.tag(field, 1);
    this.room(8);
    this.view().setBigUint64(this.len, v, true);
    this.len += 8;
  }

  fixed32(field: number, v: number): void {
    this.tag(field, 5);
    this.room(4);
    this.view().setUint32(this.len, v, true);
    this.len += 4;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

const encoder = new TextEncoder();

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const nanos = (ms: number) => BigInt(Math.round(ms * 1000)) * 1000n;

function anyValue(v: AttrValue): Writer {
  const w = new Writer();
  if (typeof v === "string") w.string(1, v);
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
  return req.finish();
}
