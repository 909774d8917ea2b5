import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeAzureAI, type FakeAzureAI } from "../fakes/azure-ai.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-azure-ai";
let fake: FakeAzureAI;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeAzureAI({ apiKey: "foundry-key", apiVersion: "2024-05-01-preview" });
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "mistral-foundry", litellm_params: { model: "azure_ai/mistral-large-2411", api_base: `${fake.url}/models`, api_key: "foundry-key" } },
        { model_name: "foundry-embed", litellm_params: { model: "azure_ai/Cohere-embed-v3-english", api_base: `${fake.url}/models`, api_key: "foundry-key" } },
        { model_name: "claude-foundry", litellm_params: { model: "azure_ai/claude-sonnet-4-5", api_base: `${fake.url}/models`, api_key: "foundry-key" } },
        { model_name: "foundry-badkey", litellm_params: { model: "azure_ai/mistral-large-2411", api_base: `${fake.url}/models`, api_key: "nope" } },
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

beforeEach(() => {
  fake.requests.length = 0;
  fake.inner.reset();
});

const client = () => new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: "function", function: { name: "Bash", parameters: { type: "object", properties: { command: { type: "string" } } } } }];

describe("Azure AI Foundry through the gateway with the OpenAI SDK", () => {
  test("non-streaming tool call: /models/chat/completions with api-version, api-key and the model in the body", async () => {
    const r = await client().chat.completions.create({ model: "mistral-foundry", tools, messages: [{ role: "user", content: "USE_BASH now" }] });
    const call = r.choices[0]!.message.tool_calls?.[0];
    expect(r.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ command: "echo hello" });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/models/chat/completions");
    expect(sent.query).toBe("?api-version=2024-05-01-preview");
    expect(sent.headers["api-key"]).toBe("foundry-key");
    expect(sent.body.model).toBe("mistral-large-2411");
  });

  test("streaming with a tool call and usage", async () => {
    const stream = await client().chat.completions.create({ model: "mistral-foundry", tools, messages: [{ role: "user", content: "USE_BASH now" }], stream: true });
    let text = "";
    let args = "";
    let usage = false;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? "";
      args += c.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? "";
      if (c.usage) usage = true;
    }
    expect(text).toBe("Running the command.");
    expect(JSON.parse(args)).toEqual({ command: "echo hello" });
    expect(usage).toBe(true);
  });

  test("embeddings", async () => {
    const r = await client().embeddings.create({ model: "foundry-embed", input: ["a", "b"] });
    expect(r.data.length).toBe(2);
    expect(fake.requests.at(-1)!.path).toBe("/models/embeddings");
  });

  test("a wrong key is Azure's 401", async () => {
    const err = await client()
      .chat.completions.create({ model: "foundry-badkey", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(401);
    expect(String((err as Error).message)).toContain("invalid subscription key");
  });

  test("Claude on Foundry speaks the Messages API at /anthropic/v1/messages", async () => {
    const a = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
    const msg = await a.messages.create({ model: "claude-foundry", max_tokens: 50, messages: [{ role: "user", content: "hi" }] });
    expect(msg.content[0]!.type === "text" && msg.content[0]!.text).toBe("Hello from the fake Anthropic!");
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/anthropic/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("foundry-key");
    expect(sent.body.model).toBe("claude-sonnet-4-5");
  });
});
