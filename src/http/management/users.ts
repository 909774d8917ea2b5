import type { Hono } from "hono";
import { obj, str, strs, type Row } from "../../auth/key-record.ts";
import { deleteIn, insertRow, selectIn, selectRows, updateRows } from "../../db/rows.ts";
import type { DbServices } from "../../db/services.ts";
import type { Runtime } from "../../runtime.ts";
import { nextResetAt } from "../../spend/duration.ts";
import { routeForbidden } from "../../auth/management-access.ts";
import { badRequest, httpError, isAdmin, list, route, type Mgmt } from "./context.ts";
import { authHttpError } from "./litellm-errors.ts";
import { generateKey } from "./keys.ts";
import { addUserToTeam } from "./teams.ts";

const U = "LiteLLM_UserTable";

const USER_FIELDS = [
  "user_email",
  "user_alias",
  "user_role",
  "teams",
  "max_budget",
  "budget_duration",
  "models",
  "tpm_limit",
  "rpm_limit",
  "max_parallel_requests",
  "metadata",
  "sso_user_id",
  "organization_id",
  "allowed_cache_controls",
  "spend",
  "model_max_budget",
] as const;

const ROLES = new Set(["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer", "org_admin", "team", "customer"]);

function userColumns(body: Row): Row {
  const out: Row = {};
  for (const f of USER_FIELDS) if (body[f] !== undefined) out[f] = body[f];
  if (out.teams !== undefined) out.teams = (Array.isArray(out.teams) ? out.teams : []).map((t) => (typeof t === "string" ? t : String(obj(t).team_id)));
  if (typeof body.budget_duration === "string") out.budget_reset_at = nextResetAt(body.budget_duration)?.toISOString() ?? null;
  if (out.user_role !== undefined && !ROLES.has(String(out.user_role))) throw badRequest(`Invalid user_role: ${String(out.user_role)}`, "user_role");
  return out;
}

async function newUser(m: Mgmt): Promise<Row> {
  const userId = typeof m.body.user_id === "string" && m.body.user_id ? m.body.user_id : crypto.randomUUID();
  const existing = await m.dbs.db.run((sql) => selectRows(sql, U, { user_id: userId }));
  if (existing.length) throw badRequest(`User with id ${userId} already exists`, "user_id");
  const s = m.dbs.db.schema;
  const user = await m.dbs.db.run((sql) => insertRow(sql, s, U, { user_role: "internal_user", ...userColumns(m.body), user_id: userId }));
  if (m.body.auto_create_key === false) return { ...user, key: null };
  const teamId = str(m.body.team_id);
  const keyBody: Row = {
    user_id: userId,
    team_id: teamId,
    models: strs(m.body.models),
    key_alias: m.body.key_alias,
    duration: m.body.duration,
    max_budget: m.body.key_max_budget,
    metadata: m.body.key_metadata,
  };
  const key = await generateKey(m, keyBody);
  if (teamId) await addUserToTeam(m, teamId, { role: "user", user_id: userId, user_email: str(m.body.user_email) ?? null });
  return { ...key, ...user, key: key.key, token: key.token, key_name: key.key_name, expires: key.expires };
}

/**
 * LiteLLM's `/user/info` teams: the teams whose `members_with_roles` name the user, each with the
 * user's memberships (budget row included) and the team's keys, then the other teams of the user's
 * `teams`; sorted by alias.
 */
async function teamsOfUser(m: Mgmt, userId: string, user: Row | undefined): Promise<Row[]> {
  return m.dbs.db.run(async (sql) => {
    const member = await sql.unsafe<Array<{ r: Row }>>(
      `SELECT row_to_json(t.*) AS r FROM "LiteLLM_TeamTable" t WHERE jsonb_typeof(t.members_with_roles) = 'array' AND t.members_with_roles @> jsonb_build_array(jsonb_build_object('user_id', $1::text))`,
      [userId],
    );
    const memberIds = member.map((x) => String(x.r.team_id));
    const memberships = m.dbs.db.schema.hasTable("LiteLLM_TeamMembership")
      ? await sql.unsafe<Array<{ r: Row }>>(
          `SELECT to_jsonb(tm.*) || jsonb_build_object('litellm_budget_table', (SELECT row_to_json(b.*) FROM "LiteLLM_BudgetTable" b WHERE b.budget_id = tm.budget_id)) AS r
           FROM "LiteLLM_TeamMembership" tm WHERE tm.user_id = $1 AND tm.team_id = ANY($2::text[])`,
          [userId, memberIds],
        )
      : [];
    const keys = await selectIn(sql, "LiteLLM_VerificationToken", "team_id", memberIds);
    for (const k of keys) delete k.token;
    const listed = member.map(({ r: t }) => ({
      ...t,
      team_memberships: memberships.map((x) => x.r).filter((x) => x.team_id === t.team_id),
      keys: keys.filter((k) => k.team_id === t.team_id),
    }));
    const others = await selectIn(sql, "LiteLLM_TeamTable", "team_id", strs(user?.teams).filter((id) => !memberIds.includes(id)));
    const alias = (t: Row) => str(t.team_alias) ?? "";
    return [...listed, ...others].sort((a, b) => (alias(a) < alias(b) ? -1 : alias(a) > alias(b) ? 1 : 0));
  });
}

async function userInfo(m: Mgmt): Promise<Row> {
  const userId = m.query("user_id") ?? m.auth.userId;
  if (!userId) throw badRequest("user_id is required", "user_id");
  if (!isAdmin(m.auth) && userId !== m.auth.userId) {
    throw routeForbidden(`key not allowed to access this user's info. user_id=${userId}, key's user_id=${m.auth.userId ?? "None"}`);
  }
  const [user] = await m.dbs.db.run((sql) => selectRows(sql, U, { user_id: userId }));
  const keys = await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_VerificationToken", { user_id: userId }));
  if (!user && keys.length === 0) throw httpError(404, `User ${userId} not found`);
  const teams = await teamsOfUser(m, userId, user);
  for (const k of keys) delete k.token;
  return { user_id: userId, user_info: user ?? null, keys, teams };
}

/** The admin viewer may send only `user_email` and `password` (LiteLLM's route check), and only for itself. */
function checkViewerFields(m: Mgmt): void {
  if (m.auth.role !== "proxy_admin_viewer") return;
  for (const k of Object.keys(m.body)) {
    if (k !== "user_email" && k !== "password") {
      throw routeForbidden(`user not allowed to access this route, role= proxy_admin_viewer. Trying to access: /user/update and updating invalid param: ${k}. only user_email and password can be updated`);
    }
  }
}

/** LiteLLM's `can_user_call_user_update`; stricter: nobody but an admin creates a user here. */
function checkUpdateTarget(m: Mgmt, target: Row | undefined): void {
  if (isAdmin(m.auth) || (target && target.user_id === m.auth.userId)) return;
  throw authHttpError(403, { error: "User does not have permission to update this user. Only PROXY_ADMIN can update other users." });
}

/**
 * `/user/update`, as LiteLLM's `_update_single_user_helper`: by `user_id` the row is upserted (an id
 * with no row yet gets one), by `user_email` the first user with that email is updated, or a new user
 * with a fresh id is created.
 */
async function updateUser(m: Mgmt): Promise<Row> {
  const userId = str(m.body.user_id);
  const email = str(m.body.user_email);
  checkViewerFields(m);
  if (!userId && !email) throw authHttpError(400, "Authentication Error, Either user_id or user_email must be provided");
  if (m.body.user_role !== undefined && !isAdmin(m.auth)) throw authHttpError(403, "Only proxy admins can modify user roles.");
  const s = m.dbs.db.schema;
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const [existing] = userId
        ? await selectRows(tx, U, { user_id: userId })
        : await tx.unsafe<Array<{ r: Row }>>(`SELECT row_to_json(t.*) AS r FROM "${U}" t WHERE user_email = $1 ORDER BY created_at NULLS LAST LIMIT 1`, [email!]).then((r) => r.map((x) => x.r));
      checkUpdateTarget(m, existing);
      const cols: Row = { ...userColumns(m.body), updated_at: new Date().toISOString() };
      if (existing) {
        if (!userId) delete cols.user_email;
        return (await updateRows(tx, s, U, cols, { user_id: String(existing.user_id) }))[0]!;
      }
      const id = userId ?? crypto.randomUUID();
      await tx.unsafe(`INSERT INTO "${U}" (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`, [id]);
      return (await updateRows(tx, s, U, { ...cols, user_email: email ?? null }, { user_id: id }))[0]!;
    }),
  );
  m.dbs.invalidate({ kind: "user", id: String(row.user_id) });
  return { user_id: row.user_id, data: row };
}

async function deleteUsers(m: Mgmt): Promise<Row> {
  const ids = list(m.body.user_ids);
  if (!ids.length) throw badRequest("user_ids is required", "user_ids");
  await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      await deleteIn(tx, "LiteLLM_VerificationToken", "user_id", ids);
      if (m.dbs.db.schema.hasTable("LiteLLM_TeamMembership")) await deleteIn(tx, "LiteLLM_TeamMembership", "user_id", ids);
      if (m.dbs.db.schema.hasTable("LiteLLM_OrganizationMembership")) await deleteIn(tx, "LiteLLM_OrganizationMembership", "user_id", ids);
      await deleteIn(tx, U, "user_id", ids);
    }),
  );
  for (const id of ids) m.dbs.invalidate({ kind: "user", id });
  return { deleted_users: ids };
}

export function registerUserRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  route(app, rt, dbs, "post", "/user/new", newUser, { admin: true });
  route(app, rt, dbs, "get", "/user/info", userInfo);
  route(app, rt, dbs, "post", "/user/update", updateUser);
  route(app, rt, dbs, "post", "/user/delete", deleteUsers, { admin: true });
}
