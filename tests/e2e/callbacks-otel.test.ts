import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startFakeCollector, startFakeGrpcCollector, type FakeCollector, type ReceivedSpan } from "../fakes/otlp.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

/**
 * `callbacks: ["otel"]` as LiteLLM users configure it (OTEL_EXPORTER, OTEL_ENDPOINT, OTEL_HEADERS,
 * OTEL_SERVICE_NAME), exported to fake collectors that decode what they receive on their own.
 */
const MASTER = "sk-master-otel";
const CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";
let fake: FakeLLM;
let col: FakeCollector;
let gw: GatewayProcess;

const models = (url: string) => [
  { model_name: "gpt", litellm_params: { model: "openai/gpt-4o", api_base: `${url}/v1`, api_key: "sk-openai-upstream-1" } },
  { model_name: "claude-on-vllm", litellm_params: { model: "hosted_vllm/qwen3-coder", api_base: `${url}/v1` } },
  { model_name: "claude", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: url, api_key: "sk-ant-upstream-1" } },
  { model_name: "broken", litellm_params: { model: "openai/gpt-4o", api_base: "http://127.0.0.1:9/v1", api_key: "sk-broken-upstream" } },
];

beforeAll(async () => {
  fake = await startFakeLLM();
  col = await startFakeCollector();
  gw = await startGateway({
    config: {
      model_list: models(fake.url),
      router_settings: { num_retries: 0, fallbacks: [{ broken: ["gpt"] }] },
      litellm_settings: { callbacks: ["otel"], forward_traceparent_to_llm_provider: true },
      general_settings: { master_key: MASTER },
    },
    env: { OTEL_EXPORTER: "otlp_http", OTEL_ENDPOINT: col.url, OTEL_HEADERS: "x-honeycomb-team=hc-key-1", OTEL_SERVICE_NAME: "my-gateway", OTEL_BSP_SCHEDULE_DELAY: "100" },
  });
});

afterAll(async () => {
  await gw?.stop();
  await col?.stop();
  await fake?.stop();
});

beforeEach(() => fake.reset());

const traceparent = (flags = "01", trace = CLIENT_TRACE) => `00-${trace}-${CLIENT_SPAN}-${flags}`;
const inTrace = (trace: string, n: number) => (spans: ReceivedSpan[]) => {
  const got = spans.filter((s) => s.traceId === trace);
  return got.length >= n ? got : [];
};
const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);
const newTrace = () => crypto.randomUUID().replace(/-/g, "");

describe("OpenTelemetry (OTLP/HTTP protobuf)", () => {
  test("a chat call under the client's traceparent: server span, litellm_request with GenAI attributes, one client span per attempt whose id the upstream got", async () => {
    const trace = newTrace();
    const openai = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { traceparent: traceparent("01", trace) } });
    const res = await openai.chat.completions.create({ model: "gpt", max_tokens: 64, temperature: 0.5, messages: [{ role: "user", content: "hello otel" }] });
    const spans = await col.waitForSpans(inTrace(trace, 3));
    const [server] = named(spans, "Received Proxy Server Request");
    const [request] = named(spans, "litellm_request");
    const [attempt] = named(spans, "raw_gen_ai_request");
    expect(server!.parentSpanId).toBe(CLIENT_SPAN);
    expect(server!.kind).toBe(2);
    expect(request!.parentSpanId).toBe(server!.spanId);
    expect(attempt!.parentSpanId).toBe(request!.spanId);
    expect(attempt!.kind).toBe(3);
    expect(request!.status.code).toBe(1);
    expect(request!.attributes).toMatchObject({
      "gen_ai.system": "openai",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.request.max_tokens": 64,
      "gen_ai.request.temperature": 0.5,
      "gen_ai.response.id": res.id,
      "gen_ai.usage.input_tokens": res.usage!.prompt_tokens,
      "gen_ai.usage.output_tokens": res.usage!.completion_tokens,
      "gen_ai.usage.total_tokens": res.usage!.total_tokens,
      "llm.request.type": "acompletion",
      "llm.is_streaming": "False",
      "metadata.user_api_key_request_route": "/v1/chat/completions",
    });
    expect(JSON.parse(request!.attributes["gen_ai.input.messages"] as string)).toEqual([{ role: "user", parts: [{ type: "text", content: "hello otel" }] }]);
    expect(JSON.parse(request!.attributes["gen_ai.output.messages"] as string)[0]).toMatchObject({ role: "assistant", parts: [{ type: "text", content: res.choices[0]!.message.content }], finish_reason: "stop" });
    expect(attempt!.attributes).toMatchObject({ "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o", "litellm.attempt": 1, "litellm.model_group": "gpt" });
    expect(server!.resource["service.name"]).toBe("my-gateway");
    expect(server!.headers["x-honeycomb-team"]).toBe("hc-key-1");
    expect(server!.headers["content-type"]).toBe("application/x-protobuf");
    expect(fake.requests[0]!.headers.traceparent).toBe(`00-${trace}-${attempt!.spanId}-01`);
    expect(Number(attempt!.startNs)).toBeGreaterThanOrEqual(Number(server!.startNs));
    expect(Number(attempt!.endNs)).toBeLessThanOrEqual(Number(server!.endNs));
    expect(JSON.stringify(spans, (_, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain("sk-openai-upstream-1");
  });

  test("an Anthropic client streaming from an OpenAI-format upstream (translated): the streamed answer is in the span", async () => {
    const trace = newTrace();
    const anthropic = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0, defaultHeaders: { traceparent: traceparent("01", trace) } });
    const stream = anthropic.messages.stream({ model: "claude-on-vllm", max_tokens: 100, system: "be brief", messages: [{ role: "user", content: "stream please" }] });
    const final = await stream.finalMessage();
    const text = final.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    const spans = await col.waitForSpans(inTrace(trace, 3));
    const [request] = named(spans, "litellm_request");
    expect(request!.attributes).toMatchObject({ "gen_ai.system": "hosted_vllm", "llm.request.type": "anthropic_messages", "llm.is_streaming": "True", "gen_ai.usage.output_tokens": final.usage.output_tokens });
    const input = JSON.parse(request!.attributes["gen_ai.input.messages"] as string);
    expect(input).toEqual([{ role: "system", parts: [{ type: "text", content: "be brief" }] }, { role: "user", parts: [{ type: "text", content: "stream please" }] }]);
    expect(JSON.parse(request!.attributes["gen_ai.output.messages"] as string)[0].parts[0].content).toBe(text);
    expect(fake.requests[0]!.path).toBe("/v1/chat/completions");
  });

  test("Claude Code's native Anthropic stream: spans with the answer; a call without traceparent starts its own trace", async () => {
    const anthropic = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
    const final = await anthropic.messages.stream({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "native stream" }] }).finalMessage();
    const spans = await col.waitForSpans((all) => {
      const req = all.find((s) => s.name === "litellm_request" && String(s.attributes["gen_ai.input.messages"]).includes("native stream"));
      return req ? all.filter((s) => s.traceId === req.traceId) : [];
    });
    const server = named(spans, "Received Proxy Server Request")[0]!;
    expect(server.parentSpanId).toBe("");
    expect(spans.length).toBe(3);
    const request = named(spans, "litellm_request")[0]!;
    expect(request.attributes["gen_ai.response.id"]).toBe(final.id);
    expect(JSON.parse(request.attributes["gen_ai.output.messages"] as string)[0].parts[0].content).toBe((final.content[0] as { text: string }).text);
    expect(fake.requests[0]!.headers.traceparent).toBe(`00-${server.traceId}-${named(spans, "raw_gen_ai_request")[0]!.spanId}-01`);
  });

  test("retries and a fallback: one client span per attempt, failed ones with their error; each attempt sent its own span upstream", async () => {
    const trace = newTrace();
    const openai = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { traceparent: traceparent("01", trace) } });
    fake.control({ failStatus: 500, failCount: 1 });
    await openai.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "retry me" }], num_retries: 1 } as never);
    const retried = named(await col.waitForSpans(inTrace(trace, 4)), "raw_gen_ai_request").sort((a, b) => Number(a.attributes["litellm.attempt"]) - Number(b.attributes["litellm.attempt"]));
    expect(retried.map((s) => s.status.code)).toEqual([2, 1]);
    expect(retried[0]!.attributes).toMatchObject({ "http.response.status_code": 500, "error.type": "InternalServerError" });
    expect(fake.requests.map((r) => r.headers.traceparent)).toEqual(retried.map((s) => `00-${trace}-${s.spanId}-01`));

    const trace2 = newTrace();
    const res = await new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { traceparent: traceparent("01", trace2) } }).chat.completions.create({ model: "broken", messages: [{ role: "user", content: "fall back" }] });
    expect(res.choices[0]!.message.content).toBeTruthy();
    const spans = await col.waitForSpans(inTrace(trace2, 4));
    const attempts = named(spans, "raw_gen_ai_request").sort((a, b) => Number(a.attributes["litellm.attempt"]) - Number(b.attributes["litellm.attempt"]));
    expect(attempts.map((s) => [s.attributes["litellm.model_group"], s.status.code])).toEqual([["broken", 2], ["gpt", 1]]);
    expect(attempts[0]!.attributes["error.type"]).toBe("APIConnectionError");
    expect(named(spans, "litellm_request")[0]!.status.code).toBe(1);
  });

  test("a failed call: litellm_request and the server span are errors with LiteLLM's error attributes and an exception event", async () => {
    const trace = newTrace();
    fake.control({ failStatus: 429, failCount: 1 });
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json", traceparent: traceparent("01", trace) },
      body: JSON.stringify({ model: "gpt", messages: [{ role: "user", content: "fail" }] }),
    });
    expect(r.status).toBe(429);
    const spans = await col.waitForSpans(inTrace(trace, 3));
    const request = named(spans, "litellm_request")[0]!;
    expect(request.status.code).toBe(2);
    expect(request.attributes).toMatchObject({ "error.code": "429", "error.type": "RateLimitError" });
    expect(request.events[0]!.name).toBe("exception");
    expect(named(spans, "Received Proxy Server Request")[0]!.attributes["http.response.status_code"]).toBe(429);
  });

  test("a trace the client did not sample (flags 00) is not exported, and the upstream still gets the trace context", async () => {
    const trace = newTrace();
    const sampledTrace = newTrace();
    const send = (tp: string) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json", traceparent: tp },
        body: JSON.stringify({ model: "gpt", messages: [{ role: "user", content: "sampled?" }] }),
      }).then((r) => r.text());
    await send(traceparent("00", trace));
    await send(traceparent("01", sampledTrace));
    await col.waitForSpans(inTrace(sampledTrace, 3));
    expect(col.spans.filter((s) => s.traceId === trace)).toEqual([]);
    expect(fake.requests[0]!.headers.traceparent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-00$`));
  });
});

describe("other OTLP exporters", () => {
  test("OTEL_EXPORTER=http/json and otlp_grpc deliver the same spans (Responses client, translated to chat)", async () => {
    const jsonCol = await startFakeCollector();
    const grpcCol = await startFakeGrpcCollector();
    const start = (env: Record<string, string>) =>
      startGateway({ config: { model_list: models(fake.url), litellm_settings: { callbacks: ["otel"] }, general_settings: { master_key: MASTER } }, env: { OTEL_BSP_SCHEDULE_DELAY: "100", ...env } });
    const viaJson = await start({ OTEL_EXPORTER: "http/json", OTEL_ENDPOINT: `${jsonCol.url}/v1/traces` });
    const viaGrpc = await start({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: grpcCol.url, OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20grpc-token" });
    try {
      for (const g of [viaJson, viaGrpc]) {
        const openai = new OpenAI({ apiKey: MASTER, baseURL: `${g.url}/v1`, maxRetries: 0 });
        await openai.responses.create({ model: "claude-on-vllm", input: "responses over otel" });
      }
      for (const [c, via] of [[jsonCol, "json"], [grpcCol, "grpc"]] as const) {
        const spans = await c.waitForSpans((s) => (s.length >= 3 ? s : []));
        expect(spans.every((s) => s.via === via)).toBe(true);
        expect(new Set(spans.map((s) => s.name))).toEqual(new Set(["Received Proxy Server Request", "litellm_request", "raw_gen_ai_request"]));
        const request = named(spans, "litellm_request")[0]!;
        expect(request.attributes["llm.request.type"]).toBe("aresponses");
        expect(request.attributes["gen_ai.input.messages"]).toContain("responses over otel");
      }
      expect(grpcCol.spans[0]!.headers.authorization).toBe("Bearer grpc-token");
    } finally {
      await Promise.all([viaJson.stop(), viaGrpc.stop()]);
      await Promise.all([jsonCol.stop(), grpcCol.stop()]);
    }
  });
});
