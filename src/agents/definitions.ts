import { Cron } from "croner";
import type { GatewayConfig } from "../config/index.ts";
import { ConfigError } from "../config/error.ts";
import type { AgentEntry } from "../config/schema.ts";
import type { SandboxProviderName } from "./sandbox/types.ts";
import { DEFAULT_REPLAY_WINDOW_S, DEFAULT_TOLERANCE_S, type WebhookSettings } from "./webhook.ts";

/** An agent from the `agents:` list, validated and with defaults applied at boot. */
export interface AgentDef {
  id: string;
  name: string;
  description: string;
  model: string;
  system?: string;
  prompt: string;
  sandbox: SandboxProviderName;
  schedule?: { cron: string; timezone?: string };
  webhook?: WebhookSettings;
  timeoutMs: number;
  maxTurns?: number;
  maxBudget?: number;
  maxConcurrency: number;
  envs: Record<string, string>;
  repo?: { url: string; ref?: string };
  files: Array<{ path: string; content: string }>;
  secrets: string[];
  artifacts: string[];
  memoryFile?: string;
}

const DEFAULT_TIMEOUT_S = 1800;

/** A delivery id is remembered at least as long as a timestamp is accepted, so a replay inside the tolerance is always caught. */
function webhookSettings(w: NonNullable<AgentEntry["webhook"]>): WebhookSettings {
  const toleranceS = w.timestamp_tolerance ?? DEFAULT_TOLERANCE_S;
  return { secret: w.secret, toleranceMs: toleranceS * 1000, replayWindowMs: Math.max(w.replay_window ?? DEFAULT_REPLAY_WINDOW_S, 2 * toleranceS) * 1000 };
}

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
}

/**
 * Validates the agents against the rest of the config: unique ids, a model the gateway routes,
 * a sandbox provider that is configured, a cron expression croner accepts.
 */
export function agentDefinitions(config: GatewayConfig, modelExists: (m: string) => boolean): AgentDef[] {
  const seen = new Set<string>();
  const defaultSandbox = config.general.sandbox_choice ?? "e2b";
  return config.agents.map((a: AgentEntry, i: number) => {
    const at = (k: string) => `agents[${i}]${k ? `.${k}` : ""}`;
    const id = a.id ?? slugify(a.name);
    if (!id) throw new ConfigError(config.file, at("name"), "a name with letters or digits (the agent id is its slug)", JSON.stringify(a.name));
    if (seen.has(id)) throw new ConfigError(config.file, at("id"), "a unique agent id", `"${id}" used twice`);
    seen.add(id);
    const model = a.model ?? "";
    if (!model || !modelExists(model)) {
      throw new ConfigError(config.file, at("model"), "a model_name this gateway routes", JSON.stringify(a.model ?? null));
    }
    let schedule: AgentDef["schedule"];
    if (a.schedule) {
      const cron = typeof a.schedule === "string" ? a.schedule : a.schedule.cron;
      const timezone = (typeof a.schedule === "string" ? undefined : a.schedule.timezone) ?? a.timezone ?? undefined;
      try {
        new Cron(cron, { timezone, paused: true }).stop();
      } catch (e) {
        throw new ConfigError(config.file, at("schedule"), "a cron expression (e.g. \"0 9 * * 1-5\") and a valid timezone", `${JSON.stringify(cron)}: ${(e as Error).message}`);
      }
      schedule = { cron, timezone };
    }
    const repo = typeof a.repo === "string" ? { url: a.repo } : a.repo ? { url: a.repo.url, ref: a.repo.ref ?? undefined } : undefined;
    return {
      id,
      name: a.name,
      description: a.description ?? "",
      model,
      system: a.system ?? undefined,
      prompt: a.prompt ?? "",
      sandbox: a.sandbox ?? defaultSandbox,
      schedule,
      webhook: a.webhook ? webhookSettings(a.webhook) : undefined,
      timeoutMs: (a.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
      maxTurns: a.max_turns ?? undefined,
      maxBudget: a.max_budget ?? undefined,
      maxConcurrency: a.max_concurrency ?? 1,
      envs: a.envs ?? {},
      repo,
      files: (a.files ?? []).map((f) => ({ path: f.path, content: f.content })),
      secrets: a.secrets ?? [],
      artifacts: a.artifacts ?? [],
      memoryFile: a.memory_file ?? undefined,
    };
  });
}
