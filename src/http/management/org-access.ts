import { num, obj, str, strs, type KeyRecord, type Row } from "../../auth/key-record.ts";
import { selectRows } from "../../db/rows.ts";
import { httpError, isAdmin, refuse, type Mgmt } from "./context.ts";
import { FIXED_METADATA } from "./key-limits.ts";
import { authHttpError, pyList } from "./litellm-errors.ts";

const OM = "LiteLLM_OrganizationMembership";

const adminOrgsOf = new WeakMap<Mgmt, Promise<Set<string>>>();

/**
 * The organizations the caller is `org_admin` of (LiteLLM's `organization_memberships` with role
 * `org_admin`), read once per call. A key without a user row administers none, as in LiteLLM.
 */
export function adminOrgs(m: Mgmt): Promise<Set<string>> {
  let p = adminOrgsOf.get(m);
  if (!p) {
    const userId = (m.auth.key as KeyRecord | undefined)?.user ? m.auth.userId : undefined;
    p =
      userId && m.dbs.db.schema.hasTable(OM)
        ? m.dbs.db
            .run((sql) => sql.unsafe<Array<{ organization_id: string }>>(`SELECT organization_id FROM "${OM}" WHERE user_id = $1 AND user_role = 'org_admin'`, [userId]))
            .then((rows) => new Set(rows.map((r) => r.organization_id)))
        : Promise.resolve(new Set());
    adminOrgsOf.set(m, p);
  }
  return p;
}

/** LiteLLM's `_is_user_org_admin_for_team`: the team belongs to an organization the caller administers. */
export async function isOrgAdminForTeam(m: Mgmt, team: Row): Promise<boolean> {
  const org = str(team.organization_id);
  return !!org && (await adminOrgs(m)).has(org);
}

/** A proxy admin, or else the org admin of `orgId`; anyone else gets LiteLLM's route-check refusal. */
export async function requireOrgAdminOf(m: Mgmt, orgId: string | undefined): Promise<void> {
  if (isAdmin(m.auth)) return;
  if (orgId && (await adminOrgs(m)).has(orgId)) return;
  refuse(m);
}

/** Team fields an org admin leaves to proxy admins: routing, guardrails, access groups, policies, aliases, spend. */
const ADMIN_TEAM_FIELDS = ["router_settings", "access_group_ids", "policies", "guardrails", "prompts", "model_aliases", "object_permission", "spend", "allowed_passthrough_routes"];

const denied = (message: string) => authHttpError(403, { error: message });

/**
 * What an org admin may write on a team of its organization (stricter than LiteLLM, which checks
 * only that the caller administers the organization): not the fields above or the metadata LiteLLM
 * acts on, and nothing beyond the organization — its models, its budget's `max_budget`,
 * `tpm_limit` and `rpm_limit` (LiteLLM's `validate_team_org_change` rules, here for every write).
 * `team` is the team as it will be.
 */
export async function checkOrgAdminTeamWrite(m: Mgmt, body: Row, team: Row, orgId: string): Promise<void> {
  if (isAdmin(m.auth)) return;
  for (const f of ADMIN_TEAM_FIELDS) if (body[f] !== undefined && body[f] !== null) throw denied(`Only a proxy admin can set ${f} on a team.`);
  const meta = obj(body.metadata);
  for (const f of FIXED_METADATA) if (meta[f] !== undefined) throw denied(`Only a proxy admin can set metadata.${f} on a team.`);
  const [org] = await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_OrganizationTable", { organization_id: orgId }));
  if (!org) throw httpError(404, `Organization not found, passed organization_id=${orgId}`);
  const [budget] = str(org.budget_id) ? await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_BudgetTable", { budget_id: String(org.budget_id) })) : [];
  const orgModels = strs(org.models);
  const teamModels = strs(team.models);
  const modelsSet = body.models !== undefined || body.organization_id !== undefined || team.team_id === undefined;
  if (modelsSet && orgModels.length && !orgModels.includes("all-proxy-models")) {
    if (!teamModels.length) throw denied(`Team has access to all proxy models, but organization=${orgId} does not.`);
    const outside = teamModels.filter((x) => !orgModels.includes(x));
    if (outside.length) throw denied(`Team models=${pyList(outside)} are not in the models of organization=${orgId} (${pyList(orgModels)}).`);
  }
  for (const f of ["max_budget", "tpm_limit", "rpm_limit"]) {
    const limit = num(budget?.[f]);
    if (limit === undefined) continue;
    const v = num(team[f]);
    if (v !== undefined && v > limit) throw denied(`Team has ${f} ${v} that is greater than the organization's ${f} ${limit}.`);
    if (body[f] === null) throw denied(`Team ${f} cannot be lifted: organization=${orgId} has ${f} ${limit}.`);
  }
}
