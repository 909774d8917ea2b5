import type { Sql } from "postgres";
import { createTables } from "../../db/own-tables.ts";
import type { ArtifactIndex, ArtifactMeta, PruneOptions } from "./types.ts";

const DDL = [
  `CREATE TABLE IF NOT EXISTS litellm_rust_agent_artifacts (
    run_id text NOT NULL,
    path text NOT NULL,
    agent_id text NOT NULL,
    session_id text,
    kind text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,
    sha256 text NOT NULL,
    storage text NOT NULL,
    location text,
    data bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, path)
  )`,
  `CREATE INDEX IF NOT EXISTS litellm_rust_agent_artifacts_agent_idx ON litellm_rust_agent_artifacts (agent_id, created_at DESC)`,
];

const META = ["run_id", "path", "agent_id", "session_id", "kind", "size", "content_type", "sha256", "storage", "location", "created_at"] as const;

function toMeta(r: Record<string, unknown>): ArtifactMeta {
  return {
    ...(r as unknown as ArtifactMeta),
    size: Number(r.size),
    created_at: r.created_at instanceof Date ? r.created_at.toISOString() : String(r.created_at),
  };
}

/** Artifact records in a table of our own; small artifacts' bytes inline as bytea. */
export class PostgresArtifactIndex implements ArtifactIndex {
  constructor(private readonly sql: Sql) {}

  async init(): Promise<void> {
    await createTables(this.sql, DDL);
  }

  async put(meta: ArtifactMeta, inline?: Uint8Array): Promise<void> {
    const row = { ...meta, data: inline ? Buffer.from(inline.buffer, inline.byteOffset, inline.byteLength) : null };
    await this.sql`
      INSERT INTO litellm_rust_agent_artifacts ${this.sql(row)}
      ON CONFLICT (run_id, path) DO UPDATE SET
        kind = EXCLUDED.kind, size = EXCLUDED.size, content_type = EXCLUDED.content_type, sha256 = EXCLUDED.sha256,
        storage = EXCLUDED.storage, location = EXCLUDED.location, data = EXCLUDED.data, created_at = EXCLUDED.created_at`;
  }

  async list(runId: string): Promise<ArtifactMeta[]> {
    const rows = await this.sql`SELECT ${this.sql(META)} FROM litellm_rust_agent_artifacts WHERE run_id = ${runId} ORDER BY path`;
    return rows.map(toMeta);
  }

  async get(runId: string, path: string): Promise<ArtifactMeta | undefined> {
    const [row] = await this.sql`SELECT ${this.sql(META)} FROM litellm_rust_agent_artifacts WHERE run_id = ${runId} AND path = ${path}`;
    return row ? toMeta(row) : undefined;
  }

  async inline(runId: string, path: string): Promise<Uint8Array | undefined> {
    const [row] = await this.sql`SELECT data FROM litellm_rust_agent_artifacts WHERE run_id = ${runId} AND path = ${path}`;
    const data = row?.data as Buffer | null | undefined;
    return data ? new Uint8Array(data) : undefined;
  }

  async prune(o: PruneOptions): Promise<ArtifactMeta[]> {
    const rows = await this.sql`
      WITH runs AS (
        SELECT run_id, max(created_at) AS at,
               row_number() OVER (PARTITION BY agent_id ORDER BY max(created_at) DESC) AS rank
        FROM litellm_rust_agent_artifacts GROUP BY run_id, agent_id
      )
      DELETE FROM litellm_rust_agent_artifacts a USING runs r
      WHERE a.run_id = r.run_id AND (r.rank > ${o.keepRuns} OR r.at < ${o.before}) AND NOT (a.run_id = ANY(${o.protect}::text[]))
      RETURNING ${this.sql(META.map((c) => `a.${c}`))}`;
    return rows.map(toMeta);
  }
}
