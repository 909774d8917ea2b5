import type { Hono } from "hono";
import type { TransactionSql } from "postgres";
import { num, obj, str, strs, type Row } from "../../auth/key-record.ts";
import type { SchemaInfo } from "../../db/introspect.ts";
import { deleteIn, insertRow, selectIn, selectRows, updateRows } from "../../db/rows.ts";
import type { DbServices } from "../../db/services.ts";
import type { Runtime } from "../../runtime.ts";
import { nextResetAt } from "../../spend/duration.ts";
import { copyToDeleted } from "../../db/deleted-copies.ts";
import { badRequest, deletedBy, httpError, isAdmin, list, need, route, type Mgmt } from "./context.ts";

const T = "LiteLLM_TeamTable";
const TM = "LiteLLM_TeamMembership";
const U = "LiteLLM_UserTable";

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

interface Member {
  role: string;
  user_id: string | null;
  user_email: string | null;
}

function membersOf(v: unknown): Member[] {
  const arr = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return arr.map((x) => {
    const o = obj(x);
    return { role: str(o.role) ?? "user", user_id: str(o.user_id) ?? null, user_email: str(o.user_email) ?? null };
  });
}

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

/** A budget row for team-member limits (`team_member_budget`, `max_budget_in_team`). */
async function memberBudget(tx: TransactionSql, s: SchemaInfo, by: string, maxBudget: unknown, tpm?: unknown, rpm?: unknown): Promise<string | undefined> {
  if (maxBudget === undefined && tpm === undefined && rpm === undefined) return undefined;
  const b = await insertRow(tx, s, "LiteLLM_BudgetTable", {
    budget_id: crypto.randomUUID(),
    max_budget: maxBudget,
    tpm_limit: tpm,
    rpm_limit: rpm,
    created_by: by,
    updated_by: by,
  });
  return String(b.budget_id);
}

/** Adds members to a team: `members_with_roles`, the user rows (created if missing) and memberships. */
async function addMembers(tx: TransactionSql, s: SchemaInfo, team: Row, members: Member[], by: string, budgetInTeam?: unknown): Promise<{ team: Row; users: Row[]; memberships: Row[] }> {
  const teamId = String(team.team_id);
  const roles = membersOf(team.members_with_roles);
  const users: Row[] = [];
  const memberships: Row[] = [];
  for (const mem of members) {
    let userId = mem.user_id;
    if (!userId && mem.user_email) {
      const found = await tx.unsafe<Array<{ user_id: string }>>(`SELECT user_id FROM "${U}" WHERE user_email = $1 LIMIT 1`, [mem.user_email]);
      userId = found[0]?.user_id ?? crypto.randomUUID();
    }
    if (!userId) throw badRequest("member needs user_id or user_email", "member");
    const [existing] = await selectRows(tx, U, { user_id: userId });
    const user = existing
      ? (await updateRows(tx, s, U, { teams: [...new Set([...strs(existing.teams), teamId])] }, { user_id: userId }))[0]!
      : await insertRow(tx, s, U, { user_id: userId, user_email: mem.user_email, teams: [teamId], user_role: "internal_user" });
    users.push(user);
    if (!roles.some((r) => r.user_id === userId)) roles.push({ ...mem, user_id: userId });
    if (s.hasTable(TM)) {
      const budgetId = await memberBudget(tx, s, by, budgetInTeam);
      const rows = await tx.unsafe<Array<{ r: Row }>>(
        `INSERT INTO "${TM}" AS t (user_id, team_id, budget_id) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, team_id) DO UPDATE SET budget_id = COALESCE(excluded.budget_id, t.budget_id) RETURNING row_to_json(t.*) AS r`,
        [userId, teamId, budgetId ?? null],
      );
      memberships.push(rows[0]!.r);
    }
  }
  const admins = roles.filter((r) => r.role === "admin" && r.user_id).map((r) => r.user_id!);
  const updated = (await updateRows(tx, s, T, { members_with_roles: roles, admins, members: roles.map((r) => r.user_id).filter(Boolean), updated_at: new Date().toISOString() }, { team_id: teamId }))[0]!;
  return { team: updated, users, memberships };
}

async function newTeam(m: Mgmt): Promise<Row> {
  const teamId = typeof m.body.team_id === "string" && m.body.team_id ? m.body.team_id : crypto.randomUUID();
  const s = m.dbs.db.schema;
  const by = m.auth.userId ?? "default_user_id";
  const team = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if ((await selectRows(tx, T, { team_id: teamId })).length) throw badRequest(`Team id = ${teamId} already exists. Please use a different team id.`, "team_id");
      const cols = teamColumns(m.body);
      const budgetId = await memberBudget(tx, s, by, m.body.team_member_budget, m.body.team_member_tpm_limit, m.body.team_member_rpm_limit);
      if (budgetId) cols.metadata = { ...obj(cols.metadata), team_member_budget_id: budgetId };
      if (m.body.model_aliases && typeof m.body.model_aliases === "object" && s.hasTable("LiteLLM_ModelTable")) {
        const mt = await insertRow(tx, s, "LiteLLM_ModelTable", { aliases: m.body.model_aliases, created_by: by, updated_by: by });
        cols.model_id = mt.id;
      }
      let team = await insertRow(tx, s, T, { ...cols, team_id: teamId, members_with_roles: [] });
      const members = membersOf(m.body.members_with_roles);
      if (members.length) team = (await addMembers(tx, s, team, members, by)).team;
      return team;
    }),
  );
  return team;
}

async function teamInfo(m: Mgmt): Promise<Row> {
  const teamId = m.query("team_id") ?? m.auth.teamId;
  if (!teamId) throw badRequest("team_id is required", "team_id");
  const [team] = await m.dbs.db.run((sql) => selectRows(sql, T, { team_id: teamId }));
  if (!team) throw httpError(404, `Team not found, passed team_id=${teamId}`);
  if (!isAdmin(m.auth) && m.auth.teamId !== teamId && !membersOf(team.members_with_roles).some((r) => r.user_id === m.auth.userId)) {
    throw httpError(403, "Only proxy admins and team members can view this team's info");
  }
  const keys = await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_VerificationToken", { team_id: teamId }));
  for (const k of keys) delete k.token;
  const memberships = m.dbs.db.schema.hasTable(TM) ? await m.dbs.db.run((sql) => selectRows(sql, TM, { team_id: teamId })) : [];
  const budgetId = str(obj(team.metadata).team_member_budget_id);
  const budget = budgetId ? (await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_BudgetTable", { budget_id: budgetId })))[0] : undefined;
  return { team_id: teamId, team_info: { ...team, team_member_budget_table: budget ?? null }, keys, team_memberships: memberships };
}

async function updateTeam(m: Mgmt): Promise<Row> {
  const teamId = need(m.body, "team_id");
  const [current] = await m.dbs.db.run((sql) => selectRows(sql, T, { team_id: teamId }));
  if (!current) throw httpError(404, `Team not found, passed team_id=${teamId}`);
  const cols = { ...teamColumns(m.body, current), updated_at: new Date().toISOString() };
  const [row] = await m.dbs.db.run((sql) => updateRows(sql, m.dbs.db.schema, T, cols, { team_id: teamId }));
  m.dbs.invalidate({ kind: "team", id: teamId });
  return { team_id: teamId, data: row };
}

async function deleteTeams(m: Mgmt): Promise<Row> {
  const ids = list(m.body.team_ids);
  if (!ids.length) throw badRequest("team_ids is required", "team_ids");
  const found = await m.dbs.db.run((sql) => selectIn(sql, T, "team_id", ids));
  if (found.length !== ids.length) throw httpError(404, `Team not found: ${ids.filter((i) => !found.some((f) => f.team_id === i)).join(", ")}`);
  await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const s = m.dbs.db.schema;
      const keys = (await selectIn(tx, "LiteLLM_VerificationToken", "team_id", ids)).map((r) => String(r.token));
      await copyToDeleted(tx, s, "LiteLLM_VerificationToken", "LiteLLM_DeletedVerificationToken", "token", keys, deletedBy(m));
      await copyToDeleted(tx, s, T, "LiteLLM_DeletedTeamTable", "team_id", ids, deletedBy(m));
      await deleteIn(tx, "LiteLLM_VerificationToken", "team_id", ids);
      if (m.dbs.db.schema.hasTable(TM)) await deleteIn(tx, TM, "team_id", ids);
      await deleteIn(tx, T, "team_id", ids);
    }),
  );
  for (const id of ids) m.dbs.invalidate({ kind: "team", id });
  return { deleted_teams: ids };
}

async function memberAdd(m: Mgmt): Promise<Row> {
  const teamId = need(m.body, "team_id");
  const by = m.auth.userId ?? "default_user_id";
  const members = membersOf(m.body.member);
  if (!members.length) throw badRequest("member is required", "member");
  const r = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const [team] = await selectRows(tx, T, { team_id: teamId });
      if (!team) throw httpError(404, `Team not found, passed team_id=${teamId}`);
      return addMembers(tx, m.dbs.db.schema, team, members, by, num(m.body.max_budget_in_team));
    }),
  );
  m.dbs.invalidate({ kind: "team", id: teamId });
  return { ...r.team, updated_users: r.users, updated_team_memberships: r.memberships };
}

async function memberDelete(m: Mgmt): Promise<Row> {
  const teamId = need(m.body, "team_id");
  const s = m.dbs.db.schema;
  const team = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const [team] = await selectRows(tx, T, { team_id: teamId });
      if (!team) throw httpError(404, `Team not found, passed team_id=${teamId}`);
      let userId = str(m.body.user_id);
      if (!userId && typeof m.body.user_email === "string") {
        userId = membersOf(team.members_with_roles).find((r) => r.user_email === m.body.user_email)?.user_id ?? undefined;
      }
      if (!userId) throw badRequest("user_id or user_email is required", "user_id");
      const roles = membersOf(team.members_with_roles).filter((r) => r.user_id !== userId);
      if (s.hasTable(TM)) await tx.unsafe(`DELETE FROM "${TM}" WHERE team_id = $1 AND user_id = $2`, [teamId, userId]);
      await tx.unsafe(`UPDATE "${U}" SET teams = array_remove(teams, $1) WHERE user_id = $2`, [teamId, userId]);
      const admins = roles.filter((r) => r.role === "admin" && r.user_id).map((r) => r.user_id!);
      return (await updateRows(tx, s, T, { members_with_roles: roles, admins, members: roles.map((r) => r.user_id).filter(Boolean), updated_at: new Date().toISOString() }, { team_id: teamId }))[0]!;
    }),
  );
  m.dbs.invalidate({ kind: "team", id: teamId });
  return team;
}

async function listTeams(m: Mgmt): Promise<Row[]> {
  const teams = await m.dbs.db.run((sql) => selectRows(sql, T, {}, "ORDER BY created_at"));
  if (isAdmin(m.auth)) return teams;
  return teams.filter((t) => t.team_id === m.auth.teamId || membersOf(t.members_with_roles).some((r) => r.user_id === m.auth.userId));
}

export function registerTeamRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  route(app, rt, dbs, "post", "/team/new", newTeam, { admin: true });
  route(app, rt, dbs, "get", "/team/info", teamInfo);
  route(app, rt, dbs, "post", "/team/update", updateTeam, { admin: true });
  route(app, rt, dbs, "post", "/team/delete", deleteTeams, { admin: true });
  route(app, rt, dbs, "post", "/team/member_add", memberAdd, { admin: true });
  route(app, rt, dbs, "post", "/team/member_delete", memberDelete, { admin: true });
  route(app, rt, dbs, "get", "/team/list", listTeams);
}
