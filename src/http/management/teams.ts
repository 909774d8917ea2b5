import type { Hono } from "hono";
import type { TransactionSql } from "postgres";
import { num, obj, str, type Row } from "../../auth/key-record.ts";
import type { SchemaInfo } from "../../db/introspect.ts";
import { deleteIn, insertRow, selectIn, selectRows, updateRows } from "../../db/rows.ts";
import type { DbServices } from "../../db/services.ts";
import { GatewayError } from "../../errors.ts";
import type { Runtime } from "../../runtime.ts";
import { nextResetAt } from "../../spend/duration.ts";
import { copyToDeleted } from "../../db/deleted-copies.ts";
import { badRequest, deletedBy, httpError, isAdmin, list, need, refuse, route, type Mgmt } from "./context.ts";
import { authHttpError, proxyException, proxyHttpError, py } from "./litellm-errors.ts";
import { adminOrgs, checkOrgAdminTeamWrite, isOrgAdminForTeam, requireOrgAdminOf } from "./org-access.ts";
import { loadTeam, memberOf, membersOf, membersRepr, requireTeamAdmin, type Member } from "./team-access.ts";
import { upsertTeamMember } from "./team-members.ts";

const T = "LiteLLM_TeamTable";
const TM = "LiteLLM_TeamMembership";
const U = "LiteLLM_UserTable";
const B = "LiteLLM_BudgetTable";

const TEAM_FIELDS = [
  "team_alias",
  "organization_id",
  "admins",
  "members",
  "metadata",
  "tpm_limit",
  "rpm_limit",
  "max_budget",
  "soft_budget",
  "budget_duration",
  "models",
  "blocked",
  "max_parallel_requests",
  "router_settings",
  "access_group_ids",
  "policies",
  "team_member_permissions",
  "model_max_budget",
] as const;

function teamColumns(body: Row, current?: Row): Row {
  const out: Row = {};
  for (const f of TEAM_FIELDS) if (body[f] !== undefined) out[f] = body[f];
  if (typeof body.budget_duration === "string") out.budget_reset_at = nextResetAt(body.budget_duration)?.toISOString() ?? null;
  const metaExtras = ["tags", "guardrails", "model_rpm_limit", "model_tpm_limit", "prompts"];
  if (metaExtras.some((f) => body[f] !== undefined)) {
    const meta: Row = { ...obj(current?.metadata), ...obj(out.metadata) };
    for (const f of metaExtras) if (body[f] !== undefined) meta[f] = body[f];
    out.metadata = meta;
  }
  return out;
}

const actor = (m: Mgmt) => m.auth.userId ?? "default_user_id";

/** A budget row for team-member limits (`team_member_budget`, `max_budget_in_team`). */
async function memberBudget(tx: TransactionSql, s: SchemaInfo, by: string, maxBudget: unknown, tpm?: unknown, rpm?: unknown): Promise<string | undefined> {
  if (maxBudget === undefined && tpm === undefined && rpm === undefined) return undefined;
  const b = await insertRow(tx, s, B, {
    budget_id: crypto.randomUUID(),
    max_budget: maxBudget,
    tpm_limit: tpm,
    rpm_limit: rpm,
    created_by: by,
    updated_by: by,
  });
  return String(b.budget_id);
}

/** `members_with_roles` only: LiteLLM leaves the legacy `admins` / `members` columns as the request set them. */
async function writeRoles(tx: TransactionSql, s: SchemaInfo, teamId: string, roles: Member[]): Promise<Row> {
  return (await updateRows(tx, s, T, { members_with_roles: roles, updated_at: new Date().toISOString() }, { team_id: teamId }))[0]!;
}

/** Adds members to a team: `members_with_roles`, the user rows (upserted) and memberships. */
async function addMembers(tx: TransactionSql, s: SchemaInfo, team: Row, members: Member[], by: string, budgetInTeam?: unknown): Promise<{ team: Row; users: Row[]; memberships: Row[] }> {
  const teamId = String(team.team_id);
  const roles = membersOf(team.members_with_roles);
  const users: Row[] = [];
  const memberships: Row[] = [];
  for (const mem of members) {
    const budgetId = s.hasTable(TM) ? await memberBudget(tx, s, by, budgetInTeam) : undefined;
    const added = await upsertTeamMember(tx, s, teamId, mem, budgetId);
    users.push(added.user);
    if (added.membership) memberships.push(added.membership);
    const userId = String(added.user.user_id);
    if (!roles.some((r) => r.user_id === userId)) roles.push({ ...mem, user_id: userId });
  }
  return { team: await writeRoles(tx, s, teamId, roles), users, memberships };
}

/**
 * `/team/new`: the caller joins as an admin member unless the body lists them (LiteLLM's `new_team`).
 * An org admin makes teams in its organization, within the organization's models and limits.
 */
async function newTeam(m: Mgmt): Promise<Row> {
  const orgId = str(m.body.organization_id);
  await requireOrgAdminOf(m, orgId);
  if (orgId) await checkOrgAdminTeamWrite(m, m.body, { ...m.body, team_id: undefined }, orgId);
  const teamId = typeof m.body.team_id === "string" && m.body.team_id ? m.body.team_id : crypto.randomUUID();
  const s = m.dbs.db.schema;
  const by = actor(m);
  const members = membersOf(m.body.members_with_roles);
  const caller = m.auth.userId;
  if (caller && !members.some((x) => x.user_id === caller)) members.push({ role: "admin", user_id: caller, user_email: null });
  const team = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if ((await selectRows(tx, T, { team_id: teamId })).length) throw proxyHttpError(400, { error: `Team id = ${teamId} already exists. Please use a different team id.` });
      const cols = teamColumns(m.body);
      const budgetId = await memberBudget(tx, s, by, m.body.team_member_budget, m.body.team_member_tpm_limit, m.body.team_member_rpm_limit);
      if (budgetId) cols.metadata = { ...obj(cols.metadata), team_member_budget_id: budgetId };
      if (m.body.model_aliases && typeof m.body.model_aliases === "object" && s.hasTable("LiteLLM_ModelTable")) {
        const mt = await insertRow(tx, s, "LiteLLM_ModelTable", { aliases: m.body.model_aliases, created_by: by, updated_by: by });
        cols.model_id = mt.id;
      }
      const team = await insertRow(tx, s, T, { admins: [], members: [], ...cols, team_id: teamId, members_with_roles: [] });
      return (await addMembers(tx, s, team, members, by)).team;
    }),
  );
  for (const x of members) if (x.user_id) m.dbs.invalidate({ kind: "user", id: x.user_id });
  return team;
}

/** `/team/info`: proxy admins and viewers, members of the team, and keys of the team (LiteLLM's `validate_membership`). */
async function teamInfo(m: Mgmt): Promise<Row> {
  const teamId = m.query("team_id") ?? m.auth.teamId;
  if (!teamId) throw badRequest("team_id is required", "team_id");
  const [team] = await m.dbs.db.run((sql) => selectRows(sql, T, { team_id: teamId }));
  if (!team) throw httpError(404, `Team not found, passed team_id=${teamId}`);
  const privileged = isAdmin(m.auth) || m.auth.role === "proxy_admin_viewer";
  if (!privileged && m.auth.teamId !== teamId && !memberOf(team, m.auth.userId) && !(await isOrgAdminForTeam(m, team))) {
    throw authHttpError(403, { error: `User=${py(m.auth.userId)} not authorized to access this team=${teamId}` });
  }
  const keys = await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_VerificationToken", { team_id: teamId }));
  for (const k of keys) delete k.token;
  const memberships = m.dbs.db.schema.hasTable(TM) ? await m.dbs.db.run((sql) => selectRows(sql, TM, { team_id: teamId })) : [];
  const budgetId = str(obj(team.metadata).team_member_budget_id);
  const budget = budgetId ? (await m.dbs.db.run((sql) => selectRows(sql, B, { budget_id: budgetId })))[0] : undefined;
  return { team_id: teamId, team_info: { ...team, team_member_budget_table: budget ?? null }, keys, team_memberships: memberships };
}

/** `/team/update`: proxy admins; an org admin for a team of its organization (moving it only to another it administers). */
async function updateTeam(m: Mgmt): Promise<Row> {
  if (!isAdmin(m.auth) && !(await adminOrgs(m)).size) refuse(m);
  const teamId = need(m.body, "team_id");
  const [current] = await m.dbs.db.run((sql) => selectRows(sql, T, { team_id: teamId }));
  if (!current) throw httpError(404, `Team not found, passed team_id=${teamId}`);
  if (!isAdmin(m.auth)) {
    await requireOrgAdminOf(m, str(current.organization_id));
    const orgId = m.body.organization_id === undefined ? str(current.organization_id)! : str(m.body.organization_id);
    if (!orgId) throw authHttpError(403, { error: "Only a proxy admin can take a team out of its organization." });
    if (current.blocked === true && m.body.blocked === false) throw authHttpError(403, { error: "Only a proxy admin can unblock a team." });
    await requireOrgAdminOf(m, orgId);
    await checkOrgAdminTeamWrite(m, m.body, { ...current, ...m.body }, orgId);
  }
  const cols = { ...teamColumns(m.body, current), updated_at: new Date().toISOString() };
  const [row] = await m.dbs.db.run((sql) => updateRows(sql, m.dbs.db.schema, T, cols, { team_id: teamId }));
  m.dbs.invalidate({ kind: "team", id: teamId });
  return { team_id: teamId, data: row };
}

/** `/team/delete`: proxy admins; an org admin for teams of its organization. */
async function deleteTeams(m: Mgmt): Promise<Row> {
  if (!isAdmin(m.auth) && !(await adminOrgs(m)).size) refuse(m);
  const ids = list(m.body.team_ids);
  if (!ids.length) throw badRequest("team_ids is required", "team_ids");
  const found = await m.dbs.db.run((sql) => selectIn(sql, T, "team_id", ids));
  if (found.length !== ids.length) throw httpError(404, `Team not found: ${ids.filter((i) => !found.some((f) => f.team_id === i)).join(", ")}`);
  for (const t of found) await requireOrgAdminOf(m, str(t.organization_id));
  await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const s = m.dbs.db.schema;
      const keys = (await selectIn(tx, "LiteLLM_VerificationToken", "team_id", ids)).map((r) => String(r.token));
      await copyToDeleted(tx, s, "LiteLLM_VerificationToken", "LiteLLM_DeletedVerificationToken", "token", keys, deletedBy(m));
      await copyToDeleted(tx, s, T, "LiteLLM_DeletedTeamTable", "team_id", ids, deletedBy(m));
      await deleteIn(tx, "LiteLLM_VerificationToken", "team_id", ids);
      if (s.hasTable(TM)) await deleteIn(tx, TM, "team_id", ids);
      for (const id of ids) await tx.unsafe(`UPDATE "${U}" SET teams = array_remove(teams, $1) WHERE $1 = ANY(teams)`, [id]);
      await deleteIn(tx, T, "team_id", ids);
    }),
  );
  for (const id of ids) m.dbs.invalidate({ kind: "team", id });
  return { deleted_teams: ids };
}

/** LiteLLM's `team_member_add_duplication_check`: one member already in → 400; a list all already in → 400. */
function rejectDuplicates(team: Row, body: Row, members: Member[]): Member[] {
  const existing = membersOf(team.members_with_roles);
  const isIn = (x: Member) => existing.some((e) => (x.user_id !== null && e.user_id === x.user_id) || (x.user_email !== null && e.user_email === x.user_email));
  const dup = members.filter(isIn);
  if (!Array.isArray(body.member) && dup.length) {
    const x = members[0]!;
    throw proxyException(400, `User already in team. Member: user_id=${py(x.user_id)}, user_email=${py(x.user_email)}. Existing members=${membersRepr(existing)}`, "team_member_already_in_team", "member");
  }
  if (dup.length === members.length) throw proxyException(400, `All users are already in team. Existing members=${membersRepr(existing)}`, "team_member_already_in_team", "member");
  return members.filter((x) => !isIn(x));
}

/** `/team/member_add`: a proxy admin or the team's admin adds members (LiteLLM's order of checks). */
async function memberAdd(m: Mgmt, body: Row = m.body): Promise<Row> {
  const teamId = str(body.team_id);
  if (!teamId) throw proxyHttpError(400, { error: "No team id passed in" });
  const members = membersOf(body.member);
  if (!members.length) throw proxyHttpError(400, { error: "No member/members passed in" });
  const team = await loadTeam(m, teamId);
  if (!team) throw proxyHttpError(404, { error: `Team not found for team_id=${teamId}` });
  const fresh = rejectDuplicates(team, body, members);
  await requireTeamAdmin(m, team, "/team/member_add");
  const r = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const [locked] = await tx.unsafe<Array<{ r: Row }>>(`SELECT row_to_json(t.*) AS r FROM "${T}" t WHERE team_id = $1 FOR UPDATE`, [teamId]);
      return addMembers(tx, m.dbs.db.schema, locked?.r ?? team, fresh, actor(m), num(body.max_budget_in_team));
    }),
  );
  m.dbs.invalidate({ kind: "team", id: teamId });
  for (const u of r.users) m.dbs.invalidate({ kind: "user", id: String(u.user_id) });
  return { ...r.team, updated_users: r.users, updated_team_memberships: r.memberships };
}

/**
 * LiteLLM's `_add_user_to_team` for `/user/new {team_id}`: `team_member_add` as the caller, whose
 * refusals (no such team, already a member, not the team's admin) are logged and the user kept.
 */
export async function addUserToTeam(m: Mgmt, teamId: string, member: Member): Promise<void> {
  try {
    await memberAdd(m, { team_id: teamId, member });
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    m.rt.log.debug("/user/new: user not added to team", { team_id: teamId, error: e.message });
  }
}

/** The team and the member a `/team/member_delete` or `/team/member_update` body names, after LiteLLM's checks. */
async function memberTarget(m: Mgmt, route: string): Promise<{ team: Row; teamId: string }> {
  const teamId = str(m.body.team_id);
  if (!teamId) throw proxyHttpError(400, { error: "No team id passed in" });
  if (str(m.body.user_id) === undefined && str(m.body.user_email) === undefined) throw proxyHttpError(400, { error: "Either user_id or user_email needs to be passed in" });
  const team = await loadTeam(m, teamId);
  if (!team) throw proxyHttpError(400, { error: `Team id=${teamId} does not exist in db` });
  await requireTeamAdmin(m, team, route);
  return { team, teamId };
}

/** `/team/member_delete`: 400 when the user is not (or no longer) a member. */
async function memberDelete(m: Mgmt): Promise<Row> {
  const { team, teamId } = await memberTarget(m, "/team/member_delete");
  const userId = str(m.body.user_id);
  const email = str(m.body.user_email);
  const matches = (r: Member) => (userId !== undefined && r.user_id === userId) || (email !== undefined && r.user_email === email);
  const before = membersOf(team.members_with_roles);
  if (!before.some(matches)) throw proxyHttpError(400, { error: "User not found in team" });
  const s = m.dbs.db.schema;
  const removed = before.filter(matches).map((r) => r.user_id).filter((x): x is string => !!x);
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const users = await tx.unsafe<Array<{ user_id: string }>>(
        `UPDATE "${U}" SET teams = array_remove(teams, $1) WHERE (user_id = $2 OR user_email = $3) AND $1 = ANY(teams) RETURNING user_id`,
        [teamId, userId ?? null, userId === undefined ? (email ?? null) : null],
      );
      const ids = [...new Set([...removed, ...users.map((u) => u.user_id), ...(userId ? [userId] : [])])];
      if (s.hasTable(TM)) await tx.unsafe(`DELETE FROM "${TM}" WHERE team_id = $1 AND user_id = ANY($2::text[])`, [teamId, ids]);
      return writeRoles(tx, s, teamId, before.filter((r) => !matches(r)));
    }),
  );
  m.dbs.invalidate({ kind: "team", id: teamId });
  return row;
}

/**
 * `/team/member_update`: the member's budget in the team (a budget row on its `LiteLLM_TeamMembership`,
 * a fresh one when it has none or shares the team default) and its role. Stricter than LiteLLM: the
 * user must be a member (LiteLLM would give a non-member a membership row).
 */
async function memberUpdate(m: Mgmt): Promise<Row> {
  const { team, teamId } = await memberTarget(m, "/team/member_delete");
  const email = str(m.body.user_email);
  const member = membersOf(team.members_with_roles).find((r) => (str(m.body.user_id) !== undefined ? r.user_id === m.body.user_id : r.user_email === email));
  if (!member?.user_id) throw proxyHttpError(400, { error: `User id doesn't exist in team table. Data=team_id='${teamId}' user_id=${py(m.body.user_id)} user_email=${py(email)}` });
  const userId = member.user_id;
  const role = m.body.role;
  if (role !== undefined && role !== null && role !== "admin" && role !== "user") throw badRequest(`role must be 'admin' or 'user', got ${String(role)}`, "role");
  const patch: Row = {};
  if (m.body.max_budget_in_team !== undefined) patch.max_budget = m.body.max_budget_in_team;
  if (m.body.tpm_limit !== undefined) patch.tpm_limit = m.body.tpm_limit;
  if (m.body.rpm_limit !== undefined) patch.rpm_limit = m.body.rpm_limit;
  const s = m.dbs.db.schema;
  const by = actor(m);
  await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if (Object.keys(patch).length && s.hasTable(TM)) {
        const [tm] = await selectRows(tx, TM, { team_id: teamId, user_id: userId });
        const own = str(tm?.budget_id);
        const shared = own !== undefined && own === str(obj(team.metadata).team_member_budget_id);
        if (own && !shared) {
          await updateRows(tx, s, B, { ...patch, updated_by: by, updated_at: new Date().toISOString() }, { budget_id: own });
        } else {
          const base = shared ? ((await selectRows(tx, B, { budget_id: own! }))[0] ?? {}) : {};
          const limits = { max_budget: base.max_budget, tpm_limit: base.tpm_limit, rpm_limit: base.rpm_limit, budget_duration: base.budget_duration, ...patch };
          const b = await insertRow(tx, s, B, { ...limits, budget_id: crypto.randomUUID(), created_by: by, updated_by: by });
          await tx.unsafe(
            `INSERT INTO "${TM}" (user_id, team_id, budget_id) VALUES ($1, $2, $3) ON CONFLICT (user_id, team_id) DO UPDATE SET budget_id = excluded.budget_id`,
            [userId, teamId, String(b.budget_id)],
          );
        }
      }
      if (role === "admin" || role === "user") {
        const roles = membersOf(team.members_with_roles).map((r) => (r.user_id === userId ? { ...r, role, user_email: email ?? r.user_email } : r));
        await writeRoles(tx, s, teamId, roles);
      }
    }),
  );
  m.dbs.invalidate({ kind: "team", id: teamId });
  return {
    team_id: teamId,
    user_id: userId,
    user_email: email ?? null,
    max_budget_in_team: m.body.max_budget_in_team ?? null,
    tpm_limit: m.body.tpm_limit ?? null,
    rpm_limit: m.body.rpm_limit ?? null,
  };
}

async function listTeams(m: Mgmt): Promise<Row[]> {
  const teams = await m.dbs.db.run((sql) => selectRows(sql, T, {}, "ORDER BY created_at"));
  if (isAdmin(m.auth)) return teams;
  const orgs = await adminOrgs(m);
  return teams.filter((t) => t.team_id === m.auth.teamId || memberOf(t, m.auth.userId) || orgs.has(String(t.organization_id)));
}

export function registerTeamRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  const orgAdmins = { selfManaged: true };
  route(app, rt, dbs, "post", "/team/new", newTeam, orgAdmins);
  route(app, rt, dbs, "get", "/team/info", teamInfo);
  route(app, rt, dbs, "post", "/team/update", updateTeam, orgAdmins);
  route(app, rt, dbs, "post", "/team/delete", deleteTeams, orgAdmins);
  route(app, rt, dbs, "post", "/team/member_add", (m) => memberAdd(m));
  route(app, rt, dbs, "post", "/team/member_delete", memberDelete);
  route(app, rt, dbs, "post", "/team/member_update", memberUpdate);
  route(app, rt, dbs, "get", "/team/list", listTeams);
}
