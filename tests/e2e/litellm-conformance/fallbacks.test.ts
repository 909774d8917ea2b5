import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { proxyClient, type Json } from "./client.ts";
import { MASTER_KEY, startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("fallbacks");
}, 60_000);
afterAll(async () => proxy?.stop());

const LARGE_TEXT = Array.from({ length: 2000 }, (_, i) => `Paragraph ${i}: Alexander the Great was a king of Macedon who built one of the largest empires of the ancient world.`).join("\n");
const ALEXANDER = [{ role: "user", content: "Who was Alexander?" }];
const WITH_LARGE_TEXT = [{ role: "system", content: LARGE_TEXT }, ...ALEXANDER];

const generateKey = (models: string[]) => px.post("/key/generate", { models });
const chat = (key: string, model: string, messages: Json[], extra: Json = {}, headers: Record<string, string> = {}) =>
  px.send("POST", "/chat/completions", { key, json: { model, messages, ...extra }, headers });

test("test_chat_completion", async () => {
  expect((await chat(MASTER_KEY, "gpt-3.5-turbo", WITH_LARGE_TEXT)).status).toBe(200);
});

const clientFallbacks: Array<[string, unknown[]]> = [
  ["test_chat_completion_client_fallbacks", ["gpt-instruct"]],
  ["test_chat_completion_client_fallbacks_with_custom_message", [{ model: "gpt-instruct", messages: [{ role: "assistant", content: "This is a custom message" }] }]],
];

test.each(clientFallbacks.flatMap(([name, fallbacks]) => [true, false].map((hasAccess) => [`${name}[has_access=${hasAccess}]`, fallbacks, hasAccess] as const)))(
  "%s",
  async (_, fallbacks, hasAccess) => {
    const { key } = await generateKey(hasAccess ? ["gpt-3.5-turbo", "gpt-instruct"] : ["gpt-3.5-turbo"]);
    const r = await chat(key, "gpt-3.5-turbo", ALEXANDER, { mock_testing_fallbacks: true, fallbacks });
    expect(r.status === 200).toBe(hasAccess);
  },
);

test("test_chat_completion_with_retries", async () => {
  const r = await chat(MASTER_KEY, "fake-openai-endpoint-4", WITH_LARGE_TEXT, { mock_testing_rate_limit_error: true });
  expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
  expect(r.headers.get("x-litellm-max-retries")).toBe("50");
});

test("test_chat_completion_with_fallbacks", async () => {
  const r = await chat(MASTER_KEY, "badly-configured-openai-endpoint", WITH_LARGE_TEXT, { fallbacks: ["fake-openai-endpoint-5"] });
  expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
}, 60_000);

test("test_chat_completion_with_timeout_from_request", async () => {
  const r = await chat(MASTER_KEY, "fake-openai-endpoint-5", WITH_LARGE_TEXT, { num_retries: 0, mock_timeout: true }, { "x-litellm-timeout": "0.001" });
  expect(r.headers.get("x-litellm-timeout")).toBe("0.001");
  expect(r.status).toBe(408);
  expect((r.body as { error: { message: string } }).error.message).toContain("litellm.Timeout: This is a mock timeout error");
});

test("test_chat_completion_bad_and_good_model", async () => {
  const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: proxy.url });
  const call = (model: string, signal?: AbortSignal) =>
    client.chat.completions.create({ model, messages: [{ role: "user", content: "Who was Alexander?" }] }, { signal }).then(
      () => true,
      () => false,
    );
  // bad-model's deployment has `mock_timeout: true` and `timeout: 60`: its calls hang. LiteLLM's test fires and
  // forgets them; here each round's are cancelled once its good calls are in (Bun's fetch holds at most 256 at once).
  for (let iteration = 0; iteration < 3; iteration++) {
    const gone = new AbortController();
    const bad = Array.from({ length: 100 }, () => call("bad-model", gone.signal));
    const good = await Promise.all(Array.from({ length: 100 }, () => call("good-model")));
    expect(good.every(Boolean)).toBe(true);
    gone.abort();
    expect(await Promise.all(bad)).toEqual(bad.map(() => false));
  }
}, 60_000);
