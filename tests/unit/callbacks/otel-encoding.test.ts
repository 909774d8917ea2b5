import { describe, expect, test } from "bun:test";
import { encodeTraceRequestJson } from "../../../src/callbacks/otel/json.ts";
import { encodeTraceRequest } from "../../../src/callbacks/otel/protobuf.ts";
import { keyValues, tracesEndpoint } from "../../../src/callbacks/otel/sink.ts";
import type { SpanData, TraceBatchInfo } from "../../../src/callbacks/otel/span.ts";
import { parseTraceparent } from "../../../src/callbacks/observer.ts";
import { decodeTraceRequest, decodeTraceRequestJson } from "../../fakes/otlp.ts";

const info: TraceBatchInfo = { resource: [["service.name", "litellm"], ["deployment.environment", "production"]], scopeName: "litellm", scopeVersion: "1.2.3" };
const span: SpanData = {
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  parentSpanId: "00f067aa0ba902b7",
  flags: 1,
  name: "litellm_request",
  kind: 1,
  startMs: 1767323045678.5,
  endMs: 1767323047000,
  attributes: [
    ["gen_ai.system", "openai"],
    ["gen_ai.usage.input_tokens", 1234567],
    ["negative", -42],
    ["big", 2 ** 40],
    ["gen_ai.cost.total_cost", 0.0125],
    ["llm.is_streaming", true],
    ["gen_ai.response.finish_reasons", ["stop", "length"]],
    ["unicode", "héllo ✓"],
    ["gen_ai.input.messages", `[${"\"prompt ✓ \"".repeat(20_000)}]`],
  ],
  events: [{ name: "exception", timeMs: 1767323047000, attributes: [["exception.type", "RateLimitError"]] }],
  status: { code: 2, message: "rate limited" },
};

describe("OTLP trace request encoding", () => {
  test("protobuf decodes (by an independent reader) to the same spans, attributes of every type, events and status", () => {
    const [s] = decodeTraceRequest(encodeTraceRequest([span], info));
    expect(s!.traceId).toBe(span.traceId);
    expect(s!.spanId).toBe(span.spanId);
    expect(s!.parentSpanId).toBe(span.parentSpanId!);
    expect(s!.flags).toBe(1);
    expect(s!.name).toBe("litellm_request");
    expect(s!.kind).toBe(1);
    expect(s!.startNs).toBe(1767323045678500000n);
    expect(s!.endNs).toBe(1767323047000000000n);
    expect(s!.attributes).toEqual({
      "gen_ai.system": "openai",
      "gen_ai.usage.input_tokens": 1234567,
      negative: -42,
      big: 2 ** 40,
      "gen_ai.cost.total_cost": 0.0125,
      "llm.is_streaming": true,
      "gen_ai.response.finish_reasons": ["stop", "length"],
      unicode: "héllo ✓",
      "gen_ai.input.messages": `[${"\"prompt ✓ \"".repeat(20_000)}]`,
    });
    expect(s!.events).toEqual([{ name: "exception", timeNs: 1767323047000000000n, attributes: { "exception.type": "RateLimitError" } }]);
    expect(s!.status).toEqual({ code: 2, message: "rate limited" });
    expect(s!.resource).toEqual({ "service.name": "litellm", "deployment.environment": "production" });
    expect(s!.scope).toEqual({ name: "litellm", version: "1.2.3" });
  });

  test("JSON carries the same content (hex ids, 64-bit integers as strings)", () => {
    const json = encodeTraceRequestJson([span, { ...span, spanId: "c7ad6b7169203331", parentSpanId: undefined }], info);
    expect(json).toContain('"intValue":"1234567"');
    const [a, b] = decodeTraceRequestJson(JSON.parse(json), {});
    const [p] = decodeTraceRequest(encodeTraceRequest([span], info));
    expect({ ...a!, via: "", headers: {} }).toEqual({ ...p!, via: "", headers: {} });
    expect(b!.parentSpanId).toBe("");
  });

  test("endpoints are normalised to /v1/traces as LiteLLM does", () => {
    expect(tracesEndpoint("http://collector:4318")).toBe("http://collector:4318/v1/traces");
    expect(tracesEndpoint("http://collector:4318/")).toBe("http://collector:4318/v1/traces");
    expect(tracesEndpoint("http://collector:4318/v1")).toBe("http://collector:4318/v1/traces");
    expect(tracesEndpoint("http://collector:4318/v1/logs")).toBe("http://collector:4318/v1/traces");
    expect(tracesEndpoint("https://api.honeycomb.io/v1/traces")).toBe("https://api.honeycomb.io/v1/traces");
  });

  test("OTEL_HEADERS split on the first '=' with percent-decoded values", () => {
    expect(keyValues("x-honeycomb-team=B85Y=gLm,authorization=Basic%20abc")).toEqual({ "x-honeycomb-team": "B85Y=gLm", authorization: "Basic abc" });
  });

  test("traceparent: valid version-00 headers are read, malformed and all-zero ids are not", () => {
    expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toEqual({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", flags: 1 });
    expect(parseTraceparent("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-00")?.flags).toBe(0);
    expect(parseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")?.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    for (const bad of ["", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });
});
