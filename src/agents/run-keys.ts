import type { ScopedKeys } from "../auth/scoped-keys.ts";
import type { AgentDef } from "./definitions.ts";
import type { Run } from "./types.ts";

export interface RunKey {
  key: string;
  hash: string;
  /** Ends the key's life when the run ends (it stays on record for spend). */
  revoke(): Promise<void>;
}

/** Mints the key a run's Claude Code uses: the agent's model only, its budget, expiring with the run. */
export interface RunKeyIssuer {
  issue(run: Run, agent: AgentDef, ttlMs: number): Promise<RunKey>;
  /** Ends a key known only by its hash (a run adopted after a restart). */
  revokeHash(hash: string): Promise<void>;
}

export const runKeyAlias = (run: Run) => `agent-run:${run.agent_id}:${run.run_id}`;

/** In-memory scoped keys (a gateway without a database, or a single instance). */
export class MemoryRunKeys implements RunKeyIssuer {
  constructor(private readonly keys: ScopedKeys) {}

  async issue(run: Run, agent: AgentDef, ttlMs: number): Promise<RunKey> {
    const { key, hash } = this.keys.issue({
      alias: runKeyAlias(run),
      models: [agent.model],
      maxBudget: agent.maxBudget,
      expiresAt: Date.now() + ttlMs,
      metadata: { agent_id: agent.id, run_id: run.run_id },
    });
    return { key, hash, revoke: () => this.revokeHash(hash) };
  }

  async revokeHash(hash: string): Promise<void> {
    this.keys.revoke(hash);
  }
}
