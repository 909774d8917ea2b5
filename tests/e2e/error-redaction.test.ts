import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/**
 * Upstreams that quote the credential they were sent in their error (as OpenAI's "Incorrect API key
 * provided: sk-..." does): the client, the log and the stored error rows get the message with the
 * credential masked.
 */
const MASTER = "sk-master-redaction-0001";
const CONFIG_KEY = "sk-proj-ConfigOpenAIKey-7777777777";
const ENV_KEY = "sk-ant-api03-EnvAnthropicKey-88888888";
const DB_KEY = "sk-db-stored-model-key-99999999";
const DB_KEY_2 = "sk-db-stored-model-key-rotated-1111";
const VAULT_VALUE = "vault-value-github-token-4242";

let db: TestDb;
let google: FakeGoogle;
let gw: GatewayProcess;
let quoting: ReturnType<typeof Bun.serve>;
const seen: string[] = [];

/** The credential a request carried, as an upstream reads it. */
function credentialOf(req: Request): string {
  const h = req.headers;
  return h.get("x-api-key") ?? h.get("api-key") ?? h.get("authorization")?.replace(/^Bearer /, "") ?? "";
}

/** A stream that starts well and then fails quoting the credential, as an upstream's mid-stream error event does. */
function midStreamError(anthropic: boolean, message: string): Response {
  const events = anthropic
    ? [
        `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 0 } } })}\n\n`,
        `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "authentication_error", message } })}\n\n`,
      ]
    : [
        `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", model: "gpt-4o", choices: [{ index: 0, delta: { role: "assistant", content: "Hel" } }] })}\n\n`,
        `data: ${JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: "invalid_api_key" } })}\n\n`,
      ];
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const e of events) {
        controller.enqueue(enc.encode(e));
        await Bun.sleep(30);
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

beforeAll(async () => {
  db = await createTestDb("lr_redaction");
  await loadLiteLLMSchema(db.sql);
  google = await startFakeGoogle({ apiKey: "unused" });
  quoting = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const key = credentialOf(req);
      seen.push(key);
      const anthropic = new URL(req.url).pathname.includes("/messages") || new URL(req.url).pathname.includes("rawPredict");
      const message = `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`;
      if (new URL(req.url).pathname.startsWith("/midstream")) return midStreamError(anthropic, message);
      return anthropic
        ? Response.json({ type: "error", error: { type: "authentication_error", message } }, { status: 401 })
        : Response.json({ error: { message, type: "invalid_request_error", param: null, code: "invalid_api_key" } }, { status: 401 });
    },
  });
  const upstream = `http://127.0.0.1:${quoting.port}`;
  gw = await startGateway({
    env: { ANTHROPIC_API_KEY: ENV_KEY },
    args: ["--detailed_debug"],
    config: {
      model_list: [
        { model_name: "gpt-config", litellm_params: { model: "openai/gpt-4o", api_base: `${upstream}/v1`, api_key: CONFIG_KEY } },
        { model_name: "claude-env", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: upstream, api_key: "os.environ/ANTHROPIC_API_KEY" } },
        { model_name: "gpt-midstream", litellm_params: { model: "openai/gpt-4o", api_base: `${upstream}/midstream/v1`, api_key: CONFIG_KEY } },
        { model_name: "claude-midstream", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: `${upstream}/midstream`, api_key: "os.environ/ANTHROPIC_API_KEY" } },
        {
          model_name: "claude-vertex",
          litellm_params: { model: "vertex_ai/claude-sonnet-4-5@20250929", vertex_project: "p", vertex_location: "us-east5", api_base: upstream, vertex_credentials: JSON.stringify(google.oauth.serviceAccount) },
        },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER, database_url: db.url, store_model_in_db: true, proxy_batch_write_at: 0.2, e2b_sandbox_params: { e2b_api_key: "e2b-key-unused", e2b_api_url: upstream } },
      agents: [{ name: "Helper", model: "gpt-config", prompt: "hi", secrets: ["GITHUB_TOKEN"] }],
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  quoting?.stop(true);
  await google?.stop();
  await db?.drop();
});

const openai = () => new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });

async function admin(method: string, path: string, body?: unknown) {
  const r = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function openaiError(model: string, stream = false): Promise<{ status: number; message: string }> {
  try {
    await openai().chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], stream });
  } catch (e) {
    const err = e as { status: number; error?: { message?: string } };
    return { status: err.status, message: String(err.error?.message) };
  }
  throw new Error("expected an error");
}

async function anthropicError(model: string): Promise<{ status: number; message: string }> {
  try {
    await anthropic().messages.create({ model, max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
  } catch (e) {
    const err = e as { status: number; error?: { error?: { message?: string } } };
    return { status: err.status, message: String(err.error?.error?.message) };
  }
  throw new Error("expected an error");
}

const QUOTE = /Incorrect API key provided: (\S+)\. You can find your API key at https:\/\/platform\.openai\.com\/account\/api-keys\./;

describe("credentials in upstream errors", () => {
  test("a configured api_key quoted by the upstream reaches the client masked, the rest of the message intact (JSON and streaming)", async () => {
    for (const stream of [false, true]) {
      const r = await openaiError("gpt-config", stream);
      expect(r.status).toBe(401);
      expect(r.message).toStartWith("litellm.AuthenticationError: OpenAIException - ");
      expect(QUOTE.exec(r.message)?.[1]).toBe("sk-***");
      expect(r.message).not.toContain(CONFIG_KEY);
    }
    expect(seen.at(-1)).toBe(CONFIG_KEY);
  });

  test("an upstream's error event inside a stream that already started reaches the client masked, relayed or translated", async () => {
    const cases = [
      { path: "/v1/chat/completions", model: "gpt-midstream", key: CONFIG_KEY, event: '"error"' },
      { path: "/v1/messages", model: "claude-midstream", key: ENV_KEY, event: "event: error" },
      { path: "/v1/messages", model: "gpt-midstream", key: CONFIG_KEY, event: "event: error" },
      { path: "/v1/chat/completions", model: "claude-midstream", key: ENV_KEY, event: '"error"' },
      { path: "/v1/responses", model: "claude-midstream", key: ENV_KEY, event: "event: response.failed" },
    ];
    for (const c of cases) {
      const body = c.path === "/v1/responses" ? { model: c.model, input: "hi", stream: true } : { model: c.model, max_tokens: 10, messages: [{ role: "user", content: "hi" }], stream: true };
      const r = await fetch(`${gw.url}${c.path}`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const text = await r.text();
      expect({ case: c, status: r.status, event: text.includes(c.event), masked: text.includes("Incorrect API key provided: sk-***"), leaked: text.includes(c.key) }).toEqual({
        case: c,
        status: 200,
        event: true,
        masked: true,
        leaked: false,
      });
      expect(seen.at(-1)).toBe(c.key);
    }
  });

  test("a key read from the environment (os.environ/) is masked in the Anthropic-shaped error", async () => {
    const r = await anthropicError("claude-env");
    expect(r.status).toBe(401);
    expect(QUOTE.exec(r.message)?.[1]).toBe("sk-***");
    expect(seen.at(-1)).toBe(ENV_KEY);
  });

  test("an OAuth token minted from vertex_credentials (a credential chain) is masked", async () => {
    const r = await anthropicError("claude-vertex");
    expect(r.status).toBe(401);
    const token = seen.at(-1)!;
    expect(google.oauth.issued).toContain(token);
    expect(r.message).not.toContain(token);
    expect(QUOTE.exec(r.message)?.[1]).toMatch(/^(\w{3})?\*\*\*$/);
  });

  test("a model stored in the database is masked at once, and so is its key after /model/update rotates it", async () => {
    const added = await admin("POST", "/model/new", { model_name: "gpt-db", litellm_params: { model: "openai/gpt-4o", api_base: `http://127.0.0.1:${quoting.port}/v1`, api_key: DB_KEY } });
    expect(added.status).toBe(200);
    const r = await openaiError("gpt-db");
    expect(seen.at(-1)).toBe(DB_KEY);
    expect(QUOTE.exec(r.message)?.[1]).toBe("sk-***");
    const id = String((added.body.model_info as { id: string }).id ?? added.body.model_id);
    expect((await admin("POST", "/model/update", { model_info: { id }, litellm_params: { api_key: DB_KEY_2 } })).status).toBe(200);
    const after = await openaiError("gpt-db");
    expect(seen.at(-1)).toBe(DB_KEY_2);
    expect(QUOTE.exec(after.message)?.[1]).toBe("sk-***");
  });

  test("a vault value is masked wherever a message would carry it", async () => {
    expect((await admin("POST", "/api/vault/secrets", { name: "GITHUB_TOKEN", value: VAULT_VALUE })).status).toBeLessThan(300);
    const r = await openaiError(`model-${VAULT_VALUE}`);
    expect(r.status).toBe(400);
    expect(r.message).not.toContain(VAULT_VALUE);
    expect(r.message).toContain("model-vau***");
  });

  test("no credential appears in the gateway's log lines or stored error rows, while the errors themselves are logged", async () => {
    await Bun.sleep(600);
    const log = gw.output();
    expect(log).toContain("Incorrect API key provided: sk-***");
    const rows = await db.sql`SELECT row_to_json(t)::text AS j FROM "LiteLLM_ErrorLogs" t UNION ALL SELECT row_to_json(s)::text FROM "LiteLLM_SpendLogs" s`;
    expect(rows.some((r) => String(r.j).includes("Incorrect API key provided: sk-***"))).toBe(true);
    const stored = rows.map((r) => String(r.j)).join("\n");
    for (const secret of [CONFIG_KEY, ENV_KEY, DB_KEY, DB_KEY_2, MASTER, ...google.oauth.issued]) {
      expect(log).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    // The spend row keeps the model name the client sent as it was; the log line and the stored error text do not.
    expect(log).not.toContain(VAULT_VALUE);
    const errorTexts = await db.sql`SELECT exception_string AS t FROM "LiteLLM_ErrorLogs" UNION ALL SELECT metadata->'error_information'->>'error_message' FROM "LiteLLM_SpendLogs"`;
    expect(errorTexts.length).toBeGreaterThanOrEqual(7);
    for (const r of errorTexts) expect(String(r.t)).not.toContain(VAULT_VALUE);
  });
});
