import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";
import { traceBodies } from "../unit/translate/helpers.ts";

/**
 * Claude Code's real first turn (78 KB, recorded in /work/shared/traces) through the gateway to an
 * Anthropic upstream: the bytes the upstream receives are the client's, the top-level model
 * renamed and LiteLLM's own fields cut when there are any, and the call is charged.
 */
const MASTER = "sk-master-cc-pass";
const IN = 0.000003;
const OUT = 0.000015;
const CACHE_READ = 0.0000003;
const CACHE_WRITE = 0.00000375;
let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;
let key: string;
let keyHash: string;

const recorded = traceBodies("claude-code-requests.jsonl", "/v1/messages").find((r) => !r.body._abridged)!.body;
const MODEL = String(recorded.model);
/** The client's bytes: the recorded body, keys and values in Claude Code's order, with some non-ASCII text. */
const text = (model: string) => JSON.stringify({ ...recorded, model, metadata: { ...(recorded.metadata as object), note: 'ü "q" \\ 🎉' } });

const CLAUDE_CODE_HEADERS = {
  accept: "application/json",
  "content-type": "application/json",
  "user-agent": "claude-cli/2.1.197 (external, sdk-cli)",
  "x-stainless-lang": "js",
  "anthropic-beta": "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14",
  "anthropic-version": "2023-06-01",
  "x-app": "cli",
};

beforeAll(async () => {
  db = await createTestDb("lr_cc_pass");
  fake = await startFakeLLM();
  const prices = { input_cost_per_token: IN, output_cost_per_token: OUT, cache_read_input_token_cost: CACHE_READ, cache_creation_input_token_cost: CACHE_WRITE };
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: MODEL, litellm_params: { model: `anthropic/${MODEL}`, api_base: fake.url, api_key: "sk-a", ...prices } },
        { model_name: "cc-alias", litellm_params: { model: "anthropic/claude-upstream", api_base: fake.url, api_key: "sk-a", ...prices } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2, store_prompts_in_spend_logs: true },
    },
  });
  const r = await fetch(`${gw.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify({ key_alias: "cc" }) });
  const k = (await r.json()) as { key: string; token: string };
  key = k.key;
  keyHash = k.token;
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

interface Row {
  request_id: string;
  api_key: string;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  model: string;
  model_group: string;
  status: string;
  session_id: string;
  request_tags: string[];
  messages: unknown;
}

/** Sends `body` as Claude Code does; the upstream's raw body, the SSE text and the spend row. */
async function call(body: string): Promise<{ upstream: string; sse: string; row: Row }> {
  fake.reset();
  const res = await fetch(`${gw.url}/v1/messages?beta=true`, { method: "POST", headers: { ...CLAUDE_CODE_HEADERS, "x-api-key": key }, body });
  const sse = await res.text();
  expect(res.status, sse.slice(0, 300)).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const callId = res.headers.get("x-litellm-call-id")!;
  const upstream = fake.requests.filter((r) => r.path.endsWith("/messages"));
  expect(upstream.length).toBe(1);
  const row = await waitFor(
    async () => (await db.sql<Row[]>`SELECT * FROM "LiteLLM_SpendLogs" WHERE request_id = ${callId} OR metadata->>'litellm_call_id' = ${callId}`)[0],
    10_000,
    `spend row ${callId}`,
  );
  return { upstream: upstream[0]!.raw, sse, row };
}

interface SseUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

function usageOf(sse: string): { input: number; output: number; read: number; write: number } {
  let start: SseUsage = {};
  let output = 0;
  for (const line of sse.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const e = JSON.parse(line.slice(6)) as { type: string; message?: { usage?: SseUsage }; usage?: SseUsage };
    if (e.type === "message_start") start = e.message?.usage ?? {};
    if (e.type === "message_delta") output = e.usage?.output_tokens ?? output;
  }
  return { input: start.input_tokens ?? 0, output, read: start.cache_read_input_tokens ?? 0, write: start.cache_creation_input_tokens ?? 0 };
}

function expectCharged(row: Row, sse: string, group: string, upstreamModel: string): void {
  const u = usageOf(sse);
  expect(u.input).toBeGreaterThan(0);
  expect(u.output).toBeGreaterThan(0);
  expect(row.status).toBe("success");
  expect(row.api_key).toBe(keyHash);
  expect(row.model_group).toBe(group);
  expect(row.model).toBe(upstreamModel);
  expect(row.prompt_tokens).toBe(u.input + u.read + u.write);
  expect(row.completion_tokens).toBe(u.output);
  expect(row.spend).toBeCloseTo(u.input * IN + u.read * CACHE_READ + u.write * CACHE_WRITE + u.output * OUT, 12);
}

describe("Claude Code's real request, passed through as bytes", () => {
  test("the recorded body is the large first turn", () => {
    expect(new TextEncoder().encode(text(MODEL)).byteLength).toBeGreaterThan(70_000);
    expect(recorded.stream).toBe(true);
  });

  test("same model: the upstream receives the client's bytes, unchanged, and the call is charged", async () => {
    const body = text(MODEL);
    const { upstream, sse, row } = await call(body);
    expect(upstream === body).toBe(true);
    expectCharged(row, sse, MODEL, MODEL);
  });

  test("a renamed model: only the top-level model value changes", async () => {
    const body = text("cc-alias");
    const { upstream, sse, row } = await call(body);
    expect(upstream === text("claude-upstream")).toBe(true);
    expectCharged(row, sse, "cc-alias", "claude-upstream");
  });

  test("pretty-printed bytes stay as the client wrote them", async () => {
    const body = JSON.stringify({ ...recorded, model: "cc-alias" }, null, 2);
    const { upstream } = await call(body);
    expect(upstream === body.replace('"model": "cc-alias"', '"model": "claude-upstream"')).toBe(true);
  });

  test("LiteLLM-only fields are cut and nothing else moves, pretty-printing included", async () => {
    const plain = JSON.stringify(JSON.parse(text(MODEL)), null, 2);
    const body = `{"request_timeout":600,${plain.slice(1, -2)},\n  "caching": false,\n  "litellm_session_id" : "s-1"\n}`;
    const { upstream, sse, row } = await call(body);
    expect(upstream === plain).toBe(true);
    expectCharged(row, sse, MODEL, MODEL);
  });

  test("invalid bodies are the same 400 in Anthropic's shape", async () => {
    const plain = text(MODEL);
    for (const bad of [plain.slice(0, -1), `${plain.slice(0, -1)},}`, plain.replace('"messages":[', '"messages":[,'), '{"model":"raw\nnewline"}', "[]"]) {
      const res = await fetch(`${gw.url}/v1/messages?beta=true`, { method: "POST", headers: { ...CLAUDE_CODE_HEADERS, "x-api-key": key }, body: bad });
      const j = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(res.status).toBe(400);
      expect(j.type).toBe("error");
      expect(j.error.type).toBe("invalid_request_error");
      expect(j.error.message).toMatch(/Invalid JSON in request body: JSON Parse error|Request body must be a JSON object/);
    }
  });
});

/** A long session's body: the recorded first turn plus `rounds` file reads, LiteLLM's session field last. */
function longSession(rounds: number, model = MODEL): { body: string; upstream: string } {
  const file = (k: number) => `// file ${k}: "quotes", \\backslashes\\, ü and 🎉\n${"export const value = { a: \"b\", c: [1, 2, 3] };\n".repeat(400)}`;
  const messages = [...(recorded.messages as unknown[])];
  for (let k = 0; k < rounds; k++) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `toolu_${k}`, name: "Read", input: { file_path: `/src/f${k}.ts` } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${k}`, content: file(k) }] });
  }
  const upstream = JSON.stringify({ ...recorded, model, messages, metadata: { ...(recorded.metadata as object), tags: ["t-long"] } });
  return { body: `${upstream.slice(0, -1)},"litellm_session_id":"sess-long"}`, upstream };
}

describe("a long session, turn after turn (bodies the gateway keeps to resume its scan, then frees)", () => {
  test("each turn reaches the upstream as the client's bytes and is charged with the fields read after it was sent", async () => {
    for (const rounds of [14, 15, 16, 16]) {
      const { body, upstream: expected } = longSession(rounds);
      expect(body.length).toBeGreaterThan(300_000);
      const { upstream, sse, row } = await call(body);
      expect(upstream === expected).toBe(true);
      expectCharged(row, sse, MODEL, MODEL);
      expect(row.session_id).toBe("sess-long");
      expect(row.request_tags).toContain("t-long");
    }
    const renamed = longSession(16, "cc-alias");
    const { upstream, row } = await call(renamed.body);
    expect(upstream === longSession(16, "claude-upstream").upstream).toBe(true);
    expect(row.session_id).toBe("sess-long");
  });

  test("a turn invalid after the part it shares with the last one is the same 400; the next valid turn goes through", async () => {
    const { body } = longSession(17);
    await call(body);
    const cut = body.lastIndexOf('"tool_result"');
    for (const bad of [body.slice(0, cut) + body.slice(cut + 1), `${body.slice(0, -1)},}`, body.slice(0, cut) + "\u0000" + body.slice(cut)]) {
      const res = await fetch(`${gw.url}/v1/messages?beta=true`, { method: "POST", headers: { ...CLAUDE_CODE_HEADERS, "x-api-key": key }, body: bad });
      const j = (await res.json()) as { error: { message: string } };
      expect(res.status).toBe(400);
      let parseError = "";
      try {
        JSON.parse(bad);
      } catch (e) {
        parseError = (e as Error).message;
      }
      expect(j.error.message).toBe(`Invalid JSON in request body: ${parseError}`);
    }
    const next = longSession(18);
    const { upstream, row } = await call(next.body);
    expect(upstream === next.upstream).toBe(true);
    expect(row.session_id).toBe("sess-long");
  });

  test("two turns of one key at once: the first, no longer kept once the second is, is freed only after its spend row is built (prompts stored)", async () => {
    fake.reset();
    fake.control({ chunkDelayMs: 40 });
    try {
      const send = async (rounds: number) => {
        const res = await fetch(`${gw.url}/v1/messages?beta=true`, { method: "POST", headers: { ...CLAUDE_CODE_HEADERS, "x-api-key": key }, body: longSession(rounds).body });
        const sse = await res.text();
        expect(res.status).toBe(200);
        return { id: res.headers.get("x-litellm-call-id")!, sse };
      };
      const first = send(19);
      await Bun.sleep(30);
      const calls = await Promise.all([first, send(20)]);
      const sent = fake.requests.filter((r) => r.path.endsWith("/messages")).map((r) => r.raw);
      expect(sent.sort()).toEqual([longSession(19).upstream, longSession(20).upstream].sort());
      for (const c of calls) {
        const row = await waitFor(
          async () => (await db.sql<Row[]>`SELECT * FROM "LiteLLM_SpendLogs" WHERE request_id = ${c.id} OR metadata->>'litellm_call_id' = ${c.id}`)[0],
          10_000,
          `spend row ${c.id}`,
        );
        expectCharged(row, c.sse, MODEL, MODEL);
        expect(row.session_id).toBe("sess-long");
        expect(row.request_tags).toContain("t-long");
        // the stored prompt is read from the body's bytes as the row is built
        expect(Array.isArray(row.messages) && (row.messages as unknown[]).length).toBe((recorded.messages as unknown[]).length + 2 * (c === calls[0] ? 19 : 20));
      }
    } finally {
      fake.control({ chunkDelayMs: 0 });
    }
  });
});
