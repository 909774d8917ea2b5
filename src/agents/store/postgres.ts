import type { Sql } from "postgres";
import { createTables } from "../../db/own-tables.ts";
import type { Run, RunEvent, RunEventType } from "../types.ts";
import type { RunStore } from "./types.ts";

/**
 * Runs and events in tables of our own (`litellm_rust_*`, lower case), apart from LiteLLM's
 * quoted `LiteLLM_*` tables, so LiteLLM's migrations never meet them.
 */
const DDL = [
  `CREATE TABLE IF NOT EXISTS litellm_rust_agent_runs (
    run_id text PRIMARY KEY,
    agent_id text NOT NULL,
    status text NOT NULL,
    trigger text NOT NULL,
    prompt text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    ended_at timestamptz,
    exit_code integer,
    error text,
    claude_session_id text,
    total_cost_usd double precision,
    usage jsonb,
    num_turns integer,
    result text,
    gateway_spend double precision NOT NULL DEFAULT 0,
    sandbox_provider text,
    sandbox_id text,
    session_id text,
    instance_id text NOT NULL,
    heartbeat_at timestamptz,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb
  )`,
  `ALTER TABLE litellm_rust_agent_runs ADD COLUMN IF NOT EXISTS session_state_error text`,
  `CREATE INDEX IF NOT EXISTS litellm_rust_agent_runs_agent_idx ON litellm_rust_agent_runs (agent_id, created_at DESC)`,
  `CREATE INDEX IF NOT EXISTS litellm_rust_agent_runs_status_idx ON litellm_rust_agent_runs (status)`,
  `CREATE TABLE IF NOT EXISTS litellm_rust_agent_run_events (
    run_id text NOT NULL,
    seq integer NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
  )`,
  `CREATE TABLE IF NOT EXISTS litellm_rust_cron_ticks (
    agent_id text NOT NULL,
    tick_at timestamptz NOT NULL,
    run_id text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, tick_at)
  )`,
  `CREATE TABLE IF NOT EXISTS litellm_rust_webhook_deliveries (
    agent_id text NOT NULL,
    delivery_key text NOT NULL,
    run_id text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, delivery_key)
  )`,
  `CREATE INDEX IF NOT EXISTS litellm_rust_webhook_deliveries_at_idx ON litellm_rust_webhook_deliveries (received_at)`,
];

/** Deliveries older than every agent's window are deleted at most this often. */
const DELIVERY_PRUNE_MS = 10 * 60_000;

const COLUMNS = [
  "run_id", "agent_id", "status", "trigger", "prompt", "created_at", "started_at", "ended_at", "exit_code", "error",
  "claude_session_id", "total_cost_usd", "usage", "num_turns", "result", "gateway_spend", "sandbox_provider",
  "sandbox_id", "session_id", "session_state_error", "instance_id", "heartbeat_at", "metadata",
] as const;

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : (v as string | null));

function toRun(row: Record<string, unknown>): Run {
  return {
    ...(row as unknown as Run),
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
    heartbeat_at: iso(row.heartbeat_at),
    gateway_spend: Number(row.gateway_spend ?? 0),
    total_cost_usd: row.total_cost_usd === null ? null : Number(row.total_cost_usd),
  };
}

export class PostgresRunStore implements RunStore {
  readonly durable = true;
  private readonly seqs = new Map<string, number>();
  private prunedAt = 0;

  constructor(private readonly sql: Sql) {}

  async init(): Promise<void> {
    await createTables(this.sql, DDL);
  }

  async create(run: Run): Promise<void> {
    const row: Record<string, unknown> = {};
    for (const c of COLUMNS) row[c] = c === "usage" || c === "metadata" ? this.sql.json((run[c] ?? (c === "metadata" ? {} : null)) as never) : run[c];
    await this.sql`INSERT INTO litellm_rust_agent_runs ${this.sql(row)}`;
    this.seqs.set(run.run_id, 0);
  }

  async update(runId: string, patch: Partial<Run>): Promise<Run | undefined> {
    const row: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch)) {
      if (!(COLUMNS as readonly string[]).includes(k) || k === "run_id") continue;
      row[k] = (k === "usage" || k === "metadata") && v !== null ? this.sql.json(v as never) : v;
    }
    if (!Object.keys(row).length) return this.get(runId);
    const rows = await this.sql`UPDATE litellm_rust_agent_runs SET ${this.sql(row)} WHERE run_id = ${runId} RETURNING *`;
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async get(runId: string): Promise<Run | undefined> {
    const rows = await this.sql`SELECT * FROM litellm_rust_agent_runs WHERE run_id = ${runId}`;
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async list(filter: { agent_id?: string; status?: string; session_id?: string; limit?: number }): Promise<Run[]> {
    const rows = await this.sql`
      SELECT * FROM litellm_rust_agent_runs
      WHERE (${filter.agent_id ?? null}::text IS NULL OR agent_id = ${filter.agent_id ?? null})
        AND (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
        AND (${filter.session_id ?? null}::text IS NULL OR session_id = ${filter.session_id ?? null})
      ORDER BY created_at DESC LIMIT ${filter.limit ?? 100}`;
    return rows.map(toRun);
  }

  private async nextSeq(runId: string): Promise<number> {
    let cur = this.seqs.get(runId);
    if (cur === undefined) {
      const [row] = await this.sql`SELECT COALESCE(MAX(seq), 0) AS max FROM litellm_rust_agent_run_events WHERE run_id = ${runId}`;
      cur = Number(row?.max ?? 0);
    }
    this.seqs.set(runId, cur + 1);
    return cur + 1;
  }

  async appendEvent(runId: string, type: RunEventType, data: Record<string, unknown>): Promise<RunEvent> {
    const seq = await this.nextSeq(runId);
    const [row] = await this.sql`
      INSERT INTO litellm_rust_agent_run_events (run_id, seq, type, data)
      VALUES (${runId}, ${seq}, ${type}, ${this.sql.json(data as never)}) RETURNING created_at`;
    return { run_id: runId, seq, type, data, created_at: iso(row?.created_at)! };
  }

  async events(runId: string, afterSeq: number): Promise<RunEvent[]> {
    const rows = await this.sql`
      SELECT run_id, seq, type, data, created_at FROM litellm_rust_agent_run_events
      WHERE run_id = ${runId} AND seq > ${afterSeq} ORDER BY seq`;
    return rows.map((r) => ({ run_id: r.run_id, seq: r.seq, type: r.type, data: r.data, created_at: iso(r.created_at)! }));
  }

  async claimTick(agentId: string, tickAt: Date, runId: string): Promise<boolean> {
    const rows = await this.sql`
      INSERT INTO litellm_rust_cron_ticks (agent_id, tick_at, run_id) VALUES (${agentId}, ${tickAt}, ${runId})
      ON CONFLICT DO NOTHING RETURNING run_id`;
    return rows.length === 1;
  }

  async claimDelivery(agentId: string, key: string, runId: string, windowMs: number): Promise<string | undefined> {
    if (Date.now() - this.prunedAt > DELIVERY_PRUNE_MS) {
      this.prunedAt = Date.now();
      await this.sql`DELETE FROM litellm_rust_webhook_deliveries WHERE received_at < now() - make_interval(secs => ${windowMs / 1000})`;
    }
    // An expired row is taken over in the same statement, so two instances never both start a run.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [row] = await this.sql`
        INSERT INTO litellm_rust_webhook_deliveries (agent_id, delivery_key, run_id) VALUES (${agentId}, ${key}, ${runId})
        ON CONFLICT (agent_id, delivery_key) DO UPDATE SET run_id = EXCLUDED.run_id, received_at = now()
          WHERE litellm_rust_webhook_deliveries.received_at < now() - make_interval(secs => ${windowMs / 1000})
        RETURNING run_id`;
      if (row) return undefined;
      const [seen] = await this.sql`SELECT run_id FROM litellm_rust_webhook_deliveries WHERE agent_id = ${agentId} AND delivery_key = ${key}`;
      if (seen) return String(seen.run_id);
    }
    throw new Error(`webhook delivery ${key} could not be recorded`);
  }

  async releaseDelivery(agentId: string, key: string, runId: string): Promise<void> {
    await this.sql`DELETE FROM litellm_rust_webhook_deliveries WHERE agent_id = ${agentId} AND delivery_key = ${key} AND run_id = ${runId}`;
  }

  async touch(instanceId: string): Promise<void> {
    await this.sql`UPDATE litellm_rust_agent_runs SET heartbeat_at = now() WHERE instance_id = ${instanceId} AND status IN ('queued', 'provisioning', 'running')`;
  }

  async adopt(runId: string, fromInstance: string, toInstance: string): Promise<boolean> {
    const rows = await this.sql`
      UPDATE litellm_rust_agent_runs SET instance_id = ${toInstance}, heartbeat_at = now()
      WHERE run_id = ${runId} AND instance_id = ${fromInstance} RETURNING run_id`;
    return rows.length === 1;
  }

  async unfinished(): Promise<Run[]> {
    const rows = await this.sql`SELECT * FROM litellm_rust_agent_runs WHERE status IN ('queued', 'provisioning', 'running') ORDER BY created_at`;
    return rows.map(toRun);
  }
}
