import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, waitFor } from "../helpers/litellm-db.ts";
import { mgmtClient, type Json } from "../helpers/mgmt.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/**
 * What LiteLLM's own proxy tests (tests/e2e/litellm-conformance) only touch lightly, checked against
 * LiteLLM's implementation: form login, readiness details, end users with the master key, regions,
 * /user/new with a team, and the router's test knobs and headers.
 */
const MASTER = "sk-master-conformance";
let db: TestDb;
let fake: FakeLLM;
/** Accepts connections and never answers: a model that has not answered yet, whatever the machine's speed. */
let silent: import("bun").TCPSocketListener;
let gw: GatewayProcess;
const { get, post } = mgmtClient(() => gw.url, MASTER);
const sentModels = () => fake.requests.map((r) => (r.body as Json).model);

beforeAll(async () => {
  db = await createTestDb("lr_conformance_fixes");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
  silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const openai = (model: string, extra: Json = {}) => ({ model: `openai/${model}`, api_base: `${fake.url}/v1`, api_key: "sk-up", ...extra });
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "regional", litellm_params: openai("eu-model", { region_name: "eu" }) },
        { model_name: "regional", litellm_params: openai("us-model") },
        { model_name: "us-only", litellm_params: openai("us-only-model") },
        { model_name: "tries", litellm_params: openai("tries-model", { num_retries: 7, timeout: 3 }) },
        { model_name: "no-retries", litellm_params: openai("no-retries-model", { num_retries: 0 }) },
        { model_name: "backup", litellm_params: openai("backup-model") },
        { model_name: "stalls", litellm_params: { model: "openai/stalled-model", api_base: `http://127.0.0.1:${silent.port}/v1`, api_key: "sk-up" } },
        // Regions inferred from provider settings (no region_name); mock answers name the deployment.
        ...[
          ["bedrock-pair", { model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0", aws_region_name: "eu-west-1" }, "eu"],
          ["bedrock-pair", { model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0", aws_region_name: "us-east-1" }, "us"],
          ["vertex-pair", { model: "vertex_ai/gemini-2.0-flash", vertex_project: "p", vertex_location: "europe-west4" }, "eu"],
          ["vertex-pair", { model: "vertex_ai/gemini-2.0-flash", vertex_project: "p", vertex_location: "us-central1" }, "us"],
          ["azure-pair", { model: "azure/gpt-4o", api_base: "https://swedencentral.api.cognitive.microsoft.com", api_key: "k", api_version: "2024-10-21" }, "eu"],
          ["azure-pair", { model: "azure/gpt-4o", api_base: "https://eastus.api.cognitive.microsoft.com", api_key: "k", api_version: "2024-10-21" }, "us"],
          ["azure-pair", { model: "azure/gpt-4o", api_base: "https://my-resource.openai.azure.com", api_key: "k", api_version: "2024-10-21" }, "unknown"],
        ].map(([name, params, region]) => ({ model_name: name, litellm_params: { ...(params as Json), mock_response: `${name}:${region}` } })),
      ],
      router_settings: { enable_pre_call_checks: true },
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2, dangerously_allow_mock_testing_request_params: true },
    },
    env: { UI_USERNAME: "boss", UI_PASSWORD: "ui-secret-pw" },
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  silent?.stop(true);
  await db?.drop();
});

const form = (fields: Record<string, string>) => fetch(`${gw.url}/login`, { method: "POST", body: new URLSearchParams(fields), redirect: "manual" });

describe("/login, LiteLLM's form login", () => {
  test("UI_USERNAME + UI_PASSWORD open an admin session and redirect to the UI; anything else is LiteLLM's 401", async () => {
    const ok = await form({ username: "boss", password: "ui-secret-pw" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/ui");
    const cookie = ok.headers.get("set-cookie")!.split(";")[0]!;
    const page = await fetch(`${gw.url}/ui`, { headers: { cookie }, redirect: "manual" });
    expect(page.status).toBe(200);
    for (const bad of [{ username: "boss", password: MASTER }, { username: "admin", password: "ui-secret-pw" }, {}]) {
      const r = await form(bad as Record<string, string>);
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: Json }).error).toMatchObject({
        message: "Invalid credentials used to access UI.\nCheck 'UI_USERNAME', 'UI_PASSWORD' in .env file",
        type: "auth_error",
        param: "invalid_credentials",
      });
    }
  });
});

test("/health/readiness/details needs a key and carries the version and log level", async () => {
  expect((await fetch(`${gw.url}/health/readiness/details`)).status).toBe(401);
  const r = await get("/health/readiness/details");
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ status: "healthy", db: "connected", litellm_version: expect.any(String), log_level: "INFO", is_detailed_debug: false });
});

describe("end users", () => {
  test("the master key's calls meet the end user's budget, as LiteLLM reads the end user before the admin check", async () => {
    expect((await post("/end_user/new", { user_id: "broke", max_budget: 0.5 })).status).toBe(200);
    await db.sql`UPDATE "LiteLLM_EndUserTable" SET spend = 2 WHERE user_id = 'broke'`;
    const r = await chat(gw.url, MASTER, { model: "us-only", user: "broke" });
    expect(r.status).toBe(400);
    expect(r.body.error!.type).toBe("budget_exceeded");
    expect((await chat(gw.url, MASTER, { model: "us-only", user: "someone-else" })).status).toBe(200);
  });

  test("allowed_model_region routes to that region's deployment only and is echoed; a group without one refuses", async () => {
    expect((await post("/end_user/new", { user_id: "eu-customer", allowed_model_region: "eu" })).status).toBe(200);
    fake.reset();
    for (let i = 0; i < 6; i++) {
      const r = await chat(gw.url, MASTER, { model: "regional", user: "eu-customer" });
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    }
    expect(new Set(sentModels())).toEqual(new Set(["eu-model"]));
    const none = await chat(gw.url, MASTER, { model: "us-only", user: "eu-customer" });
    expect(none.status).toBe(429);
    expect(none.body.error!.message).toContain("allowed_model_region=eu");
    expect((await chat(gw.url, MASTER, { model: "regional" })).headers.get("x-litellm-model-region")).toBeNull();
  });

  test("a deployment without region_name is in the region its Bedrock, Vertex or Azure settings name (LiteLLM's _infer_model_region)", async () => {
    expect((await post("/end_user/new", { user_id: "us-customer", allowed_model_region: "us" })).status).toBe(200);
    for (const group of ["bedrock-pair", "vertex-pair", "azure-pair"]) {
      for (const [user, region] of [["eu-customer", "eu"], ["us-customer", "us"]]) {
        for (let i = 0; i < 4; i++) {
          const r = await chat(gw.url, MASTER, { model: group, user });
          expect(r.status, `${group} for ${user}`).toBe(200);
          expect(((r.body.choices as Json[])[0]!.message as Json).content).toBe(`${group}:${region}`);
        }
      }
    }
  });
});

test("/user/new with team_id: the key belongs to the team and the user joins it through team_member_add", async () => {
  const team = await post("/team/new", { team_alias: "joined" });
  const teamId = String(team.body.team_id);
  const made = await post("/user/new", { user_id: "joiner", team_id: teamId, user_email: "j@example.com" });
  expect(made.status).toBe(200);
  const [key] = await db.sql`SELECT team_id FROM "LiteLLM_VerificationToken" WHERE user_id = 'joiner'`;
  expect(key!.team_id).toBe(teamId);
  const [row] = await db.sql`SELECT members_with_roles, members, admins FROM "LiteLLM_TeamTable" WHERE team_id = ${teamId}`;
  expect(row!.members_with_roles).toContainEqual({ role: "user", user_id: "joiner", user_email: "j@example.com" });
  expect([row!.members, row!.admins]).toEqual([[], []]);
  const info = await get("/user/info?user_id=joiner");
  const teams = info.body.teams as Json[];
  expect(teams).toHaveLength(1);
  expect(teams[0]!.team_memberships).toEqual([expect.objectContaining({ user_id: "joiner", team_id: teamId, litellm_budget_table: null })]);
  expect((await post("/user/new", { user_id: "lost", team_id: "no-such-team" })).status).toBe(200);
});

describe("router knobs and headers", () => {
  test("mock_testing_rate_limit_error: one retry when the group allows retries, else the fallbacks answer", async () => {
    fake.reset();
    const retried = await chat(gw.url, MASTER, { model: "tries", mock_testing_rate_limit_error: true });
    expect(retried.status).toBe(200);
    expect(retried.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(retried.headers.get("x-litellm-max-retries")).toBe("7");
    expect(retried.headers.get("x-litellm-timeout")).toBe("3.0");
    expect(sentModels()).toEqual(["tries-model"]);
    const fellBack = await chat(gw.url, MASTER, { model: "no-retries", mock_testing_rate_limit_error: true, fallbacks: ["backup"] });
    expect(fellBack.status).toBe(200);
    expect(fellBack.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    expect(sentModels()).toEqual(["tries-model", "backup-model"]);
    const refused = await chat(gw.url, MASTER, { model: "no-retries", mock_testing_rate_limit_error: true });
    expect(refused.status).toBe(429);
    expect(refused.body.error!.message).toBe("This is a mock exception for model=no-retries, to trigger a rate limit error.");
  });

  test("x-litellm-timeout echoes a request timeout; mock_timeout holds the call that long and fails it as LiteLLM's Timeout", async () => {
    fake.reset();
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json", "x-litellm-timeout": "0.2" },
      body: JSON.stringify({ model: "us-only", messages: [{ role: "user", content: "hi" }], mock_timeout: true, num_retries: 0 }),
    });
    expect(r.status).toBe(408);
    expect(r.headers.get("x-litellm-timeout")).toBe("0.2");
    expect(((await r.json()) as Json).error).toMatchObject({ message: "litellm.Timeout: This is a mock timeout error", type: "timeout", code: "408" });
    expect(fake.requests).toHaveLength(0);
  });

  test("model \"a,b\" answers a list, one response per model, each logged as its own call; a model's failure is its entry, not the call's", async () => {
    fake.reset();
    const r = await chat(gw.url, MASTER, { model: "us-only, backup" });
    expect(r.status).toBe(200);
    expect((r.body as unknown as Json[]).map((x) => x.object)).toEqual(["chat.completion", "chat.completion"]);
    expect(new Set(sentModels())).toEqual(new Set(["us-only-model", "backup-model"]));
    const mixed = await chat(gw.url, MASTER, { model: "us-only,no-such-model" });
    expect(mixed.status).toBe(200);
    const [ok, failed] = mixed.body as unknown as Json[];
    expect(ok!.object).toBe("chat.completion");
    expect(failed!.error).toMatchObject({ code: "400", message: expect.stringContaining("Invalid model name passed in model=no-such-model") });
  });

  test("each model of \"a,b\" is a call of its own: the key's model list, its rate limit and its spend apply to each", async () => {
    const allowed = String((await post("/key/generate", { models: ["us-only", "backup"] })).body.key);
    expect((await chat(gw.url, allowed, { model: "us-only,backup" })).status).toBe(200);
    expect((await chat(gw.url, allowed, { model: "us-only,regional" })).status).toBe(401);
    const paced = await post("/key/generate", { rpm_limit: 1 });
    const answers = (await chat(gw.url, String(paced.body.key), { model: "us-only,backup" })).body as unknown as Json[];
    expect(answers.filter((a) => a.object === "chat.completion")).toHaveLength(1);
    expect(answers.filter((a) => (a.error as Json | undefined)?.code === "429")).toHaveLength(1);
    const spender = await post("/key/generate", {});
    const hash = String(spender.body.token);
    const both = (await chat(gw.url, String(spender.body.key), { model: "us-only,backup" })).body as unknown as Json[];
    expect(both.map((a) => a.object)).toEqual(["chat.completion", "chat.completion"]);
    const rows = await waitFor(async () => {
      const got = await db.sql`SELECT request_id, model_group, spend FROM "LiteLLM_SpendLogs" WHERE api_key = ${hash}`;
      return got.length === 2 && got;
    }, 10_000, "a spend row per model");
    expect(new Set(rows.map((x) => x.model_group))).toEqual(new Set(["us-only", "backup"]));
    expect(new Set(rows.map((x) => x.request_id)).size).toBe(2);
  });

  test("fastest_response: the first model to answer is the answer, streamed or not; a stream without it is refused", async () => {
    fake.reset();
    const r = await chat(gw.url, MASTER, { model: "stalls,us-only", fastest_response: true });
    expect(r.status).toBe(200);
    expect(r.body.object).toBe("chat.completion");
    expect(r.headers.get("x-litellm-model-group")).toBe("us-only");
    const streamed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "stalls,us-only", fastest_response: true, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("content-type")).toContain("text/event-stream");
    expect(await streamed.text()).toContain("data: [DONE]");
    expect(fake.requests.every((x) => !("fastest_response" in (x.body as Json)))).toBe(true);
    const refused = await chat(gw.url, MASTER, { model: "us-only,backup", stream: true });
    expect(refused.status).toBe(400);
    expect(refused.body.error!.message).toContain("fastest_response");
  });
});
