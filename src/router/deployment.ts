import { createHash } from "node:crypto";
import type { LitellmParams, ModelEntry, ModelInfo } from "../config/schema.ts";
import { getProvider } from "../providers/registry.ts";
import { unusable } from "../providers/unsupported.ts";
import { deploymentRegions } from "./region.ts";
import type { Provider, Target } from "../providers/types.ts";

/** Request parameters that `litellm_params` may set as defaults for every call to a deployment. */
const DEFAULT_BODY_PARAMS = [
  "temperature", "max_tokens", "max_completion_tokens", "top_p", "stop", "seed", "frequency_penalty",
  "presence_penalty", "reasoning_effort", "response_format", "user",
] as const;

export interface Pricing {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;
  inputPerSecond?: number;
  outputPerSecond?: number;
}

/** One entry of `model_list`, resolved once at boot. */
export interface Deployment {
  id: string;
  modelName: string;
  /** `litellm_params.model` as configured, e.g. `anthropic/*`. */
  litellmModel: string;
  providerName: string;
  provider: Provider;
  /** Upstream model without the provider prefix; may hold `*` for wildcard groups. */
  upstreamModel: string;
  target: Omit<Target, "model">;
  params: LitellmParams;
  info: ModelInfo;
  mockResponse?: unknown;
  timeoutMs?: number;
  streamTimeoutMs?: number;
  maxRetries?: number;
  rpm?: number;
  tpm?: number;
  weight?: number;
  order?: number;
  maxParallel?: number;
  cooldownTimeS?: number;
  accessGroups: string[];
  /** What an end user's `allowed_model_region` may name to reach it: `region_name`, and the region inferred from provider settings. */
  regions: string[];
  defaultBodyParams?: Record<string, unknown>;
  pricing: Pricing;
  tags: string[];
}

const OPENAI_NAME = /^(gpt-|o1|o3|o4|chatgpt-|text-embedding-|dall-e|whisper|tts-|davinci|babbage|omni-moderation|codex-)/;

/** LiteLLM's `get_llm_provider`, for the cases a proxy config meets. */
export function splitProviderModel(model: string, explicit?: string | null): { provider: string; model: string } | undefined {
  if (explicit) {
    const prefix = `${explicit}/`;
    return { provider: explicit, model: model.startsWith(prefix) ? model.slice(prefix.length) : model };
  }
  const slash = model.indexOf("/");
  if (slash > 0) {
    const head = model.slice(0, slash);
    if (getProvider(head)) return { provider: head, model: model.slice(slash + 1) };
  }
  if (model.startsWith("claude")) return { provider: "anthropic", model };
  if (OPENAI_NAME.test(model)) return { provider: "openai", model };
  return undefined;
}

function firstEnv(env: Record<string, string | undefined>, names?: string[]): string | undefined {
  for (const n of names ?? []) {
    const v = env[n];
    if (v) return v;
  }
  return undefined;
}

/** Provider settings left unset in `litellm_params` are read from the env vars LiteLLM reads. */
function withEnvParams(p: Record<string, unknown>, provider: Provider, env: Record<string, string | undefined>): Record<string, unknown> {
  const names = provider.env?.params;
  if (!names) return p;
  const out = { ...p };
  for (const [key, vars] of Object.entries(names)) {
    if (out[key] === undefined || out[key] === null) {
      const v = firstEnv(env, vars);
      if (v !== undefined) out[key] = v;
    }
  }
  return out;
}

/** LiteLLM derives a deterministic id when `model_info.id` is absent; ours is a sha256 of group + params. */
export function defaultDeploymentId(entry: ModelEntry): string {
  const params = entry.litellm_params as Record<string, unknown>;
  const sorted = Object.keys(params)
    .sort()
    .map((k) => [k, params[k]]);
  return createHash("sha256").update(entry.model_name).update(JSON.stringify(sorted)).digest("hex");
}

const secondsToMs = (s: number | null | undefined) => (typeof s === "number" && s > 0 ? s * 1000 : undefined);

export interface BuildResult {
  deployments: Deployment[];
  warnings: string[];
}

export function buildDeployments(
  entries: ModelEntry[],
  env: Record<string, string | undefined>,
  credentials: Map<string, Record<string, unknown>> = new Map(),
): BuildResult {
  const deployments: Deployment[] = [];
  const warnings: string[] = [];
  const seenIds = new Set<string>();
  entries.forEach((entry, index) => {
    let p = entry.litellm_params;
    if (p.litellm_credential_name) {
      const cred = credentials.get(p.litellm_credential_name);
      if (!cred) warnings.push(`model_list[${index}]: credential "${p.litellm_credential_name}" not found in credential_list`);
      else p = { ...cred, ...p } as LitellmParams;
    }
    const split = splitProviderModel(p.model, p.custom_llm_provider);
    let provider = split && getProvider(split.provider);
    const known = !!provider;
    if (!provider) {
      const where = p.custom_llm_provider ? `model_list[${index}].litellm_params.custom_llm_provider` : `model_list[${index}].litellm_params.model`;
      const named = split?.provider ?? (p.model.includes("/") ? p.model.slice(0, p.model.indexOf("/")) : undefined);
      const reason = named
        ? `provider "${named}" is not supported by this gateway (${where} = "${p.custom_llm_provider ?? p.model}")`
        : `LLM Provider NOT provided: ${where} = "${p.model}" names no provider; write it as "<provider>/<model>"`;
      warnings.push(`model_list[${index}] (${entry.model_name}): ${reason}; the model is listed and its calls fail with this reason`);
      provider = unusable(named ?? "", reason);
    }
    const info = (entry.model_info ?? {}) as ModelInfo;
    let id = info.id ?? defaultDeploymentId(entry);
    if (seenIds.has(id)) {
      warnings.push(`model_list[${index}] (${entry.model_name}): duplicate model_info.id "${id}", made unique`);
      id = `${id}-${index}`;
    }
    seenIds.add(id);
    const ownOnly = info.own_credentials_only === true;
    const params = ownOnly ? (p as Record<string, unknown>) : withEnvParams(p as Record<string, unknown>, provider, env);
    const apiBase = p.api_base ?? firstEnv(env, provider.env?.apiBase) ?? provider.apiBaseFor?.(params) ?? provider.defaultApiBase;
    if (!apiBase && p.mock_response === undefined && known) {
      const hint = provider.env?.apiBase?.length ? `, or ${provider.env.apiBase.join(" / ")}` : "";
      const reason = `provider "${provider.name}" needs an api_base (model_list[${index}].litellm_params.api_base${hint})`;
      warnings.push(`model_list[${index}] (${entry.model_name}): ${reason}; the model is listed and its calls fail with this reason`);
      provider = unusable(provider.name, reason);
    }
    const defaults: Record<string, unknown> = {};
    for (const k of DEFAULT_BODY_PARAMS) {
      const val = (p as Record<string, unknown>)[k];
      if (val !== undefined && val !== null) defaults[k] = val;
    }
    deployments.push({
      id,
      modelName: entry.model_name,
      litellmModel: p.model,
      providerName: provider.name,
      provider,
      upstreamModel: split?.model ?? p.model,
      target: {
        apiBase: apiBase ?? "",
        apiKey: p.api_key ?? (ownOnly ? undefined : firstEnv(env, provider.env?.apiKey)),
        apiVersion: p.api_version ?? firstEnv(env, provider.env?.apiVersion),
        organization: p.organization ?? undefined,
        extraHeaders: p.extra_headers ?? undefined,
        params,
      },
      params: p,
      info,
      mockResponse: p.mock_response ?? undefined,
      timeoutMs: secondsToMs(p.timeout),
      streamTimeoutMs: secondsToMs(p.stream_timeout),
      maxRetries: p.max_retries ?? p.num_retries ?? undefined,
      rpm: p.rpm ?? undefined,
      tpm: p.tpm ?? undefined,
      weight: p.weight ?? undefined,
      order: p.order ?? undefined,
      maxParallel: p.max_parallel_requests ?? undefined,
      cooldownTimeS: p.cooldown_time ?? undefined,
      accessGroups: info.access_groups ?? [],
      regions: deploymentRegions(provider.name, params, apiBase),
      defaultBodyParams: Object.keys(defaults).length ? defaults : undefined,
      pricing: {
        input: p.input_cost_per_token ?? info.input_cost_per_token ?? undefined,
        output: p.output_cost_per_token ?? info.output_cost_per_token ?? undefined,
        cacheRead: p.cache_read_input_token_cost ?? info.cache_read_input_token_cost ?? undefined,
        cacheCreation: p.cache_creation_input_token_cost ?? info.cache_creation_input_token_cost ?? undefined,
        inputPerSecond: p.input_cost_per_second ?? undefined,
        outputPerSecond: p.output_cost_per_second ?? undefined,
      },
      tags: p.tags ?? [],
    });
  });
  return { deployments, warnings };
}
