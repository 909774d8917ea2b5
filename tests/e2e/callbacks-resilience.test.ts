import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startWebhook, type Recorder } from "../fakes/http-recorder.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

/**
 * Logging backends that are down, stalled or refusing never change what clients get: every sink
 * (OpenTelemetry, Langfuse, S3, Datadog, generic webhook, Slack) pointed at a dead port or at an
 * endpoint that never answers. Latency with sinks on is measured by `npm run bench` (not here).
 */
const MASTER = "sk-master-resilience";
const DEAD = "http://127.0.0.1:9";
let fake: FakeLLM;
let stalled: Recorder;
let refusing: Recorder;

beforeAll(async () => {
  fake = await startFakeLLM();
  stalled = await startWebhook();
  stalled.mode.delayMs = 60_000;
  refusing = await startWebhook();
  refusing.mode.status = 400;
});

afterAll(async () => {
  await Promise.all([fake?.stop(), stalled?.stop(), refusing?.stop()]);
});

function everySink(endpoint: string, extra: Record<string, string> = {}) {
  return {
    config: {
      model_list: [{ model_name: "gpt", litellm_params: { model: "openai/gpt-4o", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream-5" } }],
      litellm_settings: {
        callbacks: ["otel", "langfuse", "s3", "datadog", "generic_api"],
        s3_callback_params: { s3_bucket_name: "b", s3_endpoint_url: endpoint, s3_aws_access_key_id: "AKIA", s3_aws_secret_access_key: "secret", s3_flush_interval: 0.1 },
      },
      general_settings: { master_key: MASTER, alerting: ["slack"], alerting_threshold: 300 },
    },
    env: {
      OTEL_EXPORTER: "otlp_http",
      OTEL_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      LANGFUSE_PUBLIC_KEY: "pk",
      LANGFUSE_SECRET_KEY: "sk",
      LANGFUSE_HOST: endpoint,
      LANGFUSE_FLUSH_INTERVAL: "0.1",
      DD_API_KEY: "dd",
      DD_SITE: "datadoghq.com",
      DD_BASE_URL: endpoint,
      GENERIC_LOGGER_ENDPOINT: endpoint,
      SLACK_WEBHOOK_URL: endpoint,
      DEFAULT_FLUSH_INTERVAL_SECONDS: "0.1",
      ...extra,
    },
  };
}

async function callMany(gw: GatewayProcess, n: number): Promise<Array<{ status: number; content: string }>> {
  const out: Array<{ status: number; content: string }> = [];
  for (let i = 0; i < n; i++) {
    const stream = i % 2 === 1;
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt", stream, messages: [{ role: "user", content: `call ${i}` }] }),
    });
    const text = await r.text();
    out.push({ status: r.status, content: stream ? text.includes("[DONE]") ? "streamed" : text : ((JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content) });
  }
  return out;
}

const metric = (text: string, name: string, label: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) && l.includes(label))
    .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);

describe("logging backends down, stalled or refusing", () => {
  test("every sink down (connection refused): every call answers as usual; the failed deliveries are counted", async () => {
    const gw = await startGateway(everySink(DEAD));
    try {
      const results = await callMany(gw, 12);
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(results.filter((r) => r.content === "streamed").length).toBe(6);
      expect(results.filter((r) => r.content.startsWith("Hello from the fake OpenAI")).length).toBe(6);
      let text = "";
      for (let i = 0; i < 100; i++) {
        text = await (await fetch(`${gw.url}/metrics`)).text();
        if (["otel", "langfuse", "s3", "datadog", "generic_api"].every((s) => metric(text, "litellm_rust_callback_send_errors_total", `callback="${s}"`) > 0)) break;
        await Bun.sleep(50);
      }
      for (const s of ["otel", "langfuse", "s3", "datadog", "generic_api"]) expect(metric(text, "litellm_rust_callback_send_errors_total", `callback="${s}"`)).toBeGreaterThan(0);
      expect(metric(text, "litellm_proxy_total_requests_metric", 'status_code="200"')).toBe(12);
    } finally {
      await gw.stop("SIGKILL");
    }
  }, 30_000);

  test("every sink stalled (accepts the connection, never answers): calls complete while the deliveries hang", async () => {
    const gw = await startGateway(everySink(stalled.url));
    try {
      const results = await callMany(gw, 20);
      expect(results.every((r) => r.status === 200)).toBe(true);
      for (let i = 0; i < 100 && stalled.arrivals < 5; i++) await Bun.sleep(20);
      expect(stalled.arrivals).toBeGreaterThanOrEqual(5);
      expect(stalled.received.length).toBe(0);
      expect((await callMany(gw, 4)).every((r) => r.status === 200)).toBe(true);
    } finally {
      await gw.stop("SIGKILL");
    }
  }, 30_000);

  test("a backend refusing the payload (400): events dropped, not retried, counted in litellm_rust_callback_events_dropped_total", async () => {
    const gw = await startGateway({
      config: { model_list: [{ model_name: "gpt", litellm_params: { model: "openai/gpt-4o", api_base: `${fake.url}/v1`, api_key: "sk-x-upstream" } }], litellm_settings: { callbacks: ["generic_api"] }, general_settings: { master_key: MASTER } },
      env: { GENERIC_LOGGER_ENDPOINT: refusing.url, DEFAULT_FLUSH_INTERVAL_SECONDS: "0.1" },
    });
    try {
      expect((await callMany(gw, 3)).every((r) => r.status === 200)).toBe(true);
      let dropped = 0;
      for (let i = 0; i < 100 && dropped < 3; i++) {
        dropped = metric(await (await fetch(`${gw.url}/metrics`)).text(), "litellm_rust_callback_events_dropped_total", 'reason="send_failed"');
        await Bun.sleep(50);
      }
      expect(dropped).toBe(3);
    } finally {
      await gw.stop();
    }
  }, 30_000);

  test("turn_off_message_logging and redact_user_api_key_info: payloads keep their shape, never the prompt, the answer or the key's details", async () => {
    const hook = await startWebhook();
    const gw = await startGateway({
      config: {
        model_list: [{ model_name: "gpt", litellm_params: { model: "openai/gpt-4o", api_base: `${fake.url}/v1`, api_key: "sk-x-upstream" } }],
        litellm_settings: { callbacks: ["generic_api"], turn_off_message_logging: true, redact_user_api_key_info: true },
        general_settings: { master_key: MASTER },
      },
      env: { GENERIC_LOGGER_ENDPOINT: hook.url, DEFAULT_FLUSH_INTERVAL_SECONDS: "0.1" },
    });
    try {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt", stream: true, messages: [{ role: "user", content: "top secret prompt" }] }),
      });
      const streamed = await r.text();
      const [p] = await hook.waitFor((rs) => rs.flatMap((x) => JSON.parse(x.text) as Array<Record<string, unknown>>));
      expect(p!.messages).toEqual([{ role: "user", content: "redacted-by-litellm" }]);
      expect(p!.response).toEqual({ text: "redacted-by-litellm" });
      expect(JSON.stringify(p)).not.toContain("top secret prompt");
      expect(streamed).toContain("Hello");
      expect(JSON.stringify(p)).not.toContain("Hello from the fake");
      expect(Object.keys(p!.metadata as object).filter((k) => k.startsWith("user_api_key"))).toEqual([]);
      expect(p!.total_tokens).toBeGreaterThan(0);
    } finally {
      await gw.stop();
      await hook.stop();
    }
  });

  test("x-litellm-disable-callbacks keeps a call out of the named callbacks", async () => {
    const hook = await startWebhook();
    const gw = await startGateway({
      config: { model_list: [{ model_name: "gpt", litellm_params: { model: "openai/gpt-4o", api_base: `${fake.url}/v1`, api_key: "sk-x-upstream" } }], litellm_settings: { callbacks: ["generic_api"] }, general_settings: { master_key: MASTER } },
      env: { GENERIC_LOGGER_ENDPOINT: hook.url, DEFAULT_FLUSH_INTERVAL_SECONDS: "0.1" },
    });
    try {
      for (const [content, off] of [["kept out", "generic_api"], ["logged", ""]] as const) {
        await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json", ...(off ? { "x-litellm-disable-callbacks": off } : {}) },
          body: JSON.stringify({ model: "gpt", messages: [{ role: "user", content }] }),
        }).then((r) => r.text());
      }
      const payloads = await hook.waitFor((rs) => rs.flatMap((r) => JSON.parse(r.text) as Array<{ messages: unknown }>));
      expect(JSON.stringify(payloads)).toContain("logged");
      expect(JSON.stringify(payloads)).not.toContain("kept out");
    } finally {
      await gw.stop();
      await hook.stop();
    }
  });
});
