import { abbreviateKey, hashToken } from "../auth/hash.ts";
import { insertRow, updateRows } from "../db/rows.ts";
import type { DbServices } from "../db/services.ts";
import { newRawKey } from "../http/management/key-fields.ts";
import type { AgentDef } from "./definitions.ts";
import { runKeyAlias, type RunKey, type RunKeyIssuer } from "./run-keys.ts";
import type { Run } from "./types.ts";

const T = "LiteLLM_VerificationToken";
const CREATED_BY = "litellm-rust-agents";

/**
 * A run's key as a real LiteLLM virtual key row, so any instance behind the load balancer accepts
 * it and LiteLLM's spend tracking attributes the run's calls to it. Blocked (kept for the record)
 * when the run ends.
 */
export class DbRunKeys implements RunKeyIssuer {
  constructor(private readonly dbs: DbServices) {}

  async issue(run: Run, agent: AgentDef, ttlMs: number): Promise<RunKey> {
    const key = newRawKey();
    const hash = hashToken(key);
    const db = this.dbs.db;
    await db.run((sql) =>
      insertRow(sql, db.schema, T, {
        token: hash,
        key_name: abbreviateKey(key),
        key_alias: runKeyAlias(run),
        models: [agent.model],
        max_budget: agent.maxBudget ?? null,
        expires: new Date(Date.now() + ttlMs).toISOString(),
        allowed_routes: ["llm_api_routes"],
        metadata: { agent_id: agent.id, run_id: run.run_id },
        created_by: CREATED_BY,
        updated_by: CREATED_BY,
      }),
    );
    return { key, hash, revoke: () => this.revokeHash(hash) };
  }

  async revokeHash(hash: string): Promise<void> {
    const db = this.dbs.db;
    await db.run((sql) => updateRows(sql, db.schema, T, { blocked: true, updated_at: new Date().toISOString() }, { token: hash }));
    this.dbs.invalidate({ kind: "key", id: hash });
  }
}
