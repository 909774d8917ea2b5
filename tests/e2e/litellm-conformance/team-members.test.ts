import { afterAll, beforeAll, expect, test } from "bun:test";
import { Non200, proxyClient, rejects, uuid, type Json } from "./client.ts";
import { startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("team_members");
}, 60_000);
afterAll(async () => proxy?.stop());

const hex = (n: number) => uuid().replaceAll("-", "").slice(0, n);
const createTeam = async (alias: string, models = ["o3-mini"]) => {
  const teamId = `test_team_${hex(8)}`;
  await px.post("/team/new", { team_id: teamId, team_alias: alias, models });
  return teamId;
};
const teamInfo = (teamId: string) => px.get(`/team/info?team_id=${encodeURIComponent(teamId)}`);
const addMember = (teamId: string, userId: string, role = "user") => px.post("/team/member_add", { team_id: teamId, member: [{ role, user_id: userId }] });
const deleteMember = (teamId: string, userId: string) => px.post("/team/member_delete", { team_id: teamId, user_id: userId });
const members = (info: Json): Json[] => info.team_info.members_with_roles;
const isMember = (info: Json, userId: string) => members(info).some((m) => m.user_id === userId);
const newTeam = () => createTeam(`Test Team ${hex(6)}`);

test("test_team_creation", async () => {
  const alias = `Test Team ${hex(6)}`;
  const teamId = await createTeam(alias);
  const info = await teamInfo(teamId);
  expect(info.team_id).toBe(teamId);
  expect(info.team_info.team_alias).toBe(alias);
  expect(info.team_info.models).toContain("o3-mini");
});

test("test_add_single_member", async () => {
  const teamId = await newTeam();
  const before = members(await teamInfo(teamId)).length;
  const email = `pytest_user_${hex(6)}@mycompany.com`;
  await addMember(teamId, email);
  const after = await teamInfo(teamId);
  expect(isMember(after, email)).toBe(true);
  expect(members(after)).toHaveLength(before + 1);
});

test("test_team_info_structure", async () => {
  const info = await teamInfo(await newTeam());
  expect(info).toHaveProperty("team_id");
  expect(info).toHaveProperty("team_info");
  expect(info.team_info).toHaveProperty("members_with_roles");
  expect(info.team_info).toHaveProperty("models");
  for (const m of members(info).slice(0, 1)) {
    expect(m).toHaveProperty("user_id");
    expect(m).toHaveProperty("role");
  }
});

test("test_error_handling", async () => {
  expect(await rejects(teamInfo("invalid-team-id"))).toBeInstanceOf(Non200);
});

test("test_member_deletion", async () => {
  const teamId = await newTeam();
  const userId = `pytest_user_${hex(6)}`;
  await addMember(teamId, userId);
  const before = await teamInfo(teamId);
  expect(isMember(before, userId)).toBe(true);
  await deleteMember(teamId, userId);
  for (let i = 1; i < 5; i++) expect(await rejects(deleteMember(teamId, userId))).toBeInstanceOf(Non200);
  const after = await teamInfo(teamId);
  expect(isMember(after, userId)).toBe(false);
  expect(members(after)).toHaveLength(members(before).length - 1);
});

test("test_delete_nonexistent_member", async () => {
  const teamId = await newTeam();
  const stranger = `nonexistent_${hex(6)}`;
  expect(isMember(await teamInfo(teamId), stranger)).toBe(false);
  const e = await rejects(deleteMember(teamId, stranger));
  expect(e).toBeInstanceOf(Non200);
  expect((e as Non200).status).toBe(400);
});
