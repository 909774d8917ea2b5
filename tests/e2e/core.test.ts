import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-test-1234";
let fake: FakeLLM;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeLLM();
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-provider-openai" } },
        { model_name: "claude-test", litellm_params: { model: "anthropic/claude-upstream", api_base: fake.url, api_key: "sk-ant-provider" } },
        { model_name: "claude-*", litellm_params: { model: "anthropic/claude-*", api_base: fake.url, api_key: "sk-ant-provider" } },
        { model_name: "vllm-test", litellm_params: { model: "hosted_vllm/llama", api_base: `${fake.url}/v1` } },
        { model_name: "azure-test", litellm_params: { model: "azure/my-deployment", api_base: fake.url, api_key: "azure-key", api_version: "2024-10-21" } },
        { model_name: "embed-test", litellm_params: { model: "openai/text-embedding-3-small", api_base: `${fake.url}/v1`, api_key: "sk-provider-openai" } },
        { model_name: "mock-gpt", litellm_params: { model: "openai/mock", mock_response: "mocked answer here" } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
});

beforeEach(() => fake.reset());

const openai = () => new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });

describe("OpenAI chat completions", () => {
  test("non-streaming call reaches the upstream with the provider key and the upstream model name", async () => {
    const { data, response } = await openai()
      .chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("Hello from the fake OpenAI!");
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-provider-openai");
    expect((sent.body as { model: string }).model).toBe("gpt-upstream");
    expect(response.headers.get("x-litellm-model-group")).toBe("gpt-test");
    expect(response.headers.get("x-litellm-call-id")).toBeTruthy();
    expect(Number(response.headers.get("x-litellm-overhead-duration-ms"))).toBeGreaterThanOrEqual(0);
  });

  test("streaming call passes chunks through and asks the upstream for usage", async () => {
    const stream = await openai().chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    let usageSeen = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usageSeen = true;
    }
    expect(text).toBe("Hello from the fake OpenAI!");
    expect(usageSeen).toBe(true);
    expect((fake.requests.at(-1)!.body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });
  });

  test("an OpenAI-compatible provider (hosted_vllm) is reached through api_base", async () => {
    const r = await openai().chat.completions.create({ model: "vllm-test", messages: [{ role: "user", content: "hi" }] });
    expect(r.choices[0]!.message.content).toBe("Hello from the fake OpenAI!");
    expect((fake.requests.at(-1)!.body as { model: string }).model).toBe("llama");
  });

  test("azure deployment path, api-version query and api-key header", async () => {
    await openai().chat.completions.create({ model: "azure-test", messages: [{ role: "user", content: "hi" }] });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/openai/deployments/my-deployment/chat/completions");
    expect(sent.query).toBe("?api-version=2024-10-21");
    expect(sent.headers["api-key"]).toBe("azure-key");
  });

  test("the azure-style client path carries the model", async () => {
    const res = await fetch(`${gw.url}/openai/deployments/gpt-test/chat/completions`, {
      method: "POST",
      headers: { "api-key": MASTER, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect((fake.requests.at(-1)!.body as { model: string }).model).toBe("gpt-upstream");
  });

  test("mock_response answers without calling any upstream, streaming too", async () => {
    const r = await openai().chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] });
    expect(r.choices[0]!.message.content).toBe("mocked answer here");
    const s = await openai().chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    for await (const c of s) text += c.choices[0]?.delta?.content ?? "";
    expect(text).toBe("mocked answer here");
    expect(fake.requests.length).toBe(0);
  });
});

describe("Anthropic messages", () => {
  test("non-streaming call forwards anthropic headers and swaps in the provider key", async () => {
    const msg = await anthropic().messages.create(
      { model: "claude-test", max_tokens: 50, messages: [{ role: "user", content: "hi" }] },
      { headers: { "anthropic-beta": "interleaved-thinking-2025-05-14", "anthropic-version": "2023-06-01" } },
    );
    expect(msg.content[0]).toMatchObject({ type: "text", text: "Hello from the fake Anthropic!" });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("sk-ant-provider");
    expect(sent.headers["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14");
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect((sent.body as { model: string }).model).toBe("claude-upstream");
  });

  test("streaming call yields the same events the upstream sent", async () => {
    const stream = anthropic().messages.stream({ model: "claude-test", max_tokens: 50, messages: [{ role: "user", content: "hi" }] });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: "Hello from the fake Anthropic!" });
    expect(final.usage.output_tokens).toBe(12);
  });

  test("a wildcard route substitutes the requested model (claude-* → anthropic/claude-*)", async () => {
    await anthropic().messages.create({ model: "claude-opus-4-8", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    expect((fake.requests.at(-1)!.body as { model: string }).model).toBe("claude-opus-4-8");
  });

  test("count_tokens is answered by the Anthropic upstream", async () => {
    const r = await anthropic().messages.countTokens({ model: "claude-test", messages: [{ role: "user", content: "hello there" }] });
    expect(r.input_tokens).toBeGreaterThan(0);
    expect(fake.requests.at(-1)!.path).toBe("/v1/messages/count_tokens");
  });

  test("errors come back in Anthropic's shape", async () => {
    const res = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "x-api-key": MASTER }, body: "{not json" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    const err = await anthropic()
      .messages.create({ model: "no-such-model", max_tokens: 5, messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String(err.message)).toContain("Invalid model name passed in model=no-such-model");
  });
});

describe("Responses and embeddings", () => {
  test("responses API streams through for an OpenAI deployment", async () => {
    const stream = await openai().responses.create({ model: "gpt-test", input: "hi", stream: true });
    let text = "";
    let completed = false;
    for await (const ev of stream) {
      if (ev.type === "response.output_text.delta") text += ev.delta;
      if (ev.type === "response.completed") completed = true;
    }
    expect(text).toBe("Hello from the fake OpenAI Responses!");
    expect(completed).toBe(true);
    expect(fake.requests.at(-1)!.path).toBe("/v1/responses");
  });

  test("embeddings", async () => {
    const r = await openai().embeddings.create({ model: "embed-test", input: ["a", "b"] });
    expect(r.data.length).toBe(2);
    expect((fake.requests.at(-1)!.body as { model: string }).model).toBe("text-embedding-3-small");
  });
});

describe("auth", () => {
  test("no key, wrong key and a non sk- key are refused; every LiteLLM key header works", async () => {
    const body = JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] });
    const post = (headers: Record<string, string>) =>
      fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const none = await post({});
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain("No api key passed in");
    const wrong = await post({ authorization: "Bearer not-a-key" });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain("expected to start with 'sk-'");
    const noDb = await post({ authorization: "Bearer sk-some-virtual-key" });
    expect(noDb.status).toBe(400);
    expect(((await noDb.json()) as { error: { type: string } }).error.type).toBe("no_db_connection");
    for (const h of ["authorization", "x-api-key", "api-key", "x-litellm-api-key"]) {
      const ok = await post({ [h]: h === "authorization" ? `Bearer ${MASTER}` : MASTER });
      expect(ok.status).toBe(200);
    }
    const sdkErr = await new OpenAI({ apiKey: "sk-wrong", baseURL: `${gw.url}/v1`, maxRetries: 0 }).models.list().catch((e) => e);
    expect(sdkErr).toBeInstanceOf(OpenAI.BadRequestError);
  });

  test("public health routes need no key", async () => {
    expect(await (await fetch(`${gw.url}/health/liveliness`)).json()).toBe("I'm alive!");
    expect(await (await fetch(`${gw.url}/health/liveness`)).json()).toBe("I'm alive!");
    const ready = (await (await fetch(`${gw.url}/health/readiness`)).json()) as { status: string };
    expect(ready.status).toBe("healthy");
    expect((await fetch(gw.url, { method: "HEAD" })).status).toBe(200);
  });

  test("/v1/models lists the configured groups", async () => {
    const list = await openai().models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toContain("gpt-test");
    expect(ids).toContain("claude-test");
    expect(ids).not.toContain("claude-*");
  });

  test("the provider key never reaches the client, even in errors", async () => {
    fake.control({ failStatus: 401, failCount: 1, failBody: { error: { message: "bad key", type: "auth" } } });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "x" }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(text).not.toContain("sk-provider-openai");
    expect(gw.output()).not.toContain("sk-provider-openai");
  });
});

describe("forwarding", () => {
  test("upstream status and retry-after come back to the client", async () => {
    fake.control({ failStatus: 429, failCount: 1, failHeaders: { "retry-after": "7", "x-ratelimit-remaining-requests": "0" } });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe("429");
    expect(body.error.message).toContain("RateLimitError");
  });

  test("a 20 MiB request body is forwarded intact", async () => {
    const big = "x".repeat(20 * 1024 * 1024);
    const msg = await anthropic().messages.create({ model: "claude-test", max_tokens: 5, messages: [{ role: "user", content: big }] });
    expect(msg.type).toBe("message");
    const sent = fake.requests.at(-1)!.body as { messages: Array<{ content: string }> };
    expect(sent.messages[0]!.content.length).toBe(big.length);
  });

  test("a client that disconnects mid-stream aborts the upstream call", async () => {
    fake.control({ chunkDelayMs: 100, chunks: 50 });
    const ctrl = new AbortController();
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": MASTER, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 5, stream: true, messages: [{ role: "user", content: "x" }] }),
      signal: ctrl.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ctrl.abort();
    for (let i = 0; i < 50 && !fake.requests.at(-1)?.aborted; i++) await Bun.sleep(50);
    expect(fake.requests.at(-1)!.aborted).toBe(true);
  });
});
