import type { Sql, TransactionSql } from "postgres";
import { createTables } from "../db/own-tables.ts";
import type { SpendEvent } from "../spend/spend-log.ts";

/**
 * One row per coding session and key, kept by the spend writer in the same transaction as the
 * SpendLogs rows it sums, so session lists never aggregate LiteLLM_SpendLogs. Our own table
 * (`litellm_rust_*`, lower case), which LiteLLM's migrations never meet.
 */
export const SESSIONS_TABLE = "litellm_rust_coding_sessions";

const DDL = [
  `CREATE TABLE IF NOT EXISTS ${SESSIONS_TABLE} (
    session_id text NOT NULL,
    api_key text NOT NULL,
    key_alias text,
    user_id text,
    team_id text,
    client text NOT NULL,
    client_name text,
    client_version text,
    first_call timestamptz NOT NULL,
    last_call timestamptz NOT NULL,
    calls bigint NOT NULL DEFAULT 0,
    failed_calls bigint NOT NULL DEFAULT 0,
    prompt_tokens bigint NOT NULL DEFAULT 0,
    completion_tokens bigint NOT NULL DEFAULT 0,
    cache_read_tokens bigint NOT NULL DEFAULT 0,
    cache_creation_tokens bigint NOT NULL DEFAULT 0,
    spend double precision NOT NULL DEFAULT 0,
    models text[] NOT NULL DEFAULT '{}',
    model_groups text[] NOT NULL DEFAULT '{}',
    last_model text,
    PRIMARY KEY (session_id, api_key)
  )`,
  `CREATE INDEX IF NOT EXISTS ${SESSIONS_TABLE}_last_idx ON ${SESSIONS_TABLE} (last_call DESC)`,
  `CREATE INDEX IF NOT EXISTS ${SESSIONS_TABLE}_key_idx ON ${SESSIONS_TABLE} (api_key, last_call DESC)`,
  `CREATE INDEX IF NOT EXISTS ${SESSIONS_TABLE}_user_idx ON ${SESSIONS_TABLE} (user_id, last_call DESC)`,
  `CREATE INDEX IF NOT EXISTS ${SESSIONS_TABLE}_team_idx ON ${SESSIONS_TABLE} (team_id, last_call DESC)`,
  `CREATE INDEX IF NOT EXISTS ${SESSIONS_TABLE}_models_idx ON ${SESSIONS_TABLE} USING gin (models, model_groups)`,
];

export const createSessionTables = (sql: Sql): Promise<void> => createTables(sql, DDL);

interface RollupRow {
  session_id: string;
  api_key: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  client: string;
  client_name: string | null;
  client_version: string | null;
  first_call: string;
  last_call: string;
  calls: number;
  failed_calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  spend: number;
  models: string[];
  model_groups: string[];
  last_model: string;
}

const addTo = (list: string[], v: string) => {
  if (v && !list.includes(v)) list.push(v);
};

/** Token counting is free and not a turn of the session. */
export const COUNT_TOKENS_CALL = "acount_tokens";

/** A batch summed per (session, key): one upsert row each. */
export function rollupRows(events: SpendEvent[]): RollupRow[] {
  const out = new Map<string, RollupRow>();
  for (const ev of events) {
    if (!ev.session || ev.row.call_type === COUNT_TOKENS_CALL) continue;
    const r = ev.row;
    const k = `${ev.session.id}\u0000${r.api_key}`;
    let s = out.get(k);
    if (!s) {
      const alias = r.metadata.user_api_key_alias;
      s = {
        session_id: ev.session.id,
        api_key: r.api_key,
        key_alias: typeof alias === "string" ? alias : null,
        user_id: r.user || null,
        team_id: r.team_id,
        client: ev.session.client.kind,
        client_name: ev.session.client.name ?? null,
        client_version: ev.session.client.version ?? null,
        first_call: r.startTime,
        last_call: r.endTime,
        calls: 0,
        failed_calls: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        spend: 0,
        models: [],
        model_groups: [],
        last_model: r.model,
      };
      out.set(k, s);
    }
    s.calls++;
    if (r.status === "failure") s.failed_calls++;
    s.prompt_tokens += r.prompt_tokens;
    s.completion_tokens += r.completion_tokens;
    s.cache_read_tokens += ev.cacheReadTokens;
    s.cache_creation_tokens += ev.cacheCreationTokens;
    s.spend += r.spend;
    addTo(s.models, r.model);
    addTo(s.model_groups, r.model_group);
    if (r.startTime < s.first_call) s.first_call = r.startTime;
    if (r.endTime >= s.last_call) {
      s.last_call = r.endTime;
      s.last_model = r.model;
    }
  }
  return [...out.values()];
}

const SUMS = ["calls", "failed_calls", "prompt_tokens", "completion_tokens", "cache_read_tokens", "cache_creation_tokens", "spend"];

/** Adds a batch of freshly inserted spend events to their sessions' rows, inside the writer's transaction. */
export async function upsertSessionRollup(tx: TransactionSql, events: SpendEvent[]): Promise<void> {
  const rows = rollupRows(events);
  if (rows.length === 0) return;
  await tx.unsafe(
    `INSERT INTO ${SESSIONS_TABLE} AS t (session_id, api_key, key_alias, user_id, team_id, client, client_name, client_version, first_call, last_call,
       calls, failed_calls, prompt_tokens, completion_tokens, cache_read_tokens, cache_creation_tokens, spend, models, model_groups, last_model)
     SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS x(session_id text, api_key text, key_alias text, user_id text, team_id text, client text,
       client_name text, client_version text, first_call timestamptz, last_call timestamptz, calls bigint, failed_calls bigint, prompt_tokens bigint,
       completion_tokens bigint, cache_read_tokens bigint, cache_creation_tokens bigint, spend float8, models text[], model_groups text[], last_model text)
     ON CONFLICT (session_id, api_key) DO UPDATE SET
       ${SUMS.map((c) => `${c} = t.${c} + excluded.${c}`).join(", ")},
       first_call = LEAST(t.first_call, excluded.first_call),
       last_call = GREATEST(t.last_call, excluded.last_call),
       last_model = CASE WHEN excluded.last_call >= t.last_call THEN excluded.last_model ELSE t.last_model END,
       models = ARRAY(SELECT DISTINCT unnest(t.models || excluded.models)),
       model_groups = ARRAY(SELECT DISTINCT unnest(t.model_groups || excluded.model_groups)),
       key_alias = COALESCE(excluded.key_alias, t.key_alias),
       user_id = COALESCE(excluded.user_id, t.user_id),
       team_id = COALESCE(excluded.team_id, t.team_id),
       client_version = COALESCE(excluded.client_version, t.client_version)`,
    [JSON.stringify(rows)],
  );
}
