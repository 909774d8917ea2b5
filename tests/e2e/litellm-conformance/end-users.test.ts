import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { keyRequest, proxyClient, uuid, type Json } from "./client.ts";
import { MASTER_KEY, startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("end_users");
}, 60_000);
afterAll(async () => proxy?.stop());

const newEndUser = (userId: string, o: { model_region?: string; budget_id?: string } = {}) =>
  px.post("/end_user/new", { user_id: userId, allowed_model_region: o.model_region ?? null, default_model: null, ...(o.budget_id ? { budget_id: o.budget_id } : {}) });
const newBudget = (budgetId: string) => px.send("POST", "/budget/new", { json: { budget_id: budgetId, tpm_limit: 2 } });
const generateKey = (o: Json = {}) => px.post("/key/generate", keyRequest(o));
const client = (key: string) => new OpenAI({ apiKey: key, baseURL: proxy.url, maxRetries: 0 });

async function passedOfTen(key: string, endUser: string): Promise<number> {
  let passed = 0;
  for (let i = 0; i < 10; i++) {
    try {
      await client(key).chat.completions.create({ model: "fake-openai-endpoint", messages: [{ role: "user", content: "Hey!" }], user: endUser });
      passed++;
    } catch {}
  }
  return passed;
}

test("test_end_user_new", async () => {
  await Promise.all(Array.from({ length: 10 }, () => newEndUser(uuid())));
});

test("test_aaaend_user_specific_region", async () => {
  const endUser = await newEndUser(uuid(), { model_region: "eu" });
  const { key } = await generateKey({ models: ["gpt-3.5-turbo-end-user-test"] });
  for (let i = 0; i < 3; i++) {
    const { response } = await client(key)
      .chat.completions.create({ model: "gpt-3.5-turbo-end-user-test", messages: [{ role: "user", content: "Hey!" }], user: endUser.user_id })
      .withResponse();
    expect(response.headers.get("x-litellm-model-region")).toBe("eu");
  }
});

test("test_enduser_tpm_limits_non_master_key", async () => {
  const budgetId = `free-tier-${uuid()}`;
  await newBudget(budgetId);
  const endUser = uuid();
  await newEndUser(endUser, { budget_id: budgetId });
  const { key } = await generateKey({ models: [] });
  expect(await passedOfTen(key, endUser)).toBeLessThan(5);
});

test("test_enduser_tpm_limits_with_master_key", async () => {
  const budgetId = `free-tier-${uuid()}`;
  await newBudget(budgetId);
  const endUser = uuid();
  await newEndUser(endUser, { budget_id: budgetId });
  expect(await passedOfTen(MASTER_KEY, endUser)).toBeLessThan(5);
});
