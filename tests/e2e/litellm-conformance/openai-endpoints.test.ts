import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI, { AzureOpenAI } from "openai";
import { startFakeBedrock, type FakeBedrock } from "../../fakes/bedrock.ts";
import { proxyClient, uuid, type Answer } from "./client.ts";
import { MASTER_KEY, startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

const AWS_KEY_ID = "AKIACONFORMANCE01";
const AWS_SECRET = "conformance-secret";
let bedrock: FakeBedrock;
let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  bedrock = await startFakeBedrock({ keys: { [AWS_KEY_ID]: AWS_SECRET } });
  proxy = await startLiteLLMProxy("openai_endpoints", {
    AWS_ACCESS_KEY_ID: AWS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    AWS_REGION_NAME: "us-east-1",
    AWS_BEDROCK_RUNTIME_ENDPOINT: bedrock.url,
  });
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await bedrock?.stop();
});

const KEY_MODELS = ["gpt-4", "text-embedding-ada-002", "dall-e-2", "fake-openai-endpoint-2", "mistral-embed"];

async function checked(a: Promise<Answer>): Promise<any> {
  const r = await a;
  expect(r.status).toBe(200);
  let size = 0;
  r.headers.forEach((v, k) => (size += k.length + v.length));
  expect(size).toBeLessThan(4096);
  return r.body;
}
const generateKey = (models = KEY_MODELS) => checked(px.send("POST", "/key/generate", { json: { models, duration: null } }));
const newUser = () => checked(px.send("POST", "/user/new", { json: { models: ["gpt-4", "text-embedding-ada-002", "dall-e-2"], duration: null } }));
const chat = (key: string, model: string) =>
  checked(
    px.send("POST", "/chat/completions", {
      key,
      json: {
        model,
        messages: [
          { role: "system", content: "You are a helpful assistant." },
          { role: "user", content: `Hello! ${uuid()}` },
        ],
      },
    }),
  );
const embeddings = (key: string, model = "text-embedding-ada-002") => checked(px.send("POST", "/embeddings", { key, json: { model, input: ["hello world"] } }));
const openai = () => new OpenAI({ apiKey: MASTER_KEY, baseURL: proxy.url });

test("test_chat_completion", async () => {
  const made = await generateKey(["gpt-3.5-turbo"]);
  const azure = new AzureOpenAI({ endpoint: proxy.url, deployment: "random-model", apiKey: made.key, apiVersion: "2024-02-15-preview" });
  const e = await azure.chat.completions.create({ model: "gpt-4", messages: [{ role: "user", content: "Hello!" }] }).catch((x: Error) => x);
  expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
  expect(String(e)).toContain("key not allowed to access model.");
});

test("test_chat_completion_streaming", async () => {
  const stream = await openai().chat.completions.create({
    model: "gpt-3.5-turbo-large",
    messages: [{ role: "user", content: "Hello!" }],
    logprobs: true,
    top_logprobs: 2,
    stream: true,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
  expect(text.length).toBeGreaterThan(0);
});

test("test_chat_completion_anthropic_structured_output", async () => {
  const eventsList = {
    type: "object",
    properties: {
      events: {
        type: "array",
        items: {
          type: "object",
          properties: { name: { type: "string" }, date: { type: "string" }, participants: { type: "array", items: { type: "string" } } },
          required: ["name", "date", "participants"],
          additionalProperties: false,
        },
      },
    },
    required: ["events"],
    additionalProperties: false,
  };
  const res = await openai().chat.completions.create(
    {
      model: "bedrock/us.anthropic.claude-3-sonnet-20240229-v1:0",
      messages: [{ role: "user", content: "List 5 important events in the XIX century" }],
      response_format: { type: "json_schema", json_schema: { name: "EventsList", schema: eventsList, strict: true } },
    },
    { timeout: 60_000 },
  );
  const parsed = JSON.parse(res.choices[0]!.message.content!);
  for (const event of parsed.events) expect(Object.keys(event).sort()).toEqual(["date", "name", "participants"]);
});

test("test_embeddings", async () => {
  const { key } = await generateKey();
  await embeddings(key);
  const user = await newUser();
  await embeddings(user.key);
  await embeddings(key, "mistral-embed");
});

test("test_openai_wildcard_chat_completion", async () => {
  const { key } = await generateKey(["*"]);
  await chat(key, "gpt-3.5-turbo-0125");
});

test("test_proxy_all_models", async () => {
  await chat(MASTER_KEY, "groq/llama-3.1-8b-instant");
  await chat(MASTER_KEY, "anthropic/claude-sonnet-4-5-20250929");
});

test("test_batch_chat_completions", async () => {
  const response = await chat(MASTER_KEY, "gpt-3.5-turbo,fake-openai-endpoint");
  expect(Array.isArray(response)).toBe(true);
  expect(response).toHaveLength(2);
});

test("test_moderations_endpoint", async () => {
  const response = await checked(px.send("POST", "/moderations", { json: { input: "I want to kill the cat." } }));
  expect(response).toHaveProperty("results");
});
