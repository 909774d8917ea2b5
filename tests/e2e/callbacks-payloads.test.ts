import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeDatadog, type FakeDatadog } from "../fakes/datadog.ts";
import { startFakeGcs, type FakeGcs } from "../fakes/gcs.ts";
import { startWebhook, type Recorder } from "../fakes/http-recorder.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startFakeS3, type FakeS3 } from "../fakes/s3.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

/**
 * The StandardLoggingPayload through every sink that ships it as LiteLLM does: S3 (`s3_v2`,
 * `s3_callback_params`), GCS (`gcs_bucket`), Datadog's logs intake and generic API webhooks
 * (`generic_api` + a named `callback_settings` entry), for streamed and JSON calls of both
 * protocols, translated and not, and a failure whose upstream error quotes the provider key.
 */
const MASTER = "sk-master-payloads";
const OPENAI_KEY = "sk-openai-upstream-secret-7777";
type Obj = Record<string, unknown>;
type Payload = Obj & { id: string; call_id: string; status: string; response: Obj; messages: Obj[]; metadata: Obj };

let fake: FakeLLM;
let s3: FakeS3;
let gcs: FakeGcs;
let dd: FakeDatadog;
let hook: Recorder;
let failHook: Recorder;
let gw: GatewayProcess;
/** What the clients got, by call: the id the payload carries and the answer text. */
const calls: Array<{ name: string; id: string; text: string; stream: boolean; callType: string }> = [];
let failedCallId = "";

beforeAll(async () => {
  fake = await startFakeLLM();
  s3 = await startFakeS3({ bucket: "llm-logs", accessKeyId: "AKIALOGS", secretAccessKey: "logs-secret-key" });
  gcs = await startFakeGcs();
  dd = await startFakeDatadog("dd-api-key-1");
  hook = await startWebhook();
  failHook = await startWebhook();
  const sa = await gcs.serviceAccountFile(join(mkdtempSync(join(tmpdir(), "lr-gcs-")), "sa.json"));
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt", litellm_params: { model: "openai/gpt-4o", api_base: `${fake.url}/v1`, api_key: OPENAI_KEY } },
        { model_name: "claude", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: fake.url, api_key: "sk-ant-upstream-3" } },
        { model_name: "claude-on-vllm", litellm_params: { model: "hosted_vllm/qwen3-coder", api_base: `${fake.url}/v1` } },
      ],
      router_settings: { num_retries: 0 },
      litellm_settings: {
        callbacks: ["s3_v2", "gcs_bucket", "datadog", "generic_api", "failures_hook"],
        s3_callback_params: {
          s3_bucket_name: "llm-logs",
          s3_region_name: "us-west-2",
          s3_endpoint_url: s3.url,
          s3_aws_access_key_id: "AKIALOGS",
          s3_aws_secret_access_key: "os.environ/S3_LOGS_SECRET",
          s3_path: "gateway/logs",
          s3_flush_interval: 0.2,
        },
      },
      callback_settings: { failures_hook: { callback_type: "generic_api", endpoint: `${failHook.url}/failures`, headers: { Authorization: "Bearer hook-token" }, event_types: ["llm_api_failure"], log_format: "ndjson" } },
      general_settings: { master_key: MASTER },
    },
    env: {
      S3_LOGS_SECRET: "logs-secret-key",
      GCS_BUCKET_NAME: "gcs-logs/litellm",
      GCS_PATH_SERVICE_ACCOUNT: sa,
      STORAGE_EMULATOR_HOST: gcs.url,
      GCS_FLUSH_INTERVAL: "0.2",
      DD_API_KEY: "dd-api-key-1",
      DD_SITE: "us5.datadoghq.com",
      DD_BASE_URL: dd.url,
      DD_ENV: "staging",
      DD_SERVICE: "gateway-svc",
      GENERIC_LOGGER_ENDPOINT: `${hook.url}/logs`,
      GENERIC_LOGGER_HEADERS: "x-hook-secret=abc,x-env=test",
      DEFAULT_FLUSH_INTERVAL_SECONDS: "0.2",
    },
  });

  const openai = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
  const chat = await openai.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "chat json" }] });
  calls.push({ name: "chat json", id: chat.id, text: chat.choices[0]!.message.content!, stream: false, callType: "acompletion" });
  let id = "";
  let text = "";
  for await (const c of await openai.chat.completions.create({ model: "gpt", stream: true, messages: [{ role: "user", content: "chat stream" }] })) {
    id = c.id;
    text += c.choices[0]?.delta?.content ?? "";
  }
  calls.push({ name: "chat stream", id, text, stream: true, callType: "acompletion" });
  const msg = await anthropic.messages.create({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "anthropic json" }] });
  calls.push({ name: "anthropic json", id: msg.id, text: (msg.content[0] as { text: string }).text, stream: false, callType: "anthropic_messages" });
  // Bodies of 256 KB and more are kept for the next scan of the same key and freed once their call is
  // over: the logging copy, made after the response is written, must still see them (two at once, as a
  // coding agent sends them).
  const large = await Promise.all(
    ["anthropic large 1", "anthropic large 2"].map(async (name) => {
      const m = await anthropic.messages.create({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: `${name} ${"x".repeat(300_000)}` }] });
      return { name, id: m.id, text: (m.content[0] as { text: string }).text, stream: false, callType: "anthropic_messages" };
    }),
  );
  calls.push(...large);
  const streamed = await anthropic.messages.stream({ model: "claude-on-vllm", max_tokens: 100, messages: [{ role: "user", content: "anthropic stream translated" }] }).finalMessage();
  calls.push({ name: "anthropic stream translated", id: streamed.id, text: (streamed.content[0] as { text: string }).text, stream: true, callType: "anthropic_messages" });
  fake.control({ failStatus: 401, failCount: 1, failBody: { error: { message: `Incorrect API key provided: ${OPENAI_KEY}`, type: "invalid_request_error", code: "invalid_api_key" } } });
  const failed = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gpt", messages: [{ role: "user", content: "bad key" }] }) });
  expect(failed.status).toBe(401);
  failedCallId = failed.headers.get("x-litellm-call-id")!;
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([s3?.stop(), gcs?.stop(), dd?.stop(), hook?.stop(), failHook?.stop(), fake?.stop()]);
});

async function eventually<T>(get: () => T[], n: number, what: string): Promise<T[]> {
  for (let i = 0; i < 200; i++) {
    const got = get();
    if (got.length >= n) return got;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${n} ${what} (have ${get().length})`);
}

/** Checks every call's payload: its id, stream flag, call type, prompt and the answer the client got. */
function checkPayloads(payloads: Payload[], where: string): void {
  for (const c of calls) {
    const p = payloads.find((x) => x.id === c.id);
    expect(p, `${where}: ${c.name}`).toBeDefined();
    expect(p!.status).toBe("success");
    expect(p!.stream).toBe(c.stream ? true : null);
    expect(p!.call_type).toBe(c.callType);
    expect(JSON.stringify(p!.messages)).toContain(c.name);
    const answer = c.callType === "acompletion" ? ((p!.response.choices as Obj[])[0]!.message as Obj).content : ((p!.response.content as Obj[])[0] as Obj).text;
    expect(answer).toBe(c.text);
    expect(p!.total_tokens).toBeGreaterThan(0);
  }
  const failure = payloads.find((x) => x.call_id === failedCallId);
  expect(failure, `${where}: failure`).toBeDefined();
  expect(failure!.status).toBe("failure");
  expect(failure!.error_information).toMatchObject({ error_code: "401", error_class: "AuthenticationError" });
  expect(String(failure!.error_str)).toContain("Incorrect API key provided: sk-***");
  expect(JSON.stringify(payloads)).not.toContain(OPENAI_KEY);
  expect(JSON.stringify(payloads)).not.toContain(MASTER);
}

describe("StandardLoggingPayload sinks", () => {
  test("S3: one JSON object per call at <s3_path>/<date>/time-HH-MM-SS-ffffff_<id>.json, signed with the configured keys", async () => {
    const objects = await eventually(() => [...s3.objects.entries()], calls.length + 1, "S3 objects");
    expect(s3.rejected).toEqual([]);
    for (const [key, o] of objects) {
      expect(key).toMatch(/^gateway\/logs\/\d{4}-\d{2}-\d{2}\/time-\d\d-\d\d-\d\d-\d{6}_.+\.json$/);
      expect(o.type).toStartWith("application/json");
    }
    const payloads = objects.map(([, o]) => JSON.parse(new TextDecoder().decode(o.data)) as Payload);
    for (const c of calls) expect(objects.some(([k]) => k.endsWith(`_${c.id}.json`))).toBe(true);
    checkPayloads(payloads, "s3");
  });

  test("GCS: one object per call at <folder>/<date>/<response id> (failures: failure-<hex>), with the service account's OAuth token", async () => {
    const objects = await eventually(() => [...gcs.objects.entries()], calls.length + 1, "GCS objects");
    for (const c of calls) expect(gcs.objects.has(`gcs-logs/litellm/${new Date().toISOString().slice(0, 10)}/${c.id}`)).toBe(true);
    expect(objects.filter(([k]) => /\/failure-[0-9a-f]{32}$/.test(k)).length).toBe(1);
    expect(gcs.oauth.issued.length).toBeGreaterThanOrEqual(1);
    checkPayloads(objects.map(([, o]) => JSON.parse(o.body) as Payload), "gcs");
  });

  test("Datadog: logs intake v2 entries (gzip'd, DD-API-KEY) whose message is the payload; failures at status error", async () => {
    const logs = await eventually(() => dd.logs, calls.length + 1, "Datadog logs");
    expect(dd.http.received.every((r) => r.headers["content-encoding"] === "gzip")).toBe(true);
    for (const l of logs) {
      expect(l.ddsource).toBe("litellm");
      expect(l.service).toBe("gateway-svc");
      expect(l.ddtags).toContain("env:staging");
      expect(l.ddtags).toContain("request_tag:User-Agent:");
    }
    const payloads = logs.map((l) => JSON.parse(l.message) as Payload);
    checkPayloads(payloads, "datadog");
    // LiteLLM's DataDogLogger cuts messages, response and error_str past 10,000 characters: a 300 KB prompt is not sent whole.
    for (const c of calls) {
      const m = payloads.find((x) => x.id === c.id)!.messages as unknown;
      if (c.name.startsWith("anthropic large")) {
        expect(m).toBe(`${JSON.stringify([{ role: "user", content: `${c.name} ${"x".repeat(300_000)}` }]).slice(0, 10_000)}...truncated by litellm, this logger does not support large content`);
      } else expect(Array.isArray(m)).toBe(true);
    }
    expect(Math.max(...logs.map((l) => l.message.length))).toBeLessThan(20_000);
    expect(logs.find((l) => (JSON.parse(l.message) as Payload).call_id === failedCallId)!.status).toBe("error");
    expect(logs.filter((l) => l.status === "info").length).toBe(calls.length);
  });

  test("generic_api: JSON arrays of payloads with GENERIC_LOGGER_HEADERS; a named callback_settings logger gets only failures, as NDJSON, with its headers", async () => {
    const payloads = await eventually(() => hook.received.flatMap((r) => JSON.parse(r.text) as Payload[]), calls.length + 1, "webhook payloads");
    expect(hook.received.every((r) => r.headers["x-hook-secret"] === "abc" && r.headers["x-env"] === "test" && r.path === "/logs")).toBe(true);
    checkPayloads(payloads, "generic_api");
    const failures = await eventually(() => failHook.received.flatMap((r) => r.text.split("\n").map((l) => JSON.parse(l) as Payload)), 1, "failure webhook payloads");
    expect(failures.map((p) => p.call_id)).toEqual([failedCallId]);
    expect(failHook.received[0]!.headers.authorization).toBe("Bearer hook-token");
  });

  test("/metrics counts what each sink delivered", async () => {
    const sinks = ["s3", "gcs_bucket", "datadog", "generic_api", "failures_hook"];
    const sent = (text: string, sink: string) => Number(text.split("\n").find((l) => l.startsWith(`litellm_rust_callback_events_sent_total{callback="${sink}"}`))?.split(" ").at(-1) ?? 0);
    const want = (sink: string) => (sink === "failures_hook" ? 1 : calls.length + 1);
    let text = "";
    for (let i = 0; i < 100; i++) {
      text = await (await fetch(`${gw.url}/metrics`)).text();
      if (sinks.every((s) => sent(text, s) >= want(s))) break;
      await Bun.sleep(50);
    }
    for (const sink of sinks) expect(sent(text, sink), sink).toBeGreaterThanOrEqual(want(sink));
    expect(gw.output()).toContain("logging callbacks: s3, gcs_bucket, datadog, generic_api, failures_hook");
  });
});
