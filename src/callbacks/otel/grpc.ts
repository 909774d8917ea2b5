import { connect, type ClientHttp2Session } from "node:http2";
import { SendError } from "../queue.ts";

const EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
/** gRPC status codes worth another try (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, ...). */
const RETRYABLE = new Set([1, 4, 8, 10, 11, 14, 15]);

const sessions = new Map<string, ClientHttp2Session>();

function session(origin: string): ClientHttp2Session {
  const cur = sessions.get(origin);
  if (cur && !cur.closed && !cur.destroyed) return cur;
  const s = connect(origin);
  s.on("error", () => s.destroy());
  s.on("close", () => sessions.get(origin) === s && sessions.delete(origin));
  s.unref();
  sessions.set(origin, s);
  return s;
}

/**
 * OTLP/gRPC `TraceService/Export` over HTTP/2 (`http://` endpoints as h2c, `https://` with TLS): the
 * protobuf request in one gRPC length-prefixed frame; success is `grpc-status: 0`.
 */
export function exportGrpc(endpoint: string, body: Uint8Array, headers: Record<string, string>, gzip: boolean, timeoutMs: number): Promise<void> {
  const url = new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`);
  const payload = gzip ? Bun.gzipSync(body as Uint8Array<ArrayBuffer>) : body;
  const frame = new Uint8Array(5 + payload.length);
  frame[0] = gzip ? 1 : 0;
  new DataView(frame.buffer).setUint32(1, payload.length);
  frame.set(payload, 5);
  return new Promise<void>((resolve, reject) => {
    let s: ClientHttp2Session;
    try {
      s = session(url.origin);
    } catch (e) {
      return reject(new SendError(`otlp grpc ${url.host}: ${(e as Error).message}`, true));
    }
    const req = s.request({
      ":method": "POST",
      ":path": EXPORT_PATH,
      "content-type": "application/grpc",
      te: "trailers",
      ...(gzip ? { "grpc-encoding": "gzip" } : {}),
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    });
    let status: string | undefined;
    let message = "";
    const settle = (e?: SendError) => (e ? reject(e) : resolve());
    req.setTimeout(timeoutMs, () => {
      req.close();
      settle(new SendError(`otlp grpc ${url.host}: no answer in ${timeoutMs} ms`, true));
    });
    const take = (h: Record<string, unknown>) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
    };
    req.on("response", (h) => {
      const http = Number(h[":status"]);
      if (http !== 200) settle(new SendError(`otlp grpc ${url.host} answered HTTP ${http}`, http >= 500));
      take(h as Record<string, unknown>);
    });
    req.on("trailers", (h) => take(h as Record<string, unknown>));
    req.on("data", () => {});
    req.on("error", (e) => settle(new SendError(`otlp grpc ${url.host}: ${e.message}`, true)));
    req.on("end", () => {
      if (status === "0") return settle();
      const code = Number(status ?? 2);
      settle(new SendError(`otlp grpc ${url.host}: grpc-status ${status ?? "missing"} ${message}`.trim(), RETRYABLE.has(code)));
    });
    req.end(frame);
  });
}
