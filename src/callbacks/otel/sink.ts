import type { Logger } from "../../log.ts";
import { VERSION } from "../../version.ts";
import { pendingSize, QueuedSink, type Pending } from "../hub.ts";
import { deliver } from "../http.ts";
import type { LoggedCall } from "../logged-call.ts";
import { BatchQueue, type QueueStats } from "../queue.ts";
import { envCount, envNumber, type EventFilter } from "../settings.ts";
import { exportGrpc } from "./grpc.ts";
import { encodeTraceRequestJson } from "./json.ts";
import { encodeTraceRequest, encodeTraceRequestBody } from "./protobuf.ts";
import type { AttrValue, SpanData, TraceBatchInfo } from "./span.ts";
import { spansOf } from "./spans.ts";

type Env = Readonly<Record<string, string | undefined>>;
export type OtelProtocol = "console" | "http/protobuf" | "http/json" | "grpc";

export interface OtelOptions {
  protocol: OtelProtocol;
  endpoint?: string;
  headers: Record<string, string>;
  gzip: boolean;
  info: TraceBatchInfo;
  attributeLimit: number;
  /** Prompt and answer as span attributes (off with `turn_off_message_logging` or `OTEL_LOG_MESSAGES=false`). */
  withContent: boolean;
  delayMs: number;
  batchSize: number;
  maxQueue: number;
  timeoutMs: number;
}

/** `k=v,k2=v2` (OTEL_HEADERS, OTEL_RESOURCE_ATTRIBUTES), values percent-decoded as the OTel spec says. */
export function keyValues(v: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (v ?? "").split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    let val = part.slice(eq + 1).trim();
    try {
      val = decodeURIComponent(val);
    } catch {
      /* keep it raw */
    }
    out[part.slice(0, eq).trim()] = val;
  }
  return out;
}

/** LiteLLM's `_normalize_otel_endpoint`: the URL ends in `/v1/traces`. */
export function tracesEndpoint(endpoint: string): string {
  let e = endpoint.replace(/\/+$/, "");
  if (e.endsWith("/v1/traces")) return e;
  for (const other of ["/v1/metrics", "/v1/logs"]) if (e.endsWith(other)) return e.slice(0, -other.length) + "/v1/traces";
  e += e.endsWith("/v1") ? "/traces" : "/v1/traces";
  return e;
}

function protocolOf(v: string | undefined, endpoint: string | undefined): OtelProtocol | undefined {
  switch ((v ?? "console").toLowerCase()) {
    case "console":
      return endpoint ? "http/protobuf" : "console";
    case "otlp_http":
    case "http/protobuf":
      return "http/protobuf";
    case "http/json":
      return "http/json";
    case "otlp_grpc":
    case "grpc":
      return "grpc";
    default:
      return undefined;
  }
}

/**
 * LiteLLM's `OpenTelemetryConfig.from_env`: `OTEL_EXPORTER_OTLP_PROTOCOL` or `OTEL_EXPORTER`
 * (console, otlp_http, http/protobuf, http/json, otlp_grpc, grpc), `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS` or `OTEL_HEADERS`, `OTEL_SERVICE_NAME`,
 * `OTEL_ENVIRONMENT_NAME`, `OTEL_MODEL_ID`, `OTEL_TRACER_NAME`; the SDK's batch processor settings
 * (`OTEL_BSP_*`), `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` and
 * `OTEL_EXPORTER_OTLP_COMPRESSION`.
 */
export function otelOptions(env: Env, contentOff: boolean): OtelOptions | string {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_ENDPOINT || undefined;
  const asked = env.OTEL_EXPORTER_OTLP_PROTOCOL || env.OTEL_EXPORTER;
  const protocol = protocolOf(asked, endpoint);
  if (!protocol) return `otel: unknown exporter ${asked} (console, otlp_http, http/protobuf, http/json, otlp_grpc, grpc)`;
  if (protocol !== "console" && !endpoint) return `otel: ${asked} needs OTEL_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT`;
  const service = env.OTEL_SERVICE_NAME || "litellm";
  const resource: Record<string, string> = {
    "service.name": service,
    "deployment.environment": env.OTEL_ENVIRONMENT_NAME || "production",
    model_id: env.OTEL_MODEL_ID || service,
    "telemetry.sdk.name": "litellm-rust",
    "telemetry.sdk.language": "typescript",
    "telemetry.sdk.version": VERSION,
    ...keyValues(env.OTEL_RESOURCE_ATTRIBUTES),
  };
  return {
    protocol,
    endpoint: endpoint && (protocol === "grpc" ? endpoint : tracesEndpoint(endpoint)),
    headers: keyValues(env.OTEL_EXPORTER_OTLP_HEADERS || env.OTEL_HEADERS),
    gzip: (env.OTEL_EXPORTER_OTLP_COMPRESSION ?? "").toLowerCase() === "gzip",
    info: { resource: Object.entries(resource) as Array<[string, AttrValue]>, scopeName: env.OTEL_TRACER_NAME || "litellm", scopeVersion: VERSION },
    attributeLimit: envCount(env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, Number.MAX_SAFE_INTEGER),
    withContent: !contentOff && !/^false$/i.test(env.OTEL_LOG_MESSAGES ?? ""),
    delayMs: envNumber(env.OTEL_BSP_SCHEDULE_DELAY, 5000),
    batchSize: envCount(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512),
    maxQueue: envCount(env.OTEL_BSP_MAX_QUEUE_SIZE, 2048),
    timeoutMs: envNumber(env.OTEL_BSP_EXPORT_TIMEOUT, 30_000),
  };
}

/** Spans of every call, exported in batches as the OTel SDK's BatchSpanProcessor does. */
export class OtelSink extends QueuedSink<SpanData[]> {
  readonly name = "otel";
  override readonly logsContent: boolean;
  protected readonly queue: BatchQueue<Pending<SpanData[]>>;

  constructor(
    readonly filter: EventFilter,
    private readonly o: OtelOptions,
    stats: QueueStats,
    log: Logger,
  ) {
    super();
    this.logsContent = o.withContent;
    // The SDK's limits count spans; a call has three or more.
    this.queue = new BatchQueue<Pending<SpanData[]>>({
      name: "otel",
      batchSize: Math.max(1, Math.floor(o.batchSize / 3)),
      flushMs: o.delayMs,
      maxItems: Math.max(1, Math.floor(o.maxQueue / 3)),
      sizeOf: pendingSize,
      send: (batch) => this.export(batch.flatMap((p) => this.out(p))),
      stats,
      log,
    });
  }

  protected build(call: LoggedCall): SpanData[] {
    return spansOf(call, { attributeLimit: this.o.attributeLimit, withContent: this.o.withContent });
  }

  private async export(spans: SpanData[]): Promise<void> {
    const o = this.o;
    if (o.protocol === "console") {
      for (const s of spans) process.stdout.write(`${JSON.stringify(s)}\n`);
      return;
    }
    const proto = o.protocol !== "http/json";
    const headers: Record<string, string> = { ...o.headers, "content-type": proto ? "application/x-protobuf" : "application/json" };
    if (o.protocol === "http/protobuf" && !o.gzip) {
      await deliver(o.endpoint!, { headers, body: encodeTraceRequestBody(spans, o.info) }, o.timeoutMs);
      return;
    }
    const bytes: Uint8Array<ArrayBuffer> = proto ? (encodeTraceRequest(spans, o.info) as Uint8Array<ArrayBuffer>) : new TextEncoder().encode(encodeTraceRequestJson(spans, o.info));
    if (o.protocol === "grpc") return exportGrpc(o.endpoint!, bytes, o.headers, o.gzip, o.timeoutMs);
    let body = bytes;
    if (o.gzip) {
      body = Bun.gzipSync(bytes) as Uint8Array<ArrayBuffer>;
      headers["content-encoding"] = "gzip";
    }
    await deliver(o.endpoint!, { headers, body }, o.timeoutMs);
  }
}
