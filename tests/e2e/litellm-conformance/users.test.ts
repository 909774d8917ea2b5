import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { keyRequest, proxyClient, rejects, uuid, type Json } from "./client.ts";
import { MASTER_KEY, startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("users");
}, 60_000);
afterAll(async () => proxy?.stop());

const newUser = (o: { user_id?: string; max_budget?: number; budget_duration?: string; models?: string[] } = {}) =>
  px.post("/user/new", {
    models: o.models ?? ["azure-models"],
    aliases: { "mistral-7b": "gpt-3.5-turbo" },
    duration: null,
    max_budget: o.max_budget ?? null,
    budget_duration: o.budget_duration ?? null,
    ...(o.user_id === undefined ? {} : { user_id: o.user_id }),
  });
const generateKey = (o: Json = {}) => px.post("/key/generate", keyRequest(o));
const userInfo = (getUser: string, callUser: string) => px.send("GET", `/user/info?user_id=${getUser}`, { key: callUser });
const openai = (key: string) => new OpenAI({ apiKey: key, baseURL: proxy.url });
const chat = (key: string, model: string) =>
  openai(key).chat.completions.create({
    model,
    messages: [
      { role: "system", content: "You are a helpful assistant" },
      { role: "user", content: `Hello! ${Date.now() / 1000}` },
    ],
  });

const CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0";
async function setupTestUsers() {
  const user1 = await newUser({ max_budget: 100, budget_duration: "30d", models: [CLAUDE] });
  const user2 = await newUser({ max_budget: 100, budget_duration: "30d", models: [CLAUDE] });
  const additional = await px.send("POST", "/key/generate", {
    key: user1.key,
    json: { user_id: user1.user_id, duration: "7d", key_alias: `test_key_${uuid()}`, models: [CLAUDE] },
  });
  expect(additional.status).toBe(200);
  return { user1, user2, additionalKey: additional.body.key as string };
}

test("test_user_new", async () => {
  await Promise.all(Array.from({ length: 10 }, () => newUser()));
});

test("test_user_info", async () => {
  const getUser = `krrish_${Date.now() / 1000}@berri.ai`;
  const { key } = await newUser({ user_id: getUser });
  for (const caller of [MASTER_KEY, key]) {
    const r = await userInfo(getUser, caller);
    expect(r.status).toBe(200);
    expect(typeof r.body.user_info).toBe("object");
    expect(Object.keys(r.body.user_info).length).toBeGreaterThan(0);
  }
  const random = await newUser();
  expect((await userInfo(getUser, random.key)).status).toBe(403);
});

test("test_user_model_access", async () => {
  const getUser = `krrish_${Date.now() / 1000}@berri.ai`;
  await newUser({ user_id: getUser, models: ["good-model", "anthropic/*"] });
  const { key } = await generateKey({ user_id: getUser, models: [] });
  await chat(key, "anthropic/claude-3-5-haiku-20241022");
  await chat(key, "good-model");
  for (const denied of ["bedrock/anthropic.claude-3-sonnet-20240229-v1:0", "groq/claude-3-5-haiku-20241022"]) {
    expect(await rejects(chat(key, denied))).toBeInstanceOf(OpenAI.AuthenticationError);
  }
});

test("test_key_update_user_isolation", async () => {
  const { user1, user2, additionalKey } = await setupTestUsers();
  const r = await px.send("POST", "/key/update", {
    key: user1.key,
    json: { key: additionalKey, user_id: user2.user_id, metadata: { purpose: "testing_user_isolation", environment: "test" } },
  });
  expect(r.status).toBe(403);
});

test("test_key_delete_user_isolation", async () => {
  const { user2, additionalKey } = await setupTestUsers();
  const r = await px.send("POST", "/key/delete", { key: user2.key, json: { keys: [additionalKey] } });
  expect(r.status).toBe(403);
});
