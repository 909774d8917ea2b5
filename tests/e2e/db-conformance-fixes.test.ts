import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat } from "../helpers/litellm-db.ts";
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
let gw: GatewayProcess;
const { get, post } = mgmtClient(() => gw.url, MASTER);
const sentModels = () => fake.requests.map((r) => (r.body as Json).model);

beforeAll(async () => {
  db = await createTestDb("lr_conformance_fixes");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
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
      ],
      router_settings: { enable_pre_call_checks: true },
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
    },
    env: { UI_USERNAME: "boss", UI_PASSWORD: "ui-secret-pw" },
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
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

  test("x-litellm-timeout echoes a request timeout; mock_timeout never reaches the provider", async () => {
    fake.reset();
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json", "x-litellm-timeout": "20" },
      body: JSON.stringify({ model: "us-only", messages: [{ role: "user", content: "hi" }], mock_timeout: true }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-timeout")).toBe("20.0");
    expect(fake.requests[0]!.body).not.toHaveProperty("mock_timeout");
  });

  test("model \"a,b\" answers a list, one response per model, each logged as its own call", async () => {
    fake.reset();
    const r = await chat(gw.url, MASTER, { model: "us-only, backup" });
    expect(r.status).toBe(200);
    expect((r.body as unknown as Json[]).map((x) => x.object)).toEqual(["chat.completion", "chat.completion"]);
    expect(new Set(sentModels())).toEqual(new Set(["us-only-model", "backup-model"]));
  });
});
