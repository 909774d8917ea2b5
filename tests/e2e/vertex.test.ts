import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-vertex";
let fake: FakeGoogle;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeGoogle({ apiKey: "unused", staticToken: "ya29.static-token" });
  const credsFile = join(mkdtempSync(join(tmpdir(), "lr-vertex-")), "sa.json");
  writeFileSync(credsFile, JSON.stringify(fake.oauth.serviceAccount));
  const vertex = { vertex_location: "europe-west1", api_base: fake.url };
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "claude-vertex", litellm_params: { model: "vertex_ai/claude-sonnet-4-5@20250929", vertex_project: "proj-a", vertex_credentials: credsFile, ...vertex } },
        { model_name: "gemini-vertex", litellm_params: { model: "vertex_ai/gemini-2.5-pro", vertex_credentials: JSON.stringify(fake.oauth.serviceAccount), ...vertex } },
        { model_name: "gemini-vertex-user", litellm_params: { model: "vertex_ai/gemini-2.5-pro", vertex_credentials: JSON.stringify(fake.oauth.authorizedUser), ...vertex } },
        { model_name: "claude-vertex-token", litellm_params: { model: "vertex_ai/claude-haiku-4-5@20251001", vertex_project: "proj-b", api_key: "ya29.static-token", ...vertex } },
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

const anthropic = () => new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
const openai = () => new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const bashTool = { name: "Bash", description: "Run a shell command", input_schema: { type: "object" as const, properties: { command: { type: "string" } } } };

describe("Claude on Vertex AI through the gateway with the Anthropic SDK", () => {
  test("non-streaming tool call: rawPredict with the model in the URL and vertex anthropic_version", async () => {
    const msg = await anthropic().messages.create({ model: "claude-vertex", max_tokens: 100, tools: [bashTool], messages: [{ role: "user", content: "USE_BASH now" }] });
    expect(msg.stop_reason).toBe("tool_use");
    const tool = msg.content.find((b) => b.type === "tool_use");
    expect(tool?.type === "tool_use" && tool.input).toEqual({ command: "echo hello", description: "Print hello" });
    const sent = fake.requests.at(-1)!;
    expect(sent.api).toBe("vertex-anthropic");
    expect(sent.path).toBe("/v1/projects/proj-a/locations/europe-west1/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict");
    expect(sent.body.anthropic_version).toBe("vertex-2023-10-16");
    expect(sent.body.model).toBeUndefined();
    expect(fake.oauth.issued).toContain(sent.headers.authorization!.replace("Bearer ", ""));
  });

  test("streaming: streamRawPredict SSE passes through; the token is cached across calls", async () => {
    const before = fake.oauth.exchanges.length;
    for (let i = 0; i < 2; i++) {
      const stream = anthropic().messages.stream({ model: "claude-vertex", max_tokens: 100, tools: [bashTool], messages: [{ role: "user", content: "USE_BASH now" }] });
      let text = "";
      stream.on("text", (t) => (text += t));
      const final = await stream.finalMessage();
      expect(text).toBe("Running the command.");
      expect(final.content.some((b) => b.type === "tool_use")).toBe(true);
    }
    expect(fake.requests.at(-1)!.path).toEndWith(":streamRawPredict");
    expect(fake.oauth.exchanges.length - before).toBeLessThanOrEqual(1);
    const jwt = fake.oauth.exchanges.at(-1)!.claims!;
    expect(jwt.iss).toBe(fake.oauth.serviceAccount.client_email);
    expect(jwt.aud).toBe(fake.tokenUri);
  });

  test("a plain api_key is used as the bearer token without any exchange", async () => {
    const before = fake.oauth.exchanges.length;
    const msg = await anthropic().messages.create({ model: "claude-vertex-token", max_tokens: 50, messages: [{ role: "user", content: "hi" }] });
    expect(msg.content[0]!.type === "text" && msg.content[0]!.text).toBe("Hello from the fake Anthropic!");
    const sent = fake.requests.at(-1)!;
    expect(sent.headers.authorization).toBe("Bearer ya29.static-token");
    expect(sent.project).toBe("proj-b");
    expect(fake.oauth.exchanges.length).toBe(before);
  });
});

describe("Gemini on Vertex AI through the gateway with the OpenAI SDK", () => {
  test("project from the service account, generateContent on the google publisher", async () => {
    const r = await openai().chat.completions.create({ model: "gemini-vertex", messages: [{ role: "user", content: "hi" }] });
    expect(r.choices[0]!.message.content).toBe("Hello from the fake Gemini!");
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1/projects/fake-project/locations/europe-west1/publishers/google/models/gemini-2.5-pro:generateContent");
  });

  test("streaming with authorized_user credentials (refresh-token grant)", async () => {
    const stream = await openai().chat.completions.create({ model: "gemini-vertex-user", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    expect(text).toBe("Hello from the fake Gemini!");
    const sent = fake.requests.at(-1)!;
    expect(sent.project).toBe("user-project");
    expect(sent.path).toEndWith(":streamGenerateContent");
    expect(fake.oauth.exchanges.some((e) => e.grant === "refresh_token")).toBe(true);
  });
});
