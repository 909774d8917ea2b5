import { afterAll, beforeAll, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway } from "../helpers/gateway.ts";
import { chat, insert, insertKey, sha256, waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

let db: TestDb;
let fake: FakeLLM;

beforeAll(async () => {
  db = await createTestDb("lr_db_reset");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
});

afterAll(async () => {
  await fake?.stop();
  await db?.drop();
});

test("keys, users and teams past budget_reset_at get spend 0 and their next reset time", async () => {
  const yesterday = new Date(Date.now() - 86400_000);
  const tomorrowMidnight = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1));
  await insert(db.sql, "LiteLLM_TeamTable", { team_id: "t", models: [], members_with_roles: [], metadata: {}, spend: 9, max_budget: 1, budget_duration: "1d", budget_reset_at: yesterday });
  await insert(db.sql, "LiteLLM_UserTable", { user_id: "u", teams: [], spend: 9, max_budget: 1, budget_duration: "1d", budget_reset_at: yesterday });
  await insertKey(db.sql, "sk-reset-me-0001", { team_id: "t", user_id: "u", spend: 9, max_budget: 1, budget_duration: "1d", budget_reset_at: yesterday });
  await insertKey(db.sql, "sk-not-due-0002", { spend: 9, max_budget: 1, budget_duration: "1d", budget_reset_at: new Date(Date.now() + 3600_000) });
  const gw = await startGateway({
    config: {
      model_list: [{ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } }],
      general_settings: { master_key: "sk-master-reset", database_url: db.url, proxy_batch_write_at: 0.2 },
    },
  });
  try {
    const [k] = await waitFor(async () => {
      const rows = await db.sql`SELECT spend, budget_reset_at FROM "LiteLLM_VerificationToken" WHERE token = ${sha256("sk-reset-me-0001")}`;
      return rows[0]!.spend === 0 && rows;
    }, 10_000, "key reset");
    expect(k!.budget_reset_at.toISOString()).toBe(tomorrowMidnight.toISOString());
    // The job resets keys, users and teams one table after the other.
    await waitFor(async () => (await db.sql`SELECT spend FROM "LiteLLM_UserTable" WHERE user_id = 'u'`)[0]!.spend === 0, 10_000, "user reset");
    await waitFor(async () => (await db.sql`SELECT spend FROM "LiteLLM_TeamTable" WHERE team_id = 't'`)[0]!.spend === 0, 10_000, "team reset");
    expect((await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = ${sha256("sk-not-due-0002")}`)[0]!.spend).toBe(9);
    expect((await chat(gw.url, "sk-reset-me-0001", { model: "gpt-test" })).status).toBe(200);
    expect((await chat(gw.url, "sk-not-due-0002", { model: "gpt-test" })).body.error!.type).toBe("budget_exceeded");
  } finally {
    await gw.stop();
  }
});
