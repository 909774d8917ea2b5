import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway } from "../helpers/gateway.ts";
import { chat, insert, insertKey, waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/**
 * Databases from older and newer LiteLLM releases: columns and tables missing (older) or added
 * (newer). The gateway reads the columns that exist, never alters them, and still tracks spend.
 */
let fake: FakeLLM;
const dbs: TestDb[] = [];
const MASTER = "sk-master-db-versions";

beforeAll(async () => {
  fake = await startFakeLLM();
});

afterAll(async () => {
  await fake?.stop();
  for (const d of dbs) await d.drop();
});

async function run(db: TestDb) {
  await insert(db.sql, "LiteLLM_TeamTable", { team_id: "t1", models: [], members_with_roles: [], metadata: {}, max_budget: 10 });
  await insertKey(db.sql, "sk-version-test-01", { team_id: "t1", user_id: "u1", max_budget: 10 });
  const gw = await startGateway({
    config: {
      model_list: [{ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p", input_cost_per_token: 0.001, output_cost_per_token: 0.002 } }],
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
    },
  });
  try {
    const client = new OpenAI({ apiKey: "sk-version-test-01", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const r = await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "hello there, old database" }] });
    await waitFor(async () => (await db.sql`SELECT 1 FROM "LiteLLM_SpendLogs" WHERE request_id = ${r.id}`).length === 1, 10_000, "spend row");
    await waitFor(async () => Number((await db.sql`SELECT spend FROM "LiteLLM_TeamTable" WHERE team_id = 't1'`)[0]!.spend) > 0, 10_000, "team spend");
    const gen = await fetch(`${gw.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify({ key_alias: "new", max_budget: 1 }) });
    expect(gen.status).toBe(200);
    const key = String(((await gen.json()) as { key: string }).key);
    expect((await chat(gw.url, key, { model: "gpt-test" })).status).toBe(200);
    expect(gw.output()).not.toContain("spend write failed");
  } finally {
    await gw.stop();
  }
}

describe("LiteLLM schema versions", () => {
  test("an older database: missing tables and columns", async () => {
    const db = await createTestDb("lr_db_old");
    dbs.push(db);
    await loadLiteLLMSchema(db.sql);
    await db.sql.unsafe(`
      DROP TABLE "LiteLLM_TeamMembership", "LiteLLM_DailyTagSpend", "LiteLLM_DailyOrganizationSpend", "LiteLLM_DailyEndUserSpend", "LiteLLM_DailyTeamSpend" CASCADE;
      ALTER TABLE "LiteLLM_VerificationToken" DROP COLUMN allowed_routes, DROP COLUMN organization_id CASCADE, DROP COLUMN budget_id CASCADE, DROP COLUMN project_id CASCADE, DROP COLUMN agent_id;
      ALTER TABLE "LiteLLM_SpendLogs" DROP COLUMN request_duration_ms, DROP COLUMN agent_id, DROP COLUMN organization_id, DROP COLUMN mcp_namespaced_tool_name, DROP COLUMN session_id, DROP COLUMN status;
      ALTER TABLE "LiteLLM_DailyUserSpend" DROP COLUMN endpoint CASCADE, DROP COLUMN mcp_namespaced_tool_name CASCADE, DROP COLUMN cache_read_input_tokens, DROP COLUMN cache_creation_input_tokens;
      ALTER TABLE "LiteLLM_TeamTable" DROP COLUMN model_id CASCADE, DROP COLUMN soft_budget;`);
    await run(db);
    const cols = await db.sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'LiteLLM_VerificationToken'`;
    expect(cols.map((c) => c.column_name)).not.toContain("allowed_routes");
    const [daily] = await db.sql`SELECT api_requests FROM "LiteLLM_DailyUserSpend" WHERE user_id = 'u1'`;
    expect(Number(daily!.api_requests)).toBe(1);
  }, 60_000);

  test("a newer database: extra columns (some NOT NULL with defaults) are left alone", async () => {
    const db = await createTestDb("lr_db_new");
    dbs.push(db);
    await loadLiteLLMSchema(db.sql);
    await db.sql.unsafe(`
      ALTER TABLE "LiteLLM_VerificationToken" ADD COLUMN budget_limits jsonb, ADD COLUMN key_type text NOT NULL DEFAULT 'default', ADD COLUMN total_spend double precision NOT NULL DEFAULT 0;
      ALTER TABLE "LiteLLM_TeamMembership" ADD COLUMN total_spend double precision NOT NULL DEFAULT 0;
      ALTER TABLE "LiteLLM_SpendLogs" ADD COLUMN some_future_field text NOT NULL DEFAULT 'x';
      ALTER TABLE "LiteLLM_BudgetTable" ADD COLUMN allowed_models text[] DEFAULT ARRAY[]::text[];
      CREATE TABLE "LiteLLM_SomethingNew" (id text PRIMARY KEY);`);
    await run(db);
    const [k] = await db.sql`SELECT key_type FROM "LiteLLM_VerificationToken" WHERE key_alias = 'new'`;
    expect(k!.key_type).toBe("default");
    const tables = await db.sql`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'LiteLLM_SomethingNew'`;
    expect(tables[0]!.n).toBe(1);
  }, 60_000);
});
