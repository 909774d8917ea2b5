import type { Hono } from "hono";
import { hashToken } from "../../auth/hash.ts";
import { num, obj, type Row } from "../../auth/key-record.ts";
import type { DbServices } from "../../db/services.ts";
import { GatewayError } from "../../errors.ts";
import type { Runtime } from "../../runtime.ts";
import { isAdmin, route, type Mgmt } from "./context.ts";
import { registerSpendReportRoutes } from "./spend-reports.ts";

const S = "LiteLLM_SpendLogs";
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const spendError = (message: string) => new GatewayError(400, message, { type: "internal_error" });

async function logs(m: Mgmt, where: string, params: unknown[], order = `ORDER BY "startTime" DESC`): Promise<Row[]> {
  const rows = await m.dbs.db.run((sql) => sql.unsafe<Array<{ r: Row }>>(`SELECT row_to_json(t.*) AS r FROM "${S}" t ${where} ${order}`, params as string[]));
  return rows.map((r) => r.r);
}

const dayOf = (r: Row) => String(r.startTime).slice(0, 10);

/** `/spend/logs`: by request, key, user, or date range (summarized per day unless `summarize=false`). */
async function spendLogs(m: Mgmt): Promise<Row[]> {
  const apiKey = m.query("api_key");
  const requestId = m.query("request_id");
  const start = m.query("start_date");
  const end = m.query("end_date");
  const userId = isAdmin(m.auth) ? m.query("user_id") : (m.auth.userId ?? "\u0000");
  const conds: string[] = [];
  const params: unknown[] = [];
  const add = (sqlText: string, v: unknown) => {
    params.push(v);
    conds.push(sqlText.replace("?", `$${params.length}`));
  };
  if (requestId) add("request_id = ?", requestId);
  if (apiKey) add("api_key = ?", apiKey.startsWith("sk-") ? hashToken(apiKey) : apiKey);
  if (userId) add(`"user" = ?`, userId);
  if (start || end) {
    if (!start || !end || !DATE.test(start) || !DATE.test(end)) throw spendError("start_date and end_date must both be given as YYYY-MM-DD");
    add(`"startTime" >= ?::timestamp`, `${start}T00:00:00`);
    add(`"startTime" < (?::date + 1)::timestamp`, end);
  }
  const where = conds.length ? `WHERE ${conds.join(" AND ")}` : "";
  const rows = await logs(m, where, params);
  if (!(start && end) || m.query("summarize") === "false") return rows;
  const days = new Map<string, Row>();
  for (let d = new Date(`${start}T00:00:00Z`); d <= new Date(`${end}T00:00:00Z`); d = new Date(d.getTime() + 86400e3)) {
    const day = d.toISOString().slice(0, 10);
    days.set(day, { startTime: day, spend: 0, users: {}, models: {} });
  }
  for (const r of rows) {
    const day = days.get(dayOf(r));
    if (!day) continue;
    const spend = num(r.spend) ?? 0;
    day.spend = (num(day.spend) ?? 0) + spend;
    const key = String(r.api_key);
    day[key] = (num(day[key]) ?? 0) + spend;
    const users = obj(day.users);
    const models = obj(day.models);
    if (r.user) users[String(r.user)] = (num(users[String(r.user)]) ?? 0) + spend;
    models[String(r.model)] = (num(models[String(r.model)]) ?? 0) + spend;
  }
  return [...days.values()];
}

interface Group {
  name: string;
  total_spend: number;
  models: Map<string, { spend: number; total_tokens: number }>;
}

/** `/global/spend/report`: spend per day, grouped by team (default), customer or api_key. */
async function spendReport(m: Mgmt): Promise<Row[]> {
  const start = m.query("start_date");
  const end = m.query("end_date");
  if (!start || !end || !DATE.test(start) || !DATE.test(end)) throw spendError("start_date and end_date are required as YYYY-MM-DD");
  const by = m.query("group_by") ?? "team";
  const column = by === "customer" ? "end_user" : by === "api_key" ? "api_key" : "team_id";
  const rows = await logs(m, `WHERE "startTime" >= $1::timestamp AND "startTime" < ($2::date + 1)::timestamp`, [`${start}T00:00:00`, end], `ORDER BY "startTime"`);
  const days = new Map<string, Map<string, Group>>();
  for (const r of rows) {
    const day = dayOf(r);
    const name = String(r[column] ?? "Unassigned");
    let groups = days.get(day);
    if (!groups) days.set(day, (groups = new Map()));
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, total_spend: 0, models: new Map() }));
    const spend = num(r.spend) ?? 0;
    g.total_spend += spend;
    const mm = g.models.get(String(r.model)) ?? { spend: 0, total_tokens: 0 };
    mm.spend += spend;
    mm.total_tokens += num(r.total_tokens) ?? 0;
    g.models.set(String(r.model), mm);
  }
  const label = by === "customer" ? "customers" : by === "api_key" ? "api_keys" : "teams";
  const nameField = by === "customer" ? "customer" : by === "api_key" ? "api_key" : "team_name";
  return [...days].map(([day, groups]) => ({
    group_by_day: day,
    [label]: [...groups.values()].map((g) => ({
      [nameField]: g.name,
      total_spend: g.total_spend,
      metadata: [...g.models].map(([model, v]) => ({ model, spend: v.spend, total_tokens: v.total_tokens })),
    })),
  }));
}

export function registerSpendRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  route(app, rt, dbs, "get", "/spend/logs", spendLogs);
  route(app, rt, dbs, "get", "/global/spend/report", spendReport, { admin: true });
  registerSpendReportRoutes(app, rt, dbs);
}
