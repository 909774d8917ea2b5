import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, insert, insertKey, sha256, waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/** Per-model key budgets, the proxy-wide budget and `enforce_user_param` on a LiteLLM database. */
const MASTER = "sk-master-db-budgets";
let db: TestDb;
let fake: FakeLLM;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  db = await createTestDb("lr_db_budgets");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
  await insertKey(db.sql, "sk-model-budget-0001", { model_max_budget: { "gpt-test": { budget_limit: 0.0001, time_period: "30d" } } });
  await insertKey(db.sql, "sk-plain-0002", {});
  await insertKey(db.sql, "sk-plain-0003", {});
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await fake?.stop();
  await db?.drop();
});

async function gateway(extra: { general?: Record<string, unknown>; litellm?: Record<string, unknown> } = {}) {
  const deployment = (name: string) => ({
    model_name: name,
    litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-provider", input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
  });
  const g = await startGateway({
    config: {
      model_list: [deployment("gpt-test"), deployment("gpt-other")],
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2, ...extra.general },
      litellm_settings: { ...extra.litellm },
    },
  });
  gateways.push(g);
  return g;
}

describe("budgets LiteLLM checks beyond the key's own", () => {
  test("model_max_budget: a key's spend on one model within the period blocks that model only", async () => {
    const g = await gateway();
    expect((await chat(g.url, "sk-model-budget-0001", { model: "gpt-test" })).status).toBe(200);
    const blocked = await waitFor(async () => {
      const r = await chat(g.url, "sk-model-budget-0001", { model: "gpt-test" });
      return r.status === 400 ? r : undefined;
    }, 10_000, "the per-model budget to apply");
    expect(blocked.body.error!.type).toBe("budget_exceeded");
    expect(blocked.body.error!.message).toContain("exceeded budget for model=gpt-test");
    expect((await chat(g.url, "sk-model-budget-0001", { model: "gpt-other" })).status).toBe(200);
  });

  test("model_max_budget counts spend already in LiteLLM_SpendLogs (another instance, an earlier run)", async () => {
    await insertKey(db.sql, "sk-model-history-0004", { model_max_budget: { "gpt-test": { budget_limit: 1, time_period: "7d" } } });
    await insert(db.sql, "LiteLLM_SpendLogs", {
      request_id: crypto.randomUUID(),
      call_type: "acompletion",
      api_key: sha256("sk-model-history-0004"),
      spend: 2,
      startTime: new Date(),
      endTime: new Date(),
      model: "gpt-upstream",
      model_group: "gpt-test",
    });
    const g = await gateway();
    const r = await waitFor(async () => {
      const x = await chat(g.url, "sk-model-history-0004", { model: "gpt-test" });
      return x.status === 400 ? x : undefined;
    }, 10_000, "the logged spend to count");
    expect(r.body.error!.message).toContain("Current cost: 2");
  });

  test("litellm_settings.max_budget: once the proxy's 30-day spend reaches it, virtual keys are refused; the master key is not", async () => {
    await insert(db.sql, "LiteLLM_SpendLogs", { request_id: crypto.randomUUID(), call_type: "acompletion", api_key: "x", spend: 5, startTime: new Date(), endTime: new Date() });
    const g = await gateway({ litellm: { max_budget: 3 } });
    const r = await waitFor(async () => {
      const x = await chat(g.url, "sk-plain-0002", { model: "gpt-test" });
      return x.status === 400 ? x : undefined;
    }, 15_000, "the global budget to apply");
    expect(r.body.error!.type).toBe("budget_exceeded");
    expect(r.body.error!.message).toContain("LiteLLM Proxy has exceeded its budget");
    expect((await chat(g.url, MASTER, { model: "gpt-test" })).status).toBe(200);
  });

  test("enforce_user_param: a virtual key's LLM call without `user` is refused, with it it passes", async () => {
    const g = await gateway({ general: { enforce_user_param: true } });
    const without = await chat(g.url, "sk-plain-0003", { model: "gpt-test" });
    expect(without.status).toBe(401);
    expect(without.body.error!.message).toContain("'user' param not passed in");
    expect((await chat(g.url, "sk-plain-0003", { model: "gpt-test", user: "end-user-1" })).status).toBe(200);
  });
});
