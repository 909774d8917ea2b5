/**
 * A fake OpenTelemetry collector: OTLP/HTTP on `/v1/traces` (protobuf or JSON, optionally gzip)
 * and OTLP/gRPC (`TraceService/Export` over h2c). Protobuf requests are decoded here by a small
 * hand-written reader of opentelemetry-proto's trace messages, independent of the gateway's encoder.
 */
import { createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import { gunzipSync } from "node:zlib";
import { startRecorder, type Received, type Recorder } from "./http-recorder.ts";

export type Attr = string | number | boolean | Attr[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  flags: number;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, Attr>;
  events: Array<{ name: string; timeNs: bigint; attributes: Record<string, Attr> }>;
  status: { code: number; message: string };
  resource: Record<string, Attr>;
  scope: { name: string; version: string };
  /** "protobuf", "json" or "grpc" */
  via: string;
  headers: Record<string, string>;
}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  get done() {
    return this.pos >= this.b.length;
  }
  varint(): bigint {
    let shift = 0n;
    let out = 0n;
    for (;;) {
      const byte = this.b[this.pos++]!;
      out |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return out;
      shift += 7n;
    }
  }
  field(): { no: number; wire: number } {
    const t = Number(this.varint());
    return { no: t >> 3, wire: t & 7 };
  }
  bytes(): Uint8Array {
    const n = Number(this.varint());
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  fixed64(): bigint {
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }
  double(): number {
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }
  fixed32(): number {
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getUint32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unknown wire type ${wire}`);
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function each(b: Uint8Array, on: (no: number, wire: number, r: Reader) => boolean): void {
  const r = new Reader(b);
  while (!r.done) {
    const { no, wire } = r.field();
    if (!on(no, wire, r)) r.skip(wire);
  }
}

function anyValue(b: Uint8Array): Attr {
  let v: Attr = null;
  each(b, (no, _w, r) => {
    if (no === 1) v = text(r.bytes());
    else if (no === 2) v = r.varint() !== 0n;
    else if (no === 3) v = Number(BigInt.asIntN(64, r.varint()));
    else if (no === 4) v = r.double();
    else if (no === 5) {
      const values: Attr[] = [];
      each(r.bytes(), (n, _w2, rr) => (n === 1 ? (values.push(anyValue(rr.bytes())), true) : false));
      v = values;
    } else return false;
    return true;
  });
  return v;
}

function keyValue(b: Uint8Array, into: Record<string, Attr>): void {
  let key = "";
  let value: Attr = null;
  each(b, (no, _w, r) => {
    if (no === 1) key = text(r.bytes());
    else if (no === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  into[key] = value;
}

function decodeSpan(b: Uint8Array, resource: Record<string, Attr>, scope: ReceivedSpan["scope"], via: string, headers: Record<string, string>): ReceivedSpan {
  const s: ReceivedSpan = {
    traceId: "", spanId: "", parentSpanId: "", flags: 0, name: "", kind: 0, startNs: 0n, endNs: 0n,
    attributes: {}, events: [], status: { code: 0, message: "" }, resource, scope, via, headers,
  };
  each(b, (no, _w, r) => {
    switch (no) {
      case 1: s.traceId = hex(r.bytes()); break;
      case 2: s.spanId = hex(r.bytes()); break;
      case 4: s.parentSpanId = hex(r.bytes()); break;
      case 5: s.name = text(r.bytes()); break;
      case 6: s.kind = Number(r.varint()); break;
      case 7: s.startNs = r.fixed64(); break;
      case 8: s.endNs = r.fixed64(); break;
      case 9: keyValue(r.bytes(), s.attributes); break;
      case 11: {
        const e = { name: "", timeNs: 0n, attributes: {} as Record<string, Attr> };
        each(r.bytes(), (n, _w2, rr) => {
          if (n === 1) e.timeNs = rr.fixed64();
          else if (n === 2) e.name = text(rr.bytes());
          else if (n === 3) keyValue(rr.bytes(), e.attributes);
          else return false;
          return true;
        });
        s.events.push(e);
        break;
      }
      case 15:
        each(r.bytes(), (n, _w2, rr) => {
          if (n === 2) s.status.message = text(rr.bytes());
          else if (n === 3) s.status.code = Number(rr.varint());
          else return false;
          return true;
        });
        break;
      case 16: s.flags = r.fixed32(); break;
      default: return false;
    }
    return true;
  });
  return s;
}

/** Decodes an `ExportTraceServiceRequest` (protobuf). */
export function decodeTraceRequest(b: Uint8Array, via = "protobuf", headers: Record<string, string> = {}): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  each(b, (no, _w, r) => {
    if (no !== 1) return false;
    const resource: Record<string, Attr> = {};
    const scopeSpans: Uint8Array[] = [];
    each(r.bytes(), (n, _w2, rr) => {
      if (n === 1) each(rr.bytes(), (k, _w3, r3) => (k === 1 ? (keyValue(r3.bytes(), resource), true) : false));
      else if (n === 2) scopeSpans.push(rr.bytes());
      else return false;
      return true;
    });
    for (const ss of scopeSpans) {
      const scope = { name: "", version: "" };
      const spans: Uint8Array[] = [];
      each(ss, (n, _w2, rr) => {
        if (n === 1) {
          each(rr.bytes(), (k, _w3, r3) => {
            if (k === 1) scope.name = text(r3.bytes());
            else if (k === 2) scope.version = text(r3.bytes());
            else return false;
            return true;
          });
        } else if (n === 2) spans.push(rr.bytes());
        else return false;
        return true;
      });
      for (const sp of spans) out.push(decodeSpan(sp, resource, scope, via, headers));
    }
    return true;
  });
  return out;
}

type J = Record<string, unknown>;
function jsonValue(v: J): Attr {
  if ("stringValue" in v) return v.stringValue as string;
  if ("boolValue" in v) return v.boolValue as boolean;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue as number;
  if ("arrayValue" in v) return ((v.arrayValue as J).values as J[]).map(jsonValue);
  return null;
}
const jsonAttrs = (a: unknown) => Object.fromEntries(((a as J[]) ?? []).map((kv) => [kv.key as string, jsonValue(kv.value as J)]));

/** Decodes the OTLP/HTTP JSON form into the same shape. */
export function decodeTraceRequestJson(body: J, headers: Record<string, string>): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of (body.resourceSpans as J[]) ?? []) {
    const resource = jsonAttrs((rs.resource as J | undefined)?.attributes);
    for (const ss of (rs.scopeSpans as J[]) ?? []) {
      const sc = (ss.scope as J) ?? {};
      for (const s of (ss.spans as J[]) ?? []) {
        out.push({
          traceId: s.traceId as string,
          spanId: s.spanId as string,
          parentSpanId: (s.parentSpanId as string) ?? "",
          flags: Number(s.flags ?? 0),
          name: s.name as string,
          kind: Number(s.kind),
          startNs: BigInt(s.startTimeUnixNano as string),
          endNs: BigInt(s.endTimeUnixNano as string),
          attributes: jsonAttrs(s.attributes),
          events: ((s.events as J[]) ?? []).map((e) => ({ name: e.name as string, timeNs: BigInt(e.timeUnixNano as string), attributes: jsonAttrs(e.attributes) })),
          status: { code: Number((s.status as J)?.code ?? 0), message: ((s.status as J)?.message as string) ?? "" },
          resource,
          scope: { name: sc.name as string, version: sc.version as string },
          via: "json",
          headers,
        });
      }
    }
  }
  return out;
}

export interface FakeCollector {
  url: string;
  spans: ReceivedSpan[];
  http: Recorder;
  waitForSpans(pick: (spans: ReceivedSpan[]) => ReceivedSpan[], timeoutMs?: number): Promise<ReceivedSpan[]>;
  stop(): Promise<void>;
}

/** OTLP/HTTP: answers `ExportTraceServiceResponse` (empty) to POST /v1/traces. */
export async function startFakeCollector(): Promise<FakeCollector> {
  const spans: ReceivedSpan[] = [];
  const http = await startRecorder((r: Received) => {
    if (r.path !== "/v1/traces") return new Response("not found", { status: 404 });
    const ct = r.headers["content-type"] ?? "";
    if (ct.includes("json")) {
      spans.push(...decodeTraceRequestJson(JSON.parse(r.text) as J, r.headers));
      return Response.json({});
    }
    spans.push(...decodeTraceRequest(r.body, "protobuf", r.headers));
    return new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
  });
  return {
    url: http.url,
    spans,
    http,
    waitForSpans: (pick, timeoutMs = 10_000) => http.waitFor(() => pick(spans), timeoutMs, "spans"),
    stop: () => http.stop(),
  };
}

/** OTLP/gRPC over h2c: decodes each framed `Export` request; answers grpc-status 0. */
export async function startFakeGrpcCollector(): Promise<FakeCollector & { server: Http2Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer();
  server.on("stream", (stream: ServerHttp2Stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const all = Buffer.concat(chunks);
      const compressed = all[0] === 1;
      const len = all.readUInt32BE(1);
      let msg: Uint8Array = all.subarray(5, 5 + len);
      if (compressed) msg = gunzipSync(msg);
      const h = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(":")).map(([k, v]) => [k, String(v)]));
      if (headers[":path"] === "/opentelemetry.proto.collector.trace.v1.TraceService/Export") spans.push(...decodeTraceRequest(msg, "grpc", h));
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const wait = async (pick: (s: ReceivedSpan[]) => ReceivedSpan[], timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = pick(spans);
      if (got.length) return got;
      if (Date.now() > deadline) throw new Error(`timed out waiting for grpc spans (${spans.length} received)`);
      await Bun.sleep(25);
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    server,
    http: undefined as unknown as Recorder,
    waitForSpans: wait,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
