import type { Database } from "../db/client.ts";
import { Where } from "../db/where.ts";
import type { Row } from "./format.ts";

const S = `"LiteLLM_SpendLogs"`;
const K = `"LiteLLM_VerificationToken"`;

/** Whose spend a query may see: admins everything, others their user's (or, keyless of a user, their key's). */
export interface Scope {
  admin: boolean;
  userId?: string;
  keyHash?: string;
}

export interface LogFilter {
  key?: string;
  team?: string;
  model?: string;
  status?: string;
  from?: string;
  to?: string;
}

function scoped(scope: Scope): Where {
  const w = new Where();
  if (scope.admin) return w;
  if (scope.userId) return w.add(`s."user" = ?`, scope.userId);
  return w.add("s.api_key = ?", scope.keyHash ?? "\u0000");
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function filtered(db: Database, scope: Scope, f: LogFilter): Where {
  const w = scoped(scope);
  if (f.key) w.add("s.api_key = ?", f.key);
  if (f.team) w.add("s.team_id = ?", f.team);
  if (f.model) w.add("(s.model = ? OR s.model_group = ?)", f.model);
  if (f.status && db.schema.has("LiteLLM_SpendLogs", "status")) w.add("s.status = ?", f.status);
  if (f.from && DATE.test(f.from)) w.add(`s."startTime" >= ?::date`, f.from);
  if (f.to && DATE.test(f.to)) w.add(`s."startTime" < (?::date + 1)`, f.to);
  return w;
}

export type Range = "24h" | "7d" | "30d";
export const RANGES: Record<Range, { label: string; unit: "hour" | "day"; buckets: number }> = {
  "24h": { label: "Last 24 hours", unit: "hour", buckets: 24 },
  "7d": { label: "Last 7 days", unit: "day", buckets: 7 },
  "30d": { label: "Last 30 days", unit: "day", buckets: 30 },
};

export interface Bucket {
  at: Date;
  requests: number;
  errors: number;
  spend: number;
  tokens: number;
}

export interface Activity {
  buckets: Bucket[];
  models: Array<{ model: string; requests: number; errors: number; spend: number; tokens: number }>;
  keys: Array<{ api_key: string; key_alias: string | null; key_name: string | null; requests: number; spend: number }>;
}

function bucketStarts(range: Range, now = new Date()): Date[] {
  const { unit, buckets } = RANGES[range];
  const step = unit === "hour" ? 3600e3 : 86400e3;
  const end = new Date(now);
  if (unit === "hour") end.setUTCMinutes(0, 0, 0);
  else end.setUTCHours(0, 0, 0, 0);
  return Array.from({ length: buckets }, (_, i) => new Date(end.getTime() - (buckets - 1 - i) * step));
}

/** Requests, errors, spend and tokens per hour or day, and the top models and keys, from SpendLogs. */
export async function activity(db: Database, scope: Scope, range: Range): Promise<Activity> {
  const starts = bucketStarts(range);
  const { unit } = RANGES[range];
  const w = scoped(scope).add(`s."startTime" >= ?::timestamp`, starts[0]!.toISOString().replace("Z", ""));
  const failed = db.schema.has("LiteLLM_SpendLogs", "status") ? `count(*) FILTER (WHERE s.status = 'failure')::int` : "0";
  const [series, models, keys] = await db.run((sql) =>
    Promise.all([
      sql.unsafe<Array<{ at: Date; requests: number; errors: number; spend: number; tokens: number }>>(
        `SELECT date_trunc('${unit}', s."startTime") AS at, count(*)::int AS requests, ${failed} AS errors,
                coalesce(sum(s.spend), 0)::float8 AS spend, coalesce(sum(s.total_tokens), 0)::float8 AS tokens
         FROM ${S} s ${w.text} GROUP BY 1`,
        w.params as string[],
      ),
      sql.unsafe<Activity["models"]>(
        `SELECT coalesce(nullif(s.model_group, ''), s.model) AS model, count(*)::int AS requests, ${failed} AS errors,
                coalesce(sum(s.spend), 0)::float8 AS spend, coalesce(sum(s.total_tokens), 0)::float8 AS tokens
         FROM ${S} s ${w.text} GROUP BY 1 ORDER BY spend DESC, requests DESC LIMIT 8`,
        w.params as string[],
      ),
      sql.unsafe<Activity["keys"]>(
        `SELECT s.api_key, min(k.key_alias) AS key_alias, min(k.key_name) AS key_name, count(*)::int AS requests, coalesce(sum(s.spend), 0)::float8 AS spend
         FROM ${S} s LEFT JOIN ${K} k ON k.token = s.api_key ${w.text} GROUP BY s.api_key ORDER BY spend DESC, requests DESC LIMIT 8`,
        w.params as string[],
      ),
    ]),
  );
  const byTime = new Map(series.map((r) => [new Date(r.at).getTime(), r]));
  const buckets = starts.map((at) => {
    const r = byTime.get(at.getTime());
    return { at, requests: r?.requests ?? 0, errors: r?.errors ?? 0, spend: r?.spend ?? 0, tokens: r?.tokens ?? 0 };
  });
  return { buckets, models: [...models], keys: [...keys] };
}

export interface LogRow extends Row {
  key_alias: string | null;
  key_name: string | null;
}

/** One page of SpendLogs rows, newest first, with each key's alias and abbreviated name. */
export async function spendLogPage(db: Database, scope: Scope, f: LogFilter, page: number, size: number): Promise<{ rows: LogRow[]; total: number }> {
  const w = filtered(db, scope, f);
  return db.run(async (sql) => {
    const [count] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${S} s ${w.text}`, w.params as string[]);
    const rows = await sql.unsafe<Array<{ r: Row; key_alias: string | null; key_name: string | null }>>(
      `SELECT row_to_json(s.*)::jsonb - 'messages' - 'response' - 'proxy_server_request' AS r, k.key_alias, k.key_name
       FROM ${S} s LEFT JOIN ${K} k ON k.token = s.api_key ${w.text}
       ORDER BY s."startTime" DESC LIMIT ${size} OFFSET ${(page - 1) * size}`,
      w.params as string[],
    );
    return { total: count!.n, rows: rows.map((x) => ({ ...x.r, key_alias: x.key_alias, key_name: x.key_name })) };
  });
}

export const CSV_MAX_ROWS = 100_000;

/** Every matching row (up to `CSV_MAX_ROWS`) for the CSV export, read in pages so memory stays bounded. */
export async function* spendLogRows(db: Database, scope: Scope, f: LogFilter): AsyncGenerator<LogRow> {
  const size = 2000;
  for (let page = 1; (page - 1) * size < CSV_MAX_ROWS; page++) {
    const { rows } = await spendLogPage(db, scope, f, page, size);
    yield* rows;
    if (rows.length < size) return;
  }
}

/** Users for the admin's list, with how many keys each owns. */
export async function userPage(db: Database, page: number, size: number, search?: string): Promise<{ rows: Array<Row & { key_count: number }>; total: number }> {
  const w = new Where();
  if (search) w.add("(u.user_id ILIKE ? OR u.user_email ILIKE ?)", `%${search.replace(/[%_\\]/g, "\\$&")}%`);
  const order = db.schema.has("LiteLLM_UserTable", "created_at") ? `u.created_at DESC NULLS LAST, u.user_id` : "u.user_id";
  return db.run(async (sql) => {
    const [count] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "LiteLLM_UserTable" u ${w.text}`, w.params as string[]);
    const rows = await sql.unsafe<Array<{ r: Row; key_count: number }>>(
      `SELECT row_to_json(u.*) AS r, (SELECT count(*)::int FROM ${K} k WHERE k.user_id = u.user_id) AS key_count
       FROM "LiteLLM_UserTable" u ${w.text} ORDER BY ${order} LIMIT ${size} OFFSET ${(page - 1) * size}`,
      w.params as string[],
    );
    return { total: count!.n, rows: rows.map((x) => ({ ...x.r, key_count: x.key_count })) };
  });
}
