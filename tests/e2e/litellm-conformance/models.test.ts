import { afterAll, beforeAll, expect, test } from "bun:test";
import { proxyClient, rejects, uuid, type Json } from "./client.ts";
import { MASTER_KEY, startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("models");
}, 60_000);
afterAll(async () => proxy?.stop());

const generateKey = (models: string[] = []) => px.post("/key/generate", { models, duration: null });
const newUser = (models = ["azure-models"]) => px.post("/user/new", { models, aliases: { "mistral-7b": "gpt-3.5-turbo" }, duration: null, max_budget: null, budget_duration: null });
const modelRequest = (modelId: string, modelName: string) => ({
  model_name: modelName,
  litellm_params: { model: "openai/gpt-4.1-nano", api_key: "os.environ/OPENAI_API_KEY" },
  model_info: { id: modelId },
});
const modelInfo = (key: string, id?: string) => px.get(id ? `/model/info?litellm_model_id=${id}` : "/model/info", key);
const modelGroups = async (key: string): Promise<string[]> => (await px.get("/model_group/info", key)).data.map((m: Json) => m.model_group);

test("test_get_models_multiple_tests", async () => {
  const { key } = await generateKey();
  expect((await px.get("/models", key)).data.length).toBeGreaterThan(0);
  expect((await px.get("/models?only_model_access_groups=True", key)).data).toHaveLength(0);
});

test("test_get_models", async () => {
  const { key } = await generateKey(["gpt-4"]);
  for (const m of (await modelInfo(key)).data) expect(m.model_name).toBe("gpt-4");
});

test("test_get_specific_model", async () => {
  const { key } = await generateKey(["gpt-4"]);
  const all = (await modelInfo(key)).data as Json[];
  for (const m of all) expect(m.model_name).toBe("gpt-4");
  const last = all.at(-1)!;
  expect(last.model_info.id).not.toBeNull();
  const one = await modelInfo(key, last.model_info.id);
  expect(one.data[0].model_info.id).toBe(last.model_info.id);
  expect(one.data[0]).toEqual(last);
});

test("test_add_and_delete_models", async () => {
  const { key } = await generateKey();
  const modelId = `12345_${uuid()}`;
  const modelName = uuid();
  const added = await px.post("/model/new", modelRequest(modelId, modelName));
  expect(added.model_id).toBe(modelId);
  await px.chat(key, modelName);
  await px.post("/model/delete", { id: modelId });
  await rejects(px.chat(key, modelName));
});

test("test_get_personal_models_for_user", async () => {
  const user = await newUser(["gpt-3.5-turbo"]);
  expect(await modelGroups(user.key)).toEqual(["gpt-3.5-turbo"]);
});

test("test_model_group_info_e2e", async () => {
  await px.get("/models", MASTER_KEY);
  const groups = await modelGroups(MASTER_KEY);
  expect(groups).not.toContain("anthropic/*");
  expect(groups.some((g) => g.startsWith("anthropic/"))).toBe(true);
});
