import type { Sql } from "postgres";
import { createTables } from "../../db/own-tables.ts";
import type { MemoryEntry, MemoryStore, MemoryVersion, NewMemory } from "./store.ts";

const DDL = [
  `CREATE TABLE IF NOT EXISTS litellm_rust_agent_memory (
    agent_id text NOT NULL,
    scope text NOT NULL DEFAULT '',
    version integer NOT NULL,
    content text NOT NULL,
    bytes integer NOT NULL,
    source text NOT NULL,
    run_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, scope, version)
  )`,
];

const UNIQUE_VIOLATION = "23505";
const VERSION_COLS = ["agent_id", "scope", "version", "bytes", "source", "run_id", "created_at"] as const;

function toEntry<T extends MemoryVersion>(r: Record<string, unknown>): T {
  return { ...(r as unknown as T), created_at: r.created_at instanceof Date ? r.created_at.toISOString() : String(r.created_at) };
}

export class PostgresMemoryStore implements MemoryStore {
  constructor(private readonly sql: Sql) {}

  async init(): Promise<void> {
    await createTables(this.sql, DDL);
  }

  async latest(agentId: string, scope: string): Promise<MemoryEntry | undefined> {
    const [row] = await this.sql`
      SELECT * FROM litellm_rust_agent_memory WHERE agent_id = ${agentId} AND scope = ${scope} ORDER BY version DESC LIMIT 1`;
    return row ? toEntry<MemoryEntry>(row) : undefined;
  }

  async get(agentId: string, scope: string, version: number): Promise<MemoryEntry | undefined> {
    const [row] = await this.sql`
      SELECT * FROM litellm_rust_agent_memory WHERE agent_id = ${agentId} AND scope = ${scope} AND version = ${version}`;
    return row ? toEntry<MemoryEntry>(row) : undefined;
  }

  async versions(agentId: string, scope: string): Promise<MemoryVersion[]> {
    const rows = await this.sql`
      SELECT ${this.sql(VERSION_COLS)} FROM litellm_rust_agent_memory
      WHERE agent_id = ${agentId} AND scope = ${scope} ORDER BY version DESC`;
    return rows.map((r) => toEntry<MemoryVersion>(r));
  }

  /** Next version = max + 1; two writers racing for the same number: the loser retries. */
  async insert(m: NewMemory, keep: number): Promise<MemoryEntry> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [row] = await this.sql`
          INSERT INTO litellm_rust_agent_memory (agent_id, scope, version, content, bytes, source, run_id)
          SELECT ${m.agent_id}, ${m.scope}, COALESCE(MAX(version), 0) + 1, ${m.content}, ${Buffer.byteLength(m.content, "utf8")}, ${m.source}, ${m.run_id}
          FROM litellm_rust_agent_memory WHERE agent_id = ${m.agent_id} AND scope = ${m.scope}
          RETURNING *`;
        const entry = toEntry<MemoryEntry>(row!);
        await this.sql`
          DELETE FROM litellm_rust_agent_memory
          WHERE agent_id = ${m.agent_id} AND scope = ${m.scope} AND version <= ${entry.version - keep}`;
        return entry;
      } catch (e) {
        if ((e as { code?: string }).code !== UNIQUE_VIOLATION || attempt >= 5) throw e;
      }
    }
  }

  async clear(agentId: string, scope: string): Promise<number> {
    return (await this.sql`DELETE FROM litellm_rust_agent_memory WHERE agent_id = ${agentId} AND scope = ${scope} RETURNING version`).length;
  }
}
