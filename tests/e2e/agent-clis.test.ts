import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { runClaude, runCodex } from "../helpers/agents-cli.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-cli-test";
let fake: FakeLLM;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeLLM();
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "claude-*", litellm_params: { model: "anthropic/claude-*", api_base: fake.url, api_key: "sk-ant-upstream" } },
        { model_name: "claude-for-codex", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: fake.url, api_key: "sk-ant-upstream" } },
        { model_name: "qwen-chat", litellm_params: { model: "hosted_vllm/qwen3-coder", api_base: `${fake.url}/v1` } },
        { model_name: "gpt-codex", litellm_params: { model: "openai/gpt-5-codex", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream" } },
      ],
      general_settings: { master_key: MASTER },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
});

beforeEach(() => fake.reset());

describe("real coding-agent CLIs through the gateway", () => {
  test("Claude Code (claude -p, stream-json) completes a prompt", async () => {
    const r = await runClaude({ baseUrl: gw.url, apiKey: MASTER, prompt: "say hi" });
    const result = r.events.find((e) => e.type === "result");
    expect(result, r.stderr + r.stdout).toBeDefined();
    expect(result!.is_error).toBe(false);
    expect(String(result!.result)).toContain("Hello from the fake Anthropic!");
    expect(r.code).toBe(0);
    const post = fake.requests.find((q) => q.path === "/v1/messages");
    expect(post).toBeDefined();
    expect(post!.headers["x-api-key"]).toBe("sk-ant-upstream");
    expect(post!.headers["anthropic-beta"]).toContain("claude-code");
    expect((post!.body as { model: string }).model).toMatch(/^claude-/);
  }, 90_000);

  test("Claude Code runs a Bash tool call through the gateway", async () => {
    const r = await runClaude({ baseUrl: gw.url, apiKey: MASTER, prompt: "USE_BASH please", extraArgs: ["--dangerously-skip-permissions"] });
    const result = r.events.find((e) => e.type === "result");
    expect(result, r.stderr + r.stdout).toBeDefined();
    expect(String(result!.result)).toContain("Tool output was: hello");
    expect(fake.requests.filter((q) => q.path === "/v1/messages").length).toBe(2);
  }, 90_000);

  const PERSON = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"], additionalProperties: false };
  for (const [label, model, path] of [
    ["an Anthropic upstream (pass-through)", undefined, "/v1/messages"],
    ["an OpenAI chat upstream (translated)", "qwen-chat", "/v1/chat/completions"],
  ] as const) {
    test(`Claude Code --json-schema: its StructuredOutput tool call comes back as structured_output, on ${label}`, async () => {
      const r = await runClaude({ baseUrl: gw.url, apiKey: MASTER, model, prompt: "USE_TOOL StructuredOutput", extraArgs: ["--json-schema", JSON.stringify(PERSON)] });
      const result = r.events.find((e) => e.type === "result");
      expect(result, r.stderr + r.stdout).toBeDefined();
      expect(result!.is_error).toBe(false);
      const out = result!.structured_output as { name: unknown; age: unknown };
      expect(typeof out.name).toBe("string");
      expect(Number.isInteger(out.age)).toBe(true);
      const post = fake.requests.find((q) => q.path === path)!;
      const tools = (post.body as { tools: Array<Record<string, any>> }).tools;
      const structured = tools.find((t) => (t.name ?? t.function?.name) === "StructuredOutput")!;
      expect(structured.input_schema ?? structured.function.parameters).toMatchObject({ properties: PERSON.properties, required: PERSON.required });
    }, 90_000);
  }

  test("Codex (codex exec) completes a prompt over the Responses API", async () => {
    const r = await runCodex({ baseUrl: `${gw.url}/v1`, apiKey: MASTER, prompt: "say hi", model: "gpt-codex" });
    const msg = r.events.find((e) => e.type === "item.completed" && (e.item as { type?: string })?.type === "agent_message");
    expect(msg, r.stderr + r.stdout).toBeDefined();
    expect(String((msg!.item as { text: string }).text)).toContain("Hello from the fake OpenAI Responses!");
    expect(r.events.some((e) => e.type === "turn.completed")).toBe(true);
    const post = fake.requests.find((q) => q.path === "/v1/responses");
    expect(post!.headers.authorization).toBe("Bearer sk-openai-upstream");
    expect((post!.body as { model: string }).model).toBe("gpt-5-codex");
  }, 90_000);

  for (const [label, model, path] of [
    ["the OpenAI Responses upstream (pass-through)", "gpt-codex", "/v1/responses"],
    ["an Anthropic upstream (translated)", "claude-for-codex", "/v1/messages"],
  ] as const) {
    test(`Codex --output-schema: the schema reaches ${label} in its native form and the final message follows it`, async () => {
      const schemaFile = join(mkdtempSync(join(tmpdir(), "lr-codex-schema-")), "person.json");
      writeFileSync(schemaFile, JSON.stringify(PERSON));
      const r = await runCodex({ baseUrl: `${gw.url}/v1`, apiKey: MASTER, prompt: "describe a person", model, extraArgs: ["--output-schema", schemaFile] });
      const msg = r.events.find((e) => e.type === "item.completed" && (e.item as { type?: string })?.type === "agent_message");
      expect(msg, r.stderr + r.stdout).toBeDefined();
      const person = JSON.parse((msg!.item as { text: string }).text) as { name: unknown; age: unknown };
      expect(typeof person.name).toBe("string");
      expect(Number.isInteger(person.age)).toBe(true);
      const body = fake.requests.find((q) => q.path === path)!.body as Record<string, any>;
      const schema = path === "/v1/responses" ? body.text.format.schema : body.output_config.format.schema;
      expect(schema).toMatchObject({ properties: PERSON.properties, required: PERSON.required });
    }, 90_000);
  }
});
