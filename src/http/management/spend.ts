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
/** Zero-spend days appended after the last day with spend, at most (LiteLLM fills up to `end_date`). */
const MAX_FILL_DAYS = 1000;

/** A real calendar day as `YYYY-MM-DD` (so `2024-02-31` is refused before Postgres sees it). */
function isDay(s: string | undefined): s is string {
  const t = s && DATE.test(s) ? Date.parse(`${s}T00:00:00Z`) : NaN;
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(s!);
}

const spendError = (message: string) => new GatewayError(400, message, { type: "internal_error" });

async function logs(m: Mgmt, where: string, params: unknown[], order = `ORDER BY "startTime" DESC`): Promise<Row[]> {
  const rows = await m.dbs.db.run((sql) => sql.unsafe<Array<{ r: Row }>>(`SELECT row_to_json(t.*) AS r FROM "${S}" t ${where} ${order}`, params as string[]));
  return rows.map((r) => r.r);
}

const dayOf = (r: Row) => String(r.startTime).slice(0, 10);

/** `/spend/logs/session/ui`: one session's calls, oldest first (the caller's own unless admin). */
async function sessionLogs(m: Mgmt): Promise<Row[]> {
  const sessionId = m.query("session_id");
  if (!sessionId) throw spendError("session_id is required");
  if (isAdmin(m.auth)) return logs(m, "WHERE session_id = $1", [sessionId], `ORDER BY "startTime"`);
  return logs(m, `WHERE session_id = $1 AND "user" = $2`, [sessionId, m.auth.userId ?? "\u0000"], `ORDER BY "startTime"`);
}

/** `/spend/logs`: by request, session, key, user, or date range (summarized per day unless `summarize=false`). */
async function spendLogs(m: Mgmt): Promise<Row[]> {
  const apiKey = m.query("api_key");
  const requestId = m.query("request_id");
  const sessionId = m.query("session_id");
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
  if (sessionId) add("session_id = ?", sessionId);
  if (apiKey) add("api_key = ?", apiKey.startsWith("sk-") ? hashToken(apiKey) : apiKey);
  if (userId) add(`"user" = ?`, userId);
  if (start || end) {
    if (!isDay(start) || !isDay(end)) throw spendError("start_date and end_date must both be given as YYYY-MM-DD");
    add(`"startTime" >= ?::timestamp`, `${start}T00:00:00`);
    add(`"startTime" < (?::date + 1)::timestamp`, end);
  }
  const where = conds.length ? `WHERE ${conds.join(" AND ")}` : "";
  const rows = await logs(m, where, params);
  if (!(start && end) || m.query("summarize") === "false") return rows;
  const days = new Map<string, Row>();
  for (const r of rows) {
    let day = days.get(dayOf(r));
    if (!day) days.set(dayOf(r), (day = { startTime: dayOf(r), spend: 0, users: {}, models: {} }));
    const spend = num(r.spend) ?? 0;
    day.spend = (num(day.spend) ?? 0) + spend;
    const key = String(r.api_key);
    day[key] = (num(day[key]) ?? 0) + spend;
    const users = obj(day.users);
    const models = obj(day.models);
    if (r.user) users[String(r.user)] = (num(users[String(r.user)]) ?? 0) + spend;
    models[String(r.model)] = (num(models[String(r.model)]) ?? 0) + spend;
  }
  const out = [...days.values()].sort((a, b) => String(a.startTime).localeCompare(String(b.startTime)));
  const last = out.at(-1)?.startTime;
  if (last) {
    const until = Math.min(Date.parse(`${end}T00:00:00Z`), Date.parse(`${last}T00:00:00Z`) + MAX_FILL_DAYS * 86400e3);
    for (let t = Date.parse(`${last}T00:00:00Z`) + 86400e3; t <= until; t += 86400e3) out.push({ startTime: new Date(t).toISOString().slice(0, 10), spend: 0, users: {}, models: {} });
  }
  return out;
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
  if (!isDay(start) || !isDay(end)) throw spendError("start_date and end_date are required as YYYY-MM-DD");
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
  route(app, rt, dbs, "get", "/spend/logs/session/ui", sessionLogs);
  route(app, rt, dbs, "get", "/global/spend/report", spendReport, { admin: true });
  registerSpendReportRoutes(app, rt, dbs);
}
