import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, insertKey, sha256 } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/** LiteLLM's management API on a LiteLLM-migrated database, driven with plain fetch. */
const MASTER = "sk-master-db-mgmt";
const NACL_SALT = "sk-salt-test-1234";
/** PyNaCl SecretBox values (see tests/unit/db-secrets.test.ts): "openai/gpt-upstream" and "sk-provider-secret". */
const NACL_MODEL = "KqcsGUEyvj18pAxie88o8gWXt3lI64OZh-ZHw-6HqjN2WWc0Vkas0dCldih9Q0vWgBT1xwOwFxkAopg=";
const NACL_KEY = "1R2SoiONgiOvu8IEnLtHfi3j1kpy0e4fdDr6S41MuCLM2UclktV7THiglln-qBk5OtmdMnK3NSV7kA==";

let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;

type Json = Record<string, unknown>;

async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: Json & { error?: { message: string; type: string; code: string } } }> {
  const r = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Json };
}
const post = (path: string, body: unknown, key = MASTER) => call("POST", path, key, body);
const get = (path: string, key = MASTER) => call("GET", path, key);

beforeAll(async () => {
  db = await createTestDb("lr_db_mgmt");
  await loadLiteLLMSchema(db.sql);
  await db.sql`INSERT INTO "LiteLLM_ProxyModelTable" (model_id, model_name, litellm_params, model_info, created_by, updated_by)
    VALUES ('db-model-1', 'db-gpt', ${db.sql.json({ model: NACL_MODEL, api_key: NACL_KEY, api_base: "PLACEHOLDER" })}, ${db.sql.json({ id: "db-model-1" })}, 'admin', 'admin')`;
  fake = await startFakeLLM();
  await db.sql`UPDATE "LiteLLM_ProxyModelTable" SET litellm_params = jsonb_set(litellm_params, '{api_base}', to_jsonb(${`${fake.url}/v1`}::text))`;
  gw = await startGateway({
    env: { LITELLM_SALT_KEY: NACL_SALT },
    config: {
      model_list: [
        { model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } },
        { model_name: "other-gpt", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2, store_model_in_db: true },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

describe("keys", () => {
  test("generate → info → update → regenerate → delete, with LiteLLM's shapes", async () => {
    const gen = await post("/key/generate", { key_alias: "k1", models: ["gpt-test"], max_budget: 5, duration: "1h", soft_budget: 1, metadata: { team: "x" } });
    expect(gen.status).toBe(200);
    const raw = String(gen.body.key);
    expect(raw).toMatch(/^sk-[A-Za-z0-9_-]{22}$/);
    expect(gen.body.token).toBe(sha256(raw));
    expect(gen.body.token_id).toBe(sha256(raw));
    expect(gen.body.key_name).toBe(`sk-...${raw.slice(-4)}`);
    expect(gen.body.soft_budget).toBe(1);
    expect((gen.body.litellm_budget_table as Json).soft_budget).toBe(1);
    const [stored] = await db.sql`SELECT * FROM "LiteLLM_VerificationToken" WHERE token = ${sha256(raw)}`;
    expect(stored!.models).toEqual(["gpt-test"]);
    expect(stored!.expires.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect((await chat(gw.url, raw, { model: "gpt-test" })).status).toBe(200);

    const dup = await post("/key/generate", { key_alias: "k1" });
    expect(dup.status).toBe(400);
    expect(dup.body.error!.message).toContain("Key with alias 'k1' already exists");

    const info = await get(`/key/info?key=${raw}`);
    expect(info.body.key).toBe(raw);
    expect((info.body.info as Json).key_alias).toBe("k1");
    expect((info.body.info as Json).token).toBeUndefined();

    const upd = await post("/key/update", { key: raw, models: ["other-gpt"], max_budget: 7 });
    expect(upd.status).toBe(200);
    expect(upd.body.max_budget).toBe(7);
    const denied = await chat(gw.url, raw, { model: "gpt-test" });
    expect(denied.status).toBe(401);
    expect(denied.body.error!.type).toBe("key_model_access_denied");

    const regen = await post("/key/regenerate", { key: raw });
    const raw2 = String(regen.body.key);
    expect(raw2).not.toBe(raw);
    expect(regen.body.token_id).toBe(sha256(raw2));
    expect((await chat(gw.url, raw, { model: "other-gpt" })).status).toBe(401);
    expect((await chat(gw.url, raw2, { model: "other-gpt" })).status).toBe(200);
    const [rot] = await db.sql`SELECT rotation_count FROM "LiteLLM_VerificationToken" WHERE token = ${sha256(raw2)}`;
    expect(rot!.rotation_count).toBe(1);

    const del = await post("/key/delete", { keys: [raw2] });
    expect(del.body).toEqual({ deleted_keys: [raw2] });
    expect((await chat(gw.url, raw2, { model: "other-gpt" })).body.error!.type).toBe("token_not_found_in_db");
    expect((await post("/key/delete", { keys: [raw2] })).status).toBe(404);
    const [archived] = await db.sql`SELECT * FROM "LiteLLM_DeletedVerificationToken" WHERE token = ${sha256(raw2)}`;
    expect(archived!.rotation_count).toBe(1);
    expect(archived!.deleted_at).toBeInstanceOf(Date);
    expect(archived!.id).toBeTruthy();
  });

  test("block and unblock take effect at once (the cache is invalidated)", async () => {
    const raw = String((await post("/key/generate", {})).body.key);
    expect((await chat(gw.url, raw, { model: "gpt-test" })).status).toBe(200);
    expect((await post("/key/block", { key: raw })).body.blocked).toBe(true);
    expect((await chat(gw.url, raw, { model: "gpt-test" })).status).toBe(401);
    expect((await post("/key/unblock", { key: raw })).body.blocked).toBe(false);
    expect((await chat(gw.url, raw, { model: "gpt-test" })).status).toBe(200);
  });

  test("list pages through keys; a non-admin sees only their own", async () => {
    await post("/user/new", { user_id: "lister", auto_create_key: false });
    const own = String((await post("/key/generate", { user_id: "lister" })).body.key);
    await post("/key/generate", { user_id: "lister" });
    const all = await get("/key/list?size=2&page=1");
    expect(all.body.keys as string[]).toHaveLength(2);
    expect(Number(all.body.total_count)).toBeGreaterThanOrEqual(3);
    expect(all.body.current_page).toBe(1);
    const mine = await get("/key/list", own);
    expect(mine.body.total_count).toBe(2);
    const full = await get("/key/list?return_full_object=true&user_id=lister");
    expect((full.body.keys as Json[])[0]!.user_id).toBe("lister");
  });

  test("role rules: a non-admin key cannot call admin routes or manage other users' keys", async () => {
    await post("/user/new", { user_id: "plain", auto_create_key: false });
    const raw = String((await post("/key/generate", { user_id: "plain" })).body.key);
    const other = String((await post("/key/generate", { user_id: "someone-else" })).body.key);
    expect((await post("/user/new", { user_id: "x" }, raw)).status).toBe(401);
    expect((await post("/team/new", {}, raw)).status).toBe(401);
    expect((await get(`/key/info?key=${other}`, raw)).status).toBe(403);
    expect((await get(`/key/info`, raw)).body.key).toBeTruthy();
    expect((await post("/key/generate", { user_id: "someone-else" }, raw)).status).toBe(403);
    const ownNew = await post("/key/generate", {}, raw);
    expect(ownNew.status).toBe(200);
    expect(ownNew.body.user_id).toBe("plain");
    expect((await post("/key/delete", { keys: [other] }, raw)).status).toBe(403);
  });

  test("a proxy_admin user's key is an admin", async () => {
    await post("/user/new", { user_id: "boss", user_role: "proxy_admin", auto_create_key: false });
    const raw = String((await post("/key/generate", { user_id: "boss" })).body.key);
    expect((await post("/team/new", { team_alias: "by-boss" }, raw)).status).toBe(200);
  });
});

describe("users, teams, customers, budgets, organizations", () => {
  test("user/new creates a key; user/info lists keys and teams; update and delete", async () => {
    const u = await post("/user/new", { user_id: "u1", user_email: "u1@example.com", max_budget: 3, models: ["gpt-test"] });
    expect(u.body.user_id).toBe("u1");
    expect(String(u.body.key)).toMatch(/^sk-/);
    expect((await chat(gw.url, String(u.body.key), { model: "gpt-test" })).status).toBe(200);
    const info = await get("/user/info?user_id=u1");
    expect((info.body.user_info as Json).user_email).toBe("u1@example.com");
    expect(info.body.keys as Json[]).toHaveLength(1);
    expect((await post("/user/update", { user_id: "u1", max_budget: 9 })).status).toBe(200);
    const [row] = await db.sql`SELECT max_budget FROM "LiteLLM_UserTable" WHERE user_id = 'u1'`;
    expect(row!.max_budget).toBe(9);
    expect((await post("/user/delete", { user_ids: ["u1"] })).status).toBe(200);
    expect((await chat(gw.url, String(u.body.key), { model: "gpt-test" })).status).toBe(401);
    expect((await get("/user/info?user_id=u1")).status).toBe(404);
  });

  test("team lifecycle: new, member_add with a member budget, info, update, member_delete, list, delete", async () => {
    const t = await post("/team/new", { team_alias: "core", models: ["gpt-test"], max_budget: 10 });
    const teamId = String(t.body.team_id);
    expect(t.body.team_alias).toBe("core");
    const add = await post("/team/member_add", { team_id: teamId, member: { role: "admin", user_id: "tm1" }, max_budget_in_team: 2 });
    expect(add.body.members_with_roles).toEqual([
      { role: "admin", user_id: "default_user_id", user_email: null },
      { role: "admin", user_id: "tm1", user_email: null },
    ]);
    expect((add.body.updated_team_memberships as Json[])[0]!.budget_id).toBeTruthy();
    const key = String((await post("/key/generate", { user_id: "tm1", team_id: teamId })).body.key);
    expect((await chat(gw.url, key, { model: "gpt-test" })).status).toBe(200);
    expect((await chat(gw.url, key, { model: "other-gpt" })).body.error!.type).toBe("team_model_access_denied");
    const info = await get(`/team/info?team_id=${teamId}`);
    expect(info.body.team_id).toBe(teamId);
    expect(info.body.keys as Json[]).toHaveLength(1);
    expect((info.body.team_memberships as Json[]).map((x) => x.user_id)).toContain("tm1");
    await post("/team/update", { team_id: teamId, models: ["gpt-test", "other-gpt"] });
    expect((await chat(gw.url, key, { model: "other-gpt" })).status).toBe(200);
    await post("/team/update", { team_id: teamId, blocked: true });
    expect((await chat(gw.url, key, { model: "gpt-test" })).body.error!.message).toContain("is blocked");
    const del = await post("/team/member_delete", { team_id: teamId, user_id: "tm1" });
    expect(del.body.members_with_roles).toEqual([{ role: "admin", user_id: "default_user_id", user_email: null }]);
    expect(((await get("/team/list")).body as unknown as Json[]).some((x) => x.team_id === teamId)).toBe(true);
    expect((await post("/team/delete", { team_ids: [teamId] })).status).toBe(200);
    expect((await get(`/team/info?team_id=${teamId}`)).status).toBe(404);
    const [team] = await db.sql`SELECT team_alias, models FROM "LiteLLM_DeletedTeamTable" WHERE team_id = ${teamId}`;
    expect(team).toEqual({ team_alias: "core", models: ["gpt-test", "other-gpt"] });
    const [teamKey] = await db.sql`SELECT team_id FROM "LiteLLM_DeletedVerificationToken" WHERE token = ${sha256(key)}`;
    expect(teamKey!.team_id).toBe(teamId);
  });

  test("customer with a budget: created, enforced, updated, blocked, deleted", async () => {
    const c = await post("/customer/new", { user_id: "cust-m", max_budget: 0.5 });
    expect((c.body.litellm_budget_table as Json).max_budget).toBe(0.5);
    expect((await post("/customer/new", { user_id: "cust-x", budget_id: "b", max_budget: 1 })).status).toBe(400);
    const info = await get("/customer/info?end_user_id=cust-m");
    expect(info.body.user_id).toBe("cust-m");
    await db.sql`UPDATE "LiteLLM_EndUserTable" SET spend = 1 WHERE user_id = 'cust-m'`;
    await post("/customer/update", { user_id: "cust-m", max_budget: 0.9 });
    const key = String((await post("/key/generate", {})).body.key);
    const r = await chat(gw.url, key, { model: "gpt-test", user: "cust-m" });
    expect(r.status).toBe(400);
    expect(r.body.error!.type).toBe("budget_exceeded");
    await post("/customer/update", { user_id: "cust-m", max_budget: 100 });
    expect((await chat(gw.url, key, { model: "gpt-test", user: "cust-m" })).status).toBe(200);
    await post("/customer/block", { user_ids: ["cust-m"] });
    expect((await chat(gw.url, key, { model: "gpt-test", user: "cust-m" })).status).toBe(401);
    expect((await post("/customer/delete", { user_ids: ["cust-m"] })).body).toEqual({ deleted_customers: ["cust-m"] });
  });

  test("budgets and organizations", async () => {
    const b = await post("/budget/new", { budget_id: "bud-1", max_budget: 4, rpm_limit: 10 });
    expect(b.body.budget_id).toBe("bud-1");
    expect(((await post("/budget/info", { budgets: ["bud-1"] })).body as unknown as Json[])[0]!.rpm_limit).toBe(10);
    expect((await post("/budget/update", { budget_id: "bud-1", max_budget: 6 })).body.max_budget).toBe(6);
    const key = String((await post("/key/generate", { budget_id: "bud-1" })).body.key);
    expect((await chat(gw.url, key, { model: "gpt-test" })).headers.get("x-litellm-key-max-budget")).toBe("6");
    const o = await post("/organization/new", { organization_alias: "acme", max_budget: 20, models: ["gpt-test"] });
    expect(o.body.organization_alias).toBe("acme");
    expect((o.body.litellm_budget_table as Json).max_budget).toBe(20);
    const oi = await get(`/organization/info?organization_id=${String(o.body.organization_id)}`);
    expect(oi.body.organization_alias).toBe("acme");
    expect((await post("/budget/delete", { id: "bud-1" })).status).toBe(200);
  });
});

describe("models and health", () => {
  test("a model LiteLLM stored encrypted in LiteLLM_ProxyModelTable serves calls", async () => {
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const r = await client.chat.completions.create({ model: "db-gpt", messages: [{ role: "user", content: "hi" }] });
    expect(r.choices[0]!.message.content).toBe("Hello from the fake OpenAI!");
    const sent = fake.requests.at(-1)!;
    expect(sent.headers.authorization).toBe("Bearer sk-provider-secret");
    expect((sent.body as { model: string }).model).toBe("gpt-upstream");
    const info = await get("/v1/model/info");
    const entry = (info.body.data as Json[]).find((d) => d.model_name === "db-gpt")!;
    expect((entry.model_info as Json).db_model).toBe(true);
    expect((entry.litellm_params as Json).api_key).toBeUndefined();
  });

  test("/model/info is narrowed to the key's models", async () => {
    const key = String((await post("/key/generate", { models: ["gpt-test"] })).body.key);
    const info = await get("/model/info", key);
    expect((info.body.data as Json[]).map((d) => d.model_name)).toEqual(["gpt-test"]);
  });

  test("readiness reports the database", async () => {
    const r = await fetch(`${gw.url}/health/readiness`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as Json).db).toBe("connected");
  });

  test("a key LiteLLM wrote directly (hash only) works and is managed like ours", async () => {
    await insertKey(db.sql, "sk-written-by-litellm-77", { key_alias: "py" });
    expect((await chat(gw.url, "sk-written-by-litellm-77", { model: "gpt-test" })).status).toBe(200);
    expect(((await get(`/key/info?key=${sha256("sk-written-by-litellm-77")}`)).body.info as Json).key_alias).toBe("py");
  });
});

describe("without a database", () => {
  test("management routes answer LiteLLM's no-db error; the gateway still serves the master key", async () => {
    const plain = await startGateway({
      config: {
        model_list: [{ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } }],
        general_settings: { master_key: MASTER },
      },
    });
    try {
      const r = await fetch(`${plain.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: "{}" });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { type: string; message: string } }).error).toMatchObject({ type: "no_db_connection", message: "No connected db." });
      const v = await chat(plain.url, "sk-some-virtual-key", { model: "gpt-test" });
      expect(v.status).toBe(400);
      expect(v.body.error!.type).toBe("no_db_connection");
      expect((await chat(plain.url, MASTER, { model: "gpt-test" })).status).toBe(200);
      expect(((await (await fetch(`${plain.url}/health/readiness`)).json()) as Json).db).toBe("Not connected");
    } finally {
      await plain.stop();
    }
  });
});
