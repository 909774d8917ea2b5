import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/** Key `aliases` and team `model_aliases` route a requested name to another model group, as LiteLLM does. */
const MASTER = "sk-master-aliases";

let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

const upstreamModel = () => (fake.requests.at(-1)?.body as { model?: string }).model;

beforeAll(async () => {
  db = await createTestDb("lr_aliases");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt-a", litellm_params: { model: "openai/upstream-a", api_base: `${fake.url}/v1`, api_key: "sk-p" } },
        { model_name: "gpt-b", litellm_params: { model: "openai/upstream-b", api_base: `${fake.url}/v1`, api_key: "sk-p" } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

test("a key's aliases route the alias to its target group (OpenAI and Anthropic clients); other names are untouched", async () => {
  const key = String((await post("/key/generate", { aliases: { "my-model": "gpt-b" } })).key);
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  await openai.chat.completions.create({ model: "my-model", messages: [{ role: "user", content: "hi" }] });
  expect(upstreamModel()).toBe("upstream-b");
  await openai.chat.completions.create({ model: "gpt-a", messages: [{ role: "user", content: "hi" }] });
  expect(upstreamModel()).toBe("upstream-a");
  const anthropic = new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
  await anthropic.messages.create({ model: "my-model", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
  expect(upstreamModel()).toBe("upstream-b");

  const other = String((await post("/key/generate", {})).key);
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${other}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "my-model", messages: [{ role: "user", content: "hi" }] }),
  });
  expect(r.status).toBe(400);
});

test("a team's model_aliases apply to its keys, before the key's own aliases", async () => {
  const team = await post("/team/new", { team_alias: "aliased", model_aliases: { "team-model": "gpt-a" } });
  const key = String((await post("/key/generate", { team_id: team.team_id, aliases: { "gpt-a": "gpt-b", solo: "gpt-a" } })).key);
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  await openai.chat.completions.create({ model: "team-model", messages: [{ role: "user", content: "hi" }] });
  expect(upstreamModel()).toBe("upstream-b");
  await openai.chat.completions.create({ model: "solo", messages: [{ role: "user", content: "hi" }] });
  expect(upstreamModel()).toBe("upstream-a");
});
