import { afterAll, beforeAll, expect, test } from "bun:test";
import { keyRequest, proxyClient, rejects, uuid, type Json } from "./client.ts";
import { MASTER_KEY, startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("keys");
}, 60_000);
afterAll(async () => proxy?.stop());

const generateKey = (o: Json = {}, callingKey = MASTER_KEY) => px.post("/key/generate", keyRequest(o), callingKey);
const generateTeam = (teamId = "litellm-dashboard", models: string[] | null = null) => px.send("POST", "/team/new", { json: { team_id: teamId, models } });
const generateUser = (userRole: string) => px.send("POST", "/user/new", { json: { user_role: userRole, team_id: "litellm-dashboard" } });
const keyInfoStatus = async (callKey: string, getKey?: string) => (await px.send("GET", getKey === undefined ? "/key/info" : `/key/info?key=${getKey}`, { key: callKey })).status;
const keyInfo = (callKey: string, getKey?: string) => px.get(getKey === undefined ? "/key/info" : `/key/info?key=${getKey}`, callKey);
const deleteKey = (key: string, authKey = MASTER_KEY) => px.post("/key/delete", { keys: [key] }, authKey);
const resetProxyBudget = () => px.post("/user/update", { user_id: "litellm-proxy-budget", spend: 0 });
const chat = (key: string, model = "gpt-4") => px.chat(key, model);

test("test_key_gen", async () => {
  await Promise.all(Array.from({ length: 10 }, () => generateKey()));
});

test("test_simple_key_gen", async () => {
  const made = await generateKey();
  expect(made.token).not.toBeNull();
  expect(made.token).not.toBe(made.key);
  expect(made.token_id).not.toBeNull();
  expect(made.created_at).not.toBeNull();
  expect(made.updated_at).not.toBeNull();
});

test("test_key_gen_bad_key", async () => {
  const login = await px.send("POST", "/login", { form: { username: "admin", password: MASTER_KEY } });
  expect(login.status).toBe(200);
  const { key } = await generateKey({ user_id: "user-1234" });
  await rejects(generateKey({ user_id: "user-1234" }, key));
});

test.each([[{ test: "new" }], [{}]])("test_key_update[metadata=%j]", async (metadata) => {
  const made = await generateKey({ metadata: { test: "test" } });
  expect(made.metadata.test).toBe("test");
  const updated = await px.post("/key/update", { key: made.key, metadata });
  expect(updated.metadata).toEqual(metadata);
  await resetProxyBudget();
  await chat(made.key);
});

test("test_key_delete", async () => {
  const { key } = await generateKey();
  await deleteKey(key);
});

test("test_key_info", async () => {
  const { key } = await generateKey();
  await keyInfo(MASTER_KEY, key);
  await keyInfo(key, key);
  await keyInfo(key);
  expect(await keyInfoStatus(key, `sk-${uuid()}`)).toBe(404);
});

test("test_model_info", async () => {
  const { key } = await generateKey();
  const adminModels = (await px.get("/model/info")).data;
  const userModels = (await px.get("/model/info", key)).data;
  expect(adminModels.length).toBeGreaterThan(userModels.length);
  expect(userModels.length).toBeGreaterThan(0);
});

test("test_key_crossing_budget", async () => {
  const { key } = await generateKey({ max_budget: 0.0000001 });
  await chat(key);
  const e = await rejects(chat(key));
  expect(e.message).toContain("Budget has been exceeded!");
});

test("test_key_rate_limit", async () => {
  const blocked = await generateKey({ max_parallel_requests: 0 });
  await rejects(chat(blocked.key));
  const single = await generateKey({ max_parallel_requests: 1 });
  await chat(single.key);
});

test("test_key_delete_ui", async () => {
  const { key } = await generateKey({ user_id: "ishaan-smart" });
  await generateTeam();
  const adminUi = await generateUser("proxy_admin");
  await deleteKey(key, adminUi.body.key);
});

const modelListCases = ["all-team-models", "gpt-3.5-turbo"].flatMap((access) =>
  ["key", "team"].flatMap((level) => ["/v1/models", "/model/info"].map((endpoint) => [access, level, endpoint] as const)),
);

test.each(modelListCases)("test_key_model_list[%s-%s-%s]", async (access, level, endpoint) => {
  const models = access === "all-team-models" ? [] : [access];
  const teamId = `litellm_dashboard_${uuid()}`;
  await generateTeam(teamId, level === "team" ? models : null);
  const { key } = await generateKey({ team_id: teamId, models: level === "key" ? models : [] });
  const list = await px.get(endpoint, key);
  if (access === "all-team-models" && endpoint === "/v1/models") expect(typeof list.data[0].id).toBe("string");
  if (access === "all-team-models" && endpoint === "/model/info") expect(list.data.length).toBeGreaterThan(0);
  if (access === "gpt-3.5-turbo") expect(list.data).toHaveLength(1);
  if (access === "gpt-3.5-turbo" && endpoint === "/v1/models") expect(list.data[0].id).toBe(access);
});

test("test_key_user_not_in_db", async () => {
  const { key } = await generateKey({ user_id: uuid() });
  await chat(key);
});

test("test_key_over_budget", async () => {
  const { key } = await generateKey({ max_budget: 0.0000001 });
  await chat(key);
  await keyInfo(key, key);
  const e = await rejects(chat(key));
  expect(e.message).toContain("Budget has been exceeded!");
});
