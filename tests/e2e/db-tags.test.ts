import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, insert, insertBudget, waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/**
 * LiteLLM's tag management on a database the gateway created itself (empty at start): /tag/new,
 * /tag/update, /tag/info, /tag/list, /tag/delete, tag budgets applied as soon as they are written,
 * and tag spend reset when its budget's period ends (the reset job runs every second here).
 */
const MASTER = "sk-master-tags";
let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;

beforeAll(async () => {
  db = await createTestDb("lr_tags");
  fake = await startFakeLLM();
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p", input_cost_per_token: 0.002, output_cost_per_token: 0.001 } },
      ],
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2, proxy_budget_rescheduler_min_time: 1, proxy_budget_rescheduler_max_time: 1 },
    },
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

async function api(method: string, path: string, body?: unknown, key = MASTER) {
  const r = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

const tagged = (key: string, tag: string) => chat(gw.url, key, { model: "gpt-test", metadata: { tags: [tag] } });
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/;

describe("tag management", () => {
  test("the gateway created LiteLLM_TagTable on the empty database", async () => {
    const [t] = await db.sql`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'LiteLLM_TagTable'`;
    expect(t!.n).toBe(9);
  });

  test("/tag/new with budget fields makes the tag and its budget; a second /tag/new of the name is refused", async () => {
    const r = await api("POST", "/tag/new", { name: "team-x", description: "Team X's calls", models: ["gpt-test"], max_budget: 5, budget_duration: "30d", tpm_limit: 1000 });
    expect(r.status).toBe(200);
    expect(r.body.message).toBe("Tag team-x created successfully");
    expect(r.body.tag).toMatchObject({ name: "team-x", description: "Team X's calls", models: ["gpt-test"], model_info: {}, created_by: "default_user_id" });
    expect(r.body.tag.created_at).toMatch(ISO);
    const [row] = await db.sql`SELECT t.spend, b.max_budget, b.tpm_limit::int AS tpm_limit, b.budget_duration, b.budget_reset_at FROM "LiteLLM_TagTable" t JOIN "LiteLLM_BudgetTable" b USING (budget_id) WHERE t.tag_name = 'team-x'`;
    expect(row).toMatchObject({ spend: 0, max_budget: 5, tpm_limit: 1000, budget_duration: "30d" });
    expect(row!.budget_reset_at.getTime()).toBeGreaterThan(Date.now());
    const again = await api("POST", "/tag/new", { name: "team-x" });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe("Tag team-x already exists");
    expect((await api("POST", "/tag/new", {})).status).toBe(400);
    expect((await api("POST", "/tag/new", { name: "bad", models: "gpt-test" })).status).toBe(422);
  });

  test("/tag/info answers the named tags with their budgets, 404 naming the missing ones", async () => {
    const r = await api("POST", "/tag/info", { names: ["team-x"] });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["team-x"]);
    expect(r.body["team-x"]).toMatchObject({ name: "team-x", description: "Team X's calls", models: ["gpt-test"] });
    expect(r.body["team-x"].litellm_budget_table).toMatchObject({ max_budget: 5, tpm_limit: 1000, budget_duration: "30d" });
    const missing = await api("POST", "/tag/info", { names: ["team-x", "nope", "gone"] });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("Tags not found: ['nope', 'gone']");
    expect((await api("POST", "/tag/info", { names: "team-x" })).status).toBe(422);
  });

  test("/tag/update changes the tag (description and models as sent, LiteLLM's replace) and its budget; unknown tags are 404", async () => {
    const r = await api("POST", "/tag/update", { name: "team-x", description: "renamed", max_budget: 7 });
    expect(r.status).toBe(200);
    expect(r.body.message).toBe("Tag team-x updated successfully");
    expect(r.body.tag).toMatchObject({ name: "team-x", description: "renamed", models: [] });
    const info = await api("POST", "/tag/info", { names: ["team-x"] });
    expect(info.body["team-x"].litellm_budget_table.max_budget).toBe(7);
    const none = await api("POST", "/tag/update", { name: "nope" });
    expect(none.status).toBe(404);
    expect(none.body.error.message).toBe("Tag nope not found");
  });

  test("a budget written with /tag/new applies to the next call at once; /tag/update with spend 0 frees it", async () => {
    const key = String((await api("POST", "/key/generate", {})).body.key);
    expect((await api("POST", "/tag/new", { name: "tiny", max_budget: 0.001 })).status).toBe(200);
    expect((await tagged(key, "tiny")).status).toBe(200);
    const refused = await tagged(key, "tiny");
    expect(refused.status).toBe(400);
    expect(refused.body.error!.message).toMatch(/^Budget has been exceeded! Tag=tiny Current cost: /);
    expect((await chat(gw.url, key, { model: "gpt-test" })).status).toBe(200);
    await waitFor(async () => ((await db.sql`SELECT spend FROM "LiteLLM_TagTable" WHERE tag_name = 'tiny'`)[0]!.spend > 0.001 ? true : undefined), 10_000, "the tag's spend");
    expect((await api("POST", "/tag/update", { name: "tiny", spend: 0 })).status).toBe(200);
    expect((await tagged(key, "tiny")).status).toBe(200);
  });

  test("/tag/list: stored tags with their budgets, then tags calls carried without a stored row; dates checked", async () => {
    const key = String((await api("POST", "/key/generate", {})).body.key);
    expect((await tagged(key, "passing-by")).status).toBe(200);
    const list = await waitFor(async () => {
      const r = await api("GET", "/tag/list");
      return (r.body as unknown as Array<Record<string, any>>).some((t) => t.name === "passing-by") ? (r.body as unknown as Array<Record<string, any>>) : undefined;
    }, 10_000, "the daily tag spend");
    expect(list.find((t) => t.name === "team-x")).toMatchObject({ description: "renamed", litellm_budget_table: { max_budget: 7 } });
    const dynamic = list.find((t) => t.name === "passing-by")!;
    expect(dynamic).toMatchObject({ models: null, description: expect.stringContaining("passed dynamically in a request") });
    expect(dynamic.created_at).toMatch(ISO);
    const today = new Date().toISOString().slice(0, 10);
    expect((await api("GET", `/tag/list?start_date=${today}&end_date=${today}`)).status).toBe(200);
    expect((await api("GET", `/tag/list?start_date=${today}`)).body.error.message).toBe("start_date and end_date must be provided together");
    expect((await api("GET", "/tag/list?start_date=2026-02-30&end_date=2026-03-01")).status).toBe(400);
    expect((await api("GET", "/tag/list?start_date=2026-03-02&end_date=2026-03-01")).body.error.message).toBe("start_date must be on or before end_date");
  });

  test("/tag/delete removes the tag; a second delete is 404", async () => {
    expect((await api("POST", "/tag/new", { name: "short-lived" })).status).toBe(200);
    const r = await api("POST", "/tag/delete", { name: "short-lived" });
    expect(r).toEqual({ status: 200, body: { message: "Tag short-lived deleted successfully" } });
    expect((await db.sql`SELECT 1 FROM "LiteLLM_TagTable" WHERE tag_name = 'short-lived'`).length).toBe(0);
    const again = await api("POST", "/tag/delete", { name: "short-lived" });
    expect(again.status).toBe(404);
    expect(again.body.error.message).toBe("Tag short-lived not found");
  });
});

describe("tag budgets reset with their budget's period", () => {
  test("a budget past budget_reset_at: its tags (and end users) get spend 0, the budget its next reset, the tag's calls go through again", async () => {
    const yesterday = new Date(Date.now() - 86400_000);
    const now = new Date();
    const tomorrowMidnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    // One transaction: a reset running between the budget's insert and its tag's would find no tag to reset.
    await db.sql.begin(async (tx) => {
      const sql = tx as unknown as typeof db.sql;
      await insertBudget(sql, "b-daily", { max_budget: 1, budget_duration: "1d", budget_reset_at: yesterday });
      await insert(sql, "LiteLLM_TagTable", { tag_name: "daily", budget_id: "b-daily", spend: 9, models: [], created_by: "test" });
      await insert(sql, "LiteLLM_EndUserTable", { user_id: "daily-customer", budget_id: "b-daily", spend: 9 });
    });
    const [b] = await waitFor(async () => {
      const rows = await db.sql`SELECT budget_reset_at FROM "LiteLLM_BudgetTable" WHERE budget_id = 'b-daily'`;
      return rows[0]!.budget_reset_at.getTime() > Date.now() && rows;
    }, 10_000, "the budget's reset");
    expect(b!.budget_reset_at.toISOString()).toBe(tomorrowMidnight.toISOString());
    expect((await db.sql`SELECT spend FROM "LiteLLM_TagTable" WHERE tag_name = 'daily'`)[0]!.spend).toBe(0);
    expect((await db.sql`SELECT spend FROM "LiteLLM_EndUserTable" WHERE user_id = 'daily-customer'`)[0]!.spend).toBe(0);
    const key = String((await api("POST", "/key/generate", {})).body.key);
    await waitFor(async () => ((await tagged(key, "daily")).status === 200 ? true : undefined), 15_000, "the tag's budget to be read again");
  });
});
