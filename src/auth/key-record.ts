import { durationMs } from "../spend/duration.ts";
import { utcDate } from "../db/client.ts";
import type { SpendBook, SpendCell } from "../spend/book.ts";
import type { UserRole } from "./types.ts";

export type Row = Record<string, unknown>;

export const num = (v: unknown): number | undefined => {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};
export const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
export const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
export const obj = (v: unknown): Row => {
  if (typeof v === "string") {
    try {
      const p = JSON.parse(v) as unknown;
      return p && typeof p === "object" && !Array.isArray(p) ? (p as Row) : {};
    } catch {
      return {};
    }
  }
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Row) : {};
};

/** Limits from a `LiteLLM_BudgetTable` row. */
export interface Budget {
  id?: string;
  maxBudget?: number;
  softBudget?: number;
  tpm?: number;
  rpm?: number;
  maxParallel?: number;
}

export function budgetOf(r: Row | null | undefined): Budget | undefined {
  if (!r) return undefined;
  return {
    id: str(r.budget_id),
    maxBudget: num(r.max_budget),
    softBudget: num(r.soft_budget),
    tpm: num(r.tpm_limit),
    rpm: num(r.rpm_limit),
    maxParallel: num(r.max_parallel_requests),
  };
}

export interface TeamInfo {
  id: string;
  alias?: string;
  blocked: boolean;
  models: string[];
  spend: SpendCell;
  maxBudget?: number;
  softBudget?: number;
  tpm?: number;
  rpm?: number;
  maxParallel?: number;
  orgId?: string;
  metadata: Row;
}

export interface MemberInfo {
  spend: SpendCell;
  budget?: Budget;
}

export interface UserInfo {
  id: string;
  role?: UserRole;
  email?: string;
  spend: SpendCell;
  maxBudget?: number;
  models: string[];
  tpm?: number;
  rpm?: number;
  maxParallel?: number;
}

export interface OrgInfo {
  id: string;
  alias?: string;
  spend: SpendCell;
  budget?: Budget;
  models: string[];
}

/** A virtual key with everything its checks need, as one combined query returns it. */
export interface KeyRecord {
  token: string;
  keyName?: string;
  keyAlias?: string;
  userId?: string;
  teamId?: string;
  orgId?: string;
  blocked: boolean;
  expires?: Date;
  models: string[];
  spend: SpendCell;
  maxBudget?: number;
  softBudget?: number;
  tpm?: number;
  rpm?: number;
  maxParallel?: number;
  allowedRoutes: string[];
  metadata: Row;
  /** `model_max_budget`: per-model budgets over a period. */
  modelMaxBudget: Record<string, { budgetLimit: number; periodMs: number }>;
  team?: TeamInfo;
  member?: MemberInfo;
  user?: UserInfo;
  org?: OrgInfo;
  teamModelAliases: Record<string, string>;
  /** The key's own `aliases`: a requested model name routed to another. */
  keyAliases: Record<string, string>;
}

export interface EndUserRecord {
  id: string;
  blocked: boolean;
  spend: SpendCell;
  budget?: Budget;
  allowedModelRegion?: string;
}

const ROLES = new Set<UserRole>(["proxy_admin", "proxy_admin_viewer", "org_admin", "internal_user", "internal_user_viewer", "team", "customer"]);

/** The combined query's JSON columns, turned into a record whose spends live in the shared book. */
export interface CombinedRow {
  k: Row;
  t?: Row | null;
  tm?: Row | null;
  bm?: Row | null;
  bd?: Row | null;
  b?: Row | null;
  u?: Row | null;
  o?: Row | null;
  ob?: Row | null;
  ma?: unknown;
}

const stringMap = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === "string"));

export function keyRecordFrom(row: CombinedRow, book: SpendBook): KeyRecord {
  const k = row.k;
  const token = String(k.token);
  const keyBudget = budgetOf(row.b);
  const rec: KeyRecord = {
    token,
    keyName: str(k.key_name),
    keyAlias: str(k.key_alias),
    userId: str(k.user_id),
    teamId: str(k.team_id),
    orgId: str(k.organization_id),
    blocked: k.blocked === true,
    expires: utcDate(k.expires),
    models: strs(k.models),
    spend: book.fromDb(`key:${token}`, num(k.spend) ?? 0),
    maxBudget: num(k.max_budget) ?? keyBudget?.maxBudget,
    softBudget: keyBudget?.softBudget,
    tpm: num(k.tpm_limit) ?? keyBudget?.tpm,
    rpm: num(k.rpm_limit) ?? keyBudget?.rpm,
    maxParallel: num(k.max_parallel_requests) ?? keyBudget?.maxParallel,
    allowedRoutes: strs(k.allowed_routes),
    metadata: obj(k.metadata),
    modelMaxBudget: modelBudgets(k.model_max_budget),
    teamModelAliases: stringMap(row.ma),
    keyAliases: stringMap(k.aliases),
  };
  const t = row.t;
  if (t && rec.teamId) {
    rec.team = {
      id: rec.teamId,
      alias: str(t.team_alias),
      blocked: t.blocked === true,
      models: strs(t.models),
      spend: book.fromDb(`team:${rec.teamId}`, num(t.spend) ?? 0),
      maxBudget: num(t.max_budget),
      softBudget: num(t.soft_budget),
      tpm: num(t.tpm_limit),
      rpm: num(t.rpm_limit),
      maxParallel: num(t.max_parallel_requests),
      orgId: str(t.organization_id),
      metadata: obj(t.metadata),
    };
    rec.orgId ??= rec.team.orgId;
  }
  if (rec.teamId && rec.userId && (row.tm || row.bd)) {
    rec.member = {
      spend: book.fromDb(`member:${rec.teamId}:${rec.userId}`, num(row.tm?.spend) ?? 0),
      budget: budgetOf(row.bm) ?? budgetOf(row.bd),
    };
  }
  const u = row.u;
  if (u && rec.userId) {
    const role = str(u.user_role) as UserRole | undefined;
    rec.user = {
      id: rec.userId,
      role: role && ROLES.has(role) ? role : undefined,
      email: str(u.user_email),
      spend: book.fromDb(`user:${rec.userId}`, num(u.spend) ?? 0),
      maxBudget: num(u.max_budget),
      models: strs(u.models),
      tpm: num(u.tpm_limit),
      rpm: num(u.rpm_limit),
      maxParallel: num(u.max_parallel_requests),
    };
  }
  const o = row.o;
  if (o && rec.orgId) {
    rec.org = {
      id: rec.orgId,
      alias: str(o.organization_alias),
      spend: book.fromDb(`org:${rec.orgId}`, num(o.spend) ?? 0),
      budget: budgetOf(row.ob),
      models: strs(o.models),
    };
  }
  return rec;
}

export function endUserRecordFrom(e: Row, b: Row | null | undefined, book: SpendBook): EndUserRecord {
  const id = String(e.user_id);
  return {
    id,
    blocked: e.blocked === true,
    spend: book.fromDb(`end_user:${id}`, num(e.spend) ?? 0),
    budget: budgetOf(b),
    allowedModelRegion: str(e.allowed_model_region),
  };
}

/** LiteLLM's `model_max_budget` JSON: `{model: {budget_limit, time_period}}`; a period defaults to 30 days. */
function modelBudgets(v: unknown): KeyRecord["modelMaxBudget"] {
  const out: KeyRecord["modelMaxBudget"] = {};
  for (const [model, cfg] of Object.entries(obj(v))) {
    const c = obj(cfg);
    const limit = num(c.budget_limit) ?? num(c.max_budget);
    if (limit === undefined) continue;
    const period = typeof c.time_period === "string" ? durationMs(c.time_period) : undefined;
    out[model] = { budgetLimit: limit, periodMs: period ?? 30 * 86400e3 };
  }
  return out;
}
