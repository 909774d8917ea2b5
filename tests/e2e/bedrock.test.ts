import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startFakeBedrock, type FakeBedrock } from "../fakes/bedrock.ts";
import { runClaude } from "../helpers/agents-cli.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-bedrock";
const KEY_ID = "AKIAFAKEBEDROCK01";
const SECRET = "fake/secret+key/for-bedrock-tests";
let fake: FakeBedrock;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeBedrock({ keys: { [KEY_ID]: SECRET } });
  const aws = { aws_access_key_id: KEY_ID, aws_secret_access_key: SECRET, aws_region_name: "us-west-2", aws_bedrock_runtime_endpoint: fake.url };
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "claude-bedrock", litellm_params: { model: "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0", ...aws } },
        { model_name: "claude-bedrock-sts", litellm_params: { model: "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0", ...aws, aws_session_token: "FwoGZXIvYXdzEBfake" } },
        { model_name: "claude-bedrock-badkey", litellm_params: { model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0", ...aws, aws_secret_access_key: "wrong-secret" } },
        { model_name: "claude-*", litellm_params: { model: "bedrock/us.anthropic.claude-*", ...aws } },
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

const client = () => new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
const bashTool = { name: "Bash", description: "Run a shell command", input_schema: { type: "object" as const, properties: { command: { type: "string" } }, required: ["command"] } };

describe("Bedrock (Anthropic via invoke, SigV4) through the gateway", () => {
  test("non-streaming message with a tool call: signed invoke, model in the URL, version in the body", async () => {
    const msg = await client().messages.create({ model: "claude-bedrock", max_tokens: 100, tools: [bashTool], messages: [{ role: "user", content: "USE_BASH now" }] });
    expect(msg.stop_reason).toBe("tool_use");
    const tool = msg.content.find((b) => b.type === "tool_use");
    expect(tool?.type === "tool_use" && tool.name).toBe("Bash");
    expect(tool?.type === "tool_use" && tool.input).toEqual({ command: "echo hello", description: "Print hello" });
    const sent = fake.requests.at(-1)!;
    expect(sent.operation).toBe("invoke");
    expect(sent.modelId).toBe("anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(sent.path).toBe("/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke");
    expect(sent.signedBy).toBe(KEY_ID);
    expect(sent.headers.authorization).toContain("/us-west-2/bedrock/aws4_request");
    expect(sent.body.anthropic_version).toBe("bedrock-2023-05-31");
    expect(sent.body.model).toBeUndefined();
  });

  test("streaming message: event-stream frames decoded into Anthropic SSE, tool input streamed", async () => {
    const stream = client().messages.stream({ model: "claude-bedrock", max_tokens: 100, tools: [bashTool], messages: [{ role: "user", content: "USE_BASH now" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe("Running the command.");
    expect(final.stop_reason).toBe("tool_use");
    const tool = final.content.find((b) => b.type === "tool_use");
    expect(tool?.type === "tool_use" && tool.input).toEqual({ command: "echo hello", description: "Print hello" });
    expect(final.usage.output_tokens).toBe(12);
    expect(fake.requests.at(-1)!.operation).toBe("invoke-with-response-stream");
  });

  test("tool result round trip (second turn) and a plain streamed answer", async () => {
    const stream = client().messages.stream({
      model: "claude-bedrock",
      max_tokens: 100,
      tools: [bashTool],
      messages: [
        { role: "user", content: "USE_BASH now" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "echo hello" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "hello" }] },
      ],
    });
    const final = await stream.finalMessage();
    expect(final.content[0]!.type === "text" && final.content[0]!.text).toBe("Tool output was: hello");
  });

  test("session token is sent and signed; only Bedrock-supported betas reach the body", async () => {
    await client().messages.create(
      { model: "claude-bedrock-sts", max_tokens: 50, messages: [{ role: "user", content: "hi" }] },
      { headers: { "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14" } },
    );
    const sent = fake.requests.at(-1)!;
    expect(sent.sessionToken).toBe("FwoGZXIvYXdzEBfake");
    expect(sent.body.anthropic_beta).toEqual(["interleaved-thinking-2025-05-14"]);
    expect(sent.modelId).toBe("us.anthropic.claude-haiku-4-5-20251001-v1:0");
  });

  test("a wrong secret fails SigV4 verification at the fake and surfaces as a 403", async () => {
    const err = await client()
      .messages.create({ model: "claude-bedrock-badkey", max_tokens: 50, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(403);
    expect(String((err as Error).message)).toContain("signature");
    expect(fake.requests.length).toBe(0);
  });

  test("a throttlingException frame before the first event becomes a 429", async () => {
    fake.failNextStream("throttlingException");
    const err = await client()
      .messages.create({ model: "claude-bedrock", max_tokens: 50, stream: true, messages: [{ role: "user", content: "hi" }] })
      .then(async (s) => {
        for await (const _ of s) {
          /* drain */
        }
      })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(429);
  });

  test("Claude Code (claude -p) completes a prompt on Bedrock", async () => {
    const r = await runClaude({ baseUrl: gw.url, apiKey: MASTER, prompt: "say hi" });
    const result = r.events.find((e) => e.type === "result");
    expect(result, r.stderr + r.stdout).toBeDefined();
    expect(result!.is_error).toBe(false);
    expect(String(result!.result)).toContain("Hello from the fake Anthropic!");
    const call = fake.requests.find((q) => q.operation === "invoke-with-response-stream");
    expect(call?.modelId).toMatch(/^us\.anthropic\.claude-/);
    expect(call?.signedBy).toBe(KEY_ID);
  }, 90_000);

  test("Claude Code runs a Bash tool call on Bedrock", async () => {
    const r = await runClaude({ baseUrl: gw.url, apiKey: MASTER, prompt: "USE_BASH please", extraArgs: ["--dangerously-skip-permissions"] });
    const result = r.events.find((e) => e.type === "result");
    expect(result, r.stderr + r.stdout).toBeDefined();
    expect(String(result!.result)).toContain("Tool output was: hello");
  }, 90_000);
});
