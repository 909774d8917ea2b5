import { isConnectionError, isDataError, isPostgresError } from "../db/client.ts";
import { pgJson } from "../db/pg-safe.ts";
import type { SpendEvent } from "./spend-log.ts";

/** The longest text kept in a repaired row's indexed columns (a btree entry holds at most ~2.7 KB). */
const MAX_ID_CHARS = 512;
const MAX_INT = 2 ** 31 - 1;
const INT_FIELDS = ["total_tokens", "prompt_tokens", "completion_tokens", "request_duration_ms"] as const;
const TIME_FIELDS = ["startTime", "endTime", "completionStartTime"] as const;
const JSON_FIELDS = ["messages", "response", "proxy_server_request"] as const;

export class WriteTimeout extends Error {
  constructor(ms: number) {
    super(`spend write timed out after ${ms / 1000}s`);
    this.name = "WriteTimeout";
  }
}

/**
 * A write failure that one of the rows caused, so splitting the batch isolates it: a Postgres data
 * or constraint error, or an error raised while building the statement. Connection errors, timeouts
 * and the server's transient states (locks, resources, shutdown) are retried whole later instead.
 */
export function isRowError(e: unknown): boolean {
  if (isConnectionError(e) || e instanceof WriteTimeout) return false;
  return !isPostgresError(e) || isDataError(e);
}

const cut = (s: string) => (s.length > MAX_ID_CHARS ? s.slice(0, MAX_ID_CHARS) : s);
const int = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.min(MAX_INT, Math.max(0, Math.round(v))) : 0);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * The row a failed event is written as instead: every string made safe for Postgres (`pgJson`),
 * identifiers cut to 512 characters, counts clamped to `integer`, unreadable times set to now,
 * free-form JSON (prompts, response, nested metadata) dropped. It keeps what budgets and reports
 * need: ids, model, tokens, spend, status; `metadata.spend_log_repaired` holds the original error.
 */
export function repairEvent(ev: SpendEvent, error: string): SpendEvent {
  const copy = JSON.parse(pgJson(ev)) as SpendEvent;
  const row = copy.row as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(row)) if (typeof v === "string") row[k] = cut(v);
  for (const f of INT_FIELDS) row[f] = int(row[f]);
  row.spend = num(row.spend);
  const now = new Date().toISOString();
  for (const f of TIME_FIELDS) row[f] = typeof row[f] === "string" && !Number.isNaN(Date.parse(row[f] as string)) ? row[f] : now;
  for (const f of JSON_FIELDS) row[f] = {};
  row.request_tags = Array.isArray(row.request_tags) ? [...new Set(row.request_tags.filter((t) => typeof t === "string").map((t: string) => cut(t)))] : [];
  const meta: Record<string, unknown> = {};
  const old = row.metadata && typeof row.metadata === "object" ? (row.metadata as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(old)) if (v === null || typeof v === "number" || typeof v === "boolean" || typeof v === "string") meta[cut(k)] = typeof v === "string" ? cut(v) : v;
  meta.spend_log_repaired = cut(error);
  row.metadata = meta;
  if (copy.error) {
    const e = copy.error as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(e)) if (typeof v === "string") e[k] = cut(v);
    for (const f of TIME_FIELDS.slice(0, 2)) e[f] = row[f];
    e.request_kwargs = {};
  }
  copy.cacheReadTokens = int(copy.cacheReadTokens);
  copy.cacheCreationTokens = int(copy.cacheCreationTokens);
  copy.endpoint = typeof copy.endpoint === "string" ? cut(copy.endpoint) : "";
  return copy;
}
