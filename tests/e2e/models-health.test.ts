import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat } from "../helpers/litellm-db.ts";
import { mgmtClient, type Json } from "../helpers/mgmt.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/** Model listing (model_checks.py, proxy_server.py), /health and /routes, over a real socket with a LiteLLM database. */
const MASTER = "sk-master-models";
const SECRET = "sk-provider-secret-do-not-leak";
let db: TestDb;
let fake: FakeLLM;
let slow: FakeLLM;
let gw: GatewayProcess;
const { get, post } = mgmtClient(() => gw.url, MASTER);
const ids = (r: { body: unknown }) => ((r.body as { data: Json[] }).data ?? []).map((m) => String(m.id));

beforeAll(async () => {
  db = await createTestDb("lr_models");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
  slow = await startFakeLLM({ control: { delayMs: 30_000 } });
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: SECRET } },
        { model_name: "claude-test", litellm_params: { model: "anthropic/claude-upstream", api_base: fake.url, api_key: SECRET }, model_info: { access_groups: ["beta-models"] } },
        { model_name: "anthropic/*", litellm_params: { model: "anthropic/*", api_base: fake.url, api_key: SECRET }, model_info: { health_check_model: "anthropic/claude-haiku-4-5" } },
        { model_name: "*", litellm_params: { model: "openai/*", api_base: `${fake.url}/v1`, api_key: SECRET } },
        { model_name: "broken", litellm_params: { model: "openai/x", api_base: "http://127.0.0.1:1/v1", api_key: SECRET } },
        { model_name: "slow", litellm_params: { model: "openai/x", api_base: `${slow.url}/v1`, api_key: SECRET }, model_info: { health_check_timeout: 1 } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER, database_url: db.url },
    },
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await slow?.stop();
  await db?.drop();
});

describe("/v1/models", () => {
  test("wildcard routes are replaced by the provider's known models; return_wildcard_routes lists the routes, * included", async () => {
    const plain = ids(await get("/v1/models"));
    expect(plain).toContain("gpt-test");
    expect(plain).toContain("anthropic/claude-haiku-4-5");
    expect(plain.filter((m) => m.startsWith("anthropic/claude-")).length).toBeGreaterThan(5);
    expect(plain).not.toContain("anthropic/*");
    expect(plain).not.toContain("*");
    const withRoutes = ids(await get("/v1/models?return_wildcard_routes=true"));
    expect(withRoutes).toContain("anthropic/*");
    expect(withRoutes).toContain("*");
    expect(withRoutes).toContain("anthropic/claude-haiku-4-5");
    const answer = await chat(gw.url, MASTER, { model: "anthropic/claude-haiku-4-5" });
    expect(answer.status).toBe(200);
    expect((fake.requests.at(-1)!.body as Json).model).toBe("claude-haiku-4-5");
  });

  test("access groups: only_model_access_groups lists the groups, include_model_access_groups adds them; keys see only theirs", async () => {
    expect(ids(await get("/models?only_model_access_groups=True"))).toEqual(["beta-models"]);
    const incl = ids(await get("/v1/models?include_model_access_groups=true"));
    expect(incl).toContain("beta-models");
    expect(incl).toContain("gpt-test");
    const beta = String((await post("/key/generate", { models: ["beta-models"] })).body.key);
    expect(ids(await get("/v1/models", beta))).toEqual(["claude-test"]);
    expect(ids(await get("/models?only_model_access_groups=True", beta))).toEqual(["beta-models"]);
    const gptOnly = String((await post("/key/generate", { models: ["gpt-test"] })).body.key);
    expect(ids(await get("/models?only_model_access_groups=True", gptOnly))).toEqual([]);
    const anthropicOnly = String((await post("/key/generate", { models: ["anthropic/*"] })).body.key);
    const theirs = ids(await get("/v1/models", anthropicOnly));
    expect(theirs.length).toBeGreaterThan(5);
    expect(theirs.every((m) => m.startsWith("anthropic/"))).toBe(true);
  });
});

describe("model info", () => {
  test("/model_group/info expands wildcard routes into one group per known model", async () => {
    const groups = ((await get("/model_group/info")).body.data as Json[]).map((g) => g as Json);
    const names = groups.map((g) => String(g.model_group));
    expect(names).not.toContain("anthropic/*");
    expect(names).toContain("*");
    const haiku = groups.find((g) => g.model_group === "anthropic/claude-haiku-4-5")!;
    expect(haiku.providers).toEqual(["anthropic"]);
    expect(haiku.input_cost_per_token as number).toBeGreaterThan(0);
    const one = (await get("/model_group/info?model_group=gpt-test")).body.data as Json[];
    expect(one.map((g) => g.model_group)).toEqual(["gpt-test"]);
  });

  test("/v2/model/info pages, searches, sorts and filters, narrowed to the key, without secrets", async () => {
    const all = await get("/v2/model/info");
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total_count: 6, current_page: 1, total_pages: 1, size: 50 });
    expect(JSON.stringify(all.body)).not.toContain(SECRET);
    const page = await get("/v2/model/info?size=2&page=2&sortBy=model_name&sortOrder=desc");
    expect((page.body.data as Json[]).map((d) => d.model_name)).toEqual(["claude-test", "broken"]);
    expect(page.body).toMatchObject({ total_count: 6, total_pages: 3, current_page: 2, size: 2 });
    expect(((await get("/v2/model/info?search=TEST")).body.data as Json[]).map((d) => d.model_name).sort()).toEqual(["claude-test", "gpt-test"]);
    const first = (all.body.data as Json[])[0]!;
    const byId = await get(`/v2/model/info?modelId=${String((first.model_info as Json).id)}`);
    expect(byId.body.total_count).toBe(1);
    expect((await get("/v2/model/info?page=0")).status).toBe(422);
    expect((await get("/v2/model/info?sortBy=nope")).status).toBe(400);
    const gptOnly = String((await post("/key/generate", { models: ["gpt-test"] })).body.key);
    expect(((await get("/v2/model/info", gptOnly)).body.data as Json[]).map((d) => d.model_name)).toEqual(["gpt-test"]);
  });
});

describe("/health and /routes", () => {
  test("/health probes every deployment through the upstream path and reports healthy and unhealthy endpoints without keys", async () => {
    fake.reset();
    const r = await get("/health");
    expect(r.status).toBe(200);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("api_key");
    const healthy = (r.body.healthy_endpoints as Json[]).map((e) => e.model);
    const unhealthy = r.body.unhealthy_endpoints as Json[];
    expect(healthy.sort()).toEqual(["anthropic/*", "anthropic/claude-upstream", "openai/gpt-upstream"].sort());
    expect(unhealthy.map((e) => e.model).sort()).toEqual(["openai/*", "openai/x", "openai/x"]);
    expect(r.body).toMatchObject({ healthy_count: 3, unhealthy_count: 3 });
    const slowOne = unhealthy.find((e) => e.api_base === `${slow.url}/v1`)!;
    expect(slowOne.error).toBe("Timeout exceeded");
    expect(String(unhealthy.find((e) => e.api_base === "http://127.0.0.1:1/v1")!.error)).toContain("APIConnectionError");
    expect(String(unhealthy.find((e) => e.model === "openai/*")!.error)).toContain("health_check_model");
    const gptProbe = fake.requests.find((q) => (q.body as Json).model === "gpt-upstream")!;
    expect((gptProbe.body as Json).max_tokens).toBe(16);
    expect((healthy as string[]).length + unhealthy.length).toBe(6);
    expect((r.body.healthy_endpoints as Json[]).every((e) => typeof e.model_id === "string")).toBe(true);
  });

  test("/health?model= and ?model_id= narrow the check; unknown ids are 404; non-admin keys are refused", async () => {
    const one = await get("/health?model=gpt-test");
    expect(one.body).toMatchObject({ healthy_count: 1, unhealthy_count: 0 });
    const byId = (one.body.healthy_endpoints as Json[])[0]!.model_id;
    expect((await get(`/health?model_id=${String(byId)}`)).body).toMatchObject({ healthy_count: 1 });
    const missing = await get("/health?model_id=nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error!.message).toBe("Model with ID nope not found");
    const user = String((await post("/key/generate", {})).body.key);
    expect([401, 403]).toContain((await get("/health?model=gpt-test", user)).status);
  });

  test("/routes is public and lists the server's routes; the liveness and readiness probes still answer", async () => {
    const r = await fetch(`${gw.url}/routes`);
    expect(r.status).toBe(200);
    const routes = ((await r.json()) as { routes: Array<{ path: string; methods: string[] }> }).routes;
    expect(routes.find((x) => x.path === "/organization/list")!.methods).toEqual(["GET"]);
    expect(routes.find((x) => x.path === "/health")!.methods).toEqual(["GET"]);
    expect(routes.some((x) => x.path === "/v1/chat/completions" && x.methods.includes("POST"))).toBe(true);
    expect(await (await fetch(`${gw.url}/health/liveliness`)).json()).toBe("I'm alive!");
    const ready = await fetch(`${gw.url}/health/readiness`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as Json).db).toBe("connected");
  });

  test("the public readiness probe says only the status and the database's; the diagnostics need a key unless allow_public_health_readiness_details", async () => {
    expect(await (await fetch(`${gw.url}/health/readiness`)).json()).toEqual({ status: "healthy", db: "connected" });
    const details = await get("/health/readiness/details");
    expect(details.body).toMatchObject({ status: "healthy", db: "connected", litellm_version: expect.any(String), success_callbacks: [], cache: null });
    const open = await startGateway({ config: { model_list: [], general_settings: { master_key: MASTER, allow_public_health_readiness_details: true } } });
    try {
      const r = await fetch(`${open.url}/health/readiness`);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ status: "healthy", db: "Not connected", litellm_version: expect.any(String), success_callbacks: [], log_level: "INFO" });
    } finally {
      await open.stop();
    }
  });
});
