import type { Sql } from "postgres";
import type { ScopedKeys } from "../auth/scoped-keys.ts";
import type { GatewayConfig } from "../config/index.ts";
import type { Logger } from "../log.ts";
import type { Router } from "../router/router.ts";
import { agentDefinitions } from "./definitions.ts";
import { MemoryRunKeys, type RunKeyIssuer } from "./run-keys.ts";
import type { RunHooks } from "./runner.ts";
import { AgentRuntime } from "./runtime.ts";
import { sandboxProviders } from "./sandbox/from-config.ts";
import type { SandboxProvider } from "./sandbox/types.ts";
import { MemoryRunStore } from "./store/memory.ts";
import { PostgresRunStore } from "./store/postgres.ts";

const DEFAULT_MAX_RUNS = 4;

export interface AgentSetup {
  config: GatewayConfig;
  router: Router;
  log: Logger;
  scoped: ScopedKeys;
  sql?: Sql;
  /** Scoped LiteLLM keys in the database when there is one (multi-instance); memory keys otherwise. */
  keys?: RunKeyIssuer;
  gatewayUrl: () => string;
  hooks?: RunHooks[];
  providers?: Map<string, SandboxProvider>;
}

/** Every key the gateway holds that must never reach a sandbox: the master key and provider keys. */
export function gatewaySecrets(config: GatewayConfig, router: Router): string[] {
  const out = new Set<string>();
  if (config.masterKey) out.add(config.masterKey);
  if (config.saltKey) out.add(config.saltKey);
  for (const d of router.groups.allDeployments()) {
    if (d.target.apiKey) out.add(d.target.apiKey);
    for (const k of ["aws_secret_access_key", "aws_session_token", "aws_web_identity_token", "env:AWS_CONTAINER_AUTHORIZATION_TOKEN", "azure_ad_token", "vertex_credentials"]) {
      const v = d.target.params[k];
      if (typeof v === "string" && v) out.add(v);
    }
  }
  return [...out];
}

/** Builds the agent runtime from config, or nothing when no agents are configured. */
export async function createAgentRuntime(s: AgentSetup): Promise<AgentRuntime | undefined> {
  const { config, router, log } = s;
  if (!config.agents.length) return undefined;
  const defs = agentDefinitions(config, (m) => router.resolve(m) !== undefined);
  const providers = s.providers ?? (await sandboxProviders(config));
  const general = config.general;
  const store = s.sql ? new PostgresRunStore(s.sql) : new MemoryRunStore();
  return new AgentRuntime(
    defs,
    store,
    {
      sandbox: (name) => providers.get(name),
      keys: s.keys ?? new MemoryRunKeys(s.scoped),
      gatewayUrl: s.gatewayUrl,
      claudePath: general.agent_claude_path ?? "claude",
      sandboxEnvs: (name) => ({ ...((name === "daytona" ? general.daytona_sandbox_params?.envs : general.e2b_sandbox_params?.envs) ?? {}) }),
      forbiddenSecrets: () => gatewaySecrets(config, router),
      hooks: s.hooks ?? [],
      log,
    },
    general.max_concurrent_runs ?? DEFAULT_MAX_RUNS,
    log,
    (general.agent_heartbeat_seconds ?? 10) * 1000,
  );
}
