import type { Hono } from "hono";
import { hashToken } from "../auth/hash.ts";
import type { DbServices } from "../db/services.ts";
import { badRequest, httpError, isAdmin, route, type Mgmt } from "../http/management/context.ts";
import type { Runtime } from "../runtime.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import { sessionLimits } from "./budget.ts";
import { CLIENT_KINDS, type ClientKind } from "./identity.ts";
import { listSessions, sessionDetail, type SessionFilter } from "./queries.ts";

const MAX_LIMIT = 500;

function intParam(m: Mgmt, name: string, dflt: number, max: number): number {
  const v = m.query(name);
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw badRequest(`${name} must be an integer from 0 to ${max}`, name);
  return n;
}

const TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function timeParam(m: Mgmt, name: string): string | undefined {
  const v = m.query(name);
  if (!v) return undefined;
  if (!TIME.test(v) || Number.isNaN(Date.parse(v))) throw badRequest(`${name} must be a date (YYYY-MM-DD) or an ISO time`, name);
  return v;
}

/** Admins (and the admin viewer) see every session; any other key its own sessions only. */
const ownKey = (m: Mgmt): string | undefined => (isAdmin(m.auth) || m.auth.role === "proxy_admin_viewer" ? undefined : (m.auth.apiKeyHash ?? "\u0000"));

function filterOf(m: Mgmt): SessionFilter {
  const key = m.query("key") ?? m.query("api_key");
  const client = m.query("client");
  if (client && !CLIENT_KINDS.includes(client as ClientKind)) throw badRequest(`client must be one of ${CLIENT_KINDS.join(", ")}`, "client");
  const active = m.query("active");
  if (active && active !== "true" && active !== "false") throw badRequest("active must be true or false", "active");
  return {
    apiKey: ownKey(m) ?? (key ? (key.startsWith("sk-") ? hashToken(key) : key) : undefined),
    keyAlias: m.query("key_alias"),
    user: m.query("user_id") ?? m.query("user"),
    team: m.query("team_id") ?? m.query("team"),
    client,
    model: m.query("model"),
    from: timeParam(m, "from") ?? timeParam(m, "start_date"),
    to: timeParam(m, "to") ?? timeParam(m, "end_date"),
    active: active === undefined ? undefined : active === "true",
    limit: intParam(m, "limit", 50, MAX_LIMIT) || 50,
    offset: intParam(m, "offset", 0, 10_000_000),
  };
}

async function list(m: Mgmt): Promise<unknown> {
  const f = filterOf(m);
  await m.dbs.sessions.ensure();
  const { data, total, totalCapped } = await listSessions(m.dbs.db, f);
  return { data, total, total_capped: totalCapped, limit: f.limit, offset: f.offset };
}

async function detail(m: Mgmt): Promise<unknown> {
  const id = m.c.req.param("id") ?? "";
  await m.dbs.sessions.ensure();
  const s = await sessionDetail(m.dbs.db, id, ownKey(m), m.query("timeline") !== "false");
  if (!s) throw httpError(404, `Coding session not found: ${id}`, "session_id");
  const rec = m.auth.key as KeyRecord | undefined;
  const limits = rec ? sessionLimits(rec) : [];
  if (limits.length) {
    const budgets = limits.flatMap((l) => (l.maxBudget === undefined ? [] : [l.maxBudget]));
    const durations = limits.flatMap((l) => (l.maxDurationMs === undefined ? [] : [l.maxDurationMs / 1000]));
    s.budget = {
      max_session_budget: budgets.length ? Math.min(...budgets) : undefined,
      max_session_duration_s: durations.length ? Math.min(...durations) : undefined,
    };
  }
  return s;
}

/** `/api/coding-sessions`: Claude Code, Codex and other client sessions with their totals; one session with its timeline. */
export function registerCodingSessionRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  route(app, rt, dbs, "get", "/api/coding-sessions", list, { selfManaged: true });
  route(app, rt, dbs, "get", "/api/coding-sessions/:id", detail, { selfManaged: true });
}
