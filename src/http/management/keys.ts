import type { Hono } from "hono";
import type { TransactionSql } from "postgres";
import { abbreviateKey, hashToken } from "../../auth/hash.ts";
import { num, str, strs, type Row } from "../../auth/key-record.ts";
import type { AuthContext } from "../../auth/types.ts";
import { deleteIn, insertRow, selectIn, selectRows, updateRows } from "../../db/rows.ts";
import type { DbServices } from "../../db/services.ts";
import type { Runtime } from "../../runtime.ts";
import { copyToDeleted } from "../../db/deleted-copies.ts";
import { badRequest, deletedBy, httpError, isAdmin, list, need, route, type Mgmt } from "./context.ts";
import { keyColumns, newRawKey, presentKey } from "./key-fields.ts";
import { checkOwnerKeyWrite } from "./key-limits.ts";
import { checkKeyTeamChange } from "./key-team-change.ts";
import { authHttpError, proxyException, proxyHttpError, py, pyFloat, type Detail } from "./litellm-errors.ts";
import { checkMemberKeyRoute, checkTeamKeyGeneration, isTeamAdmin, loadTeam } from "./team-access.ts";

const T = "LiteLLM_VerificationToken";
const B = "LiteLLM_BudgetTable";

type ErrorOf = (status: number, d: Detail) => Error;

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

async function userRow(m: Mgmt, userId: string | undefined): Promise<Row | undefined> {
  if (!userId) return undefined;
  return (await m.dbs.db.run((sql) => selectRows(sql, "LiteLLM_UserTable", { user_id: userId })))[0];
}

/** LiteLLM's `can_modify_verification_token`: a team key by its team's admin or its owner, a personal key by its owner. */
async function mayModify(m: Mgmt, row: Row): Promise<boolean> {
  if (isAdmin(m.auth)) return true;
  const teamId = str(row.team_id);
  if (teamId) {
    const team = await loadTeam(m, teamId);
    if (!team) return false;
    if (isTeamAdmin(team, m.auth.userId)) return true;
  }
  return str(row.user_id) !== undefined && row.user_id === m.auth.userId;
}

function rejectNegativeBudget(body: Row, err: ErrorOf): void {
  const b = num(body.max_budget);
  if (b !== undefined && b < 0) throw err(400, { error: `max_budget cannot be negative. Received: ${pyFloat(b)}` });
}

async function assertUniqueAlias(tx: TransactionSql, alias: unknown, except?: string): Promise<void> {
  if (typeof alias !== "string" || !alias) return;
  const rows = await tx.unsafe<Array<{ token: string }>>(`SELECT token FROM "${T}" WHERE key_alias = $1`, [alias]);
  if (rows.some((r) => r.token !== except)) {
    throw badRequest(`Key with alias '${alias}' already exists. Unique key aliases across all keys are required.`, "key_alias");
  }
}

/** A non-admin's new key: LiteLLM's team check, then "only for themselves", then the owner's limits. */
async function checkOwnerGenerate(m: Mgmt, body: Row, cols: Row): Promise<void> {
  const caller = m.auth.userId;
  const teamId = str(body.team_id);
  const team = teamId ? await loadTeam(m, teamId) : undefined;
  if (teamId && !team) throw proxyHttpError(400, `Unable to find team object in database. Team ID: ${teamId}`);
  if (team) checkTeamKeyGeneration(m, team, str(body.user_id), "/key/generate");
  if (body.user_id !== undefined && body.user_id !== null && body.user_id !== caller) {
    throw proxyHttpError(403, `User can only create keys for themselves. Got user_id=${py(body.user_id)}, Your ID=${py(caller)}`);
  }
  cols.user_id = caller;
  checkOwnerKeyWrite(cols, { user: await userRow(m, caller), team }, (msg) => {
    throw proxyHttpError(403, { error: msg });
  });
}

/** `/key/generate` (also used by `/user/new`): inserts the key, and a budget row for `soft_budget`. */
export async function generateKey(m: Mgmt, body: Row): Promise<Row> {
  rejectNegativeBudget(body, proxyHttpError);
  const raw = typeof body.key === "string" && body.key ? body.key : newRawKey();
  if (!raw.startsWith("sk-")) throw badRequest("Invalid key format. LiteLLM Virtual Key must start with 'sk-'.", "key");
  const hash = hashToken(raw);
  const by = actor(m.auth);
  const s = m.dbs.db.schema;
  const cols = keyColumns(body);
  if (!isAdmin(m.auth)) await checkOwnerGenerate(m, body, cols);
  const { row, budget } = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      await assertUniqueAlias(tx, body.key_alias);
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

/**
 * Who may change an existing key and how, for `/key/update` and `/key/regenerate`: LiteLLM's owner and
 * team-member checks, its team-change validation, then (for non-admins) the owner's limits.
 */
async function checkKeyChange(m: Mgmt, passed: string, current: Row, cols: Row, route: "/key/update" | "/key/regenerate", err: ErrorOf): Promise<void> {
  const admin = isAdmin(m.auth);
  const caller = m.auth.userId;
  if (!admin) {
    if (m.body.user_id !== undefined && m.body.user_id !== (current.user_id ?? null)) {
      throw err(403, `User=${py(m.body.user_id)} is not allowed to update key=${passed} to belong to user=${py(current.user_id)}`);
    }
    if (route === "/key/update") {
      if (str(current.user_id) !== undefined && current.user_id !== caller) {
        throw err(403, `User can only create keys for themselves. Got user_id=${py(current.user_id)}, Your ID=${py(caller)}`);
      }
      if (str(current.user_id) === undefined && !(await mayModify(m, current))) throw err(403, { error: "You are not authorized to update this key" });
    }
    await checkMemberKeyRoute(m, current, route);
    if (route === "/key/regenerate" && !(await mayModify(m, current))) throw err(403, { error: "You are not authorized to regenerate this key" });
    if (route === "/key/regenerate" && str(current.user_id) !== undefined && current.user_id !== caller) {
      throw err(403, { error: "Only the owner of a key or a proxy admin can regenerate a key that belongs to a user: its new secret would act as that user." });
    }
  }
  let team = str(current.team_id) ? await loadTeam(m, String(current.team_id)) : undefined;
  if (m.body.team_id !== undefined && m.body.team_id !== (current.team_id ?? null)) {
    if (m.body.team_id === null) {
      if (!admin) throw err(403, { error: "Only a proxy admin can take a key out of its team." });
      team = undefined;
    } else team = await checkKeyTeamChange(m, current, String(m.body.team_id), err);
  }
  if (!admin) {
    checkOwnerKeyWrite(cols, { current, user: await userRow(m, str(current.user_id)), team }, (msg) => {
      throw err(403, { error: msg });
    });
  }
}

async function updateKey(m: Mgmt): Promise<Row> {
  const passed = need(m.body, "key");
  rejectNegativeBudget(m.body, authHttpError);
  const hash = hashOf(passed);
  const current = await keyByHash(m, hash);
  if (!current) throw authHttpError(404, { error: `Key not found: ${passed}` });
  const cols = keyColumns(m.body, current);
  await checkKeyChange(m, passed, current, cols, "/key/update", authHttpError);
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
  if (rows.length === 0) throw proxyHttpError(404, { error: "No keys found" });
  for (const r of rows) if (!(await mayModify(m, r))) throw proxyHttpError(403, { error: "You are not authorized to delete this key" });
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
  const own = row.token === m.auth.apiKeyHash || (m.auth.userId !== undefined && row.user_id === m.auth.userId);
  if (!own && !(await mayModify(m, row)) && m.auth.role !== "proxy_admin_viewer") {
    throw proxyHttpError(403, `You are not allowed to access this key's info. Your role=${m.auth.role}`);
  }
  return { key: passed, info: presentKey(row, await budgetById(m, row.budget_id)) };
}

const SORTABLE = new Set(["spend", "max_budget", "created_at", "updated_at", "token", "key_alias"]);

/** LiteLLM's `validate_key_list_check`: a non-admin lists its own keys, or a team's it belongs to. */
async function checkListFilters(m: Mgmt): Promise<void> {
  if (isAdmin(m.auth) || m.auth.role === "proxy_admin_viewer") return;
  const denied = (message: string, param: string) => proxyException(403, message, "bad_request_error", param);
  const user = await userRow(m, m.auth.userId);
  if (!user) throw denied("You are not authorized to access this endpoint. No 'user_id' is associated with your API key.", "user_id");
  const userId = m.query("user_id");
  if (userId && userId !== m.auth.userId) throw denied("You are not authorized to check another user's keys", "user_id");
  const teamId = m.query("team_id");
  if (teamId && !strs(user.teams).includes(teamId)) throw denied("You are not authorized to check this team's keys", "team_id");
}

async function listKeys(m: Mgmt): Promise<Row> {
  await checkListFilters(m);
  const page = Math.max(1, Number(m.query("page") ?? 1) || 1);
  const size = Math.min(100, Math.max(1, Number(m.query("size") ?? 10) || 10));
  const where: string[] = [];
  const params: string[] = [];
  const add = (col: string, v: string | undefined) => {
    if (v === undefined) return;
    params.push(v);
    where.push(`"${col}" = $${params.length}`);
  };
  const seesAll = isAdmin(m.auth) || m.auth.role === "proxy_admin_viewer";
  add("user_id", seesAll ? m.query("user_id") : (m.auth.userId ?? "\u0000"));
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

/** `/key/regenerate`: the old key row is archived (as LiteLLM does) and its token replaced in place. */
async function regenerateKey(m: Mgmt): Promise<Row> {
  const passed = m.c.req.param("key") ?? need(m.body, "key");
  const oldHash = hashOf(passed);
  const current = await keyByHash(m, oldHash);
  if (!current) throw proxyHttpError(404, { error: `Key ${passed} not found.` });
  const cols = keyColumns(m.body, current);
  await checkKeyChange(m, passed, current, cols, "/key/regenerate", proxyHttpError);
  const raw = typeof m.body.new_key === "string" && m.body.new_key ? m.body.new_key : newRawKey();
  if (!raw.startsWith("sk-")) throw badRequest("Invalid key format. LiteLLM Virtual Key must start with 'sk-'.", "new_key");
  const newHash = hashToken(raw);
  const fields: Row = {
    ...cols,
    token: newHash,
    key_name: abbreviateKey(raw),
    rotation_count: (num(current.rotation_count) ?? 0) + 1,
    last_rotation_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    updated_by: actor(m.auth),
  };
  const s = m.dbs.db.schema;
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      await copyToDeleted(tx, s, T, "LiteLLM_DeletedVerificationToken", "token", [oldHash], deletedBy(m));
      return (await updateRows(tx, s, T, fields, { token: oldHash }))[0];
    }),
  );
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
