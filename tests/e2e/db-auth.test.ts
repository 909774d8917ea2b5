import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, insert, insertBudget, insertKey, sha256 } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/**
 * A database as LiteLLM's own migrations leave it, with rows written the way LiteLLM writes them,
 * used unchanged by the gateway: every auth check through the real socket and the official SDKs.
 */
const MASTER = "sk-master-db-auth";
let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;

async function seed(): Promise<void> {
  const s = db.sql;
  await insertBudget(s, "b-member", { max_budget: 100 });
  await insertBudget(s, "b-member-over", { max_budget: 1 });
  await insertBudget(s, "b-member-rpm", { rpm_limit: 1 });
  await insertBudget(s, "b-org", { max_budget: 50 });
  await insertBudget(s, "b-org-over", { max_budget: 1 });
  await insertBudget(s, "b-eu-over", { max_budget: 1 });
  await insertBudget(s, "b-eu-rpm", { rpm_limit: 1 });
  await insertBudget(s, "b-soft", { soft_budget: 0.5 });
  for (const [id, budget, spend] of [["org-1", "b-org", 0], ["org-broke", "b-org-over", 2]] as const) {
    await insert(s, "LiteLLM_OrganizationTable", { organization_id: id, organization_alias: id, budget_id: budget, spend, models: [], created_by: "admin", updated_by: "admin" });
  }
  const team = (id: string, f: Record<string, unknown>) =>
    insert(s, "LiteLLM_TeamTable", { team_id: id, team_alias: `${id}-alias`, models: [], members_with_roles: [], metadata: {}, ...f } as never);
  await team("team-a", { models: ["gpt-test", "claude-test", "free-model"], max_budget: 100, organization_id: "org-1" });
  await team("team-broke", { max_budget: 1, spend: 2 });
  await team("team-blocked", { blocked: true });
  const user = (id: string, f: Record<string, unknown> = {}) => insert(s, "LiteLLM_UserTable", { user_id: id, user_role: "internal_user", teams: [], models: [], ...f } as never);
  await user("alice", { teams: ["team-a"], max_budget: 10 });
  await user("bob", { max_budget: 1, spend: 1.5 });
  await user("carol", { teams: ["team-a"] });
  await user("dave", { teams: ["team-a"] });
  await user("erin", { models: ["claude-test"] });
  await insert(s, "LiteLLM_TeamMembership", { user_id: "alice", team_id: "team-a", spend: 0, budget_id: "b-member" });
  await insert(s, "LiteLLM_TeamMembership", { user_id: "carol", team_id: "team-a", spend: 3, budget_id: "b-member-over" });
  await insert(s, "LiteLLM_TeamMembership", { user_id: "dave", team_id: "team-a", spend: 0, budget_id: "b-member-rpm" });
  await insert(s, "LiteLLM_EndUserTable", { user_id: "eu-over", spend: 2, budget_id: "b-eu-over" });
  await insert(s, "LiteLLM_EndUserTable", { user_id: "eu-blocked", blocked: true });
  await insert(s, "LiteLLM_EndUserTable", { user_id: "eu-rpm", budget_id: "b-eu-rpm" });

  await insertKey(s, "sk-good-0001", { user_id: "alice", team_id: "team-a", key_alias: "good" });
  await insertKey(s, "sk-only-gpt-0002", { models: ["gpt-test"] });
  await insertKey(s, "sk-blocked-0003", { blocked: true });
  await insertKey(s, "sk-expired-0004", { expires: new Date(Date.now() - 3600_000) });
  await insertKey(s, "sk-over-0005", { max_budget: 1, spend: 1 });
  await insertKey(s, "sk-teambroke-0006", { team_id: "team-broke" });
  await insertKey(s, "sk-teamblocked-0007", { team_id: "team-blocked" });
  await insertKey(s, "sk-personal-over-0008", { user_id: "bob" });
  await insertKey(s, "sk-carol-0009", { user_id: "carol", team_id: "team-a" });
  await insertKey(s, "sk-org-over-0010", { organization_id: "org-broke" });
  await insertKey(s, "sk-rpm2-0011", { rpm_limit: 2 });
  await insertKey(s, "sk-parallel-0012", { max_parallel_requests: 1 });
  await insertKey(s, "sk-tpm-0013", { tpm_limit: 5 });
  await insertKey(s, "sk-routes-0014", { allowed_routes: ["/v1/messages"] });
  await insertKey(s, "sk-free-0015", { max_budget: 1, spend: 5 });
  await insertKey(s, "sk-dave-0016", { user_id: "dave", team_id: "team-a" });
  await insertKey(s, "sk-eu-0017", {});
  await insertKey(s, "sk-erin-0018", { user_id: "erin" });
  await insertKey(s, "sk-budgetrow-0019", { budget_id: "b-soft", max_budget: 20 });
  await insertKey(s, "sk-access-group-0020", { models: ["cheap-models"] });
  await insertKey(s, "sk-model-rpm-0021", { metadata: { model_rpm_limit: { "gpt-test": 1 } } });
  await insertKey(s, "sk-all-team-0022", { team_id: "team-a", models: ["all-team-models"] });
}

beforeAll(async () => {
  db = await createTestDb("lr_db_auth");
  await loadLiteLLMSchema(db.sql);
  await seed();
  fake = await startFakeLLM();
  const openai = (name: string, extra: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-provider", input_cost_per_token: 0.001, output_cost_per_token: 0.002, ...extra },
  });
  gw = await startGateway({
    config: {
      model_list: [
        { ...openai("gpt-test"), model_info: { access_groups: ["cheap-models"] } },
        openai("other-gpt"),
        openai("free-model", { input_cost_per_token: 0, output_cost_per_token: 0 }),
        { model_name: "claude-test", litellm_params: { model: "anthropic/claude-upstream", api_base: fake.url, api_key: "sk-ant", input_cost_per_token: 0.001, output_cost_per_token: 0.002 } },
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

const openai = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const anthropic = (key: string) => new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
const hi = [{ role: "user" as const, content: "hi" }];

async function openaiError(key: string, model: string, extra: Record<string, unknown> = {}) {
  try {
    await openai(key).chat.completions.create({ model, messages: hi, ...extra } as never);
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("virtual keys from a LiteLLM database", () => {
  test("a key LiteLLM stored (sha256 token) works with the OpenAI and Anthropic SDKs", async () => {
    const { data, response } = await openai("sk-good-0001").chat.completions.create({ model: "gpt-test", messages: hi }).withResponse();
    expect(data.choices[0]!.message.content).toBe("Hello from the fake OpenAI!");
    expect(Number(response.headers.get("x-litellm-key-spend"))).toBeGreaterThan(0);
    const msg = await anthropic("sk-good-0001").messages.create({ model: "claude-test", max_tokens: 20, messages: hi });
    expect(msg.content[0]!.type).toBe("text");
  });

  test("an unknown key: 401 token_not_found_in_db", async () => {
    const e = await openaiError("sk-never-issued-9999", "gpt-test");
    expect(e.status).toBe(401);
    expect((e.error as { type: string }).type).toBe("token_not_found_in_db");
    expect(e.message).toContain(`Key Hash (Token) =${sha256("sk-never-issued-9999")}`);
  });

  test("a blocked key: 401", async () => {
    const e = await openaiError("sk-blocked-0003", "gpt-test");
    expect(e.status).toBe(401);
    expect(e.message).toContain("Key is blocked. Update via `/key/unblock`");
  });

  test("model access: key list, access groups, team list, user list, all-team-models", async () => {
    const k = await openaiError("sk-only-gpt-0002", "other-gpt");
    expect(k.status).toBe(401);
    expect((k.error as { type: string }).type).toBe("key_model_access_denied");
    expect((await openai("sk-only-gpt-0002").chat.completions.create({ model: "gpt-test", messages: hi })).choices).toHaveLength(1);
    expect((await openai("sk-access-group-0020").chat.completions.create({ model: "gpt-test", messages: hi })).choices).toHaveLength(1);
    expect((await openaiError("sk-access-group-0020", "other-gpt")).status).toBe(401);
    const t = await openaiError("sk-good-0001", "other-gpt");
    expect((t.error as { type: string }).type).toBe("team_model_access_denied");
    const u = await openaiError("sk-erin-0018", "gpt-test");
    expect((u.error as { type: string }).type).toBe("user_model_access_denied");
    expect((await openaiError("sk-all-team-0022", "other-gpt")).status).toBe(401);
    expect((await openai("sk-all-team-0022").chat.completions.create({ model: "gpt-test", messages: hi })).choices).toHaveLength(1);
    const fb = await openaiError("sk-only-gpt-0002", "gpt-test", { fallbacks: ["other-gpt"] });
    expect((fb.error as { type: string }).type).toBe("key_model_access_denied");
  });

  test("an expired key: expired_key", async () => {
    const e = await openaiError("sk-expired-0004", "gpt-test");
    expect(e.status).toBe(400);
    expect((e.error as { type: string }).type).toBe("expired_key");
    expect(e.message).toContain("Authentication Error - Expired Key");
  });

  test("budgets: key, team, personal user, team member, organization, end user", async () => {
    const cases: Array<[string, string, Record<string, unknown>?]> = [
      ["sk-over-0005", "Budget has been exceeded! Current cost: 1, Max budget: 1"],
      ["sk-teambroke-0006", "Budget has been exceeded! Team=team-broke"],
      ["sk-personal-over-0008", "ExceededBudget: User=bob over budget"],
      ["sk-carol-0009", "Budget has been exceeded!"],
      ["sk-org-over-0010", "Budget has been exceeded! Organization=org-broke"],
      ["sk-eu-0017", "ExceededBudget: End User=eu-over over budget", { user: "eu-over" }],
    ];
    for (const [key, message, extra] of cases) {
      const e = await openaiError(key, "gpt-test", extra);
      expect(e.status).toBe(400);
      expect((e.error as { type: string }).type).toBe("budget_exceeded");
      expect(e.message).toContain(message);
    }
  });

  test("a model with both prices explicitly 0 skips budget checks", async () => {
    expect((await openai("sk-free-0015").chat.completions.create({ model: "free-model", messages: hi })).choices).toHaveLength(1);
    expect((await openaiError("sk-free-0015", "gpt-test")).status).toBe(400);
  });

  test("blocked team and blocked end user", async () => {
    const t = await openaiError("sk-teamblocked-0007", "gpt-test");
    expect(t.status).toBe(401);
    expect(t.message).toContain("Team=team-blocked is blocked");
    const e = await openaiError("sk-eu-0017", "gpt-test", { user: "eu-blocked" });
    expect(e.status).toBe(401);
    expect(e.message).toContain("End User=eu-blocked is blocked");
  });

  test("allowed_routes restricts a key to its routes", async () => {
    const e = await openaiError("sk-routes-0014", "gpt-test");
    expect(e.status).toBe(401);
    expect(e.message).toContain("not allowed to call this route");
    const msg = await anthropic("sk-routes-0014").messages.create({ model: "claude-test", max_tokens: 10, messages: hi });
    expect(msg.type).toBe("message");
  });

  test("/v1/models lists only the key's models (access groups expanded)", async () => {
    const names = (await openai("sk-access-group-0020").models.list()).data.map((m) => m.id);
    expect(names).toEqual(["gpt-test"]);
    const team = (await openai("sk-good-0001").models.list()).data.map((m) => m.id).sort();
    expect(team).toEqual(["claude-test", "free-model", "gpt-test"]);
  });
});

describe("rate limits", () => {
  test("key rpm: the third call in a minute gets 429 with retry-after; headers count down", async () => {
    const first = await chat(gw.url, "sk-rpm2-0011", { model: "gpt-test" });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect(first.headers.get("x-litellm-key-rpm-limit")).toBe("2");
    expect((await chat(gw.url, "sk-rpm2-0011", { model: "gpt-test" })).status).toBe(200);
    const third = await chat(gw.url, "sk-rpm2-0011", { model: "gpt-test" });
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("60");
    expect(third.body.error!.message).toContain("Rate limit exceeded for api_key");
    expect(third.body.error!.message).toContain("Limit type: requests");
  });

  test("key tpm counts output tokens after each call", async () => {
    expect((await chat(gw.url, "sk-tpm-0013", { model: "gpt-test" })).status).toBe(200);
    const second = await chat(gw.url, "sk-tpm-0013", { model: "gpt-test" });
    expect(second.status).toBe(429);
    expect(second.body.error!.message).toContain("Limit type: tokens");
  });

  test("max_parallel_requests: a second concurrent call is refused, and the slot frees after", async () => {
    fake.control({ delayMs: 400 });
    try {
      const [a, b] = await Promise.all([chat(gw.url, "sk-parallel-0012", { model: "gpt-test" }), Bun.sleep(100).then(() => chat(gw.url, "sk-parallel-0012", { model: "gpt-test" }))]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(429);
      expect(b.body.error!.message).toContain("max_parallel_requests");
    } finally {
      fake.reset();
    }
    expect((await chat(gw.url, "sk-parallel-0012", { model: "gpt-test" })).status).toBe(200);
  });

  test("team-member, end-user and per-model rpm", async () => {
    expect((await chat(gw.url, "sk-dave-0016", { model: "gpt-test" })).status).toBe(200);
    const member = await chat(gw.url, "sk-dave-0016", { model: "gpt-test" });
    expect(member.status).toBe(429);
    expect(member.body.error!.message).toContain("team_member: team-a:dave");
    expect((await chat(gw.url, "sk-eu-0017", { model: "gpt-test", user: "eu-rpm" })).status).toBe(200);
    const eu = await chat(gw.url, "sk-eu-0017", { model: "gpt-test", user: "eu-rpm" });
    expect(eu.status).toBe(429);
    expect(eu.body.error!.message).toContain("end_user: eu-rpm");
    expect((await chat(gw.url, "sk-model-rpm-0021", { model: "gpt-test" })).status).toBe(200);
    expect((await chat(gw.url, "sk-model-rpm-0021", { model: "gpt-test" })).status).toBe(429);
    expect((await chat(gw.url, "sk-model-rpm-0021", { model: "other-gpt" })).status).toBe(200);
  });
});

describe("budget-table limits and headers", () => {
  test("a key's budget row fills in limits; key headers name its budget", async () => {
    const r = await chat(gw.url, "sk-budgetrow-0019", { model: "gpt-test" });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-key-max-budget")).toBe("20");
    expect(Number(r.headers.get("x-litellm-key-spend"))).toBeCloseTo(Number(r.headers.get("x-litellm-response-cost")), 10);
  });
});
