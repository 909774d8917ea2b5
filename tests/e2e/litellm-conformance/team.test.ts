import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually, Non200, proxyClient, rejects, uuid, type Json } from "./client.ts";
import { MASTER_KEY, startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("team");
}, 60_000);
afterAll(async () => proxy?.stop());

const userInfo = (userId: string) => px.get(`/user/info?user_id=${userId}`);
const newUser = (o: { user_id?: string; max_budget?: number; budget_duration?: string; models?: string[]; team_id?: string; user_email?: string } = {}) => {
  const { user_id, team_id, ...fields } = o;
  return px.post("/user/new", {
    models: ["azure-models"],
    aliases: { "mistral-7b": "gpt-3.5-turbo" },
    duration: null,
    max_budget: null,
    budget_duration: null,
    user_email: null,
    ...fields,
    ...(user_id === undefined ? {} : { user_id }),
    ...(team_id === undefined ? {} : { team_id }),
  });
};
const newTeam = (members?: Json[], extra: Json = {}) => px.post("/team/new", { team_alias: "my-new-team", ...(members ? { members_with_roles: members } : {}), ...extra });
const addMembers = (teamId: string, member: Json | Json[]) => px.post("/team/member_add", { team_id: teamId, member });
const updateMember = (teamId: string, userId: string, maxBudget: number) => px.post("/team/member_update", { team_id: teamId, user_id: userId, max_budget_in_team: maxBudget });
const deleteMember = (teamId: string, who: Json) => px.post("/team/member_delete", { team_id: teamId, ...who });
const generateKey = (o: Json = {}) => px.post("/key/generate", { models: ["azure-models", "gpt-4", "dall-e-3"], duration: null, max_budget: null, budget_duration: null, ...o });
const teamInfo = (teamId: string, key = MASTER_KEY) => px.get(`/team/info?team_id=${teamId}`, key);

const UPDATE_IGNORED = new Set([
  "created_at",
  "updated_at",
  "model_spend",
  "model_max_budget",
  "model_id",
  "litellm_organization_table",
  "object_permission_id",
  "object_permission",
  "litellm_model_table",
  "policies",
  "allow_team_guardrail_config",
  "projects",
  "members_with_roles",
]);

test("test_team_new", async () => {
  const userId = uuid();
  await Promise.all(Array.from({ length: 10 }, () => newTeam([{ role: "user", user_id: userId }])));
});

test("test_team_info", async () => {
  const { team_id } = await newTeam();
  await teamInfo(team_id);
  const teamKey = await generateKey({ team_id });
  await teamInfo(team_id, teamKey.key);
  const otherKey = await generateKey();
  await rejects(teamInfo(team_id, otherKey.key));
});

test("test_team_update_sc_2", async () => {
  const admin = uuid();
  await newUser({ user_id: admin });
  const team = await newTeam([{ role: "admin", user_id: admin }]);
  const members = Array.from({ length: 10 }, () => ({ role: "user", user_id: `krrish_${uuid()}@berri.ai` }));
  await addMembers(team.team_id, members);
  const info = await teamInfo(team.team_id);
  expect(info.team_info.members_with_roles).toHaveLength(12);
  const updated = await px.post("/team/update", { team_id: team.team_id, team_alias: "my-new-team" });
  expect(updated.data.team_alias).toBe("my-new-team");
  for (const [k, v] of Object.entries(updated.data as Json)) {
    if (UPDATE_IGNORED.has(k)) continue;
    expect(Object.keys(team)).toContain(k);
    expect([k, v]).toEqual([k, team[k]]);
  }
});

test("test_team_member_add_email", async () => {
  const admin = uuid();
  await newUser({ user_id: admin });
  const team = await newTeam([{ role: "admin", user_id: admin }]);
  const email = `krrish${uuid()}@berri.ai`;
  const user = await newUser({ user_email: email });
  await addMembers(team.team_id, [{ role: "user", user_email: email }]);
  const info = await userInfo(user.user_id);
  expect(info.teams.map((t: Json) => t.team_id)).toContain(team.team_id);
});

test("test_team_delete", async () => {
  const [admin, normal] = [uuid(), uuid()];
  await newUser({ user_id: admin });
  await newUser({ user_id: normal });
  const team = await newTeam([
    { role: "admin", user_id: admin },
    { role: "user", user_id: normal },
  ]);
  expect((await userInfo(normal)).teams).toHaveLength(1);
  await generateKey({ team_id: team.team_id });
  await px.post("/team/delete", { team_ids: [team.team_id] });
  expect((await userInfo(normal)).teams).toHaveLength(0);
  const gone = await rejects(teamInfo(team.team_id));
  expect(gone).toBeInstanceOf(Non200);
  expect((gone as Non200).status).toBe(404);
});

test.each(["user_id", "user_email"])("test_member_delete[%s]", async (dimension) => {
  const [admin, normal] = [uuid(), uuid()];
  const normalEmail = `${normal}@berri.ai`;
  await newUser({ user_id: admin });
  await newUser({ user_id: normal, user_email: normalEmail });
  const member = dimension === "user_id" ? { role: "user", user_id: normal } : { role: "user", user_email: normalEmail };
  const team = await newTeam([{ role: "admin", user_id: admin }, member]);
  const inTeam = (team.members_with_roles as Json[]).some((m) => (dimension === "user_id" ? m.user_id === normal : m.user_email === normalEmail));
  expect(inTeam).toBe(true);
  await deleteMember(team.team_id, dimension === "user_id" ? { user_id: normal } : { user_email: normalEmail });
});

test("test_team_alias", async () => {
  const [admin, normal] = [uuid(), uuid()];
  await newUser({ user_id: admin });
  await newUser({ user_id: normal });
  const team = await newTeam(
    [
      { role: "admin", user_id: admin },
      { role: "user", user_id: normal },
    ],
    { model_aliases: { "cheap-model": "gpt-3.5-turbo" } },
  );
  const { key } = await generateKey({ team_id: team.team_id, models: ["gpt-3.5-turbo"] });
  await px.chat(key, "cheap-model");
});

test("test_users_in_team_budget", async () => {
  const userId = `krrish_${Date.now() / 1000}@berri.ai`;
  const team = await newTeam();
  const { key } = await newUser({ user_id: userId, max_budget: 10, budget_duration: "5s", models: ["fake-openai-endpoint"], team_id: team.team_id });
  await userInfo(userId);
  await updateMember(team.team_id, userId, 0.0000001);
  await userInfo(userId);
  await px.chat(key, "fake-openai-endpoint");
  await eventually(async () => {
    const info = await userInfo(userId);
    const memberships = (info.teams as Json[]).filter((t) => t.team_id === team.team_id).flatMap((t) => t.team_memberships ?? []);
    return memberships.some((m: Json) => (m.spend ?? 0) >= 0.0000001);
  }, "the team member's spend");
  const second = await px.send("POST", "/chat/completions", { key, json: { model: "fake-openai-endpoint", messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: "Hello!" }] } });
  expect(second.status).not.toBe(200);
  expect(second.text).toContain("Budget has been exceeded");
  const info = await userInfo(userId);
  expect(info.teams[0].team_memberships[0].litellm_budget_table.max_budget).toBe(0.0000001);
});
