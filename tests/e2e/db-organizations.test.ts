import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { mgmtClient, type Json } from "../helpers/mgmt.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/** LiteLLM's organization routes (organization_endpoints.py) on a LiteLLM-migrated database. */
const MASTER = "sk-master-orgs";
let db: TestDb;
let gw: GatewayProcess;
const api = mgmtClient(() => gw.url, MASTER);
const { get, post, patch, del } = api;

/** A user with a key of its own; returns the raw key. */
async function userKey(userId: string, role = "internal_user"): Promise<string> {
  expect((await post("/user/new", { user_id: userId, user_role: role, auto_create_key: false })).status).toBe(200);
  return String((await post("/key/generate", { user_id: userId })).body.key);
}

const newOrg = async (alias: string, extra: Json = {}) => {
  const r = await post("/organization/new", { organization_alias: alias, ...extra });
  expect(r.status).toBe(200);
  return String(r.body.organization_id);
};

beforeAll(async () => {
  db = await createTestDb("lr_orgs");
  await loadLiteLLMSchema(db.sql);
  gw = await startGateway({
    config: {
      model_list: [{ model_name: "m", litellm_params: { model: "openai/m", mock_response: "ok" } }],
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
    },
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

describe("organization CRUD", () => {
  test("new → list → info carry the budget row, members and teams; duplicates and missing rows answer 4xx", async () => {
    const id = await newOrg("acme", { organization_id: "org-acme", max_budget: 20, models: ["m"], metadata: { tier: "gold" } });
    expect(id).toBe("org-acme");
    const dup = await post("/organization/new", { organization_id: "org-acme", organization_alias: "again" });
    expect(dup.status).toBe(400);
    expect(dup.body.error!.message).toContain("org-acme");
    expect((await post("/organization/new", { models: [] })).status).toBe(422);
    const neg = await post("/organization/new", { organization_alias: "neg", max_budget: -1 });
    expect(neg.status).toBe(400);
    expect(neg.body.error!.message).toBe("max_budget cannot be negative. Received: -1");

    expect((await post("/team/new", { team_id: "acme-team", organization_id: "org-acme" })).status).toBe(200);
    await post("/organization/member_add", { organization_id: "org-acme", member: { role: "internal_user", user_id: "acme-dev" } });

    const listed = (await get("/organization/list")).body as unknown as Json[];
    const acme = listed.find((o) => o.organization_id === "org-acme")!;
    expect((acme.litellm_budget_table as Json).max_budget).toBe(20);
    expect((acme.teams as Json[]).map((t) => t.team_id)).toEqual(["acme-team"]);
    expect((acme.members as Json[]).map((mm) => mm.user_id)).toEqual(["acme-dev"]);
    expect(((await get("/organization/list?org_alias=CM")).body as unknown as Json[]).map((o) => o.organization_id)).toContain("org-acme");
    expect((await get("/organization/list?org_id=nope")).body as unknown).toEqual([]);

    const info = await get("/organization/info?organization_id=org-acme");
    expect(info.status).toBe(200);
    expect(info.body.metadata).toEqual({ tier: "gold" });
    expect(info.body.object_permission).toBeNull();
    const missing = await get("/organization/info?organization_id=org-none");
    expect(missing.status).toBe(404);
    expect(missing.body.error!.message).toBe("Organization not found");
    expect((await get("/organization/info")).status).toBe(422);
    const deprecated = await post("/organization/info", { organizations: ["org-acme"] });
    expect(((deprecated.body as unknown as Json[])[0]!.litellm_budget_table as Json).max_budget).toBe(20);
    expect((await post("/organization/info", { organizations: [] })).status).toBe(400);
  });

  test("update changes the alias, merges metadata, updates the budget row; unknown orgs are 404", async () => {
    await newOrg("before", { organization_id: "org-upd", max_budget: 5, metadata: { a: 1 } });
    const r = await patch("/organization/update", { organization_id: "org-upd", organization_alias: "after", metadata: { b: 2 }, max_budget: 9, models: [] });
    expect(r.status).toBe(200);
    expect(r.body.organization_alias).toBe("after");
    expect(r.body.metadata).toEqual({ a: 1, b: 2 });
    expect(r.body.models).toEqual([]);
    expect((r.body.litellm_budget_table as Json).max_budget).toBe(9);
    expect(r.body.updated_by).toBe("default_user_id");
    const ui = await patch("/organization/update", { organization_id: "org-upd", litellm_budget_table: { tpm_limit: 77 } });
    expect((ui.body.litellm_budget_table as Json).tpm_limit).toBe(77);
    const [row] = await db.sql`SELECT b.max_budget, b.tpm_limit::int AS tpm_limit FROM "LiteLLM_OrganizationTable" o JOIN "LiteLLM_BudgetTable" b USING (budget_id) WHERE organization_id = 'org-upd'`;
    expect(row).toEqual({ max_budget: 9, tpm_limit: 77 });
    expect((await patch("/organization/update", { organization_id: "org-ghost", organization_alias: "x" })).status).toBe(404);
    expect((await patch("/organization/update", { organization_alias: "x" })).status).toBe(422);
    expect((await patch("/organization/update", { organization_id: "org-upd", soft_budget: -3 })).status).toBe(400);
    expect((await post("/organization/update", { organization_id: "org-upd" })).status).toBe(404);
  });
});

describe("members", () => {
  test("member_add creates missing users, finds users by email, refuses duplicates, bad roles and unknown orgs", async () => {
    await newOrg("members", { organization_id: "org-mem" });
    await post("/user/new", { user_id: "by-email", user_email: "e@x.io", auto_create_key: false });
    const r = await post("/organization/member_add", {
      organization_id: "org-mem",
      member: [
        { role: "internal_user", user_id: "fresh-user" },
        { role: "org_admin", user_email: "e@x.io" },
      ],
      max_budget_in_organization: 3,
    });
    expect(r.status).toBe(200);
    expect(r.body.organization_id).toBe("org-mem");
    expect((r.body.updated_users as Json[]).map((u) => u.user_id)).toEqual(["fresh-user", "by-email"]);
    expect((r.body.updated_users as Json[]).every((u) => !("password" in u))).toBe(true);
    expect((r.body.updated_organization_memberships as Json[]).map((mm) => mm.user_role)).toEqual(["internal_user", "org_admin"]);
    const [created] = await db.sql`SELECT user_role FROM "LiteLLM_UserTable" WHERE user_id = 'fresh-user'`;
    expect(created!.user_role).toBe("internal_user");
    const [budget] = await db.sql`SELECT b.max_budget FROM "LiteLLM_OrganizationMembership" m JOIN "LiteLLM_BudgetTable" b USING (budget_id) WHERE m.user_id = 'fresh-user'`;
    expect(budget!.max_budget).toBe(3);

    const again = await post("/organization/member_add", { organization_id: "org-mem", member: { role: "internal_user", user_id: "fresh-user" } });
    expect(again.status).toBe(400);
    expect(again.body.error!.message).toContain("already a member");
    const ghost = await post("/organization/member_add", { organization_id: "org-ghost", member: { role: "internal_user", user_id: "x" } });
    expect(ghost.status).toBe(404);
    expect(ghost.body.error!.message).toBe("Organization not found for organization_id=org-ghost");
    expect((await post("/organization/member_add", { organization_id: "org-mem", member: { role: "proxy_admin", user_id: "x" } })).status).toBe(422);
    expect((await post("/organization/member_add", { organization_id: "org-mem", member: { role: "internal_user" } })).status).toBe(422);
    const { n } = (await db.sql`SELECT count(*)::int AS n FROM "LiteLLM_OrganizationMembership" WHERE organization_id = 'org-mem'`)[0]!;
    expect(n).toBe(2);
  });

  test("member_update changes the role and creates, then updates, the member's budget; member_delete removes the membership", async () => {
    await newOrg("upd-members", { organization_id: "org-mu" });
    await post("/organization/member_add", { organization_id: "org-mu", member: { role: "internal_user", user_id: "mu-1", user_email: "mu1@x.io" } });
    const first = await patch("/organization/member_update", { organization_id: "org-mu", user_email: "mu1@x.io", role: "org_admin", max_budget_in_organization: 10 });
    expect(first.status).toBe(200);
    expect(first.body.user_role).toBe("org_admin");
    expect((first.body.litellm_budget_table as Json).max_budget).toBe(10);
    const second = await patch("/organization/member_update", { organization_id: "org-mu", user_id: "mu-1", max_budget_in_organization: 12 });
    expect(second.body.budget_id).toBe(first.body.budget_id);
    expect((second.body.litellm_budget_table as Json).max_budget).toBe(12);
    const notMember = await patch("/organization/member_update", { organization_id: "org-mu", user_id: "stranger", role: "internal_user" });
    expect(notMember.status).toBe(404);
    expect(notMember.body.error!.message).toBe("Member not found in organization for user_id=stranger");
    expect((await patch("/organization/member_update", { organization_id: "org-ghost", user_id: "mu-1" })).status).toBe(400);
    expect((await patch("/organization/member_update", { organization_id: "org-mu", user_email: "nobody@x.io" })).status).toBe(400);

    const gone = await del("/organization/member_delete", { organization_id: "org-mu", user_id: "mu-1" });
    expect(gone.status).toBe(200);
    expect(gone.body.user_id).toBe("mu-1");
    const again = await del("/organization/member_delete", { organization_id: "org-mu", user_id: "mu-1" });
    expect(again.status).toBe(200);
    expect(again.body).toBeNull();
    const [user] = await db.sql`SELECT user_id FROM "LiteLLM_UserTable" WHERE user_id = 'mu-1'`;
    expect(user!.user_id).toBe("mu-1");
  });
});

describe("who may call what", () => {
  test("an org admin manages members of their own organization only; plain members and users without a role are refused", async () => {
    await newOrg("ruled", { organization_id: "org-r" });
    await newOrg("other", { organization_id: "org-other" });
    const adminKey = await userKey("r-admin");
    const memberKey = await userKey("r-member");
    const outsiderKey = await userKey("r-outsider");
    await post("/organization/member_add", { organization_id: "org-r", member: [{ role: "org_admin", user_id: "r-admin" }, { role: "internal_user", user_id: "r-member" }] });

    const added = await post("/organization/member_add", { organization_id: "org-r", member: { role: "internal_user", user_id: "r-new" } }, adminKey);
    expect(added.status).toBe(200);
    expect((await patch("/organization/member_update", { organization_id: "org-r", user_id: "r-new", role: "internal_user_viewer" }, adminKey)).status).toBe(200);
    expect((await get("/organization/info?organization_id=org-r", adminKey)).status).toBe(200);
    expect((await del("/organization/member_delete", { organization_id: "org-r", user_id: "r-new" }, adminKey)).status).toBe(200);

    const elsewhere = await post("/organization/member_add", { organization_id: "org-other", member: { role: "internal_user", user_id: "r-new" } }, adminKey);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.error!.type).toBe("auth_error");
    expect(elsewhere.body.error!.message).toBe(
      "You do not have a role within the selected organization. Passed organization_id: org-other. Please contact the organization admin to request access.",
    );
    const plain = await del("/organization/member_delete", { organization_id: "org-r", user_id: "r-admin" }, memberKey);
    expect(plain.status).toBe(401);
    expect(plain.body.error!.message).toBe("You do not have the required role to perform this action. Your role is internal_user in Organization org-r");
    const noOrg = await post("/organization/member_add", { member: { role: "internal_user", user_id: "z" } }, outsiderKey);
    expect(noOrg.status).toBe(401);
    expect(noOrg.body.error!.message).toBe("Passed organization_id is None, please pass an organization_id in your request");
    const { n } = (await db.sql`SELECT count(*)::int AS n FROM "LiteLLM_OrganizationMembership" WHERE organization_id = 'org-r'`)[0]!;
    expect(n).toBe(2);

    const create = await post("/organization/new", { organization_alias: "mine" }, adminKey);
    expect(create.status).toBe(401);
    expect(create.body.error!.message).toBe("Only proxy admins can create new organizations");
    const rename = await patch("/organization/update", { organization_id: "org-r", organization_alias: "hijacked" }, adminKey);
    expect([401, 403]).toContain(rename.status);
    const [org] = await db.sql`SELECT organization_alias FROM "LiteLLM_OrganizationTable" WHERE organization_id = 'org-r'`;
    expect(org!.organization_alias).toBe("ruled");
    const drop = await del("/organization/delete", { organization_id: "org-r", organization_ids: ["org-r"] }, adminKey);
    expect(drop.status).toBe(401);
    expect(drop.body.error!.message).toBe("Only proxy admins can delete organizations");

    expect(((await get("/organization/list", memberKey)).body as unknown as Json[]).map((o) => o.organization_id)).toEqual(["org-r"]);
    expect((await get("/organization/list", outsiderKey)).body as unknown).toEqual([]);
  });
});

describe("delete", () => {
  test("deleting an organization removes its teams, memberships and keys, keeps its budget row, and is 404 the second time", async () => {
    await newOrg("doomed", { organization_id: "org-del", max_budget: 1 });
    await post("/team/new", { team_id: "doomed-team", organization_id: "org-del" });
    await post("/organization/member_add", { organization_id: "org-del", member: { role: "internal_user", user_id: "doomed-user" } });
    const key = String((await post("/key/generate", { organization_id: "org-del" })).body.key);
    expect((await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }) })).status).toBe(200);
    const { budget_id } = (await db.sql`SELECT budget_id FROM "LiteLLM_OrganizationTable" WHERE organization_id = 'org-del'`)[0]!;

    const r = await del("/organization/delete", { organization_ids: ["org-del"] });
    expect(r.status).toBe(200);
    const deleted = r.body as unknown as Json[];
    expect(deleted.map((o) => o.organization_id)).toEqual(["org-del"]);
    expect((deleted[0]!.teams as Json[]).map((t) => t.team_id)).toEqual(["doomed-team"]);
    for (const [table, col] of [["LiteLLM_OrganizationTable", "organization_id"], ["LiteLLM_TeamTable", "organization_id"], ["LiteLLM_OrganizationMembership", "organization_id"], ["LiteLLM_VerificationToken", "organization_id"]] as const) {
      const { n } = (await db.sql.unsafe(`SELECT count(*)::int AS n FROM "${table}" WHERE ${col} = 'org-del'`))[0]!;
      expect([table, n]).toEqual([table, 0]);
    }
    const { n: budgets } = (await db.sql`SELECT count(*)::int AS n FROM "LiteLLM_BudgetTable" WHERE budget_id = ${budget_id}`)[0]!;
    expect(budgets).toBe(1);
    const after = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }) });
    expect(after.status).toBe(401);

    const again = await del("/organization/delete", { organization_ids: ["org-del"] });
    expect(again.status).toBe(404);
    expect(again.body.error!.message).toBe("Organization=org-del not found");
    expect((await del("/organization/delete", { organization_ids: [] })).body as unknown).toEqual([]);
    expect((await del("/organization/delete", {})).status).toBe(422);
  });
});
