import type { GatewayConfig } from "../config/index.ts";
import { buildDeployments, type Deployment } from "./deployment.ts";
import { ModelGroups } from "./model-groups.ts";
import { Router, type RouterSettings } from "./router.ts";
import { RouterState } from "./state.ts";
import type { PickOptions } from "./strategy.ts";
import { unitPrices } from "../spend/cost.ts";

export { Router } from "./router.ts";
export type { Deployment } from "./deployment.ts";
export type { Resolved } from "./model-groups.ts";

type FallbackInput = Array<Record<string, string | string[]>> | null | undefined;

function fallbackTable(list: FallbackInput, defaults?: string[] | null): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const entry of list ?? []) {
    for (const [k, v] of Object.entries(entry)) m.set(k, Array.isArray(v) ? v : [v]);
  }
  if (defaults?.length && !m.has("*")) m.set("*", defaults);
  return m;
}

const ms = (s: number | null | undefined) => (typeof s === "number" && s > 0 ? s * 1000 : undefined);

export function routerSettings(config: GatewayConfig): RouterSettings {
  const r = config.router;
  const l = config.litellm;
  const env = config.env;
  return {
    strategy: r.routing_strategy ?? "simple-shuffle",
    numRetries: r.num_retries ?? l.num_retries ?? Number(env.DEFAULT_MAX_RETRIES ?? 2),
    maxFallbacks: r.max_fallbacks ?? Number(env.ROUTER_MAX_FALLBACKS ?? 5),
    timeoutMs: ms(r.timeout ?? l.request_timeout ?? Number(env.REQUEST_TIMEOUT ?? 6000)),
    streamTimeoutMs: ms(r.stream_timeout),
    retryAfterS: r.retry_after ?? 0,
    allowedFails: r.allowed_fails ?? l.allowed_fails ?? undefined,
    cooldownTimeS: r.cooldown_time ?? Number(env.DEFAULT_COOLDOWN_TIME_SECONDS ?? 5),
    disableCooldowns: r.disable_cooldowns ?? false,
    retryPolicy: r.retry_policy ?? undefined,
    allowedFailsPolicy: r.allowed_fails_policy ?? undefined,
    fallbacks: fallbackTable(r.fallbacks ?? l.fallbacks, r.default_fallbacks ?? l.default_fallbacks),
    contextWindowFallbacks: fallbackTable(r.context_window_fallbacks ?? l.context_window_fallbacks),
    contentPolicyFallbacks: fallbackTable(r.content_policy_fallbacks ?? l.content_policy_fallbacks),
    preCallChecks: r.enable_pre_call_checks ?? false,
  };
}

/** The reserved model name of a `/v1/moderations` call that names no model. */
export const UNNAMED_MODERATION = "";

/** LiteLLM's `amoderation` without a model: OpenAI's moderation endpoint (its default model) with the env key and base. */
function defaultModeration(config: GatewayConfig): Map<string, Deployment> {
  const entry = { model_name: "omni-moderation-latest", litellm_params: { model: "openai/omni-moderation-latest" } };
  const d = buildDeployments([entry as GatewayConfig["modelList"][number]], config.env).deployments[0]!;
  return new Map([[UNNAMED_MODERATION, d]]);
}

export interface BuiltRouter {
  router: Router;
  deployments: Deployment[];
  warnings: string[];
}

export function buildRouter(
  config: GatewayConfig,
  extraDeployments: Deployment[] = [],
  state = new RouterState(),
  pickOptions: PickOptions = { costPerToken: (d) => { const p = unitPrices(d, d.upstreamModel); return p.input + p.output; } },
): BuiltRouter {
  const { deployments, warnings } = buildDeployments(config.modelList, config.env, config.credentials);
  const all = [...deployments, ...extraDeployments];
  const aliases = { ...(config.litellm.model_alias_map ?? {}), ...(config.router.model_group_alias ?? {}) };
  const groups = new ModelGroups(all, aliases, defaultModeration(config));
  return { router: new Router(groups, routerSettings(config), state, pickOptions), deployments: all, warnings };
}
