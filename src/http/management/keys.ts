import type { Hono } from "hono";
import type { TransactionSql } from "postgres";
import { abbreviateKey, hashToken } from "../../auth/hash.ts";
import { num, str, type Row } from "../../auth/key-record.ts";
import type { AuthContext } from "../../auth/types.ts";
import { deleteIn, insertRow, selectIn, selectRows, updateRows } from "../../db/rows.ts";
import type { DbServices } from "../../db/services.ts";
import type { Runtime } from "../../runtime.ts";
import { copyToDeleted } from "../../db/deleted-copies.ts";
import { badRequest, deletedBy, httpError, isAdmin, list, need, requireAdmin, route, type Mgmt } from "./context.ts";
import { keyColumns, newRawKey, presentKey } from "./key-fields.ts";

const T = "LiteLLM_VerificationToken";
const B = "LiteLLM_BudgetTable";

/** A raw `sk-` key or a stored hash, as LiteLLM's key routes accept either. */
export const hashOf = (k: string) => (k.startsWith("sk-") ? hashToken(k) : k);

const actor = (a: AuthContext) => a.userId ?? "default_user_id";

export async function budgetById(m: Mgmt, id: unknown): Promise<Row | undefined> {
  if (typeof id !== "string" || !m.dbs.db.schema.hasTable(B)) return undefined;
  return (await m.dbs.db.run((sql) => selectRows(sql, B, { budget_id: id })))[0];
}

async function keyByHash(m: Mgmt, hash: string): Promise<Row | undefined> {
  return (await m.dbs.db.run((sql) => selectRows(sql, T, { token: hash })))[0];
}

/** Non-admins manage only their own keys (LiteLLM also lets the calling key read itself). */
function assertOwner(m: Mgmt, row: Row, action: string): void {
  if (isAdmin(m.auth)) return;
  if (row.token === m.auth.apiKeyHash) return;
  if (m.auth.userId && row.user_id === m.auth.userId) return;
  throw httpError(403, `You are not allowed to ${action} this key. Only the key owner or a proxy admin can.`);
}

async function assertUniqueAlias(tx: TransactionSql, alias: unknown, except?: string): Promise<void> {
  if (typeof alias !== "string" || !alias) return;
  const rows = await tx.unsafe<Array<{ token: string }>>(`SELECT token FROM "${T}" WHERE key_alias = $1`, [alias]);
  if (rows.some((r) => r.token !== except)) {
    throw badRequest(`Key with alias '${alias}' already exists. Unique key aliases across all keys are required.`, "key_alias");
  }
}

/** `/key/generate` (also used by `/user/new`): inserts the key, and a budget row for `soft_budget`. */
export async function generateKey(m: Mgmt, body: Row): Promise<Row> {
  const admin = isAdmin(m.auth);
  if (!admin && body.user_id !== undefined && body.user_id !== m.auth.userId) {
    throw httpError(403, `User=${m.auth.userId} is not allowed to create keys for user_id=${String(body.user_id)}`);
  }
  const raw = typeof body.key === "string" && body.key ? body.key : newRawKey();
  if (!raw.startsWith("sk-")) throw badRequest("Invalid key format. LiteLLM Virtual Key must start with 'sk-'.", "key");
  const hash = hashToken(raw);
  const by = actor(m.auth);
  const s = m.dbs.db.schema;
  const { row, budget } = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      await assertUniqueAlias(tx, body.key_alias);
      const cols = keyColumns(body);
      if (!admin && cols.user_id === undefined) cols.user_id = m.auth.userId;
      let budget: Row | undefined;
      if (typeof body.soft_budget === "number" && cols.budget_id === undefined && s.hasTable(B)) {
        budget = await insertRow(tx, s, B, { budget_id: crypto.randomUUID(), soft_budget: body.soft_budget, created_by: by, updated_by: by });
        cols.budget_id = budget.budget_id;
      }
      const row = await insertRow(tx, s, T, { ...cols, token: hash, key_name: abbreviateKey(raw), created_by: by, updated_by: by });
      if (!budget && typeof row.budget_id === "string") budget = (await selectRows(tx, B, { budget_id: row.budget_id }))[0];
      return { row, budget };
    }),
  );
  m.dbs.invalidate({ kind: "key", id: hash });
  return { ...presentKey(row, budget, true), key: raw, token_id: hash, soft_budget: budget?.soft_budget ?? null };
}

async function updateKey(m: Mgmt): Promise<Row> {
  const passed = need(m.body, "key");
  const hash = hashOf(passed);
  const current = await keyByHash(m, hash);
  if (!current) throw httpError(404, `Key not found: ${passed}`);
  assertOwner(m, current, "update");
  const cols = keyColumns(m.body, current);
  delete cols.spend;
  if (m.body.spend !== undefined) {
    requireAdmin(m.auth);
    cols.spend = m.body.spend;
  }
  cols.updated_by = actor(m.auth);
  cols.updated_at = new Date().toISOString();
  const s = m.dbs.db.schema;
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      await assertUniqueAlias(tx, cols.key_alias, hash);
      return (await updateRows(tx, s, T, cols, { token: hash }))[0];
    }),
  );
  if (!row) throw httpError(404, `Key not found: ${passed}`);
  m.dbs.invalidate({ kind: "key", id: hash });
  return { ...presentKey(row, await budgetById(m, row.budget_id)), key: passed };
}

async function deleteKeys(m: Mgmt): Promise<Row> {
  const keys = list(m.body.keys);
  const aliases = list(m.body.key_aliases);
  if (!keys.length && !aliases.length) throw badRequest("Provide keys or key_aliases to delete", "keys");
  const byHash = await m.dbs.db.run((sql) => selectIn(sql, T, "token", keys.map(hashOf)));
  const byAlias = await m.dbs.db.run((sql) => selectIn(sql, T, "key_alias", aliases));
  const rows = [...byHash, ...byAlias];
  if (rows.length === 0) throw httpError(404, `No keys found: keys=${JSON.stringify(keys)} key_aliases=${JSON.stringify(aliases)}`);
  for (const r of rows) assertOwner(m, r, "delete");
  const tokens = rows.map((r) => String(r.token));
  const deleted = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      await copyToDeleted(tx, m.dbs.db.schema, T, "LiteLLM_DeletedVerificationToken", "token", tokens, deletedBy(m));
      return deleteIn(tx, T, "token", tokens);
    }),
  );
  for (const r of deleted) m.dbs.invalidate({ kind: "key", id: String(r.token) });
  return { deleted_keys: [...keys, ...aliases] };
}

async function keyInfo(m: Mgmt): Promise<Row> {
  const passed = m.query("key") ?? m.auth.apiKeyHash;
  if (!passed) throw badRequest("key is required", "key");
  const row = await keyByHash(m, hashOf(passed));
  if (!row) throw httpError(404, "Key not found in database");
  assertOwner(m, row, "view");
  return { key: passed, info: presentKey(row, await budgetById(m, row.budget_id)) };
}

const SORTABLE = new Set(["spend", "max_budget", "created_at", "updated_at", "token", "key_alias"]);

async function listKeys(m: Mgmt): Promise<Row> {
  const page = Math.max(1, Number(m.query("page") ?? 1) || 1);
  const size = Math.min(100, Math.max(1, Number(m.query("size") ?? 10) || 10));
  const where: string[] = [];
  const params: string[] = [];
  const add = (col: string, v: string | undefined) => {
    if (v === undefined) return;
    params.push(v);
    where.push(`"${col}" = $${params.length}`);
  };
  add("user_id", isAdmin(m.auth) ? m.query("user_id") : (m.auth.userId ?? "\u0000"));
  add("team_id", m.query("team_id"));
  add("organization_id", m.query("organization_id"));
  add("key_alias", m.query("key_alias"));
  add("token", m.query("key_hash"));
  const cond = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const sortBy = SORTABLE.has(m.query("sort_by") ?? "") ? m.query("sort_by")! : "created_at";
  const order = m.query("sort_order")?.toLowerCase() === "asc" ? "ASC" : "DESC";
  const full = m.query("return_full_object") === "true";
  const { total, rows } = await m.dbs.db.run(async (sql) => {
    const count = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "${T}" ${cond}`, params);
    const rows = await sql.unsafe<Array<{ r: Row }>>(
      `SELECT row_to_json(t.*) AS r FROM "${T}" t ${cond} ORDER BY "${sortBy}" ${order} NULLS LAST LIMIT ${size} OFFSET ${(page - 1) * size}`,
      params,
    );
    return { total: count[0]!.n, rows: rows.map((r) => r.r) };
  });
  return {
    keys: full ? rows.map((r) => ({ ...r, litellm_budget_table: null })) : rows.map((r) => r.token),
    total_count: total,
    current_page: page,
    total_pages: Math.ceil(total / size),
  };
}

async function regenerateKey(m: Mgmt): Promise<Row> {
  const passed = m.c.req.param("key") ?? need(m.body, "key");
  const oldHash = hashOf(passed);
  const current = await keyByHash(m, oldHash);
  if (!current) throw httpError(404, `Key not found: ${passed}`);
  assertOwner(m, current, "regenerate");
  const raw = typeof m.body.new_key === "string" && m.body.new_key ? m.body.new_key : newRawKey();
  if (!raw.startsWith("sk-")) throw badRequest("Invalid key format. LiteLLM Virtual Key must start with 'sk-'.", "new_key");
  const newHash = hashToken(raw);
  const cols: Row = {
    ...keyColumns(m.body, current),
    token: newHash,
    key_name: abbreviateKey(raw),
    rotation_count: (num(current.rotation_count) ?? 0) + 1,
    last_rotation_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    updated_by: actor(m.auth),
  };
  const [row] = await m.dbs.db.run((sql) => updateRows(sql, m.dbs.db.schema, T, cols, { token: oldHash }));
  if (!row) throw httpError(404, `Key not found: ${passed}`);
  m.dbs.invalidate({ kind: "key", id: oldHash });
  m.dbs.invalidate({ kind: "key", id: newHash });
  return { ...presentKey(row, await budgetById(m, row.budget_id), true), key: raw, token_id: newHash };
}

function setBlocked(blocked: boolean) {
  return async (m: Mgmt): Promise<Row> => {
    const hash = hashOf(need(m.body, "key"));
    const rows = await m.dbs.db.run((sql) => updateRows(sql, m.dbs.db.schema, T, { blocked, updated_at: new Date().toISOString() }, { token: hash }));
    if (!rows.length) throw httpError(404, `Key not found: ${str(m.body.key)}`);
    m.dbs.invalidate({ kind: "key", id: hash });
    return rows[0]!;
  };
}

export function registerKeyRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  route(app, rt, dbs, "post", "/key/generate", (m) => generateKey(m, m.body));
  route(app, rt, dbs, "post", "/key/update", updateKey);
  route(app, rt, dbs, "post", "/key/delete", deleteKeys);
  route(app, rt, dbs, "get", "/key/info", keyInfo);
  route(app, rt, dbs, "get", "/key/list", listKeys);
  route(app, rt, dbs, "post", "/key/regenerate", regenerateKey);
  route(app, rt, dbs, "post", "/key/:key/regenerate", regenerateKey);
  route(app, rt, dbs, "post", "/key/block", setBlocked(true), { admin: true });
  route(app, rt, dbs, "post", "/key/unblock", setBlocked(false), { admin: true });
}
