import type { Sql } from "postgres";
import { createTables } from "../../db/own-tables.ts";
import type { Session, SessionStore } from "./store.ts";

const DDL = [
  `CREATE TABLE IF NOT EXISTS litellm_rust_agent_sessions (
    session_id text PRIMARY KEY,
    agent_id text NOT NULL,
    title text,
    claude_session_id text NOT NULL,
    state_run_id text,
    active_run_id text,
    turns integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `ALTER TABLE litellm_rust_agent_sessions ADD COLUMN IF NOT EXISTS state_error text`,
  `CREATE INDEX IF NOT EXISTS litellm_rust_agent_sessions_agent_idx ON litellm_rust_agent_sessions (agent_id, updated_at DESC)`,
];

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
const toSession = (r: Record<string, unknown>): Session => ({ ...(r as unknown as Session), created_at: iso(r.created_at), updated_at: iso(r.updated_at) });

export class PostgresSessionStore implements SessionStore {
  constructor(private readonly sql: Sql) {}

  async init(): Promise<void> {
    await createTables(this.sql, DDL);
  }

  async create(s: Session): Promise<void> {
    await this.sql`INSERT INTO litellm_rust_agent_sessions ${this.sql({ ...s })}`;
  }

  async get(id: string): Promise<Session | undefined> {
    const [row] = await this.sql`SELECT * FROM litellm_rust_agent_sessions WHERE session_id = ${id}`;
    return row ? toSession(row) : undefined;
  }

  async list(filter: { agent_id?: string; limit?: number }): Promise<Session[]> {
    const rows = await this.sql`
      SELECT * FROM litellm_rust_agent_sessions
      WHERE (${filter.agent_id ?? null}::text IS NULL OR agent_id = ${filter.agent_id ?? null})
      ORDER BY updated_at DESC LIMIT ${filter.limit ?? 100}`;
    return rows.map(toSession);
  }

  async claimTurn(id: string, turns: number, runId: string, startOver = false): Promise<boolean> {
    const rows = await this.sql`
      UPDATE litellm_rust_agent_sessions SET turns = turns + 1, active_run_id = ${runId}, updated_at = now(),
        state_run_id = CASE WHEN ${startOver} THEN NULL ELSE state_run_id END,
        state_error = CASE WHEN ${startOver} THEN NULL ELSE state_error END
      WHERE session_id = ${id} AND turns = ${turns} RETURNING session_id`;
    return rows.length === 1;
  }

  async releaseTurn(id: string, runId: string): Promise<void> {
    await this.sql`
      UPDATE litellm_rust_agent_sessions SET turns = turns - 1, active_run_id = NULL
      WHERE session_id = ${id} AND active_run_id = ${runId}`;
  }

  async setState(id: string, runId: string): Promise<void> {
    await this.sql`UPDATE litellm_rust_agent_sessions SET state_run_id = ${runId}, state_error = NULL, updated_at = now() WHERE session_id = ${id}`;
  }

  async setStateError(id: string, error: string): Promise<void> {
    await this.sql`UPDATE litellm_rust_agent_sessions SET state_error = ${error}, updated_at = now() WHERE session_id = ${id}`;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.sql`DELETE FROM litellm_rust_agent_sessions WHERE session_id = ${id} RETURNING session_id`).length === 1;
  }

  async stateRuns(): Promise<string[]> {
    const rows = await this.sql`SELECT state_run_id FROM litellm_rust_agent_sessions WHERE state_run_id IS NOT NULL`;
    return rows.map((r) => String(r.state_run_id));
  }
}
