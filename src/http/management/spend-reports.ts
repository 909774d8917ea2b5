import type { Hono } from "hono";
import { hashToken } from "../../auth/hash.ts";
import { teamScope } from "../../auth/model-access.ts";
import { num, obj, str, strs, type Row } from "../../auth/key-record.ts";
import type { ModelEntry } from "../../config/schema.ts";
import type { DbServices } from "../../db/services.ts";
import { GatewayError } from "../../errors.ts";
import { emptyUsage, usageFromBody } from "../../gateway/usage.ts";
import { buildDeployments, type Deployment } from "../../router/deployment.ts";
import { upstreamModelFor } from "../../router/model-groups.ts";
import type { Runtime } from "../../runtime.ts";
import { costOf, unitPrices } from "../../spend/cost.ts";
import { dailyActivity, dateRange, intParam } from "./daily-activity.ts";
import { hasAdminView, httpError, refuse, route, type Mgmt } from "./context.ts";

const S = "LiteLLM_SpendLogs";
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const isInternalUser = (m: Mgmt) => m.auth.role === "internal_user" || m.auth.role === "internal_user_viewer";

/**
 * LiteLLM's `global_spend_tracking_routes`: admins and admin viewers, or a key minted with the
 * `get_spend_routes` permission (internal users then see their own keys and models).
 */
async function requireGlobalSpendAccess(m: Mgmt): Promise<void> {
  if (hasAdminView(m.auth)) return;
  const token = m.auth.apiKeyHash;
  const [row] = token
    ? await m.dbs.db.run((sql) => sql.unsafe<Array<{ permissions: unknown }>>(`SELECT permissions FROM "LiteLLM_VerificationToken" WHERE token = $1`, [token]))
    : [];
  if (obj(row?.permissions).get_spend_routes !== undefined && obj(row?.permissions).get_spend_routes !== false) return;
  refuse(m);
}

const rows = (m: Mgmt, query: string, params: unknown[]) => m.dbs.db.run((sql) => sql.unsafe<Row[]>(query, params as string[]));

/** `/global/spend/keys`: the keys with the most spend over the last 30 days (`Last30dKeysBySpend`). */
async function spendPerKey(m: Mgmt): Promise<Row[]> {
  await requireGlobalSpendAccess(m);
  if (!hasAdminView(m.auth) && isInternalUser(m)) {
    return rows(
      m,
      `WITH top AS (SELECT api_key, SUM(spend) AS total_spend FROM "${S}" WHERE "user" = $1 GROUP BY api_key ORDER BY total_spend DESC LIMIT 10)
       SELECT t.api_key, t.total_spend, v.key_alias, v.key_name FROM top t LEFT JOIN "LiteLLM_VerificationToken" v ON t.api_key = v.token ORDER BY t.total_spend DESC`,
      [m.auth.userId ?? ""],
    );
  }
  const raw = m.query("limit");
  let limit = "";
  if (raw !== undefined) {
    if (!/^-?\d+$/.test(raw)) throw new GatewayError(422, "limit: Input should be a valid integer", { type: "bad_request_error", param: "limit" });
    if (Number(raw) < 1) throw httpError(422, `Invalid limit: ${raw}, error: Limit must be greater than 0`);
    limit = `LIMIT ${Number(raw)}`;
  }
  return rows(
    m,
    `SELECT l.api_key, v.key_alias, v.key_name, SUM(l.spend) AS total_spend FROM "${S}" l LEFT JOIN "LiteLLM_VerificationToken" v ON l.api_key = v.token
     WHERE l."startTime" >= (CURRENT_DATE - INTERVAL '30 days') GROUP BY l.api_key, v.key_alias, v.key_name ORDER BY total_spend DESC ${limit}`,
    [],
  );
}

/** `/global/spend/models`: the models with the most spend over the last 30 days (`Last30dModelsBySpend`). */
async function spendPerModel(m: Mgmt): Promise<Row[]> {
  await requireGlobalSpendAccess(m);
  const limit = intParam(m, "limit", 10);
  if (!hasAdminView(m.auth) && isInternalUser(m)) {
    return rows(
      m,
      `SELECT model, SUM(spend) AS total_spend, SUM(total_tokens)::float8 AS total_tokens FROM "${S}" WHERE "user" = $1 GROUP BY model ORDER BY total_spend DESC LIMIT $2`,
      [m.auth.userId ?? "", limit],
    );
  }
  return rows(
    m,
    `SELECT model, SUM(spend) AS total_spend FROM "${S}" WHERE "startTime" >= (CURRENT_DATE - INTERVAL '30 days') AND model != '' GROUP BY model ORDER BY total_spend DESC LIMIT $1`,
    [limit],
  );
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** `/global/spend/teams`: daily spend per team alias from `LiteLLM_DailyTeamSpend`, for the admin UI's chart. */
async function spendPerTeam(m: Mgmt): Promise<Row> {
  await requireGlobalSpendAccess(m);
  const start = m.query("start_date");
  const end = m.query("end_date");
  const limit = intParam(m, "limit", 100);
  const offset = Number(m.query("offset") ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw new GatewayError(422, "offset: Input should be a valid integer", { type: "bad_request_error", param: "offset" });
  const params: unknown[] = [];
  let range = `dts.date >= to_char(CURRENT_DATE - INTERVAL '30 days', 'YYYY-MM-DD')`;
  if (start && end) {
    if (!DATE.test(start) || !DATE.test(end)) throw httpError(400, "start_date and end_date must be dates as YYYY-MM-DD");
    range = `dts.date >= $${params.push(start)} AND dts.date <= $${params.push(end)}`;
  }
  const found = await rows(
    m,
    `SELECT COALESCE(t.team_alias, 'Unassigned') AS team_alias, dts.date AS spend_date, SUM(dts.spend) AS total_spend
     FROM "LiteLLM_DailyTeamSpend" dts LEFT JOIN "LiteLLM_TeamTable" t ON dts.team_id = t.team_id
     WHERE ${range} GROUP BY COALESCE(t.team_alias, 'Unassigned'), dts.date ORDER BY spend_date DESC LIMIT ${limit} OFFSET ${offset}`,
    params,
  );
  const byDate = new Map<string, Row>();
  const perTeam = new Map<string, number>();
  for (const r of found) {
    const alias = String(r.team_alias);
    const spend = round2(num(r.total_spend) ?? 0);
    const date = String(r.spend_date);
    byDate.set(date, { ...(byDate.get(date) ?? { date }), [alias]: spend });
    perTeam.set(alias, (perTeam.get(alias) ?? 0) + spend);
  }
  const top = [...perTeam].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return {
    daily_spend: [...byDate.values()],
    teams: [...perTeam.keys()],
    total_spend_per_team: top.map(([team_id, total_spend]) => ({ team_id, total_spend })),
  };
}

function timeParam(body: Row, field: string, fallback: Date): Date {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  const d = typeof v === "string" || typeof v === "number" ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new GatewayError(422, `${field}: Input should be a valid datetime`, { type: "bad_request_error", param: field });
  return d;
}

/** `POST /global/spend/end_users`: the 100 end users with the most spend in a window (default: the last 30 days). */
async function spendPerEndUser(m: Mgmt): Promise<Row[]> {
  await requireGlobalSpendAccess(m);
  const now = new Date();
  const from = timeParam(m.body, "startTime", new Date(now.getTime() - 30 * 86400e3));
  const to = timeParam(m.body, "endTime", now);
  const key = str(m.body.api_key);
  return rows(
    m,
    `SELECT end_user, COUNT(*)::int AS total_count, SUM(spend) AS total_spend FROM "${S}"
     WHERE "startTime" >= $1::timestamptz AT TIME ZONE 'UTC' AND "startTime" < $2::timestamptz AT TIME ZONE 'UTC' AND ($3::text IS NULL OR api_key = $3)
     GROUP BY end_user ORDER BY total_spend DESC LIMIT 100`,
    [from.toISOString(), to.toISOString(), key?.startsWith("sk-") ? hashToken(key) : (key ?? null)],
  );
}

/** LiteLLM raises these through `ProxyException(type=getattr(e, "type", "None"))`. */
const calcError = (message: string) => new GatewayError(400, message, { type: "None", param: "None" });

/** A model the router does not serve is priced from the embedded price table, as `completion_cost` does. */
function pricedModel(m: Mgmt, model: string): { d: Deployment; upstream: string } {
  const resolved = m.rt.router.resolve(model, teamScope(m.auth));
  if (resolved) {
    const d = resolved.deployments[0]!;
    return { d, upstream: upstreamModelFor(d, resolved) };
  }
  const [d] = buildDeployments([{ model_name: model, litellm_params: { model } } as ModelEntry], m.rt.config.env).deployments;
  if (!d || !unitPrices(d, d.upstreamModel).known) {
    throw calcError(`This model isn't mapped yet. model=${model}, custom_llm_provider=${d?.providerName ?? "None"}. Add it to the price table or set input_cost_per_token/output_cost_per_token.`);
  }
  return { d, upstream: d.upstreamModel };
}

/** `/spend/calculate`: the cost of `messages` for `model` (prompt tokens estimated as LiteLLM's counter would, ~4 chars a token), or of a finished `completion_response`. */
async function calculateSpend(m: Mgmt): Promise<Row> {
  const model = str(m.body.model);
  if (model) {
    if (!Array.isArray(m.body.messages)) throw calcError("Bad Request - messages must be provided if 'model' is provided");
    const { d, upstream } = pricedModel(m, model);
    const text = m.body.messages.map((x) => (typeof obj(x).content === "string" ? String(obj(x).content) : JSON.stringify(obj(x).content ?? ""))).join("");
    const promptTokens = Math.max(1, Math.ceil(text.length / 4)) + 3 * m.body.messages.length + 3;
    return { cost: costOf(d, upstream, { ...emptyUsage(), promptTokens, totalTokens: promptTokens }) };
  }
  const response = obj(m.body.completion_response);
  if (Object.keys(response).length) {
    const responseModel = str(response.model);
    if (!responseModel) throw calcError("Bad Request - completion_response.model is required");
    const { d, upstream } = pricedModel(m, responseModel);
    return { cost: costOf(d, upstream, usageFromBody(response) ?? emptyUsage()) };
  }
  throw calcError("Bad Request - Either 'model' or 'completion_response' must be provided");
}

const commaList = (v: string | undefined) => (v ? v.split(",").filter(Boolean) : undefined);

/** `/user/daily/activity`: admins see every user (or `user_id`), others only themselves. */
function userActivity(aggregated: boolean) {
  return async (m: Mgmt): Promise<Row> => {
    const { start, end } = dateRange(m);
    const page = aggregated ? undefined : { page: intParam(m, "page", 1), size: intParam(m, "page_size", 50, 1000) };
    const entityIds = hasAdminView(m.auth) ? commaList(m.query("user_id")) : [m.auth.userId ?? ""];
    return m.dbs.db.run((sql) =>
      dailyActivity(sql, { table: "LiteLLM_DailyUserSpend", entityField: "user_id", entityIds, start, end, model: m.query("model"), apiKey: m.query("api_key"), page }),
    );
  };
}

/** Daily activity of teams or organizations, their aliases as entity metadata. */
async function entityActivity(
  m: Mgmt,
  q: { table: string; field: string; aliasTable: string; alias: string; ids?: string[]; exclude?: string; page?: { page: number; size: number } },
): Promise<Row> {
  const { start, end } = dateRange(m);
  const names = await rows(m, `SELECT ${q.field} AS id, ${q.alias} AS alias FROM "${q.aliasTable}"${q.ids ? ` WHERE ${q.field} = ANY($1::text[])` : ""}`, q.ids ? [q.ids] : []);
  return m.dbs.db.run((sql) =>
    dailyActivity(sql, {
      table: q.table,
      entityField: q.field,
      entityIds: q.ids,
      excludeIds: commaList(q.exclude),
      entityMetadata: new Map(names.map((n) => [String(n.id), { [q.alias]: n.alias } as Row])),
      start,
      end,
      model: m.query("model"),
      apiKey: m.query("api_key"),
      page: q.page,
    }),
  );
}

/** `/team/daily/activity`: admins see every team (or `team_ids`); others only teams they belong to. */
function teamActivity(aggregated: boolean) {
  return async (m: Mgmt): Promise<Row> => {
    dateRange(m);
    const page = aggregated ? undefined : { page: intParam(m, "page", 1), size: intParam(m, "page_size", 10) };
    let ids = commaList(m.query("team_ids"));
    if (!hasAdminView(m.auth)) {
      const [user] = await rows(m, `SELECT teams FROM "LiteLLM_UserTable" WHERE user_id = $1`, [m.auth.userId ?? ""]);
      if (!user) throw httpError(404, `User= ${m.auth.userId} not found`);
      const mine = strs(user.teams);
      const foreign = ids?.find((t) => !mine.includes(t));
      if (foreign) throw httpError(404, `User does not belong to Team= ${foreign}. Call \`/user/info\` to see user's teams`);
      ids ??= mine;
    }
    return entityActivity(m, { table: "LiteLLM_DailyTeamSpend", field: "team_id", aliasTable: "LiteLLM_TeamTable", alias: "team_alias", ids, exclude: m.query("exclude_team_ids"), page });
  };
}

/** `/organization/daily/activity`: admins see every organization (or `organization_ids`); others only those they are `org_admin` of. */
async function organizationActivity(m: Mgmt): Promise<Row> {
  dateRange(m);
  const page = { page: intParam(m, "page", 1), size: intParam(m, "page_size", 10) };
  let ids = commaList(m.query("organization_ids"));
  if (!hasAdminView(m.auth)) {
    const admin = await rows(m, `SELECT organization_id FROM "LiteLLM_OrganizationMembership" WHERE user_id = $1 AND user_role = 'org_admin'`, [m.auth.userId ?? ""]);
    const mine = admin.map((r) => String(r.organization_id));
    const foreign = ids?.find((o) => !mine.includes(o));
    if (foreign) throw httpError(403, `User is not org_admin for Organization= ${foreign}.`);
    ids ??= mine;
  }
  return entityActivity(m, {
    table: "LiteLLM_DailyOrganizationSpend",
    field: "organization_id",
    aliasTable: "LiteLLM_OrganizationTable",
    alias: "organization_alias",
    ids,
    exclude: m.query("exclude_organization_ids"),
    page,
  });
}

export function registerSpendReportRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  const own = { selfManaged: true };
  route(app, rt, dbs, "get", "/global/spend/keys", spendPerKey, own);
  route(app, rt, dbs, "get", "/global/spend/models", spendPerModel, own);
  route(app, rt, dbs, "get", "/global/spend/teams", spendPerTeam, own);
  route(app, rt, dbs, "post", "/global/spend/end_users", spendPerEndUser, own);
  route(app, rt, dbs, "post", "/spend/calculate", calculateSpend);
  route(app, rt, dbs, "get", "/user/daily/activity", userActivity(false), own);
  route(app, rt, dbs, "get", "/user/daily/activity/aggregated", userActivity(true), own);
  route(app, rt, dbs, "get", "/team/daily/activity", teamActivity(false), own);
  route(app, rt, dbs, "get", "/team/daily/activity/aggregated", teamActivity(true), own);
  route(app, rt, dbs, "get", "/organization/daily/activity", organizationActivity, own);
}
