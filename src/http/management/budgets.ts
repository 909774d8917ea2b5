import type { Hono } from "hono";
import type { TransactionSql } from "postgres";
import { str, type Row } from "../../auth/key-record.ts";
import type { SchemaInfo } from "../../db/introspect.ts";
import { deleteIn, insertRow, selectIn, selectRows, updateRows } from "../../db/rows.ts";
import type { DbServices } from "../../db/services.ts";
import type { Runtime } from "../../runtime.ts";
import { nextResetAt } from "../../spend/duration.ts";
import { badRequest, httpError, list, need, route, type Mgmt } from "./context.ts";

const B = "LiteLLM_BudgetTable";
const E = "LiteLLM_EndUserTable";

const BUDGET_FIELDS = ["max_budget", "soft_budget", "max_parallel_requests", "tpm_limit", "rpm_limit", "budget_duration", "model_max_budget", "budget_reset_at"] as const;

export function budgetColumns(body: Row): Row {
  const out: Row = {};
  for (const f of BUDGET_FIELDS) if (body[f] !== undefined) out[f] = body[f];
  if (typeof body.budget_duration === "string" && body.budget_reset_at === undefined) out.budget_reset_at = nextResetAt(body.budget_duration)?.toISOString() ?? null;
  return out;
}

export const hasBudgetFields = (body: Row) => BUDGET_FIELDS.some((f) => body[f] !== undefined);

export async function createBudget(tx: TransactionSql, s: SchemaInfo, body: Row, by: string): Promise<Row> {
  return insertRow(tx, s, B, { ...budgetColumns(body), budget_id: str(body.budget_id) ?? crypto.randomUUID(), created_by: by, updated_by: by });
}

export const actor = (m: Mgmt) => m.auth.userId ?? "default_user_id";

async function withBudget(m: Mgmt, row: Row): Promise<Row> {
  const id = str(row.budget_id);
  const [budget] = id ? await m.dbs.db.run((sql) => selectRows(sql, B, { budget_id: id })) : [];
  return { ...row, litellm_budget_table: budget ?? null };
}

async function newBudget(m: Mgmt): Promise<Row> {
  return m.dbs.db.run((sql) => sql.begin((tx) => createBudget(tx, m.dbs.db.schema, m.body, actor(m))));
}

async function budgetInfo(m: Mgmt): Promise<Row[]> {
  const ids = list(m.body.budgets);
  if (!ids.length) throw badRequest("budgets is required", "budgets");
  return m.dbs.db.run((sql) => selectIn(sql, B, "budget_id", ids));
}

async function updateBudget(m: Mgmt): Promise<Row> {
  const id = str(m.body.budget_id) ?? need(m.body, "id");
  const rows = await m.dbs.db.run((sql) => updateRows(sql, m.dbs.db.schema, B, { ...budgetColumns(m.body), updated_at: new Date().toISOString(), updated_by: actor(m) }, { budget_id: id }));
  if (!rows.length) throw httpError(400, `Budget id=${id} not found`);
  m.dbs.invalidate({ kind: "all" });
  return rows[0]!;
}

async function deleteBudget(m: Mgmt): Promise<Row> {
  const id = str(m.body.id) ?? need(m.body, "budget_id");
  const rows = await m.dbs.db.run((sql) => deleteIn(sql, B, "budget_id", [id]));
  if (!rows.length) throw httpError(400, `Budget id=${id} not found`);
  m.dbs.invalidate({ kind: "all" });
  return rows[0]!;
}

async function newCustomer(m: Mgmt): Promise<Row> {
  const userId = need(m.body, "user_id");
  if (m.body.budget_id !== undefined && hasBudgetFields(m.body)) throw badRequest("Set either budget_id or budget fields (max_budget, ...), not both.", "budget_id");
  const s = m.dbs.db.schema;
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if ((await selectRows(tx, E, { user_id: userId })).length) throw badRequest(`Customer with user_id=${userId} already exists`, "user_id");
      let budgetId = str(m.body.budget_id);
      if (!budgetId && hasBudgetFields(m.body)) budgetId = String((await createBudget(tx, s, { ...m.body, budget_id: undefined }, actor(m))).budget_id);
      return insertRow(tx, s, E, {
        user_id: userId,
        alias: m.body.alias,
        blocked: m.body.blocked ?? false,
        spend: m.body.spend,
        allowed_model_region: m.body.allowed_model_region,
        default_model: m.body.default_model,
        budget_id: budgetId,
      });
    }),
  );
  m.dbs.invalidate({ kind: "end_user", id: userId });
  return withBudget(m, row);
}

async function customerInfo(m: Mgmt): Promise<Row> {
  const id = m.query("end_user_id") ?? m.query("user_id");
  if (!id) throw badRequest("end_user_id is required", "end_user_id");
  const [row] = await m.dbs.db.run((sql) => selectRows(sql, E, { user_id: id }));
  if (!row) throw httpError(400, `End User Id=${id} does not exist in db`);
  return withBudget(m, row);
}

async function updateCustomer(m: Mgmt): Promise<Row> {
  const userId = need(m.body, "user_id");
  const s = m.dbs.db.schema;
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const [current] = await selectRows(tx, E, { user_id: userId });
      if (!current) throw httpError(400, `End User Id=${userId} does not exist in db`);
      const cols: Row = {};
      for (const f of ["alias", "blocked", "allowed_model_region", "default_model", "budget_id"]) if (m.body[f] !== undefined) cols[f] = m.body[f];
      if (hasBudgetFields(m.body)) {
        const existing = str(cols.budget_id) ?? str(current.budget_id);
        if (existing) await updateRows(tx, s, B, { ...budgetColumns(m.body), updated_at: new Date().toISOString() }, { budget_id: existing });
        else cols.budget_id = (await createBudget(tx, s, { ...m.body, budget_id: undefined }, actor(m))).budget_id;
      }
      return (await updateRows(tx, s, E, cols, { user_id: userId }))[0]!;
    }),
  );
  m.dbs.invalidate({ kind: "end_user", id: userId });
  return withBudget(m, row);
}

async function deleteCustomers(m: Mgmt): Promise<Row> {
  const ids = list(m.body.user_ids);
  if (!ids.length) throw badRequest("user_ids is required", "user_ids");
  const rows = await m.dbs.db.run((sql) => deleteIn(sql, E, "user_id", ids));
  for (const id of ids) m.dbs.invalidate({ kind: "end_user", id });
  return { deleted_customers: rows.map((r) => r.user_id) };
}

function blockCustomers(blocked: boolean) {
  return async (m: Mgmt): Promise<Row> => {
    const ids = list(m.body.user_ids);
    if (!ids.length) throw badRequest("user_ids is required", "user_ids");
    const rows = await m.dbs.db.run((sql) => sql.unsafe<Array<{ user_id: string }>>(`UPDATE "${E}" SET blocked = $1 WHERE user_id = ANY($2::text[]) RETURNING user_id`, [blocked, ids]));
    for (const id of ids) m.dbs.invalidate({ kind: "end_user", id });
    return { [blocked ? "blocked_users" : "unblocked_users"]: rows.map((r) => r.user_id) };
  };
}

export function registerBudgetRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  const admin = { admin: true };
  route(app, rt, dbs, "post", "/budget/new", newBudget, admin);
  route(app, rt, dbs, "post", "/budget/info", budgetInfo, admin);
  route(app, rt, dbs, "post", "/budget/update", updateBudget, admin);
  route(app, rt, dbs, "post", "/budget/delete", deleteBudget, admin);
  for (const p of ["/customer", "/end_user"]) {
    route(app, rt, dbs, "post", `${p}/new`, newCustomer, admin);
    route(app, rt, dbs, "get", `${p}/info`, customerInfo, admin);
    route(app, rt, dbs, "post", `${p}/update`, updateCustomer, admin);
    route(app, rt, dbs, "post", `${p}/delete`, deleteCustomers, admin);
    route(app, rt, dbs, "post", `${p}/block`, blockCustomers(true), admin);
    route(app, rt, dbs, "post", `${p}/unblock`, blockCustomers(false), admin);
  }
}
