import type { Hono } from "hono";
import type { TransactionSql } from "postgres";
import { str, type Row } from "../../auth/key-record.ts";
import { insertRow, selectRows, updateRows } from "../../db/rows.ts";
import type { DbServices } from "../../db/services.ts";
import type { Runtime } from "../../runtime.ts";
import { actor, budgetColumns, createBudget, hasBudgetFields } from "./budgets.ts";
import { badRequest, hasAdminView, httpError, invalidType, route, type Mgmt } from "./context.ts";

const T = "LiteLLM_TagTable";
const B = "LiteLLM_BudgetTable";
const DAILY = "LiteLLM_DailyTagSpend";
const DYNAMIC = "This is just a spend tag that was passed dynamically in a request. It does not control any LLM models.";
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Python's `datetime.isoformat()` of a UTC timestamp, as LiteLLM prints a tag's times. */
export function pyIsoformat(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = new Date(typeof v === "string" && !/(Z|[+-]\d\d:?\d\d)$/.test(v) ? `${v}Z` : String(v));
  if (Number.isNaN(d.getTime())) return String(v);
  const ms = d.getUTCMilliseconds();
  return `${d.toISOString().slice(0, 19)}${ms ? `.${String(ms * 1000).padStart(6, "0")}` : ""}+00:00`;
}

function requireTable(m: Mgmt): void {
  if (!m.dbs.db.schema.hasTable(T)) throw httpError(500, `${T} does not exist in this database (LiteLLM releases before tag management do not have it)`);
}

/** A required tag name. */
function tagName(body: Row, field = "name"): string {
  const v = body[field];
  if (v === undefined || v === null || v === "") throw badRequest(`${field} is required`, field);
  if (typeof v !== "string") throw invalidType(`${field}: Input should be a valid string`, field);
  return v;
}

function models(body: Row): string[] | undefined {
  const v = body.models;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw invalidType("models: Input should be a valid list of strings", "models");
  return v as string[];
}

function description(body: Row): string | null {
  const v = body.description;
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw invalidType("description: Input should be a valid string", "description");
  return v;
}

/** The names of the database models among `ids` (LiteLLM's `model_info`: model id → model name). */
async function modelNames(x: TransactionSql, m: Mgmt, ids: string[]): Promise<Record<string, string>> {
  if (!ids.length || !m.dbs.db.schema.hasTable("LiteLLM_ProxyModelTable")) return {};
  const rows = await x.unsafe<Array<{ model_id: string; model_name: string }>>(`SELECT model_id, model_name FROM "LiteLLM_ProxyModelTable" WHERE model_id = ANY($1::text[])`, [ids]);
  return Object.fromEntries(rows.map((r) => [r.model_id, r.model_name]));
}

/** LiteLLM writes `model_info` as JSON text into the jsonb column; this gateway writes an object. Both read the same. */
function modelInfoOf(v: unknown): unknown {
  if (typeof v !== "string") return v ?? {};
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return {};
  }
}

/** A stored tag as LiteLLM shows it (`TagConfig`), its spend beside it. */
function view(row: Row, budget?: Row | null): Row {
  const out: Row = {
    name: row.tag_name,
    description: row.description ?? null,
    models: row.models ?? null,
    model_info: modelInfoOf(row.model_info),
    created_at: pyIsoformat(row.created_at),
    updated_at: pyIsoformat(row.updated_at),
    created_by: row.created_by ?? null,
    spend: row.spend ?? 0,
  };
  if (budget) out.litellm_budget_table = budget;
  return out;
}

/** LiteLLM's `handle_budget_for_entity`: a given budget_id, a new budget from the budget fields, or the tag's budget updated. */
async function budgetFor(tx: TransactionSql, m: Mgmt, existing: string | undefined): Promise<string | null> {
  const given = str(m.body.budget_id);
  const s = m.dbs.db.schema;
  if (!existing) {
    if (given) return given;
    if (!hasBudgetFields(m.body)) return null;
    return String((await createBudget(tx, s, { ...m.body, budget_id: undefined }, actor(m))).budget_id);
  }
  if (hasBudgetFields(m.body)) await updateRows(tx, s, B, { ...budgetColumns(m.body), updated_at: new Date().toISOString(), updated_by: actor(m) }, { budget_id: existing });
  return given ?? existing;
}

async function newTag(m: Mgmt): Promise<Row> {
  requireTable(m);
  const name = tagName(m.body);
  const wanted = models(m.body) ?? [];
  const desc = description(m.body);
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if ((await selectRows(tx, T, { tag_name: name })).length) throw httpError(400, `Tag ${name} already exists`, "name");
      const budgetId = await budgetFor(tx, m, undefined);
      const info = await modelNames(tx, m, wanted);
      return insertRow(tx, m.dbs.db.schema, T, { tag_name: name, description: desc, models: wanted, model_info: info, spend: 0, budget_id: budgetId, created_by: actor(m) });
    }),
  );
  m.dbs.invalidate({ kind: "tag", id: name });
  return { message: `Tag ${name} created successfully`, tag: { ...view(row), spend: null } };
}

async function updateTag(m: Mgmt): Promise<Row> {
  requireTable(m);
  const name = tagName(m.body);
  const wanted = models(m.body) ?? [];
  const desc = description(m.body);
  const spend = m.body.spend;
  if (spend !== undefined && spend !== null && (typeof spend !== "number" || !Number.isFinite(spend))) throw invalidType("spend: Input should be a valid number", "spend");
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const [current] = await selectRows(tx, T, { tag_name: name }, "FOR UPDATE");
      if (!current) throw httpError(404, `Tag ${name} not found`, "name");
      const budgetId = await budgetFor(tx, m, str(current.budget_id));
      const info = await modelNames(tx, m, wanted);
      const cols: Row = { description: desc, models: wanted, model_info: info, updated_at: new Date().toISOString() };
      if (budgetId !== (str(current.budget_id) ?? null)) cols.budget_id = budgetId;
      if (typeof spend === "number") cols.spend = spend;
      return (await updateRows(tx, m.dbs.db.schema, T, cols, { tag_name: name }))[0]!;
    }),
  );
  m.dbs.invalidate({ kind: "tag", id: name });
  return { message: `Tag ${name} updated successfully`, tag: { ...view(row), spend: null } };
}

/** Tags with their budget rows (`litellm_budget_table`), those named or all. */
async function withBudgets(m: Mgmt, names?: string[]): Promise<Array<{ tag: Row; budget: Row | null }>> {
  const where = names ? `WHERE t.tag_name = ANY($1::text[])` : "";
  const rows = await m.dbs.db.run((sql) =>
    sql.unsafe<Array<{ t: Row; b: Row | null }>>(
      `SELECT row_to_json(t.*) AS t, row_to_json(b.*) AS b FROM "${T}" t LEFT JOIN "${B}" b ON b.budget_id = t.budget_id ${where} ORDER BY t.created_at, t.tag_name`,
      names ? [names] : [],
    ),
  );
  return rows.map((r) => ({ tag: r.t, budget: r.b }));
}

async function tagInfo(m: Mgmt): Promise<Row> {
  requireTable(m);
  const names = m.body.names;
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) throw invalidType("names: Input should be a valid list of tag names", "names");
  const found = await withBudgets(m, names as string[]);
  const have = new Set(found.map((f) => String(f.tag.tag_name)));
  const missing = (names as string[]).filter((n) => !have.has(n));
  if (missing.length) throw httpError(404, `Tags not found: [${missing.map((n) => `'${n.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`).join(", ")}]`, "names");
  return Object.fromEntries(found.map((f) => [f.tag.tag_name, view(f.tag, f.budget)]));
}

/** The keys whose tag spend an internal user sees in `/tag/list`: the calling key and every key of its user (LiteLLM's `_get_internal_user_api_keys`). */
async function ownKeys(m: Mgmt): Promise<string[]> {
  const keys = new Set<string>();
  if (m.auth.apiKeyHash) keys.add(m.auth.apiKeyHash);
  if (m.auth.userId) {
    const rows = await m.dbs.db.run((sql) => sql.unsafe<Array<{ token: string }>>(`SELECT token FROM "LiteLLM_VerificationToken" WHERE user_id = $1`, [m.auth.userId!]));
    for (const r of rows) keys.add(r.token);
  }
  return [...keys];
}

function listRange(m: Mgmt): { start: string; end: string } | undefined {
  const start = m.query("start_date");
  const end = m.query("end_date");
  if ((start === undefined) !== (end === undefined)) throw httpError(400, "start_date and end_date must be provided together");
  if (start === undefined || end === undefined) return undefined;
  for (const d of [start, end]) {
    if (!DATE.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)) || new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d) {
      throw httpError(400, `Invalid date format, expected YYYY-MM-DD: time data '${d}' does not match format '%Y-%m-%d'`);
    }
  }
  if (start > end) throw httpError(400, "start_date must be on or before end_date");
  return { start, end };
}

/**
 * `/tag/list`: stored tags (with their budgets) and the tags calls carried without a stored row
 * (from the daily tag spend). Internal users see only tags their own keys' calls carried.
 */
async function listTags(m: Mgmt): Promise<Row[]> {
  requireTable(m);
  const range = listRange(m);
  const scoped = !hasAdminView(m.auth) && (m.auth.role === "internal_user" || m.auth.role === "internal_user_viewer");
  const params: unknown[] = [];
  const cond = [`tag IS NOT NULL`];
  if (scoped) {
    params.push(await ownKeys(m));
    cond.push(`api_key = ANY($${params.length}::text[])`);
  }
  if (range) {
    params.push(range.start, range.end);
    cond.push(`date >= $${params.length - 1} AND date <= $${params.length}`);
  }
  const dynamic = m.dbs.db.schema.hasTable(DAILY)
    ? await m.dbs.db.run((sql) =>
        sql.unsafe<Array<{ tag: string; created_at: string; updated_at: string }>>(
          `SELECT tag, MIN(created_at) AS created_at, MAX(updated_at) AS updated_at FROM "${DAILY}" WHERE ${cond.join(" AND ")} GROUP BY tag ORDER BY tag`,
          params as string[],
        ),
      )
    : [];
  const used = dynamic.map((d) => d.tag);
  if (scoped && !used.length) return [];
  const stored = await withBudgets(m, scoped ? used : undefined);
  const names = new Set(stored.map((s) => String(s.tag.tag_name)));
  return [
    ...stored.map((s) => view(s.tag, s.budget)),
    ...dynamic.filter((d) => !names.has(d.tag)).map((d) => ({ name: d.tag, description: DYNAMIC, models: null, created_at: pyIsoformat(d.created_at), updated_at: pyIsoformat(d.updated_at) })),
  ];
}

async function deleteTag(m: Mgmt): Promise<Row> {
  requireTable(m);
  const name = tagName(m.body);
  const rows = await m.dbs.db.run((sql) => sql.unsafe(`DELETE FROM "${T}" WHERE tag_name = $1 RETURNING tag_name`, [name]));
  if (!rows.length) throw httpError(404, `Tag ${name} not found`, "name");
  m.dbs.invalidate({ kind: "tag", id: name });
  return { message: `Tag ${name} deleted successfully` };
}

/** LiteLLM's tag management (`tag_management_endpoints.py`): writes for proxy admins, reads for admin views, `/tag/list` scoped for internal users. */
export function registerTagRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  route(app, rt, dbs, "post", "/tag/new", newTag, { admin: true });
  route(app, rt, dbs, "post", "/tag/update", updateTag, { admin: true });
  route(app, rt, dbs, "post", "/tag/delete", deleteTag, { admin: true });
  route(app, rt, dbs, "post", "/tag/info", tagInfo, { admin: true });
  route(app, rt, dbs, "get", "/tag/list", listTags);
}
