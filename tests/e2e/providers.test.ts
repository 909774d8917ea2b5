import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import { startFakeApis, type FakeApis } from "../fakes/openai-apis.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { baseEnvFor, COMPATIBLE } from "../../src/providers/openai-compatible/table.ts";

/**
 * One model per OpenAI-compatible provider in the table, none with an `api_base` or `api_key` in
 * the config: each is routed to its default base URL, which the test points at a fake through the
 * provider's own `*_API_BASE` env var (the one LiteLLM reads), with its key from the provider's own
 * key env var. Cohere's native API, an unknown provider and a base-less vLLM boot alongside.
 */
setDefaultTimeout(30_000);
const MASTER = "sk-master-providers";
let llm: FakeLLM;
let apis: FakeApis;
let gw: GatewayProcess;
/** Env vars the test sets; providers that share one (codestral and text-completion-codestral) get the last value. */
const env: Record<string, string> = {};

const CHAT_ROWS = COMPATIBLE.filter((r) => !r.serves || r.serves.includes("openai-chat"));
const EMBED_ONLY = COMPATIBLE.filter((r) => r.serves && !r.serves.includes("openai-chat"));
const modelName = (provider: string) => `m-${provider}`;

beforeAll(async () => {
  [llm, apis] = await Promise.all([startFakeLLM(), startFakeApis()]);
  Object.assign(env, { COHERE_API_BASE: apis.url, COHERE_API_KEY: "key-cohere" });
  for (const row of COMPATIBLE) {
    env[baseEnvFor(row)[0]!] = `${llm.url}/${row.name}`;
    if (row.keyEnv[0]) env[row.keyEnv[0]] = `key-${row.name}`;
  }
  gw = await startGateway({
    config: {
      model_list: [
        ...COMPATIBLE.map((row) => ({ model_name: modelName(row.name), litellm_params: { model: `${row.name}/upstream-${row.name}` } })),
        { model_name: "command-r", litellm_params: { model: "cohere/command-r-plus-08-2024" } },
        { model_name: "cohere-embed", litellm_params: { model: "cohere/embed-multilingual-v3.0" } },
        { model_name: "mystery", litellm_params: { model: "frobnicate/some-model" } },
        { model_name: "no-prefix", litellm_params: { model: "command-light" } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER },
    },
    env: { ...env, HOSTED_VLLM_API_BASE: undefined, VLLM_API_BASE: `${llm.url}/vllm` },
  });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([llm?.stop(), apis?.stop()]);
});

const client = () => new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const authOf = (headers: Record<string, string>, row: (typeof COMPATIBLE)[number]) => (row.keyHeader ? headers[row.keyHeader] : headers.authorization?.replace(/^Bearer /, ""));

describe("every provider in the table boots, is listed and routes to its default base", () => {
  test("/v1/models lists one model per provider, the unknown and base-less ones included", async () => {
    const ids = new Set((await client().models.list()).data.map((m) => m.id));
    for (const row of COMPATIBLE) expect(ids.has(modelName(row.name))).toBe(true);
    for (const m of ["command-r", "cohere-embed", "mystery", "no-prefix"]) expect(ids.has(m)).toBe(true);
  });

  test.each(CHAT_ROWS.filter((r) => r.name !== "hosted_vllm").map((r) => [r.name, r] as const))("%s: chat at <%s base>/chat/completions with its key env var", async (_name, row) => {
    const { data, response } = await client().chat.completions.create({ model: modelName(row.name), messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe("Hello from the fake OpenAI!");
    const base = env[baseEnvFor(row)[0]!]!;
    expect(response.headers.get("x-litellm-model-api-base")).toBe(base);
    const sent = llm.requests.findLast((r) => `${llm.url}${r.path}` === `${base}/chat/completions` && (r.body as { model: string }).model === `upstream-${row.name}`);
    expect(sent).toBeDefined();
    if (row.keyEnv[0]) expect(authOf(sent!.headers, row)).toBe(env[row.keyEnv[0]]);
  });

  test.each(EMBED_ONLY.map((r) => [r.name, r] as const))("%s: embeddings at its base; chat is refused as unsupported", async (_name, row) => {
    const out = await client().embeddings.create({ model: modelName(row.name), input: ["a", "b"] });
    expect(out.data).toHaveLength(2);
    expect(llm.requests.findLast((r) => r.path === `/${row.name}/embeddings`)).toBeDefined();
    const err = await client().chat.completions.create({ model: modelName(row.name), messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect(String((err as Error).message)).toContain(`${row.name} does not support openai-chat`);
  });
});

describe("Cohere's own API", () => {
  test("chat v2: OpenAI messages in, Cohere's answer back as a chat completion with billed usage", async () => {
    const out = await client().chat.completions.create({ model: "command-r", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "bonjour" }], max_tokens: 40, top_p: 0.5, stop: "END" });
    expect(out.choices[0]!.message.content).toBe("Cohere heard: bonjour");
    expect(out.choices[0]!.finish_reason).toBe("stop");
    expect(out.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4 });
    const sent = apis.requests.findLast((r) => r.path === "/v2/chat")!;
    expect(sent.headers.authorization).toBe("Bearer key-cohere");
    expect(sent.body).toEqual({ model: "command-r-plus-08-2024", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "bonjour" }], max_tokens: 40, p: 0.5, stop_sequences: ["END"] });
  });

  test("chat v2 streamed, and a tool call streamed: Cohere's events become chat chunks", async () => {
    const stream = await client().chat.completions.create({ model: "command-r", messages: [{ role: "user", content: "salut" }], stream: true });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe("Cohere heard: salut");
    const tools = [{ type: "function" as const, function: { name: "weather", description: "w", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const runner = client().chat.completions.stream({ model: "command-r", messages: [{ role: "user", content: "USE_TOOL now" }], tools, tool_choice: "required" });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(final.choices[0]!.message.tool_calls?.[0]).toMatchObject({ id: "call_cohere_1", function: { name: "weather", arguments: '{"city":"Paris"}' } });
    expect(apis.requests.findLast((r) => r.path === "/v2/chat")!.body).toMatchObject({ tool_choice: "REQUIRED", tools, stream: true });
  });

  test("embed v2: texts with LiteLLM's default input_type, vectors back in OpenAI's list shape", async () => {
    const out = await client().embeddings.create({ model: "cohere-embed", input: ["x", "y"] });
    expect(out.data.map((d) => d.embedding)).toEqual([[0.5, 0], [0.5, 1]]);
    expect(out.usage.prompt_tokens).toBe(4);
    expect(apis.requests.findLast((r) => r.path === "/v2/embed")!.body).toMatchObject({ texts: ["x", "y"], input_type: "search_document", embedding_types: ["float"] });
    const encoded = await fetch(`${gw.url}/v1/embeddings`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify({ model: "cohere-embed", input: "z", encoding_format: "base64" }) });
    const b64 = ((await encoded.json()) as { data: Array<{ embedding: string }> }).data[0]!.embedding;
    expect([...new Float32Array(Buffer.from(b64, "base64").buffer.slice(0))]).toEqual([0.5, 0]);
  });
});

describe("what cannot be called still boots and says why", () => {
  test.each<[string, string, string]>([
    ["mystery", 'provider "frobnicate" is not supported by this gateway (model_list[', '.litellm_params.model = "frobnicate/some-model")'],
    ["no-prefix", "LLM Provider NOT provided", '.litellm_params.model = "command-light"'],
    [modelName("hosted_vllm"), 'provider "hosted_vllm" needs an api_base (model_list[', "HOSTED_VLLM_API_BASE"],
  ])("%s: a 400 naming the provider and the config key, not 'Invalid model name'", async (model, first, second) => {
    const err = await client().chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    for (const p of [first, second]) expect(String((err as Error).message)).toContain(p);
    expect(String((err as Error).message)).not.toContain("Invalid model name");
  });

  test("the boot log names each such model once", () => {
    expect(gw.output()).toContain('(mystery): provider "frobnicate" is not supported by this gateway');
    expect(gw.output()).toContain(`(${modelName("hosted_vllm")}): provider "hosted_vllm" needs an api_base`);
  });
});
