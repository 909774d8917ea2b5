import type { Hono } from "hono";
import type { Sql } from "postgres";
import type { GatewayConfig } from "../config/index.ts";
import type { Logger } from "../log.ts";
import type { Runtime } from "../runtime.ts";
import { Artifacts, DEFAULT_ARTIFACT_LIMITS } from "./artifacts/artifacts.ts";
import { blobStoreFromConfig } from "./artifacts/blobs.ts";
import { collectArtifacts } from "./artifacts/collect.ts";
import { MemoryArtifactIndex } from "./artifacts/index-memory.ts";
import { PostgresArtifactIndex } from "./artifacts/index-pg.ts";
import { registerArtifactRoutes } from "./artifacts/routes.ts";
import { adoptMemory, loadMemory, saveMemory } from "./memory/hook.ts";
import { AgentMemory, DEFAULT_MEMORY_LIMITS } from "./memory/memory.ts";
import { registerMemoryRoutes } from "./memory/routes.ts";
import { MemoryMemoryStore } from "./memory/store.ts";
import { PostgresMemoryStore } from "./memory/store-pg.ts";
import type { RunContext, RunHooks } from "./runner.ts";
import type { AgentRuntime } from "./runtime.ts";
import { restoreSession, saveSessionState } from "./sessions/restore.ts";
import { registerSessionRoutes } from "./sessions/routes.ts";
import { MemorySessionStore, type SessionStore } from "./sessions/store.ts";
import { PostgresSessionStore } from "./sessions/store-pg.ts";
import { injectSecrets, redactSecrets } from "./vault/hook.ts";
import { registerVaultRoutes } from "./vault/routes.ts";
import { MemorySecretRows, PostgresSecretRows } from "./vault/store.ts";
import { Vault } from "./vault/vault.ts";

const RETENTION_EVERY_MS = 60 * 60_000;

/**
 * Sessions, memory, artifacts and the vault around agent runs: tables of our own in Postgres
 * (memory without a database), one `RunHooks` for the runner and the API routes.
 */
export class DurableAgents {
  readonly artifacts: Artifacts;
  readonly sessions: SessionStore;
  readonly memory: AgentMemory;
  readonly vault: Vault;
  private timer?: ReturnType<typeof setInterval>;

  constructor(config: GatewayConfig, sql: Sql | undefined, private readonly log: Logger) {
    const g = config.general;
    const d = DEFAULT_ARTIFACT_LIMITS;
    this.artifacts = new Artifacts(
      sql ? new PostgresArtifactIndex(sql) : new MemoryArtifactIndex(),
      blobStoreFromConfig(config),
      {
        inlineMaxBytes: g.artifact_inline_max_bytes ?? d.inlineMaxBytes,
        maxBytes: g.artifact_max_bytes ?? d.maxBytes,
        retentionDays: g.artifact_retention_days ?? d.retentionDays,
        retentionRuns: g.artifact_retention_runs ?? d.retentionRuns,
      },
      sql ? "db" : "memory",
      log,
    );
    this.sessions = sql ? new PostgresSessionStore(sql) : new MemorySessionStore();
    this.memory = new AgentMemory(sql ? new PostgresMemoryStore(sql) : new MemoryMemoryStore(), {
      maxBytes: g.agent_memory_max_bytes ?? DEFAULT_MEMORY_LIMITS.maxBytes,
      versions: g.agent_memory_versions ?? DEFAULT_MEMORY_LIMITS.versions,
    });
    const key = config.saltKey ?? config.masterKey ?? (sql ? undefined : crypto.randomUUID());
    this.vault = new Vault(sql ? new PostgresSecretRows(sql) : new MemorySecretRows(), key, sql, config.credentials);
  }

  async init(): Promise<void> {
    await Promise.all([this.artifacts.init(), this.sessions.init(), this.memory.init(), this.vault.init()]);
    await this.prune();
    this.timer = setInterval(() => void this.prune(), RETENTION_EVERY_MS);
    this.timer.unref?.();
  }

  private async prune(): Promise<void> {
    await this.vault.learn().catch((e: Error) => this.log.warn("vault values for redaction not refreshed", { error: e.message }));
    try {
      const n = await this.artifacts.prune(await this.sessions.stateRuns());
      if (n) this.log.info(`artifact retention removed ${n} artifacts`);
    } catch (e) {
      this.log.warn("artifact retention failed", { error: (e as Error).message });
    }
  }

  private async step(ctx: RunContext, name: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.log.warn(`run ${name} failed`, { run_id: ctx.run.run_id, error: (e as Error).message });
    }
  }

  /**
   * Before Claude: secrets (so later steps know what to redact), the session's saved state, memory.
   * After Claude, before the kill: memory back, artifacts out, then the session's state moves on (or
 * the turn and the session record why it could not).
   * A collect step never throws: the run's outcome is Claude's, and the sandbox must still be killed.
   * A run adopted after a restart learns its secrets' values again (to keep redacting them) and
   * which memory it started from.
   */
  readonly hooks: RunHooks[] = [
    {
      prepare: async (ctx) => {
        await injectSecrets(ctx, this.vault);
        await restoreSession(ctx, this.sessions, this.artifacts);
        await loadMemory(ctx, this.memory);
      },
      collect: async (ctx) => {
        await this.step(ctx, "memory save", () => saveMemory(ctx, this.memory));
        const collected = await collectArtifacts(ctx, this.artifacts).catch((e: Error) => {
          this.log.warn("run artifact collection failed", { run_id: ctx.run.run_id, error: e.message });
          return e;
        });
        await saveSessionState(ctx, this.sessions, this.artifacts, collected);
        void this.artifacts.maybePrune(() => this.sessions.stateRuns()).catch(() => {});
      },
      reattach: async (ctx) => {
        await this.step(ctx, "secret lookup for redaction", () => redactSecrets(ctx, this.vault));
        await this.step(ctx, "memory adoption", () => adoptMemory(ctx, this.memory));
      },
    },
  ];

  register(app: Hono, rt: () => Runtime, agents: () => AgentRuntime): void {
    registerSessionRoutes(app, rt, agents, this.sessions, this.memory);
    registerMemoryRoutes(app, rt, agents, this.memory);
    registerArtifactRoutes(app, rt, agents, this.artifacts);
    registerVaultRoutes(app, rt, this.vault);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
