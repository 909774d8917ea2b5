import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { sha256 } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/** LiteLLM's semantics of key updates with empty values, team creation, team members and user upserts (issue 16). */
const MASTER = "sk-team-members-master-01";

type Json = Record<string, unknown>;
let db: TestDb;
let gw: GatewayProcess;

async function post(path: string, body: unknown, key = MASTER): Promise<{ status: number; body: Json & { error?: { message: string; type: string; param: string } } }> {
  const r = await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Json };
}

const teamRow = async (id: string) => (await db.sql`SELECT * FROM "LiteLLM_TeamTable" WHERE team_id = ${id}`)[0]!;

beforeAll(async () => {
  db = await createTestDb("lr_team_members");
  await loadLiteLLMSchema(db.sql);
  gw = await startGateway({
    config: {
      model_list: [{ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: "http://127.0.0.1:9/v1", api_key: "sk-p" } }],
      general_settings: { master_key: MASTER, database_url: db.url },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

describe("/key/update with empty values replaces them, as LiteLLM's prepare_key_update_data", () => {
  test("metadata {}, models [], aliases {}, tags [] each replace what was stored", async () => {
    const made = await post("/key/generate", { metadata: { team: "x", keep: 1 }, models: ["gpt-test"], aliases: { a: "gpt-test" }, tags: ["t1"] });
    const raw = String(made.body.key);
    const row = async () => (await db.sql`SELECT metadata, models, aliases FROM "LiteLLM_VerificationToken" WHERE token = ${sha256(raw)}`)[0]!;
    expect(await row()).toEqual({ metadata: { team: "x", keep: 1, tags: ["t1"] }, models: ["gpt-test"], aliases: { a: "gpt-test" } });
    expect((await post("/key/update", { key: raw, tags: [] })).status).toBe(200);
    expect((await row()).metadata).toEqual({ team: "x", keep: 1, tags: [] });
    expect((await post("/key/update", { key: raw, metadata: {} })).status).toBe(200);
    expect((await row()).metadata).toEqual({});
    expect((await post("/key/update", { key: raw, metadata: { only: true } })).status).toBe(200);
    expect((await row()).metadata).toEqual({ only: true });
    const cleared = await post("/key/update", { key: raw, models: [], aliases: {} });
    expect(cleared.body).toMatchObject({ models: [], aliases: {} });
    expect(await row()).toEqual({ metadata: { only: true }, models: [], aliases: {} });
  });
});

describe("/team/new", () => {
  test("the caller joins as admin unless listed; the master key is LiteLLM's default_user_id", async () => {
    const byMaster = await post("/team/new", { team_alias: "m" });
    expect(byMaster.body.members_with_roles).toEqual([{ role: "admin", user_id: "default_user_id", user_email: null }]);
    await post("/user/new", { user_id: "boss-1", user_role: "proxy_admin", auto_create_key: false });
    const bossKey = String((await post("/key/generate", { user_id: "boss-1" })).body.key);
    const byBoss = await post("/team/new", { team_alias: "b", members_with_roles: [{ role: "user", user_id: "someone" }] }, bossKey);
    expect(byBoss.body.members_with_roles).toEqual([
      { role: "user", user_id: "someone", user_email: null },
      { role: "admin", user_id: "boss-1", user_email: null },
    ]);
    const listed = await post("/team/new", { team_alias: "l", members_with_roles: [{ role: "user", user_id: "boss-1" }] }, bossKey);
    expect(listed.body.members_with_roles).toEqual([{ role: "user", user_id: "boss-1", user_email: null }]);
    const [boss] = await db.sql`SELECT teams FROM "LiteLLM_UserTable" WHERE user_id = 'boss-1'`;
    expect([...boss!.teams].sort()).toEqual([byBoss.body.team_id, listed.body.team_id].sort());
  });

  test("ten concurrent calls naming the same new member all succeed; the user row is upserted once with every team", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => post("/team/new", { team_alias: `c${i}`, members_with_roles: [{ role: "user", user_id: "brand-new-user" }] })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const rows = await db.sql`SELECT teams, user_role FROM "LiteLLM_UserTable" WHERE user_id = 'brand-new-user'`;
    expect(rows).toHaveLength(1);
    expect([...rows[0]!.teams].sort()).toEqual(results.map((r) => String(r.body.team_id)).sort());
    expect(rows[0]!.user_role).toBe("internal_user");
  });
});

describe("team members", () => {
  let teamId: string;
  beforeAll(async () => {
    teamId = String((await post("/team/new", { team_alias: "members", members_with_roles: [{ role: "user", user_id: "m1" }] })).body.team_id);
  });

  test("/team/member_add of a member answers LiteLLM's 400; a list adds only the new ones", async () => {
    const one = await post("/team/member_add", { team_id: teamId, member: { role: "user", user_id: "m1" } });
    expect(one.status).toBe(400);
    expect(one.body.error).toMatchObject({ type: "team_member_already_in_team", param: "member" });
    expect(one.body.error!.message).toBe(
      "User already in team. Member: user_id=m1, user_email=None. Existing members=[Member(user_id='m1', user_email=None, role='user'), Member(user_id='default_user_id', user_email=None, role='admin')]",
    );
    const all = await post("/team/member_add", { team_id: teamId, member: [{ role: "user", user_id: "m1" }] });
    expect(all.status).toBe(400);
    expect(all.body.error!.message).toStartWith("All users are already in team. Existing members=[");
    const mixed = await post("/team/member_add", { team_id: teamId, member: [{ role: "user", user_id: "m1" }, { role: "user", user_id: "m2" }] });
    expect(mixed.status).toBe(200);
    expect((mixed.body.members_with_roles as Json[]).map((x) => x.user_id)).toEqual(["m1", "default_user_id", "m2"]);
    expect((await post("/team/member_add", { team_id: "no-such-team", member: { role: "user", user_id: "m3" } })).status).toBe(404);
  });

  test("/team/member_delete of a user who is not (or no longer) a member answers 400", async () => {
    const stranger = await post("/team/member_delete", { team_id: teamId, user_id: "stranger" });
    expect(stranger.status).toBe(400);
    expect(stranger.body.error!.message).toBe("{'error': 'User not found in team'}");
    expect((await post("/team/member_delete", { team_id: teamId, user_id: "m2" })).status).toBe(200);
    const [m2] = await db.sql`SELECT teams FROM "LiteLLM_UserTable" WHERE user_id = 'm2'`;
    expect(m2!.teams).not.toContain(teamId);
    expect(await db.sql`SELECT 1 FROM "LiteLLM_TeamMembership" WHERE team_id = ${teamId} AND user_id = 'm2'`).toHaveLength(0);
    expect((await post("/team/member_delete", { team_id: teamId, user_id: "m2" })).status).toBe(400);
    expect((await post("/team/member_delete", { team_id: "no-such-team", user_id: "m1" })).body.error!.message).toBe("{'error': 'Team id=no-such-team does not exist in db'}");
    expect((await post("/team/member_delete", { team_id: teamId })).body.error!.message).toBe("{'error': 'Either user_id or user_email needs to be passed in'}");
  });

  test("/team/member_update sets the member's budget on its membership and its role", async () => {
    const first = await post("/team/member_update", { team_id: teamId, user_id: "m1", max_budget_in_team: 3, tpm_limit: 100 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ team_id: teamId, user_id: "m1", user_email: null, max_budget_in_team: 3, tpm_limit: 100, rpm_limit: null });
    const budget = async () =>
      (await db.sql`SELECT b.budget_id, b.max_budget, b.tpm_limit FROM "LiteLLM_TeamMembership" m JOIN "LiteLLM_BudgetTable" b USING (budget_id) WHERE m.team_id = ${teamId} AND m.user_id = 'm1'`)[0]!;
    const b1 = await budget();
    expect(b1).toMatchObject({ max_budget: 3, tpm_limit: "100" });
    await post("/team/member_update", { team_id: teamId, user_id: "m1", max_budget_in_team: 5 });
    expect(await budget()).toEqual({ budget_id: b1.budget_id, max_budget: 5, tpm_limit: "100" });

    const role = await post("/team/member_update", { team_id: teamId, user_id: "m1", role: "admin" });
    expect(role.status).toBe(200);
    const team = await teamRow(teamId);
    expect(team.members_with_roles.find((x: Json) => x.user_id === "m1").role).toBe("admin");
    expect([team.admins, team.members]).toEqual([[], []]);

    const stranger = await post("/team/member_update", { team_id: teamId, user_id: "stranger", max_budget_in_team: 1 });
    expect(stranger.status).toBe(400);
    expect(stranger.body.error!.message).toContain("User id doesn't exist in team table.");
    expect(await db.sql`SELECT 1 FROM "LiteLLM_TeamMembership" WHERE team_id = ${teamId} AND user_id = 'stranger'`).toHaveLength(0);
  });

  test("a member sharing the team's default member budget gets its own copy; the default is untouched", async () => {
    const t = await post("/team/new", { team_alias: "defaults", team_member_budget: 10, members_with_roles: [{ role: "user", user_id: "d1" }] });
    const id = String(t.body.team_id);
    const defaultId = String((t.body.metadata as Json).team_member_budget_id);
    await db.sql`UPDATE "LiteLLM_TeamMembership" SET budget_id = ${defaultId} WHERE team_id = ${id} AND user_id = 'd1'`;
    expect((await post("/team/member_update", { team_id: id, user_id: "d1", max_budget_in_team: 2 })).status).toBe(200);
    const [tm] = await db.sql`SELECT budget_id FROM "LiteLLM_TeamMembership" WHERE team_id = ${id} AND user_id = 'd1'`;
    expect(tm!.budget_id).not.toBe(defaultId);
    const [own] = await db.sql`SELECT max_budget FROM "LiteLLM_BudgetTable" WHERE budget_id = ${tm!.budget_id}`;
    expect(own!.max_budget).toBe(2);
    const [shared] = await db.sql`SELECT max_budget FROM "LiteLLM_BudgetTable" WHERE budget_id = ${defaultId}`;
    expect(shared!.max_budget).toBe(10);
  });
});

describe("/user/update, as LiteLLM's update_data (an upsert)", () => {
  test("a user id with no row gets one; an unknown email makes a new user; a known email updates that user", async () => {
    const made = await post("/user/update", { user_id: "ghost-user", max_budget: 7, user_alias: "ghost" });
    expect(made.status).toBe(200);
    expect(made.body.user_id).toBe("ghost-user");
    const [ghost] = await db.sql`SELECT max_budget, user_alias FROM "LiteLLM_UserTable" WHERE user_id = 'ghost-user'`;
    expect(ghost).toEqual({ max_budget: 7, user_alias: "ghost" });

    const byEmail = await post("/user/update", { user_email: "new@example.com", max_budget: 2 });
    expect(byEmail.status).toBe(200);
    const newId = String(byEmail.body.user_id);
    expect(newId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await post("/user/update", { user_email: "new@example.com", max_budget: 4 });
    expect(again.body.user_id).toBe(newId);
    const rows = await db.sql`SELECT max_budget FROM "LiteLLM_UserTable" WHERE user_email = 'new@example.com'`;
    expect([...rows]).toEqual([{ max_budget: 4 }]);
  });
});
