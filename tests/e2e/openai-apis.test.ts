import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI, { toFile } from "openai";
import { startFakeApis, type FakeApis } from "../fakes/openai-apis.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/**
 * The OpenAI APIs beyond chat through the official `openai` SDK (and rerank over fetch), against
 * wire-level fakes: each call reaches the provider's own path with the gateway's key, comes back in
 * the client's shape, and leaves a SpendLogs row with LiteLLM's call_type and the cost LiteLLM's
 * price table gives it (per image, per second of audio, per character, per search unit, per token).
 */
setDefaultTimeout(20_000);
const MASTER = "sk-master-apis";
const IN = 0.000001;
const OUT = 0.000002;
const BATCH_IN = 0.0000005;
const BATCH_OUT = 0.000001;
let apis: FakeApis;
let llm: FakeLLM;
let db: TestDb;
let gw: GatewayProcess;

beforeAll(async () => {
  [apis, llm, db] = await Promise.all([startFakeApis(), startFakeLLM(), createTestDb("lr_apis")]);
  const openai = (model: string, extra: Record<string, unknown> = {}) => ({ model: `openai/${model}`, api_base: `${apis.url}/v1`, api_key: "sk-upstream", ...extra });
  const tokenPrices = { input_cost_per_token: IN, output_cost_per_token: OUT };
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "instruct", litellm_params: openai("gpt-3.5-turbo-instruct", tokenPrices) },
        { model_name: "codestral", litellm_params: { model: "codestral/codestral-latest", ...tokenPrices } },
        { model_name: "claude-text", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: llm.url, api_key: "sk-ant", ...tokenPrices } },
        { model_name: "dall-e-3", litellm_params: openai("dall-e-3") },
        { model_name: "azure-dalle", litellm_params: { model: "azure/my-dalle", api_base: apis.url, api_key: "az-key", api_version: "2024-10-21" }, model_info: { base_model: "dall-e-3" } },
        { model_name: "gpt-image-1", litellm_params: openai("gpt-image-1", { output_cost_per_image: 0.05 }) },
        { model_name: "whisper-1", litellm_params: openai("whisper-1") },
        { model_name: "tts-1", litellm_params: openai("tts-1") },
        { model_name: "omni-moderation-latest", litellm_params: openai("omni-moderation-latest") },
        { model_name: "cohere-rerank", litellm_params: { model: "cohere/rerank-english-v3.0" } },
        { model_name: "jina-rerank", litellm_params: { model: "jina_ai/jina-reranker-v2-base-multilingual", ...tokenPrices } },
        { model_name: "mock-text", litellm_params: { model: "openai/gpt-3.5-turbo-instruct", mock_response: "mocked completion words" } },
        { model_name: "gpt-batch", litellm_params: openai("gpt-4o-mini", { input_cost_per_token_batches: BATCH_IN, output_cost_per_token_batches: BATCH_OUT }) },
      ],
      files_settings: [{ custom_llm_provider: "azure", api_base: apis.url, api_key: "az-files-key", api_version: "2024-10-21" }],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
    },
    env: { OPENAI_API_BASE: `${apis.url}/v1`, OPENAI_API_KEY: "sk-files-env", CODESTRAL_API_BASE: `${apis.url}/v1`, CODESTRAL_API_KEY: "sk-codestral", COHERE_API_BASE: apis.url, COHERE_API_KEY: "co-key", JINA_AI_API_BASE: `${apis.url}/v1`, JINA_AI_API_KEY: "jina-key" },
  });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([apis?.stop(), llm?.stop()]);
  await db?.drop();
});

const client = () => new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const lastTo = (suffix: string) => apis.requests.findLast((r) => r.path.endsWith(suffix))!;

interface SpendRow {
  call_type: string;
  spend: number;
  model_group: string;
  custom_llm_provider: string;
  prompt_tokens: number;
  completion_tokens: number;
}

/** The SpendLogs row of a call: LiteLLM keys it by the answer's id, else the call id (`x-litellm-call-id`). */
async function spendRow(headers: Headers, answerId?: string): Promise<SpendRow> {
  const id = answerId ?? headers.get("x-litellm-call-id")!;
  return waitFor(async () => (await db.sql<SpendRow[]>`SELECT * FROM "LiteLLM_SpendLogs" WHERE request_id = ${id}`)[0], 10_000, `spend row ${id}`);
}

/** A 1-second 16 kHz mono 16-bit WAV. */
function wav(seconds: number): Uint8Array<ArrayBuffer> {
  const rate = 16000;
  const dataBytes = rate * 2 * seconds;
  const b = new Uint8Array(44 + dataBytes);
  const v = new DataView(b.buffer);
  const put = (at: number, s: string) => [...s].forEach((ch, i) => (b[at + i] = ch.charCodeAt(0)));
  put(0, "RIFF");
  v.setUint32(4, 36 + dataBytes, true);
  put(8, "WAVE");
  put(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  put(36, "data");
  v.setUint32(40, dataBytes, true);
  return b;
}

describe("completions", () => {
  test("/v1/completions with FIM suffix on an OpenAI-compatible completions API: passed through, priced per token", async () => {
    const { data, response } = await client().completions.create({ model: "instruct", prompt: "def add(a, b):", suffix: "return c", max_tokens: 20 }).withResponse();
    expect(data.object).toBe("text_completion");
    expect(data.choices[0]!.text).toBe("middle-for:return c");
    const sent = lastTo("/v1/completions");
    expect(sent.body).toMatchObject({ model: "gpt-3.5-turbo-instruct", prompt: "def add(a, b):", suffix: "return c" });
    expect(sent.headers.authorization).toBe("Bearer sk-upstream");
    const row = await spendRow(response.headers, data.id);
    expect(row.call_type).toBe("atext_completion");
    expect(row.spend).toBeCloseTo(3 * IN + 6 * OUT, 12);
  });

  test("streamed completions carry usage (the gateway asks for it) and are priced", async () => {
    const { data: stream, response } = await client().completions.create({ model: "instruct", prompt: "one two", stream: true }).withResponse();
    let text = "";
    let id = "";
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      id = chunk.id;
    }
    expect(text).toBe(" and the fake completes it.");
    expect(lastTo("/v1/completions").body?.stream_options).toEqual({ include_usage: true });
    expect((await spendRow(response.headers, id)).spend).toBeCloseTo(2 * IN + 6 * OUT, 12);
  });

  test("Codestral: /v1/completions goes to /fim/completions at its default base (CODESTRAL_API_BASE), answered as text_completion, JSON and streamed", async () => {
    const done = await client().completions.create({ model: "codestral", prompt: "def f(", suffix: "    return x", max_tokens: 30, n: 1 });
    expect(done.choices[0]!.text).toBe("fim(def f(|    return x)");
    expect(done.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3 });
    const sent = lastTo("/fim/completions");
    expect(sent.path).toBe("/v1/fim/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-codestral");
    expect(sent.body).toEqual({ model: "codestral-latest", prompt: "def f(", suffix: "    return x", max_tokens: 30 });
    const stream = await client().completions.create({ model: "codestral", prompt: "a", suffix: "b", stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe("fim(a|b)");
  });

  test("a chat-only upstream (Claude) serves /v1/completions and /engines/{model}/completions through translation; a suffix is refused there", async () => {
    const done = await client().completions.create({ model: "claude-text", prompt: "Say hi", max_tokens: 50 });
    expect(done.choices[0]!.text).toBe("Hello from the fake Anthropic!");
    expect(done.usage!.completion_tokens).toBeGreaterThan(0);
    const viaEngine = await fetch(`${gw.url}/engines/claude-text/completions`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify({ prompt: "hi", max_tokens: 10 }) });
    expect(((await viaEngine.json()) as { object: string }).object).toBe("text_completion");
    const err = await client().completions.create({ model: "claude-text", prompt: "x", suffix: "y" }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect(String((err as Error).message)).toContain("suffix");
  });
});

describe("completions without an upstream", () => {
  test("a deployment's mock_response answers /v1/completions as a text_completion, JSON and streamed", async () => {
    const done = await client().completions.create({ model: "mock-text", prompt: "x" });
    expect(done).toMatchObject({ object: "text_completion", choices: [{ text: "mocked completion words", finish_reason: "stop" }] });
    let text = "";
    for await (const c of await client().completions.create({ model: "mock-text", prompt: "x", stream: true })) text += c.choices[0]?.text ?? "";
    expect(text).toBe("mocked completion words");
  });
});

describe("images", () => {
  test("generations: n images, priced per pixel from LiteLLM's DALL·E 3 table; call_type aimage_generation", async () => {
    const { data, response } = await client().images.generate({ model: "dall-e-3", prompt: "a red fox", n: 2, size: "1024x1024" }).withResponse();
    expect(data.data).toHaveLength(2);
    expect(lastTo("/images/generations").body).toMatchObject({ model: "dall-e-3", prompt: "a red fox", n: 2 });
    const row = await spendRow(response.headers);
    expect(row.call_type).toBe("aimage_generation");
    expect(row.spend).toBeCloseTo(2 * 1024 * 1024 * 3.81469e-8, 9);
  });

  test("Azure: the deployment in the path, api-version in the query, api-key header; hd quality priced as hd", async () => {
    const { response } = await client().images.generate({ model: "azure-dalle", prompt: "x", quality: "hd", size: "1024x1024" }).withResponse();
    const sent = lastTo("/images/generations");
    expect(sent.path).toBe("/openai/deployments/my-dalle/images/generations");
    expect(sent.query).toBe("?api-version=2024-10-21");
    expect(sent.headers["api-key"]).toBe("az-key");
    expect((await spendRow(response.headers)).spend).toBeCloseTo(1024 * 1024 * 7.629e-8, 9);
  });

  test("edits (multipart): the image and prompt reach the upstream, model renamed; priced by the deployment's output_cost_per_image", async () => {
    const image = await toFile(new Uint8Array([137, 80, 78, 71, 1, 2, 3]), "fox.png", { type: "image/png" });
    const { data, response } = await client().images.edit({ model: "gpt-image-1", image, prompt: "add a hat", n: 1 }).withResponse();
    expect(data.data).toHaveLength(1);
    const sent = lastTo("/images/edits");
    expect(sent.form).toMatchObject({ prompt: "add a hat", model: "gpt-image-1" });
    expect(sent.files!.image).toMatchObject({ name: "fox.png", size: 7 });
    expect(sent.headers["content-type"]).toStartWith("multipart/form-data; boundary=");
    const row = await spendRow(response.headers);
    expect(row.call_type).toBe("aimage_edit");
    expect(row.spend).toBeCloseTo(0.05, 9);
  });
});

describe("audio", () => {
  test("transcriptions (multipart) priced per second: from verbose_json's duration, from usage.seconds, and from a WAV header when the answer is plain text", async () => {
    const file = () => toFile(wav(1), "hello.wav", { type: "audio/wav" });
    const verbose = await client().audio.transcriptions.create({ model: "whisper-1", file: await file(), response_format: "verbose_json" }).withResponse();
    expect(verbose.data.text).toBe(`transcribed ${wav(1).length} bytes`);
    expect(lastTo("/audio/transcriptions").files!.file).toMatchObject({ name: "hello.wav", size: wav(1).length });
    const row = await spendRow(verbose.response.headers);
    expect(row.call_type).toBe("atranscription");
    expect(row.spend).toBeCloseTo(2.5 * 1e-4, 12);
    const json = await client().audio.transcriptions.create({ model: "whisper-1", file: await file() }).withResponse();
    expect((await spendRow(json.response.headers)).spend).toBeCloseTo(3 * 1e-4, 12);
    const text = await client().audio.transcriptions.create({ model: "whisper-1", file: await file(), response_format: "text" }).withResponse();
    expect(String(text.data)).toContain("transcribed");
    expect(text.response.headers.get("content-type")).toStartWith("text/plain");
    expect((await spendRow(text.response.headers)).spend).toBeCloseTo(1 * 1e-4, 12);
  });

  test("speech: the binary audio comes back byte for byte, priced per input character", async () => {
    const input = "Hello world";
    const res = await client().audio.speech.create({ model: "tts-1", voice: "alloy", input });
    expect(res.headers.get("content-type")).toBe("audio/mpeg");
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe(`ID3 fake mp3 of: ${input}`);
    const row = await spendRow(res.headers);
    expect(row.call_type).toBe("aspeech");
    expect(row.spend).toBeCloseTo(input.length * 1.5e-5, 12);
  });
});

describe("moderations and rerank", () => {
  test("moderations: the upstream's verdict, free, call_type amoderation", async () => {
    const { data, response } = await client().moderations.create({ model: "omni-moderation-latest", input: "FLAG_ME please" }).withResponse();
    expect(data.results[0]!.flagged).toBe(true);
    const row = await spendRow(response.headers, data.id);
    expect(row.call_type).toBe("amoderation");
    expect(row.spend).toBe(0);
  });

  test("moderations without a model: OpenAI's default moderation model with the env key, as LiteLLM's amoderation", async () => {
    const { data, response } = await client().moderations.create({ input: "FLAG_ME too" } as never).withResponse();
    expect(data.results[0]!.flagged).toBe(true);
    const sent = lastTo("/moderations");
    expect(sent.headers.authorization).toBe("Bearer sk-files-env");
    expect(sent.body).toEqual({ model: "omni-moderation-latest", input: "FLAG_ME too" });
    const row = await spendRow(response.headers, data.id);
    expect(row.call_type).toBe("amoderation");
    const restricted = (await (await fetch(`${gw.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify({ models: ["tts-1"] }) })).json()) as { key: string };
    const own = new OpenAI({ apiKey: restricted.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await own.moderations.create({ input: "fine" } as never)).results[0]!.flagged).toBe(false);
  });

  test("rerank on Cohere (v2 API, Cohere request shape): documents sent as text, given back when asked, priced per search unit", async () => {
    const res = await fetch(`${gw.url}/v1/rerank`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "cohere-rerank", query: "capital of France", documents: ["Paris is the capital", { text: "Berlin" }], top_n: 2, return_documents: true }),
    });
    const body = (await res.json()) as { id: string; results: Array<{ index: number; relevance_score: number; document?: { text: string } }>; meta: unknown };
    expect(res.status).toBe(200);
    expect(body.results.map((r) => [r.index, r.document?.text])).toEqual([[0, "Paris is the capital"], [1, "Berlin"]]);
    const sent = lastTo("/v2/rerank");
    expect(sent.headers.authorization).toBe("Bearer co-key");
    expect(sent.body).toEqual({ model: "rerank-english-v3.0", query: "capital of France", documents: ["Paris is the capital", "Berlin"], top_n: 2 });
    const row = await spendRow(res.headers, body.id);
    expect(row.call_type).toBe("arerank");
    expect(row.spend).toBeCloseTo(0.002, 12);
  });

  test("rerank on Jina (/rerank, Jina request shape) passes through, tokens priced", async () => {
    const res = await fetch(`${gw.url}/rerank`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "jina-rerank", query: "q", documents: ["a", "b", "c"], top_n: 2 }),
    });
    const body = (await res.json()) as { results: unknown[] };
    expect(body.results).toHaveLength(2);
    const sent = lastTo("/rerank");
    expect(sent.path).toBe("/v1/rerank");
    expect(sent.headers.authorization).toBe("Bearer jina-key");
    expect((await spendRow(res.headers)).spend).toBeCloseTo(12 * IN, 12);
  });
});

describe("files and batches", () => {
  const jsonl = [1, 2].map((i) => JSON.stringify({ custom_id: `r${i}`, method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: `q${i}` }] } })).join("\n");
  const batchFile = () => toFile(new TextEncoder().encode(jsonl), "batch.jsonl", { type: "application/jsonl" });

  test("routed by a config model: ids carry the model, the batch runs on its deployment, and the finished batch is priced once at batch prices", async () => {
    const routed = { query: { model: "gpt-batch" } };
    const file = await client().files.create({ file: await batchFile(), purpose: "batch" }, routed);
    expect(file.id).toStartWith("file-");
    expect(Buffer.from(file.id.slice(5), "base64url").toString()).toMatch(/^litellm:file-.+;model,gpt-batch;sub,default_user_id;tid,;sig,[0-9a-f]{64}$/);
    expect(lastTo("/v1/files").headers.authorization).toBe("Bearer sk-upstream");
    expect((await client().files.retrieve(file.id)).filename).toBe("batch.jsonl");
    expect(await (await client().files.content(file.id)).text()).toBe(jsonl);
    const batch = await client().batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    expect(batch.id).toStartWith("batch_");
    expect(batch.input_file_id).toBe(file.id);
    const upstreamInput = (lastTo("/v1/batches").body as { input_file_id: string }).input_file_id;
    expect(upstreamInput).toStartWith("file-");
    expect(upstreamInput).not.toBe(file.id);
    const { data: done, response } = await client().batches.retrieve(batch.id).withResponse();
    expect(done.status).toBe("completed");
    expect(done.output_file_id).toStartWith("file-");
    const output = await (await client().files.content(done.output_file_id!)).text();
    expect(output.trim().split("\n")).toHaveLength(2);
    const row = await spendRow(response.headers, batch.id);
    expect(row.call_type).toBe("aretrieve_batch");
    expect(row.prompt_tokens).toBe(200);
    expect(row.spend).toBeCloseTo(200 * BATCH_IN + 40 * BATCH_OUT, 12);
    await client().batches.retrieve(batch.id);
    await Bun.sleep(500);
    const charged = await db.sql<Array<{ n: number; total: number }>>`SELECT count(*)::int AS n, sum(spend) AS total FROM "LiteLLM_SpendLogs" WHERE call_type = 'aretrieve_batch' AND spend > 0`;
    expect(charged[0]).toEqual({ n: 1, total: row.spend });
  });

  test("model-encoded ids are signed for their minter (LiteLLM's model_embedded_id_auth): a forged, tampered or unsigned id, or another user's, is 403", async () => {
    const keyFor = async (body: Record<string, unknown>) =>
      ((await (await fetch(`${gw.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify(body) })).json()) as { key: string }).key;
    const as = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const [owner, sameUser, stranger, teamless] = [await keyFor({ user_id: "file-owner" }), await keyFor({ user_id: "file-owner" }), await keyFor({ user_id: "someone-else" }), await keyFor({})];
    const file = await as(owner).files.create({ file: await batchFile(), purpose: "batch" }, { query: { model: "gpt-batch" } });
    const payload = Buffer.from(file.id.slice(5), "base64url").toString();
    expect(payload).toContain(";sub,file-owner;tid,;sig,");
    const refused = async (client: OpenAI, id: string) => {
      const e = (await client.files.retrieve(id).catch((x: unknown) => x)) as InstanceType<typeof OpenAI.APIError>;
      return [e.status, (e.error as { message?: string } | undefined)?.message];
    };
    expect((await as(sameUser).files.retrieve(file.id)).filename).toBe("batch.jsonl");
    expect((await client().files.retrieve(file.id)).filename).toBe("batch.jsonl");
    expect(await refused(as(stranger), file.id)).toEqual([403, "User someone-else does not have access to this file id"]);
    expect(await refused(as(teamless), file.id)).toEqual([403, "User None does not have access to this file id"]);
    const encode = (text: string) => `file-${Buffer.from(text).toString("base64url")}`;
    const inner = payload.slice("litellm:".length, payload.indexOf(";model,"));
    const before = apis.requests.length;
    expect(await refused(client(), encode(`litellm:${inner};model,gpt-batch`))).toEqual([403, "User default_user_id does not have access to this file id"]);
    expect(await refused(as(owner), encode(payload.replace(";model,gpt-batch;", ";model,dall-e-3;")))).toEqual([403, "User file-owner does not have access to this file id"]);
    expect(apis.requests.length).toBe(before);
  });

  test("no model: OpenAI with the gateway's OPENAI_API_KEY; list, delete and cancel pass through with LiteLLM's call types", async () => {
    const { data: file, response } = await client().files.create({ file: await batchFile(), purpose: "batch" }).withResponse();
    expect(file.id).not.toContain("litellm");
    expect(lastTo("/v1/files").headers.authorization).toBe("Bearer sk-files-env");
    expect((await spendRow(response.headers)).call_type).toBe("acreate_file");
    const listed = await client().files.list();
    expect(listed.data.map((f) => f.id)).toContain(file.id);
    const batch = await client().batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    const { data: cancelled, response: cancelResponse } = await client().batches.cancel(batch.id).withResponse();
    expect(cancelled.status).toBe("cancelled");
    expect((await spendRow(cancelResponse.headers)).call_type).toBe("acancel_batch");
    expect((await client().files.delete(file.id)).deleted).toBe(true);
    const missing = await client().files.retrieve(file.id).catch((e: unknown) => e);
    expect((missing as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
  });

  test("Azure through files_settings at /azure/v1/files: /openai/files with api-version and api-key", async () => {
    const azure = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/azure/v1`, maxRetries: 0 });
    const file = await azure.files.create({ file: await batchFile(), purpose: "batch" });
    expect(file.object).toBe("file");
    const sent = apis.requests.findLast((r) => r.path === "/openai/files")!;
    expect(sent.query).toBe("?api-version=2024-10-21");
    expect(sent.headers["api-key"]).toBe("az-files-key");
  });
});
