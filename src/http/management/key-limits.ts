import { num, obj, str, strs, type Row } from "../../auth/key-record.ts";
import { ROUTE_GROUPS, routeAllowed } from "../../auth/routes.ts";
import { py, pyList } from "./litellm-errors.ts";

/**
 * What a key owner who is not a proxy admin may write on a key (generate, update, regenerate).
 * LiteLLM checks only who owns the key; here an owner may also only tighten what an admin set:
 * never touch spend, never unblock, lower limits and narrow lists only, never beyond the limits of
 * the key's user and team, and leave every field that grants access alone. docs/database.md lists
 * each rule as stricter than LiteLLM.
 */
export interface Bounds {
  /** The key as stored (update, regenerate); absent for a new key. */
  current?: Row;
  /** The key's user row. */
  user?: Row;
  /** The key's team row (the new team when it moves). */
  team?: Row;
}

const LIMITS = ["max_budget", "tpm_limit", "rpm_limit", "max_parallel_requests"] as const;

/** Fields that grant access or money: a non-admin leaves them as they are (empty on a new key). */
const FIXED = ["permissions", "budget_id", "config", "router_settings", "access_group_ids", "object_permission_id", "project_id", "agent_id", "policies"] as const;

/**
 * `metadata` entries LiteLLM acts on that widen what a key may do, or make the gateway call a URL the
 * owner chose (`logging` / `callback_settings`: per-key logging callbacks with their hosts).
 */
export const FIXED_METADATA = [
  "temp_budget_increase",
  "temp_budget_expiry",
  "allowed_passthrough_routes",
  "guardrails",
  "policies",
  "disable_global_guardrails",
  "enforced_params",
  "prompts",
  "service_account_id",
  "logging",
  "callback_settings",
] as const;

/** `metadata` maps of per-model limits: entries may only go down. */
const METADATA_LIMITS = ["model_rpm_limit", "model_tpm_limit"] as const;

const ALL_MODELS = new Set(["*", "all-proxy-models"]);

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

function canonical(v: unknown): string {
  if (isEmpty(v)) return "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Row;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

const label = (what: "key" | "user" | "team", row: Row) => (what === "key" ? "this key" : `${what}=${py(what === "user" ? row.user_id : row.team_id)}`);

/** A numeric limit may go down, never up, and never above the user's or team's. */
function checkLimit(field: string, value: unknown, b: Bounds, deny: (m: string) => never): void {
  const bounds: Array<[string, number]> = [];
  for (const [what, row] of [["key", b.current], ["user", b.user], ["team", b.team]] as const) {
    const limit = row ? num(row[field]) : undefined;
    if (row && limit !== undefined) bounds.push([label(what, row), limit]);
  }
  for (const [who, limit] of bounds) {
    if (value === null || value === undefined) deny(`${field}=None would lift the limit of ${who} (${field}=${limit}). Only a proxy admin can raise it.`);
    if (num(value)! > limit) deny(`${field}=${py(value)} is above the limit of ${who} (${field}=${limit}). Only a proxy admin can raise it.`);
  }
}

/** The lists a key's models must stay inside: its own (when it has one), its team's, its user's for a personal key. */
function modelBounds(b: Bounds, teamKey: boolean): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  const add = (who: string, list: string[]) => {
    if (list.length && !list.some((x) => ALL_MODELS.has(x))) out.push([who, list]);
  };
  if (b.current) add("this key", strs(b.current.models));
  if (b.team) add(label("team", b.team), strs(b.team.models));
  if (b.user && !teamKey) add(label("user", b.user), strs(b.user.models));
  return out;
}

function checkModels(models: string[], b: Bounds, teamKey: boolean, deny: (m: string) => never): void {
  for (const [who, list] of modelBounds(b, teamKey)) {
    const inside = models.length > 0 && models.every((x) => list.includes(x) || (teamKey && x === "all-team-models"));
    if (!inside) deny(`models=${pyList(models)} is wider than the models of ${who} (${pyList(list)}). Only a proxy admin can widen it.`);
  }
}

/** Alias targets are models the key must be allowed to call (LiteLLM applies aliases after the access check). */
function checkAliases(aliases: Row, models: string[], b: Bounds, teamKey: boolean, deny: (m: string) => never): void {
  const lists = modelBounds({ ...b, current: { models } }, teamKey);
  for (const target of Object.values(aliases)) {
    if (typeof target !== "string") continue;
    const outside = lists.find(([, list]) => !list.includes(target));
    if (outside) deny(`aliases may only point at models this key can call; ${target} is not in the models of ${outside[0]} (${pyList(outside[1])}).`);
  }
}

/** A non-admin narrows `allowed_routes`; on a key with none it may name route groups and plain LLM or info paths. */
function checkRoutes(next: string[], current: string[], deny: (m: string) => never): void {
  if (current.length) {
    if (next.length && next.every((r) => current.includes(r))) return;
    deny(`allowed_routes=${pyList(next)} is wider than this key's (${pyList(current)}). Only a proxy admin can widen it.`);
  }
  const safe = (r: string) => ROUTE_GROUPS[r] !== undefined || (!r.includes("*") && routeAllowed(["llm_api_routes", "info_routes"], r));
  const bad = next.find((r) => !safe(r));
  if (bad !== undefined) deny(`Only a proxy admin can grant route ${bad} to a key.`);
}

/** Per-model limits (`model_rpm_limit`, `model_max_budget`): every limited model keeps a limit no higher than before. */
function checkModelMap(field: string, next: unknown, current: unknown, limitOf: (v: unknown) => number | undefined, deny: (m: string) => never): void {
  const cur = obj(current);
  const nxt = obj(next);
  for (const [model, was] of Object.entries(cur)) {
    const before = limitOf(was);
    if (before === undefined) continue;
    const after = limitOf(nxt[model]);
    const samePeriod = obj(nxt[model]).time_period === obj(was).time_period;
    if (after === undefined || after > before || !samePeriod) deny(`${field} for ${model} may only go down (was ${before}). Only a proxy admin can raise it.`);
  }
}

function checkExpiry(next: unknown, current: Row, deny: (m: string) => never): void {
  const was = str(current.expires) ?? (current.expires instanceof Date ? current.expires.toISOString() : undefined);
  if (!was) return;
  const to = typeof next === "string" ? Date.parse(next) : NaN;
  if (!(to <= Date.parse(was))) deny(`Only a proxy admin can extend a key's expiry (expires=${was}).`);
}

function checkMetadata(next: Row, current: Row | undefined, deny: (m: string) => never): void {
  const cur = obj(current?.metadata);
  for (const f of FIXED_METADATA) if (!same(next[f], cur[f])) deny(`Only a proxy admin can change metadata.${f} on a key.`);
  for (const f of METADATA_LIMITS) checkModelMap(`metadata.${f}`, next[f], cur[f], num, deny);
}

/** Throws through `deny` at the first field a non-admin may not write this way. `next` holds the new column values. */
export function checkOwnerKeyWrite(next: Row, b: Bounds, deny: (message: string) => never): void {
  const cur = b.current;
  const teamKey = str(next.team_id ?? cur?.team_id) !== undefined;
  if (next.spend !== undefined && num(next.spend) !== (num(cur?.spend) ?? 0)) deny("Only a proxy admin can change a key's spend.");
  if (next.blocked === false && cur?.blocked === true) deny("Only a proxy admin can unblock a key (`/key/unblock`).");
  for (const f of LIMITS) if (f in next) checkLimit(f, next[f], b, deny);
  if (next.models !== undefined) checkModels(strs(next.models), b, teamKey, deny);
  if (next.aliases !== undefined && !same(next.aliases, cur?.aliases)) checkAliases(obj(next.aliases), strs(next.models ?? cur?.models), b, teamKey, deny);
  if (next.allowed_routes !== undefined) checkRoutes(strs(next.allowed_routes), strs(cur?.allowed_routes), deny);
  for (const f of FIXED) if (f in next && !same(next[f], cur?.[f])) deny(`Only a proxy admin can set ${f} on a key.`);
  if ("organization_id" in next && !same(next.organization_id, cur ? cur.organization_id : b.team?.organization_id)) deny("Only a proxy admin can set organization_id on a key.");
  if (cur && "budget_duration" in next && !same(next.budget_duration, cur.budget_duration)) deny("Only a proxy admin can change a key's budget_duration.");
  if (cur && "expires" in next) checkExpiry(next.expires, cur, deny);
  if (next.model_max_budget !== undefined) checkModelMap("model_max_budget", next.model_max_budget, cur?.model_max_budget, (v) => num(obj(v).budget_limit) ?? num(obj(v).max_budget), deny);
  if (next.metadata !== undefined) checkMetadata(obj(next.metadata), cur, deny);
}
