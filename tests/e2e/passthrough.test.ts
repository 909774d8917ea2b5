import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeApis, type FakeApis } from "../fakes/openai-apis.ts";
import { startFakeBedrock, type FakeBedrock } from "../fakes/bedrock.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { runClaude } from "../helpers/agents-cli.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/**
 * LiteLLM's provider pass-through routes against wire-level fakes: the client's path and body reach
 * the provider with the gateway's credentials (its key, SigV4, an OAuth token it fetched), never the
 * client's virtual key, and each call leaves a `pass_through_endpoint` SpendLogs row priced from the
 * answer's usage. The real Claude Code CLI runs in Bedrock and Vertex modes through them.
 */
setDefaultTimeout(30_000);
const MASTER = "sk-master-passthrough";
const KEY_ID = "AKIAPASSTHROUGH01";
const SECRET = "pass/through+secret";
const IN = 0.000003;
const OUT = 0.000015;
const CACHE_READ = 0.0000003;
const CACHE_WRITE = 0.00000375;
type AnthropicUsage = { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null };
/** LiteLLM counts cache reads and writes as prompt tokens. */
const promptOf = (u: AnthropicUsage) => u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
let bedrock: FakeBedrock;
let google: FakeGoogle;
let llm: FakeLLM;
let apis: FakeApis;
let db: TestDb;
let gw: GatewayProcess;
let key: string;

beforeAll(async () => {
  [bedrock, google, llm, apis, db] = await Promise.all([startFakeBedrock({ keys: { [KEY_ID]: SECRET } }), startFakeGoogle({ apiKey: "gemini-upstream-key" }), startFakeLLM(), startFakeApis(), createTestDb("lr_passthrough")]);
  const aws = { aws_access_key_id: KEY_ID, aws_secret_access_key: SECRET, aws_region_name: "us-east-1", aws_bedrock_runtime_endpoint: bedrock.url };
  const vertex = { vertex_project: "proj-cc", vertex_location: "us-east5", vertex_credentials: JSON.stringify(google.oauth.serviceAccount), api_base: google.url };
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "bedrock-creds", litellm_params: { model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0", ...aws, use_in_pass_through: true } },
        { model_name: "claude-bedrock", litellm_params: { model: "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0", ...aws, input_cost_per_token: IN, output_cost_per_token: OUT, cache_read_input_token_cost: CACHE_READ, cache_creation_input_token_cost: CACHE_WRITE } },
        { model_name: "vertex-creds", litellm_params: { model: "vertex_ai/claude-sonnet-4-5@20250929", ...vertex, use_in_pass_through: true } },
        { model_name: "azure-gpt", litellm_params: { model: "azure/gpt-4o-deploy", api_base: `${llm.url}`, api_key: "azure-upstream-key", api_version: "2024-10-21" } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: {
        master_key: MASTER,
        database_url: db.url,
        proxy_batch_write_at: 0.2,
        pass_through_endpoints: [
          { path: "/custom/rerank", target: `${apis.url}/v1/rerank`, headers: { Authorization: "Bearer os.environ/CUSTOM_RERANK_KEY" }, auth: true, cost_per_request: 0.01 },
          { path: "/open/models", target: `${apis.url}/v1`, include_subpath: true },
        ],
      },
    },
    env: {
      ANTHROPIC_API_BASE: llm.url,
      ANTHROPIC_API_KEY: "anthropic-upstream-key",
      OPENAI_API_BASE: llm.url,
      OPENAI_API_KEY: "openai-upstream-key",
      GEMINI_API_BASE: google.url,
      GEMINI_API_KEY: "gemini-upstream-key",
      CUSTOM_RERANK_KEY: "rerank-upstream-key",
    },
  });
  const r = await fetch(`${gw.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify({ key_alias: "pt" }) });
  key = ((await r.json()) as { key: string }).key;
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([bedrock?.stop(), google?.stop(), llm?.stop(), apis?.stop()]);
  await db?.drop();
});

interface SpendRow {
  call_type: string;
  spend: number;
  api_key: string;
  custom_llm_provider: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
}

const spendRow = (id: string) => waitFor(async () => (await db.sql<SpendRow[]>`SELECT * FROM "LiteLLM_SpendLogs" WHERE request_id = ${id}`)[0], 10_000, `spend row ${id}`);
const rowsFor = (provider: string) => db.sql<SpendRow[]>`SELECT * FROM "LiteLLM_SpendLogs" WHERE custom_llm_provider = ${provider} AND call_type = 'pass_through_endpoint'`;
const keyHash = () => new Bun.CryptoHasher("sha256").update(key).digest("hex");

/** The real Claude Code CLI in one of its cloud modes, its virtual key as ANTHROPIC_AUTH_TOKEN: the prompt must complete. */
async function claudeCompletes(env: Record<string, string>): Promise<void> {
  const r = await runClaude({ baseUrl: gw.url, apiKey: key, prompt: "say hi", env: { ...env, ANTHROPIC_AUTH_TOKEN: key } });
  const result = r.events.find((e) => e.type === "result");
  expect(result, r.stderr + r.stdout).toBeDefined();
  expect(result!.is_error).toBe(false);
  expect(String(result!.result)).toContain("Hello from the fake Anthropic!");
}

describe("Claude Code through the Bedrock and Vertex pass-through routes", () => {
  test("CLAUDE_CODE_USE_BEDROCK with ANTHROPIC_BEDROCK_BASE_URL at /bedrock: the prompt completes, signed with the gateway's AWS key", async () => {
    const before = bedrock.requests.length;
    await claudeCompletes({ CLAUDE_CODE_USE_BEDROCK: "1", ANTHROPIC_BEDROCK_BASE_URL: `${gw.url}/bedrock`, CLAUDE_CODE_SKIP_BEDROCK_AUTH: "1", AWS_REGION: "us-east-1" });
    const call = bedrock.requests.slice(before).find((q) => q.operation === "invoke-with-response-stream")!;
    expect(call.modelId).toMatch(/^us\.anthropic\.claude-/);
    expect(call.signedBy).toBe(KEY_ID);
    expect(call.body.anthropic_version).toBe("bedrock-2023-05-31");
    const rows = await waitFor(async () => {
      const all = await rowsFor("bedrock");
      return all.some((x) => x.model === call.modelId && x.completion_tokens > 0) && all;
    });
    const row = rows.find((x) => x.model === call.modelId)!;
    expect(row.api_key).toBe(keyHash());
  }, 90_000);

  test("a config model in the Bedrock path is called as its deployment: its model id upstream, its prices", async () => {
    const res = await fetch(`${gw.url}/bedrock/model/claude-bedrock/invoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 50, messages: [{ role: "user", content: "hi" }] }),
    });
    const body = (await res.json()) as { id: string; usage: AnthropicUsage };
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-group")).toBe("claude-bedrock");
    expect(bedrock.requests.at(-1)!.path).toBe("/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke");
    const row = await spendRow(body.id);
    expect(row.call_type).toBe("pass_through_endpoint");
    const u = body.usage;
    expect(row.spend).toBeCloseTo(u.input_tokens * IN + (u.cache_read_input_tokens ?? 0) * CACHE_READ + (u.cache_creation_input_tokens ?? 0) * CACHE_WRITE + u.output_tokens * OUT, 12);
  });

  test("CLAUDE_CODE_USE_VERTEX with ANTHROPIC_VERTEX_BASE_URL at /vertex_ai/v1: the prompt completes with the gateway's OAuth token", async () => {
    const before = google.requests.length;
    await claudeCompletes({ CLAUDE_CODE_USE_VERTEX: "1", ANTHROPIC_VERTEX_BASE_URL: `${gw.url}/vertex_ai/v1`, CLAUDE_CODE_SKIP_VERTEX_AUTH: "1", ANTHROPIC_VERTEX_PROJECT_ID: "proj-cc", CLOUD_ML_REGION: "us-east5" });
    const call = google.requests.slice(before).find((q) => q.api === "vertex-anthropic")!;
    expect(call.path).toMatch(/^\/v1\/projects\/proj-cc\/locations\/us-east5\/publishers\/anthropic\/models\/claude-[^/]+:streamRawPredict$/);
    expect(google.oauth.issued).toContain(call.headers.authorization!.replace("Bearer ", ""));
    expect(call.headers.authorization).not.toContain(key);
    await waitFor(async () => (await rowsFor("vertex_ai")).some((x) => x.completion_tokens > 0));
  }, 90_000);
});

describe("provider pass-through routes", () => {
  test("/anthropic with the Anthropic SDK: the virtual key in x-api-key, the gateway's key upstream; usage priced", async () => {
    const client = new Anthropic({ apiKey: key, baseURL: `${gw.url}/anthropic`, maxRetries: 0 });
    const msg = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 50, messages: [{ role: "user", content: "hi" }] }, { headers: { "anthropic-beta": "some-beta-2025" } });
    expect(msg.content[0]!.type === "text" && msg.content[0].text).toBe("Hello from the fake Anthropic!");
    const sent = llm.requests.findLast((q) => q.path === "/v1/messages")!;
    expect(sent.headers["x-api-key"]).toBe("anthropic-upstream-key");
    expect(sent.headers["anthropic-beta"]).toBe("some-beta-2025");
    expect(JSON.stringify(sent.headers)).not.toContain(key);
    const row = await spendRow(msg.id);
    expect(row).toMatchObject({ call_type: "pass_through_endpoint", custom_llm_provider: "anthropic", model: "claude-sonnet-4-5", prompt_tokens: promptOf(msg.usage), completion_tokens: msg.usage.output_tokens });
    expect(row.spend).toBeGreaterThan(0);
  });

  test("/anthropic streamed: bytes relayed, usage read from the stream's first and last events", async () => {
    const client = new Anthropic({ apiKey: key, baseURL: `${gw.url}/anthropic`, maxRetries: 0 });
    const final = await client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 50, messages: [{ role: "user", content: "hi" }] }).finalMessage();
    const row = await spendRow(final.id);
    expect(row.completion_tokens).toBe(final.usage.output_tokens);
    expect(row.prompt_tokens).toBe(promptOf(final.usage));
  });

  test("/openai with the openai SDK: Bearer of the gateway's OPENAI_API_KEY at OPENAI_API_BASE", async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/openai/v1`, maxRetries: 0 });
    const out = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(out.choices[0]!.message.content).toBe("Hello from the fake OpenAI!");
    expect(llm.requests.findLast((q) => q.path === "/v1/chat/completions")!.headers.authorization).toBe("Bearer openai-upstream-key");
    expect((await spendRow(out.id)).prompt_tokens).toBe(out.usage!.prompt_tokens);
  });

  test("/azure: a config model named in the path uses that deployment's base and api-key", async () => {
    const res = await fetch(`${gw.url}/azure/openai/deployments/azure-gpt/chat/completions?api-version=2024-10-21`, {
      method: "POST",
      headers: { "api-key": key, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    const sent = llm.requests.findLast((q) => q.path.endsWith("/chat/completions"))!;
    expect(sent.path).toBe("/openai/deployments/azure-gpt/chat/completions");
    expect(sent.query).toBe("?api-version=2024-10-21");
    expect(sent.headers["api-key"]).toBe("azure-upstream-key");
  });

  test("/gemini: the virtual key as ?key=, Google gets the gateway's key and never the virtual one", async () => {
    const res = await fetch(`${gw.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent?key=${key}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { candidates: Array<{ content: { parts: Array<{ text: string }> } }>; usageMetadata: { candidatesTokenCount: number; thoughtsTokenCount?: number } };
    expect(body.candidates[0]!.content.parts[0]!.text).toContain("Hello");
    const sent = google.requests.findLast((q) => q.api === "gemini")!;
    expect(sent.headers["x-goog-api-key"]).toBe("gemini-upstream-key");
    expect(sent.query).toBe("");
    const rows = await waitFor(async () => (await rowsFor("gemini")).filter((x) => x.model === "gemini-2.5-flash").at(-1));
    expect(rows.completion_tokens).toBe(body.usageMetadata.candidatesTokenCount + (body.usageMetadata.thoughtsTokenCount ?? 0));
  });

  test("no key, or a wrong one: 401 before anything is forwarded", async () => {
    const before = llm.requests.length;
    const none = await fetch(`${gw.url}/anthropic/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { type: string }).type).toBe("error");
    const wrong = await fetch(`${gw.url}/openai/v1/models`, { headers: { authorization: "Bearer sk-not-a-key" } });
    expect([401, 403]).toContain(wrong.status);
    expect(llm.requests.length).toBe(before);
  });
});

describe("general_settings.pass_through_endpoints", () => {
  test("a configured route: target, headers with os.environ/ resolved, virtual-key auth, cost_per_request", async () => {
    const res = await fetch(`${gw.url}/custom/rerank`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "rerank-x", query: "q", documents: ["a", "b"] }),
    });
    expect(res.status).toBe(200);
    const sent = apis.requests.findLast((q) => q.path === "/v1/rerank")!;
    expect(sent.headers.authorization).toBe("Bearer rerank-upstream-key");
    const row = await spendRow(res.headers.get("x-litellm-call-id")!);
    expect(row).toMatchObject({ call_type: "pass_through_endpoint", spend: 0.01, api_key: keyHash() });
    const noKey = await fetch(`${gw.url}/custom/rerank`, { method: "POST", body: "{}" });
    expect(noKey.status).toBe(401);
  });

  test("include_subpath forwards the rest of the path; without auth: true no key is asked (LiteLLM's default)", async () => {
    const res = await fetch(`${gw.url}/open/models/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", prompt: "p" }) });
    expect(res.status).toBe(200);
    expect(apis.requests.at(-1)!.path).toBe("/v1/completions");
  });
});
