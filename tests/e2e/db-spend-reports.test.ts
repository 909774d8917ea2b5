import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, insert, sha256, waitFor } from "../helpers/litellm-db.ts";
import { mgmtClient, type Json } from "../helpers/mgmt.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/** LiteLLM's spend reports (spend_management_endpoints.py, common_daily_activity.py) over the tables the gateway writes. */
const MASTER = "sk-master-spend-reports";
const IN = 0.000002;
const OUT = 0.00001;
let db: TestDb;
let gw: GatewayProcess;
const { get, post } = mgmtClient(() => gw.url, MASTER);
const keys: Record<string, { raw: string; hash: string }> = {};

const day = (offsetDays: number) => new Date(Date.now() - offsetDays * 86400e3).toISOString().slice(0, 10);
const TODAY = day(0);
const YESTERDAY = day(1);

async function spendLog(id: string, fields: Json, daysAgo = 0): Promise<void> {
  const t = new Date(Date.now() - daysAgo * 86400e3);
  await insert(db.sql, "LiteLLM_SpendLogs", {
    request_id: id,
    call_type: "acompletion",
    startTime: t,
    endTime: t,
    model_group: "",
    custom_llm_provider: "openai",
    metadata: {},
    ...(fields as Record<string, string | number>),
  });
}

async function daily(table: string, entity: Json, date: string, fields: Json): Promise<void> {
  await insert(db.sql, table, {
    id: crypto.randomUUID(),
    date,
    updated_at: new Date(),
    custom_llm_provider: "openai",
    ...(entity as Record<string, string>),
    ...(fields as Record<string, string | number>),
  });
}

beforeAll(async () => {
  db = await createTestDb("lr_spend_reports");
  await loadLiteLLMSchema(db.sql);
  gw = await startGateway({
    config: {
      model_list: [{ model_name: "priced", litellm_params: { model: "openai/priced-upstream", mock_response: "ok", input_cost_per_token: IN, output_cost_per_token: OUT } }],
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
    },
  });
  for (const [team, alias] of [["t1", "alpha"], ["t2", "beta"]]) expect((await post("/team/new", { team_id: team, team_alias: alias })).status).toBe(200);
  for (const u of ["u-a", "u-b"]) await post("/user/new", { user_id: u, auto_create_key: false });
  await post("/team/member_add", { team_id: "t1", member: { role: "user", user_id: "u-a" } });
  for (const [name, body] of [
    ["a", { user_id: "u-a", key_alias: "key-a", team_id: "t1" }],
    ["b", { user_id: "u-b", key_alias: "key-b" }],
    ["aSpend", { user_id: "u-a", key_alias: "key-a-spend", permissions: { get_spend_routes: true } }],
  ] as const) {
    const r = await post("/key/generate", body);
    keys[name] = { raw: String(r.body.key), hash: String(r.body.token) };
  }
  await spendLog("r1", { api_key: keys.a!.hash, user: "u-a", model: "gpt-x", spend: 1.5, total_tokens: 10, end_user: "eu1" });
  await spendLog("r2", { api_key: keys.b!.hash, user: "u-b", model: "claude-y", spend: 2.5, total_tokens: 20, end_user: "eu2" });
  await spendLog("r3", { api_key: keys.a!.hash, user: "u-a", model: "gpt-x", spend: 0.25, total_tokens: 5, end_user: "eu2" });
  await spendLog("r-old", { api_key: keys.b!.hash, user: "u-b", model: "old-model", spend: 99, total_tokens: 1, end_user: "eu-old" }, 40);

  await daily("LiteLLM_DailyTeamSpend", { team_id: "t1" }, TODAY, { api_key: keys.a!.hash, model: "gpt-x", spend: 1.234, prompt_tokens: 5, completion_tokens: 5, api_requests: 2, successful_requests: 2 });
  await daily("LiteLLM_DailyTeamSpend", { team_id: "t1" }, YESTERDAY, { api_key: keys.a!.hash, model: "gpt-x", spend: 2, api_requests: 1, successful_requests: 1 });
  await daily("LiteLLM_DailyTeamSpend", { team_id: "t2" }, TODAY, { api_key: keys.b!.hash, model: "claude-y", spend: 5, api_requests: 1, failed_requests: 1 });
  for (const org of ["o1", "o2"]) await post("/organization/new", { organization_id: org, organization_alias: `${org}-alias` });
  await post("/organization/member_add", { organization_id: "o1", member: { role: "org_admin", user_id: "u-a" } });
  await daily("LiteLLM_DailyOrganizationSpend", { organization_id: "o1" }, TODAY, { api_key: keys.a!.hash, model: "gpt-x", spend: 4, api_requests: 2, successful_requests: 2 });
  await daily("LiteLLM_DailyOrganizationSpend", { organization_id: "o2" }, TODAY, { api_key: keys.b!.hash, model: "claude-y", spend: 6, api_requests: 1, successful_requests: 1 });
  await daily("LiteLLM_DailyUserSpend", { user_id: "u-a" }, TODAY, { api_key: keys.a!.hash, model: "gpt-x", model_group: "gpt-group", spend: 1.5, prompt_tokens: 4, completion_tokens: 6, api_requests: 1, successful_requests: 1 });
  await daily("LiteLLM_DailyUserSpend", { user_id: "u-a" }, YESTERDAY, { api_key: keys.a!.hash, model: "gpt-x", spend: 0.25, prompt_tokens: 2, completion_tokens: 3, api_requests: 1, successful_requests: 1 });
  await daily("LiteLLM_DailyUserSpend", { user_id: "u-b" }, TODAY, { api_key: keys.b!.hash, model: "claude-y", custom_llm_provider: "anthropic", spend: 2.5, prompt_tokens: 10, completion_tokens: 10, api_requests: 1, successful_requests: 1 });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

const list = (r: { body: unknown }) => r.body as Json[];

describe("global spend", () => {
  test("/global/spend/keys and /global/spend/models rank the last 30 days; limit is validated", async () => {
    const k = list(await get("/global/spend/keys"));
    expect(k.map((r) => [r.key_alias, r.total_spend])).toEqual([
      ["key-b", 2.5],
      ["key-a", 1.75],
    ]);
    expect(k[0]!.api_key).toBe(keys.b!.hash);
    expect(list(await get("/global/spend/keys?limit=1"))).toHaveLength(1);
    const zero = await get("/global/spend/keys?limit=0");
    expect(zero.status).toBe(422);
    expect(zero.body.error!.message).toBe("Invalid limit: 0, error: Limit must be greater than 0");
    expect((await get("/global/spend/keys?limit=abc")).status).toBe(422);

    expect(list(await get("/global/spend/models"))).toEqual([
      { model: "claude-y", total_spend: 2.5 },
      { model: "gpt-x", total_spend: 1.75 },
    ]);
    expect(list(await get("/global/spend/models?limit=1"))).toEqual([{ model: "claude-y", total_spend: 2.5 }]);
  });

  test("/global/spend/teams gives daily spend per team alias and the top teams", async () => {
    const r = await get("/global/spend/teams");
    expect(r.status).toBe(200);
    expect(r.body.daily_spend).toEqual([
      { date: TODAY, alpha: 1.23, beta: 5 },
      { date: YESTERDAY, alpha: 2 },
    ]);
    expect((r.body.teams as string[]).sort()).toEqual(["alpha", "beta"]);
    expect(r.body.total_spend_per_team).toEqual([
      { team_id: "beta", total_spend: 5 },
      { team_id: "alpha", total_spend: 3.23 },
    ]);
    const one = await get(`/global/spend/teams?start_date=${YESTERDAY}&end_date=${YESTERDAY}`);
    expect(one.body.daily_spend).toEqual([{ date: YESTERDAY, alpha: 2 }]);
    expect((await get(`/global/spend/teams?start_date=yesterday&end_date=${TODAY}`)).status).toBe(400);
  });

  test("POST /global/spend/end_users ranks end users, optionally for one key", async () => {
    expect(list(await post("/global/spend/end_users", {}))).toEqual([
      { end_user: "eu2", total_count: 2, total_spend: 2.75 },
      { end_user: "eu1", total_count: 1, total_spend: 1.5 },
    ]);
    expect(list(await post("/global/spend/end_users", { api_key: keys.a!.raw }))).toEqual([
      { end_user: "eu1", total_count: 1, total_spend: 1.5 },
      { end_user: "eu2", total_count: 1, total_spend: 0.25 },
    ]);
    const old = new Date(Date.now() - 45 * 86400e3).toISOString();
    expect(list(await post("/global/spend/end_users", { startTime: old, endTime: new Date(Date.now() - 35 * 86400e3).toISOString() }))).toEqual([
      { end_user: "eu-old", total_count: 1, total_spend: 99 },
    ]);
    expect((await post("/global/spend/end_users", { startTime: "not a date" })).status).toBe(422);
  });

  test("internal users are refused, unless their key carries get_spend_routes (then they see their own keys and models)", async () => {
    for (const path of ["/global/spend/keys", "/global/spend/models", "/global/spend/teams"]) {
      expect([401, 403]).toContain((await get(path, keys.a!.raw)).status);
    }
    expect([401, 403]).toContain((await post("/global/spend/end_users", {}, keys.a!.raw)).status);
    const own = list(await get("/global/spend/keys", keys.aSpend!.raw));
    expect(own.map((r) => [r.key_alias, r.total_spend])).toEqual([["key-a", 1.75]]);
    expect(list(await get("/global/spend/models", keys.aSpend!.raw))).toEqual([{ model: "gpt-x", total_spend: 1.75, total_tokens: 15 }]);
  });
});

describe("/spend/calculate", () => {
  test("prices a finished response exactly, estimates a prompt, and refuses what it cannot price", async () => {
    const done = await post("/spend/calculate", { completion_response: { model: "priced", usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 } } }, keys.a!.raw);
    expect(done.status).toBe(200);
    expect(done.body.cost).toBeCloseTo(10 * IN + 20 * OUT, 12);
    const short = (await post("/spend/calculate", { model: "priced", messages: [{ role: "user", content: "hi" }] })).body.cost as number;
    const long = (await post("/spend/calculate", { model: "priced", messages: [{ role: "user", content: "hi ".repeat(400) }] })).body.cost as number;
    expect(short).toBeGreaterThan(0);
    expect(long).toBeGreaterThan(short * 20);
    expect(long / IN).toBeCloseTo(Math.round(long / IN), 6);
    const known = await post("/spend/calculate", { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(known.status).toBe(200);
    expect(known.body.cost as number).toBeGreaterThan(0);

    const noMessages = await post("/spend/calculate", { model: "priced" });
    expect(noMessages.status).toBe(400);
    expect(noMessages.body.error!.message).toBe("Bad Request - messages must be provided if 'model' is provided");
    const nothing = await post("/spend/calculate", {});
    expect(nothing.status).toBe(400);
    expect(nothing.body.error!.message).toBe("Bad Request - Either 'model' or 'completion_response' must be provided");
    expect((await post("/spend/calculate", { model: "no-such/model-xyz", messages: [] })).status).toBe(400);
  });
});

describe("daily activity", () => {
  test("/user/daily/activity: admins see every user, a user only themselves; breakdowns and paging follow LiteLLM", async () => {
    const missing = await get("/user/daily/activity");
    expect(missing.status).toBe(400);
    expect(missing.body.error!.message).toBe("Please provide start_date and end_date");
    const range = `start_date=${YESTERDAY}&end_date=${TODAY}`;
    const all = await get(`/user/daily/activity?${range}`);
    expect(all.status).toBe(200);
    const meta = all.body.metadata as Json;
    expect(meta.total_spend).toBeCloseTo(4.25, 9);
    expect(meta).toMatchObject({ total_prompt_tokens: 16, total_completion_tokens: 19, total_tokens: 35, total_api_requests: 3, page: 1, total_pages: 1, has_more: false });
    const results = all.body.results as Array<{ date: string; metrics: Json; breakdown: Record<string, Record<string, Json>> }>;
    expect(results.map((d) => d.date)).toEqual([TODAY, YESTERDAY]);
    const today = results[0]!;
    expect(today.metrics.spend).toBeCloseTo(4, 9);
    expect(Object.keys(today.breakdown.models!).sort()).toEqual(["claude-y", "gpt-x"]);
    expect(Object.keys(today.breakdown.model_groups!).sort()).toEqual(["claude-y", "gpt-group"]);
    expect(Object.keys(today.breakdown.providers!).sort()).toEqual(["anthropic", "openai"]);
    expect(today.breakdown.api_keys![keys.a!.hash]!.metadata).toEqual({ key_alias: "key-a", team_id: "t1" });
    expect(Object.keys(today.breakdown.entities!).sort()).toEqual(["u-a", "u-b"]);

    const mine = await get(`/user/daily/activity?${range}`, keys.a!.raw);
    expect(Object.keys((mine.body.results as typeof results)[0]!.breakdown.entities!)).toEqual(["u-a"]);
    expect((mine.body.metadata as Json).total_spend).toBeCloseTo(1.75, 9);

    const paged = await get(`/user/daily/activity?${range}&page_size=1&page=2`);
    expect(paged.body.metadata).toMatchObject({ page: 2, total_pages: 3, has_more: true });
    expect((paged.body.results as Json[]).length).toBe(1);
    expect((await get(`/user/daily/activity?${range}&page_size=0`)).status).toBe(422);
    const agg = await get(`/user/daily/activity/aggregated?${range}`);
    expect(agg.body.metadata).toMatchObject({ page: 1, total_pages: 1, has_more: false, total_api_requests: 3 });
  });

  test("/team/daily/activity: admins see every team with its alias, members their teams, others are refused", async () => {
    const range = `start_date=${YESTERDAY}&end_date=${TODAY}`;
    const all = await get(`/team/daily/activity?${range}`);
    const entities = (all.body.results as Array<{ breakdown: { entities: Record<string, Json> } }>)[0]!.breakdown.entities;
    expect(entities.t1!.metadata).toEqual({ team_alias: "alpha" });
    expect((all.body.metadata as Json).total_spend).toBeCloseTo(8.234, 9);
    expect((all.body.metadata as Json).total_failed_requests).toBe(1);
    const excluded = await get(`/team/daily/activity?${range}&exclude_team_ids=t2`);
    expect((excluded.body.metadata as Json).total_spend).toBeCloseTo(3.234, 9);

    const member = await get(`/team/daily/activity?${range}`, keys.a!.raw);
    expect((member.body.metadata as Json).total_spend).toBeCloseTo(3.234, 9);
    const foreign = await get(`/team/daily/activity?${range}&team_ids=t2`, keys.a!.raw);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error!.message).toBe("User does not belong to Team= t2. Call `/user/info` to see user's teams");
    const none = await get(`/team/daily/activity?${range}`, keys.b!.raw);
    expect((none.body.metadata as Json).total_spend).toBe(0);
  });

  test("/organization/daily/activity: admins see every organization, an org admin only theirs", async () => {
    const range = `start_date=${TODAY}&end_date=${TODAY}`;
    const all = await get(`/organization/daily/activity?${range}`);
    expect((all.body.metadata as Json).total_spend).toBe(10);
    const entities = (all.body.results as Array<{ breakdown: { entities: Record<string, Json> } }>)[0]!.breakdown.entities;
    expect(entities.o1!.metadata).toEqual({ organization_alias: "o1-alias" });
    const mine = await get(`/organization/daily/activity?${range}`, keys.a!.raw);
    expect((mine.body.metadata as Json).total_spend).toBe(4);
    const foreign = await get(`/organization/daily/activity?${range}&organization_ids=o2`, keys.a!.raw);
    expect(foreign.status).toBe(403);
    expect(foreign.body.error!.message).toBe("User is not org_admin for Organization= o2.");
    expect((await get(`/organization/daily/activity?${range}`, keys.b!.raw)).body.metadata).toMatchObject({ total_spend: 0, total_pages: 0 });
  });

  test("a call through the gateway shows up in the user's daily activity", async () => {
    expect((await chat(gw.url, keys.b!.raw, { model: "priced" })).status).toBe(200);
    const [row] = await waitFor(async () => {
      const r = await db.sql`SELECT spend FROM "LiteLLM_DailyUserSpend" WHERE user_id = 'u-b' AND model = 'priced-upstream'`;
      return r.length ? r : undefined;
    }, 10_000, "the daily user spend row");
    const act = await get(`/user/daily/activity?start_date=${TODAY}&end_date=${TODAY}&model=priced-upstream`, keys.b!.raw);
    const meta = act.body.metadata as Json;
    expect(meta.total_api_requests).toBe(1);
    expect(meta.total_spend).toBeCloseTo(row!.spend as number, 12);
    expect(sha256(keys.b!.raw)).toBe(keys.b!.hash);
  });
});
