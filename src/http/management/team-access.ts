import { obj, str, strs, type Row } from "../../auth/key-record.ts";
import { selectRows } from "../../db/rows.ts";
import { isAdmin, type Mgmt } from "./context.ts";
import { proxyException, proxyHttpError, py, pyList, pyRepr } from "./litellm-errors.ts";
import { isOrgAdminForTeam } from "./org-access.ts";

/** One entry of a team's `members_with_roles`. */
export interface Member {
  role: string;
  user_id: string | null;
  user_email: string | null;
}

export function membersOf(v: unknown): Member[] {
  const arr = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return arr.map((x) => {
    const o = obj(x);
    return { role: str(o.role) ?? "user", user_id: str(o.user_id) ?? null, user_email: str(o.user_email) ?? null };
  });
}

/** Pydantic's repr of the members list, as LiteLLM's duplicate-member message prints it. */
export const membersRepr = (ms: Member[]) =>
  `[${ms.map((x) => `Member(user_id=${x.user_id === null ? "None" : pyRepr(x.user_id)}, user_email=${x.user_email === null ? "None" : pyRepr(x.user_email)}, role=${pyRepr(x.role)})`).join(", ")}]`;

export const memberOf = (team: Row, userId: string | undefined): Member | undefined =>
  userId === undefined ? undefined : membersOf(team.members_with_roles).find((x) => x.user_id === userId);

/** LiteLLM's `_is_user_team_admin`. */
export const isTeamAdmin = (team: Row, userId: string | undefined) => memberOf(team, userId)?.role === "admin";

/** The team row as the database has it now (LiteLLM reads teams with `check_db_only=True` here). */
export async function loadTeam(m: Mgmt, teamId: string): Promise<Row | undefined> {
  return (await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_TeamTable", { team_id: teamId })))[0];
}

/** Routes a non-admin member may call on a team's keys: `team_member_permissions`, else LiteLLM's default. */
function memberPermissions(team: Row): string[] {
  const set = strs(team.team_member_permissions);
  return set.length ? set : ["/key/info", "/key/health"];
}

/**
 * LiteLLM's `does_team_member_have_permissions_for_endpoint`: team admins pass, a member needs the
 * route in the team's member permissions (401 otherwise); a non-member is not decided here (false).
 */
export function memberMayCall(team: Row, member: Member | undefined, route: string): boolean {
  if (!member) return false;
  if (member.role === "admin") return true;
  const allowed = memberPermissions(team);
  if (allowed.includes(route)) return true;
  throw proxyException(
    401,
    `Team member does not have permissions for endpoint: ${route}. You only have access to the following endpoints: ${pyList(allowed)} for team ${py(team.team_id)}. To create keys for this team, please ask your proxy admin to check the team member permission settings and update the settings to allow team member users to create keys.`,
    "team_member_permission_error",
    route,
  );
}

/** LiteLLM's `can_team_member_execute_key_management_endpoint` for an existing key of a team. */
export async function checkMemberKeyRoute(m: Mgmt, key: Row, route: string): Promise<void> {
  const teamId = str(key.team_id);
  if (isAdmin(m.auth) || !teamId) return;
  const team = await loadTeam(m, teamId);
  if (team) memberMayCall(team, memberOf(team, m.auth.userId), route);
}

/**
 * LiteLLM's `_team_key_generation_check` for a non-admin making a key in `team`: the key's user and
 * the caller must be members, with a role allowed to make keys and the route in their permissions.
 */
export function checkTeamKeyGeneration(m: Mgmt, team: Row, assignedUserId: string | undefined, route: string): void {
  const teamId = py(team.team_id);
  if (assignedUserId !== undefined && !memberOf(team, assignedUserId)) throw proxyHttpError(400, `User=${assignedUserId} not assigned to team=${teamId}`);
  const caller = memberOf(team, m.auth.userId);
  if (!caller) throw proxyHttpError(400, `User=${py(m.auth.userId)} not assigned to team=${teamId}`);
  memberMayCall(team, caller, route);
}

/** Proxy admin, admin of this team, or org admin of its organization (LiteLLM's check on `/team/member_*`). */
export async function requireTeamAdmin(m: Mgmt, team: Row, route: string): Promise<void> {
  if (isAdmin(m.auth) || isTeamAdmin(team, m.auth.userId) || (await isOrgAdminForTeam(m, team))) return;
  throw proxyHttpError(403, { error: `Call not allowed. User not proxy admin OR team admin. route=${route}, team_id=${py(team.team_id)}` });
}
