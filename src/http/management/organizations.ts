import type { Hono } from "hono";
import type { Sql, TransactionSql } from "postgres";
import { num, obj, str, type KeyRecord, type Row } from "../../auth/key-record.ts";
import { insertRow, selectRows, updateRows } from "../../db/rows.ts";
import type { DbServices } from "../../db/services.ts";
import { GatewayError } from "../../errors.ts";
import type { Runtime } from "../../runtime.ts";
import { actor, budgetColumns, createBudget, hasBudgetFields } from "./budgets.ts";
import { httpError, isAdmin, list, refuse, requireAdmin, route, type Mgmt } from "./context.ts";
import { adminOrgs } from "./org-access.ts";
import { memberOf } from "./team-access.ts";

const O = "LiteLLM_OrganizationTable";
const OM = "LiteLLM_OrganizationMembership";
const B = "LiteLLM_BudgetTable";
const U = "LiteLLM_UserTable";

/** `OrgMember.role` in LiteLLM: the roles a member may hold inside an organization. */
const ORG_ROLES = new Set(["org_admin", "internal_user", "internal_user_viewer"]);
const ORG_FIELDS = ["organization_alias", "models", "spend", "model_spend", "blocked", "tags"] as const;

type Exec = Sql | TransactionSql;

/** FastAPI's 422 for a body that does not fit the request model. */
const invalid = (field: string, message: string) => new GatewayError(422, `${field}: ${message}`, { type: "bad_request_error", param: field });

/** `organization_role_based_access_check` raises these as `ProxyException(auth_error, 401)`. */
const orgAuthError = (message: string, param: string) => new GatewayError(401, message, { type: "auth_error", param });

/** Errors LiteLLM's wrapped member routes re-raise as `ProxyException(type=auth_error)`. */
const wrapped = (status: number, message: string) => new GatewayError(status, message, { type: "auth_error", param: "None" });

function requiredString(body: Row, field: string): string {
  const v = body[field];
  if (typeof v !== "string" || !v) throw invalid(field, "Field required");
  return v;
}

/**
 * The organization RBAC LiteLLM runs for keys that belong to a user (`org_admin_only_routes`):
 * proxy admins pass; others must be `org_admin` of the organization named in the request.
 * A key without a user row falls through to LiteLLM's generic admin-only refusal.
 */
async function requireOrgAdmin(m: Mgmt, orgId: string | undefined): Promise<void> {
  if (isAdmin(m.auth)) return;
  if (!(m.auth.key as KeyRecord | undefined)?.user || !m.auth.userId) refuse(m);
  if (!orgId) throw orgAuthError("Passed organization_id is None, please pass an organization_id in your request", "organization_id");
  const [row] = await m.dbs.db.run((sql) => sql.unsafe<Array<{ user_role: string | null }>>(`SELECT user_role FROM "${OM}" WHERE user_id = $1 AND organization_id = $2`, [m.auth.userId!, orgId]));
  if (!row) {
    throw orgAuthError(
      `You do not have a role within the selected organization. Passed organization_id: ${orgId}. Please contact the organization admin to request access.`,
      "organization_id",
    );
  }
  if (row.user_role !== "org_admin") {
    throw orgAuthError(`You do not have the required role to perform this action. Your role is ${row.user_role} in Organization ${orgId}`, "user_role");
  }
}

/** Organizations with their budget row, memberships and teams, as Prisma's `include` returns them. */
async function withRelations(x: Exec, where: string, params: unknown[], extra = ""): Promise<Row[]> {
  const rows = await x.unsafe<Array<{ r: Row }>>(
    `SELECT row_to_json(o.*)::jsonb || jsonb_build_object(
       'litellm_budget_table', (SELECT row_to_json(b.*) FROM "${B}" b WHERE b.budget_id = o.budget_id),
       'members', COALESCE((SELECT jsonb_agg(row_to_json(m.*) ORDER BY m.created_at) FROM "${OM}" m WHERE m.organization_id = o.organization_id), '[]'::jsonb),
       'teams', COALESCE((SELECT jsonb_agg(row_to_json(t.*) ORDER BY t.created_at) FROM "LiteLLM_TeamTable" t WHERE t.organization_id = o.organization_id), '[]'::jsonb)
     ) AS r FROM "${O}" o ${where} ORDER BY o.created_at ${extra}`,
    params as string[],
  );
  return rows.map((r) => r.r);
}

function checkBudgetValues(body: Row): void {
  for (const f of ["max_budget", "soft_budget"]) {
    const v = num(body[f]);
    if (v !== undefined && v < 0) throw httpError(400, `${f} cannot be negative. Received: ${v}`);
  }
}

async function newOrganization(m: Mgmt): Promise<Row> {
  if (!isAdmin(m.auth)) {
    if ((m.auth.key as KeyRecord | undefined)?.user) throw orgAuthError("Only proxy admins can create new organizations", "user_role");
    refuse(m);
  }
  const alias = requiredString(m.body, "organization_alias");
  checkBudgetValues(m.body);
  const keyModels = (m.auth.key as KeyRecord | undefined)?.models ?? [];
  if (keyModels.length && !list(m.body.models).length) {
    throw httpError(400, "User not allowed to give access to all models. Select models you want org to have access to.");
  }
  const s = m.dbs.db.schema;
  const by = actor(m);
  const orgId = str(m.body.organization_id) ?? crypto.randomUUID();
  return m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if ((await selectRows(tx, O, { organization_id: orgId })).length) throw httpError(400, `Organization with organization_id=${orgId} already exists`);
      const budgetId = str(m.body.budget_id) ?? String((await createBudget(tx, s, { ...m.body, budget_id: undefined }, by)).budget_id);
      if (!(await selectRows(tx, B, { budget_id: budgetId })).length) throw httpError(400, `Budget id=${budgetId} not found`);
      await insertRow(tx, s, O, {
        organization_id: orgId,
        organization_alias: alias,
        budget_id: budgetId,
        models: list(m.body.models),
        metadata: m.body.metadata ?? {},
        created_by: by,
        updated_by: by,
      });
      const [org] = await withRelations(tx, "WHERE o.organization_id = $1", [orgId]);
      return org!;
    }),
  );
}

/**
 * `/organization/list`: admins every organization; others those they belong to. Stricter than
 * LiteLLM: a member who is not the organization's `org_admin` sees only its own membership and the
 * teams it is in, not every member and team of the organization.
 */
async function listOrganizations(m: Mgmt): Promise<Row[]> {
  const conds: string[] = [];
  const params: unknown[] = [];
  const orgId = m.query("org_id");
  const alias = m.query("org_alias");
  if (orgId) conds.push(`o.organization_id = $${params.push(orgId)}`);
  if (alias) conds.push(`o.organization_alias ILIKE '%' || $${params.push(alias.replace(/[\\%_]/g, "\\$&"))} || '%'`);
  if (!isAdmin(m.auth)) {
    conds.push(`o.organization_id IN (SELECT organization_id FROM "${OM}" WHERE user_id = $${params.push(m.auth.userId ?? "")})`);
  }
  const orgs = await m.dbs.db.run((sql) => withRelations(sql, conds.length ? `WHERE ${conds.join(" AND ")}` : "", params));
  if (isAdmin(m.auth)) return orgs;
  const administered = await adminOrgs(m);
  const me = m.auth.userId;
  return orgs.map((o) =>
    administered.has(String(o.organization_id))
      ? o
      : {
          ...o,
          members: (o.members as Row[]).filter((x) => x.user_id === me),
          teams: (o.teams as Row[]).filter((t) => memberOf(t, me) || t.team_id === m.auth.teamId),
        },
  );
}

async function organizationInfo(m: Mgmt): Promise<Row> {
  const orgId = m.query("organization_id");
  await requireOrgAdmin(m, orgId);
  if (!orgId) throw invalid("organization_id", "Field required");
  const [org] = await m.dbs.db.run((sql) => withRelations(sql, "WHERE o.organization_id = $1", [orgId]));
  if (!org) throw httpError(404, "Organization not found");
  const permId = str(org.object_permission_id);
  const [perm] = permId ? await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_ObjectPermissionTable", { object_permission_id: permId })) : [];
  return { ...org, object_permission: perm ?? null };
}

/**
 * The deprecated `POST /organization/info {"organizations": [...]}`. Stricter than LiteLLM, whose org
 * RBAC reads only the body's `organization_id`: an org admin reads only organizations it administers.
 */
async function organizationInfoList(m: Mgmt): Promise<Row[]> {
  await requireOrgAdmin(m, str(m.body.organization_id));
  const ids = list(m.body.organizations);
  for (const id of ids) await requireOrgAdmin(m, id);
  if (!ids.length) throw httpError(400, `Specify list of organization id's to query. Passed in=[]`);
  const rows = await m.dbs.db.run((sql) =>
    sql.unsafe<Array<{ r: Row }>>(
      `SELECT row_to_json(o.*)::jsonb || jsonb_build_object('litellm_budget_table', (SELECT row_to_json(b.*) FROM "${B}" b WHERE b.budget_id = o.budget_id)) AS r
       FROM "${O}" o WHERE o.organization_id = ANY($1::text[]) ORDER BY o.created_at`,
      [ids],
    ),
  );
  return rows.map((r) => r.r);
}

/** The UI sends budget fields nested in `litellm_budget_table`; LiteLLM flattens them first. */
function flattenBudget(body: Row): Row {
  const nested = obj(body.litellm_budget_table);
  const out: Row = { ...body };
  delete out.litellm_budget_table;
  for (const [k, v] of Object.entries(nested)) if (v !== null && v !== undefined && k !== "budget_id") out[k] = v;
  return out;
}

async function updateOrganization(m: Mgmt): Promise<Row> {
  requireAdmin(m.auth);
  if (!m.auth.userId) throw httpError(400, "Cannot associate a user_id to this action. Check `/key/info` to validate if 'user_id' is set.");
  const body = flattenBudget(m.body);
  const orgId = requiredString(body, "organization_id");
  checkBudgetValues(body);
  const s = m.dbs.db.schema;
  const org = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const [current] = await selectRows(tx, O, { organization_id: orgId });
      if (!current) throw httpError(404, `Organization not found for organization_id=${orgId}`);
      const cols: Row = { updated_by: str(body.updated_by) ?? m.auth.userId, updated_at: new Date().toISOString() };
      for (const f of ORG_FIELDS) if (body[f] !== undefined && body[f] !== null) cols[f] = body[f];
      if (body.metadata !== undefined && body.metadata !== null) cols.metadata = { ...obj(current.metadata), ...obj(body.metadata) };
      if (hasBudgetFields(body) && str(current.budget_id)) {
        await updateRows(tx, s, B, { ...budgetColumns(body), updated_at: new Date().toISOString(), updated_by: m.auth.userId }, { budget_id: String(current.budget_id) });
      }
      await updateRows(tx, s, O, cols, { organization_id: orgId });
      return (await withRelations(tx, "WHERE o.organization_id = $1", [orgId]))[0]!;
    }),
  );
  m.dbs.invalidate({ kind: "all" });
  return org;
}

/** LiteLLM deletes the organization's teams, memberships and keys, then the organization (its budget row stays). */
async function deleteOrganizations(m: Mgmt): Promise<Row[]> {
  await requireOrgAdmin(m, str(m.body.organization_id));
  if (!isAdmin(m.auth)) throw httpError(401, "Only proxy admins can delete organizations");
  if (!Array.isArray(m.body.organization_ids)) throw invalid("organization_ids", "Field required");
  const ids = list(m.body.organization_ids);
  const deleted = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const found = await withRelations(tx, "WHERE o.organization_id = ANY($1::text[])", [ids], "FOR UPDATE OF o");
      const missing = ids.find((id) => !found.some((o) => o.organization_id === id));
      if (missing) throw httpError(404, `Organization=${missing} not found`);
      await tx.unsafe(`DELETE FROM "LiteLLM_TeamTable" WHERE organization_id = ANY($1::text[])`, [ids]);
      await tx.unsafe(`DELETE FROM "${OM}" WHERE organization_id = ANY($1::text[])`, [ids]);
      await tx.unsafe(`DELETE FROM "LiteLLM_VerificationToken" WHERE organization_id = ANY($1::text[])`, [ids]);
      await tx.unsafe(`DELETE FROM "${O}" WHERE organization_id = ANY($1::text[])`, [ids]);
      return ids.map((id) => found.find((o) => o.organization_id === id)!);
    }),
  );
  m.dbs.invalidate({ kind: "all" });
  return deleted;
}

interface OrgMember {
  role: string;
  user_id?: string;
  user_email?: string;
}

function orgMembers(v: unknown): OrgMember[] {
  const arr = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  if (!arr.length) throw invalid("member", "Field required");
  return arr.map((x) => {
    const o = obj(x);
    const role = str(o.role);
    if (!role || !ORG_ROLES.has(role)) throw invalid("member.role", `Input should be 'org_admin', 'internal_user' or 'internal_user_viewer'`);
    const member: OrgMember = { role, user_id: str(o.user_id), user_email: str(o.user_email) };
    if (!member.user_id && !member.user_email) throw invalid("member", "Either user_id or user_email must be provided");
    return member;
  });
}

const withoutPassword = (u: Row): Row => {
  const { password: _, ...rest } = u;
  return rest;
};

/** The user a member names: by id, else by email (which must be unique), else a new internal user. */
async function memberUser(tx: TransactionSql, mem: OrgMember): Promise<Row> {
  if (mem.user_id) {
    const [byId] = await selectRows(tx, U, { user_id: mem.user_id });
    if (byId) return byId;
  }
  if (mem.user_email) {
    const byEmail = await selectRows(tx, U, { user_email: mem.user_email }, "LIMIT 2");
    if (byEmail.length > 1) throw wrapped(400, "Multiple users with this email found in db. Please use 'user_id' instead.");
    if (byEmail[0]) return byEmail[0];
  }
  const userId = mem.user_id ?? crypto.randomUUID();
  await tx.unsafe(`INSERT INTO "${U}" (user_id, user_email, user_role, teams, models) VALUES ($1, $2, 'internal_user', ARRAY[]::text[], ARRAY[]::text[]) ON CONFLICT (user_id) DO NOTHING`, [
    userId,
    mem.user_email ?? null,
  ]);
  return (await selectRows(tx, U, { user_id: userId }))[0]!;
}

async function memberAdd(m: Mgmt): Promise<Row> {
  const orgId = str(m.body.organization_id);
  await requireOrgAdmin(m, orgId);
  if (!orgId) throw invalid("organization_id", "Field required");
  const members = orgMembers(m.body.member);
  const maxBudget = num(m.body.max_budget_in_organization);
  const s = m.dbs.db.schema;
  return m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if (!(await selectRows(tx, O, { organization_id: orgId })).length) throw wrapped(404, `Organization not found for organization_id=${orgId}`);
      const users: Row[] = [];
      const memberships: Row[] = [];
      for (const mem of members) {
        const user = await memberUser(tx, mem);
        const budgetId = maxBudget === undefined ? null : String((await createBudget(tx, s, { max_budget: maxBudget }, actor(m))).budget_id);
        const rows = await tx.unsafe<Array<{ r: Row }>>(
          `INSERT INTO "${OM}" AS t (user_id, organization_id, user_role, budget_id, updated_at) VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (user_id, organization_id) DO NOTHING RETURNING row_to_json(t.*) AS r`,
          [String(user.user_id), orgId, mem.role, budgetId],
        );
        if (!rows[0]) throw wrapped(400, `User ${String(user.user_id)} is already a member of organization=${orgId}`);
        users.push(withoutPassword(user));
        memberships.push(rows[0].r);
      }
      return { organization_id: orgId, updated_users: users, updated_organization_memberships: memberships };
    }),
  );
}

/** `find_member_if_email`: the one user with this email. */
async function userIdForEmail(x: Exec, email: string): Promise<string> {
  const rows = await selectRows(x, U, { user_email: email }, "LIMIT 2");
  if (rows.length !== 1) {
    throw httpError(400, `Unique user not found for user_email=${email}. Potential duplicate OR non-existent user_email in LiteLLM_UserTable. Use 'user_id' instead.`);
  }
  return String(rows[0]!.user_id);
}

async function memberUpdate(m: Mgmt): Promise<Row> {
  const orgId = str(m.body.organization_id);
  await requireOrgAdmin(m, orgId);
  if (!orgId) throw invalid("organization_id", "Field required");
  const role = m.body.role;
  if (role !== undefined && role !== null && !ORG_ROLES.has(String(role))) throw invalid("role", `Input should be 'org_admin', 'internal_user' or 'internal_user_viewer'`);
  const maxBudget = num(m.body.max_budget_in_organization);
  const s = m.dbs.db.schema;
  return m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if (!(await selectRows(tx, O, { organization_id: orgId })).length) throw httpError(400, `Organization not found for organization_id=${orgId}`);
      const userId = str(m.body.user_id) ?? (str(m.body.user_email) ? await userIdForEmail(tx, String(m.body.user_email)) : undefined);
      if (!userId) throw invalid("user_id", "Either user_id or user_email must be provided");
      const [current] = await selectRows(tx, OM, { user_id: userId, organization_id: orgId });
      if (!current) throw httpError(404, `Member not found in organization for user_id=${userId}`);
      const cols: Row = { updated_at: new Date().toISOString() };
      if (role !== undefined && role !== null) cols.user_role = role;
      if (maxBudget !== undefined) {
        const existing = str(current.budget_id);
        if (existing) await updateRows(tx, s, B, { max_budget: maxBudget, updated_at: new Date().toISOString(), updated_by: actor(m) }, { budget_id: existing });
        else cols.budget_id = (await createBudget(tx, s, { max_budget: maxBudget }, actor(m))).budget_id;
      }
      const [row] = await updateRows(tx, s, OM, cols, { user_id: userId, organization_id: orgId });
      const [budget] = str(row!.budget_id) ? await selectRows(tx, B, { budget_id: String(row!.budget_id) }) : [];
      const out: Row = { ...row, litellm_budget_table: budget ?? null };
      for (const k of Object.keys(out)) if (out[k] === null) delete out[k];
      return out;
    }),
  );
}

/** Deletes one membership; like LiteLLM, a user who is not a member answers `null`. */
async function memberDelete(m: Mgmt): Promise<Row | null> {
  const orgId = str(m.body.organization_id);
  await requireOrgAdmin(m, orgId);
  if (!orgId) throw invalid("organization_id", "Field required");
  const userId = str(m.body.user_id) ?? (str(m.body.user_email) ? await m.dbs.db.run((sql) => userIdForEmail(sql, String(m.body.user_email))) : undefined);
  if (!userId) throw invalid("user_id", "Either user_id or user_email must be provided");
  const rows = await m.dbs.db.run((sql) =>
    sql.unsafe<Array<{ r: Row }>>(`DELETE FROM "${OM}" t WHERE user_id = $1 AND organization_id = $2 RETURNING row_to_json(t.*) AS r`, [userId, orgId]),
  );
  return rows[0]?.r ?? null;
}

export function registerOrganizationRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  const own = { selfManaged: true };
  route(app, rt, dbs, "post", "/organization/new", newOrganization, own);
  route(app, rt, dbs, "get", "/organization/list", listOrganizations);
  route(app, rt, dbs, "get", "/organization/info", organizationInfo, own);
  route(app, rt, dbs, "post", "/organization/info", organizationInfoList, own);
  route(app, rt, dbs, "patch", "/organization/update", updateOrganization);
  route(app, rt, dbs, "delete", "/organization/delete", deleteOrganizations, own);
  route(app, rt, dbs, "post", "/organization/member_add", memberAdd, own);
  route(app, rt, dbs, "patch", "/organization/member_update", memberUpdate, own);
  route(app, rt, dbs, "delete", "/organization/member_delete", memberDelete, own);
}
