import type { Sql } from "postgres";
import { num, str, type Row } from "../../auth/key-record.ts";
import { GatewayError } from "../../errors.ts";
import { httpError, type Mgmt } from "./context.ts";

/** LiteLLM's `SpendMetrics`. */
interface Metrics {
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  total_tokens: number;
  successful_requests: number;
  failed_requests: number;
  api_requests: number;
}

interface Bucket {
  metrics: Metrics;
  metadata: Row;
  api_key_breakdown: Record<string, { metrics: Metrics; metadata: Row }>;
}

interface Day {
  date: string;
  metrics: Metrics;
  breakdown: Record<"models" | "model_groups" | "mcp_servers" | "providers" | "endpoints" | "entities", Record<string, Bucket>> & {
    api_keys: Record<string, { metrics: Metrics; metadata: Row }>;
  };
}

const zero = (): Metrics => ({
  spend: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
  total_tokens: 0,
  successful_requests: 0,
  failed_requests: 0,
  api_requests: 0,
});

function add(m: Metrics, r: Row): void {
  const prompt = num(r.prompt_tokens) ?? 0;
  const completion = num(r.completion_tokens) ?? 0;
  m.spend += num(r.spend) ?? 0;
  m.prompt_tokens += prompt;
  m.completion_tokens += completion;
  m.total_tokens += prompt + completion;
  m.cache_read_input_tokens += num(r.cache_read_input_tokens) ?? 0;
  m.cache_creation_input_tokens += num(r.cache_creation_input_tokens) ?? 0;
  m.api_requests += num(r.api_requests) ?? 0;
  m.successful_requests += num(r.successful_requests) ?? 0;
  m.failed_requests += num(r.failed_requests) ?? 0;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `start_date` and `end_date` are required (LiteLLM: 400 "Please provide start_date and end_date"). */
export function dateRange(m: Mgmt): { start: string; end: string } {
  const start = m.query("start_date");
  const end = m.query("end_date");
  if (!start || !end) throw httpError(400, "Please provide start_date and end_date");
  for (const [k, v] of [["start_date", start], ["end_date", end]] as const) {
    if (!DATE.test(v)) throw new GatewayError(422, `${k}: expected a date as YYYY-MM-DD, got ${v}`, { type: "bad_request_error", param: k });
  }
  return { start, end };
}

/** A positive integer query parameter (FastAPI answers 422 otherwise). */
export function intParam(m: Mgmt, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = m.query(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) throw new GatewayError(422, `${name}: Input should be an integer between 1 and ${max}`, { type: "bad_request_error", param: name });
  return n;
}

/** `key_alias` and `team_id` of each key, from the live table, else the deleted-keys archive. */
async function keyMetadata(sql: Sql, keys: string[]): Promise<Map<string, Row>> {
  const out = new Map<string, Row>();
  if (!keys.length) return out;
  const live = await sql.unsafe<Array<{ token: string; key_alias: string | null; team_id: string | null }>>(
    `SELECT token, key_alias, team_id FROM "LiteLLM_VerificationToken" WHERE token = ANY($1::text[])`,
    [keys],
  );
  for (const k of live) out.set(k.token, { key_alias: k.key_alias, team_id: k.team_id });
  const missing = keys.filter((k) => !out.has(k));
  if (missing.length) {
    const gone = await sql
      .unsafe<Array<{ token: string; key_alias: string | null; team_id: string | null }>>(
        `SELECT DISTINCT ON (token) token, key_alias, team_id FROM "LiteLLM_DeletedVerificationToken" WHERE token = ANY($1::text[]) ORDER BY token, deleted_at DESC`,
        [missing],
      )
      .catch(() => []);
    for (const k of gone) out.set(k.token, { key_alias: k.key_alias, team_id: k.team_id });
  }
  return out;
}

export interface ActivityQuery {
  table: string;
  entityField: string;
  /** `undefined`: every entity; a list (possibly empty): only those. */
  entityIds?: string[];
  excludeIds?: string[];
  entityMetadata?: Map<string, Row>;
  start: string;
  end: string;
  model?: string;
  apiKey?: string;
  /** Absent for the `/aggregated` variants: every row, one page. */
  page?: { page: number; size: number };
}

/** LiteLLM's `get_daily_activity`: one of the `LiteLLM_Daily*Spend` tables, by day, with breakdowns. */
export async function dailyActivity(sql: Sql, q: ActivityQuery): Promise<Row> {
  const conds = [`date >= $1`, `date <= $2`];
  const params: unknown[] = [q.start, q.end];
  const f = `"${q.entityField}"`;
  if (q.entityIds) conds.push(`${f} = ANY($${params.push(q.entityIds)}::text[])`);
  if (q.excludeIds?.length) conds.push(`(${f} IS NULL OR NOT ${f} = ANY($${params.push(q.excludeIds)}::text[]))`);
  if (q.model) conds.push(`model = $${params.push(q.model)}`);
  if (q.apiKey) conds.push(`api_key = $${params.push(q.apiKey)}`);
  const where = `FROM "${q.table}" WHERE ${conds.join(" AND ")}`;
  const total = (await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n ${where}`, params as string[]))[0]!.n;
  const paging = q.page ? `LIMIT ${q.page.size} OFFSET ${(q.page.page - 1) * q.page.size}` : "";
  const rows = (await sql.unsafe<Array<{ r: Row }>>(`SELECT row_to_json(t.*) AS r ${where.replace(`"${q.table}"`, `"${q.table}" t`)} ORDER BY date DESC, id ${paging}`, params as string[])).map(
    (r) => r.r,
  );
  const keys = await keyMetadata(sql, [...new Set(rows.map((r) => String(r.api_key)))]);
  const days = new Map<string, Day>();
  const totals = zero();
  const bucket = (into: Record<string, Bucket>, name: string, r: Row, metadata: Row = {}) => {
    const b = (into[name] ??= { metrics: zero(), metadata, api_key_breakdown: {} });
    add(b.metrics, r);
    const key = String(r.api_key);
    add((b.api_key_breakdown[key] ??= { metrics: zero(), metadata: keys.get(key) ?? { key_alias: null, team_id: null } }).metrics, r);
  };
  for (const r of rows) {
    const date = String(r.date);
    let day = days.get(date);
    if (!day) {
      day = { date, metrics: zero(), breakdown: { models: {}, model_groups: {}, mcp_servers: {}, providers: {}, endpoints: {}, api_keys: {}, entities: {} } };
      days.set(date, day);
    }
    add(day.metrics, r);
    add(totals, r);
    const bd = day.breakdown;
    const model = str(r.model);
    if (model) bucket(bd.models, model, r);
    const group = str(r.model_group) ?? model;
    if (group) bucket(bd.model_groups, group, r);
    if (str(r.mcp_namespaced_tool_name)) bucket(bd.mcp_servers, String(r.mcp_namespaced_tool_name), r);
    bucket(bd.providers, str(r.custom_llm_provider) ?? "unknown", r);
    if (str(r.endpoint)) bucket(bd.endpoints, String(r.endpoint), r);
    const key = String(r.api_key);
    add((bd.api_keys[key] ??= { metrics: zero(), metadata: keys.get(key) ?? { key_alias: null, team_id: null } }).metrics, r);
    const entity = str(r[q.entityField]) ?? "Unassigned";
    bucket(bd.entities, entity, r, q.entityMetadata?.get(entity) ?? {});
  }
  const size = q.page?.size ?? Math.max(total, 1);
  const page = q.page?.page ?? 1;
  return {
    results: [...days.values()],
    metadata: {
      total_spend: totals.spend,
      total_prompt_tokens: totals.prompt_tokens,
      total_completion_tokens: totals.completion_tokens,
      total_tokens: totals.total_tokens,
      total_api_requests: totals.api_requests,
      total_successful_requests: totals.successful_requests,
      total_failed_requests: totals.failed_requests,
      total_cache_read_input_tokens: totals.cache_read_input_tokens,
      total_cache_creation_input_tokens: totals.cache_creation_input_tokens,
      page,
      total_pages: q.page ? Math.ceil(total / size) : 1,
      has_more: page * size < total,
    },
  };
}
