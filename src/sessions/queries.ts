import type { Database } from "../db/client.ts";
import { Where } from "../db/where.ts";
import { ACTIVE_WINDOW_MS } from "./live.ts";
import { COUNT_TOKENS_CALL, SESSIONS_TABLE } from "./rollup.ts";

export interface SessionFilter {
  /** Only this key's sessions (token hash); set for every non-admin caller. */
  apiKey?: string;
  keyAlias?: string;
  user?: string;
  team?: string;
  client?: string;
  model?: string;
  /** `YYYY-MM-DD` or an ISO time: sessions active at or after it. */
  from?: string;
  /** `YYYY-MM-DD` (inclusive) or an ISO time: sessions started before it. */
  to?: string;
  active?: boolean;
  limit: number;
  offset: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ACTIVE_S = ACTIVE_WINDOW_MS / 1000;

/** The totals every session answer carries, from a rollup row (`s`). */
const TOTALS = `s.session_id, s.api_key, s.key_alias, s.user_id, s.team_id, s.client, s.client_name, s.client_version,
  s.calls::float8 AS calls, s.failed_calls::float8 AS failed_calls, s.prompt_tokens::float8 AS input_tokens,
  s.completion_tokens::float8 AS output_tokens, s.cache_read_tokens::float8 AS cache_read_tokens,
  s.cache_creation_tokens::float8 AS cache_creation_tokens, s.spend, s.models, s.model_groups, s.last_model,
  s.first_call, s.last_call`;

export type SessionRow = Record<string, unknown>;

/** Share of input tokens read from the prompt cache (0–1), null without input. */
export const cacheHitRate = (input: number, cacheRead: number) => (input > 0 ? Math.min(1, cacheRead / input) : null);

export function shapeSession(r: SessionRow, now = Date.now()): SessionRow {
  const first = r.first_call instanceof Date ? r.first_call : new Date(String(r.first_call));
  const last = r.last_call instanceof Date ? r.last_call : new Date(String(r.last_call));
  return {
    ...r,
    cache_hit_rate: cacheHitRate(Number(r.input_tokens), Number(r.cache_read_tokens)),
    first_call: first.toISOString(),
    last_call: last.toISOString(),
    duration_ms: Math.max(0, last.getTime() - first.getTime()),
    active: now - last.getTime() < ACTIVE_WINDOW_MS,
  };
}

function where(f: SessionFilter): Where {
  const w = new Where();
  if (f.apiKey !== undefined) w.add("s.api_key = ?", f.apiKey);
  if (f.keyAlias) w.add("s.key_alias = ?", f.keyAlias);
  if (f.user) w.add("s.user_id = ?", f.user);
  if (f.team) w.add("s.team_id = ?", f.team);
  if (f.client) w.add("s.client = ?", f.client);
  if (f.model) w.add("(s.models @> ARRAY[?::text] OR s.model_groups @> ARRAY[?::text])", f.model);
  if (f.from) w.add("s.last_call >= ?::timestamptz", DAY.test(f.from) ? `${f.from}T00:00:00Z` : f.from);
  if (f.to) w.add(DAY.test(f.to) ? "s.first_call < (?::date + 1)::timestamptz" : "s.first_call < ?::timestamptz", f.to);
  if (f.active !== undefined) w.conds.push(`s.last_call ${f.active ? ">=" : "<"} now() - interval '${ACTIVE_S} seconds'`);
  return w;
}

/** Matches counted up to here: an exact count of every session would cost more than the page itself. */
export const COUNT_CAP = 10_000;

/** Sessions newest activity first, with their totals, and how many match (exact up to `COUNT_CAP`). */
export async function listSessions(db: Database, f: SessionFilter): Promise<{ data: SessionRow[]; total: number; totalCapped: boolean }> {
  const w = where(f);
  return db.run(async (sql) => {
    const rows = await sql.unsafe<SessionRow[]>(
      `SELECT ${TOTALS} FROM ${SESSIONS_TABLE} s ${w.text} ORDER BY s.last_call DESC LIMIT ${f.limit} OFFSET ${f.offset}`,
      w.params as string[],
    );
    const [c] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::float8 AS n FROM (SELECT 1 FROM ${SESSIONS_TABLE} s ${w.text} LIMIT ${COUNT_CAP + 1}) t`, w.params as string[]);
    const now = Date.now();
    const n = c?.n ?? 0;
    return { data: rows.map((r) => shapeSession(r, now)), total: Math.min(n, COUNT_CAP), totalCapped: n > COUNT_CAP };
  });
}

const TIMELINE_LIMIT = 1000;

/** One call of a session as its timeline shows it, read from `LiteLLM_SpendLogs`. */
const CALL = `l.request_id, l."startTime" AS start_time, l."endTime" AS end_time, l.model, l.model_group, l.api_key, l.status,
  l.prompt_tokens::float8 AS input_tokens, l.completion_tokens::float8 AS output_tokens,
  COALESCE((l.metadata->'additional_usage_values'->>'cache_read_input_tokens')::float8, 0) AS cache_read_tokens,
  COALESCE((l.metadata->'additional_usage_values'->>'cache_creation_input_tokens')::float8, 0) AS cache_creation_tokens,
  l.spend AS cost, COALESCE((l.metadata->>'attempted_retries')::int, 0) AS retries,
  COALESCE((l.metadata->>'attempted_fallbacks')::int, 0) AS fallbacks, l.metadata->'error_information'->>'error_message' AS error,
  l.metadata->'client' AS client`;

function callOf(r: SessionRow): SessionRow {
  const start = r.start_time instanceof Date ? r.start_time : new Date(String(r.start_time));
  const end = r.end_time instanceof Date ? r.end_time : new Date(String(r.end_time));
  const { start_time: _s, end_time: _e, ...rest } = r;
  return { time: start.toISOString(), end_time: end.toISOString(), duration_ms: Math.max(0, end.getTime() - start.getTime()), ...rest };
}

const sum = (rows: SessionRow[], k: string) => rows.reduce((a, r) => a + (Number(r[k]) || 0), 0);

/** Totals (summed over the session's keys the caller may see) and the latest calls, oldest first. */
export async function sessionDetail(db: Database, id: string, apiKey: string | undefined, withTimeline = true): Promise<SessionRow | undefined> {
  const keyCond = (t: string) => (apiKey === undefined ? "" : `AND ${t}.api_key = $2`);
  const params = apiKey === undefined ? [id] : [id, apiKey];
  return db.run(async (sql) => {
    const rollup = await sql.unsafe<SessionRow[]>(`SELECT ${TOTALS} FROM ${SESSIONS_TABLE} s WHERE s.session_id = $1 ${keyCond("s")} ORDER BY s.last_call DESC`, params);
    if (rollup.length && !withTimeline) return shapeSession(mergeRollup(rollup));
    const calls = await sql.unsafe<SessionRow[]>(
      `SELECT * FROM (SELECT ${CALL} FROM "LiteLLM_SpendLogs" l WHERE l.session_id = $1 ${keyCond("l")} AND l.call_type <> '${COUNT_TOKENS_CALL}'
        ORDER BY l."startTime" DESC LIMIT ${TIMELINE_LIMIT + 1}) t ORDER BY start_time`,
      params,
    );
    if (rollup.length === 0 && calls.length === 0) return undefined;
    const truncated = calls.length > TIMELINE_LIMIT;
    const timeline = (truncated ? calls.slice(1) : calls).map(callOf);
    const totals = shapeSession(rollup.length ? mergeRollup(rollup) : totalsOfCalls(id, timeline));
    return withTimeline ? { ...totals, timeline, timeline_truncated: truncated } : totals;
  });
}

function mergeRollup(rows: SessionRow[]): SessionRow {
  const first = rows.reduce((a, r) => ((r.first_call as Date) < (a.first_call as Date) ? r : a));
  const uniq = (k: string) => [...new Set(rows.flatMap((r) => r[k] as string[]))];
  return {
    ...rows[0],
    api_keys: rows.map((r) => r.api_key),
    calls: sum(rows, "calls"),
    failed_calls: sum(rows, "failed_calls"),
    input_tokens: sum(rows, "input_tokens"),
    output_tokens: sum(rows, "output_tokens"),
    cache_read_tokens: sum(rows, "cache_read_tokens"),
    cache_creation_tokens: sum(rows, "cache_creation_tokens"),
    spend: sum(rows, "spend"),
    models: uniq("models"),
    model_groups: uniq("model_groups"),
    first_call: first.first_call,
  };
}

/** A session the rollup does not hold (written by LiteLLM itself, or before this gateway ran): summed from its calls. */
function totalsOfCalls(id: string, calls: SessionRow[]): SessionRow {
  const last = calls[calls.length - 1]!;
  const client = (last.client ?? {}) as { kind?: string; name?: string; version?: string };
  return {
    session_id: id,
    api_key: last.api_key,
    api_keys: [...new Set(calls.map((c) => c.api_key))],
    client: client.kind ?? "other",
    client_name: client.name ?? null,
    client_version: client.version ?? null,
    calls: calls.length,
    failed_calls: calls.filter((c) => c.status === "failure").length,
    input_tokens: sum(calls, "input_tokens"),
    output_tokens: sum(calls, "output_tokens"),
    cache_read_tokens: sum(calls, "cache_read_tokens"),
    cache_creation_tokens: sum(calls, "cache_creation_tokens"),
    spend: sum(calls, "cost"),
    models: [...new Set(calls.map((c) => c.model))],
    model_groups: [...new Set(calls.map((c) => c.model_group))],
    last_model: last.model,
    first_call: calls[0]!.time,
    last_call: last.end_time,
  };
}
