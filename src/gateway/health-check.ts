import type { AuthContext } from "../auth/types.ts";
import { GatewayError } from "../errors.ts";
import type { Deployment } from "../router/deployment.ts";
import type { ModelGroups, Resolved } from "../router/model-groups.ts";
import { attempt } from "./attempt.ts";
import type { LLMRequest } from "./types.ts";
import { RequestBody } from "./request-body.ts";

/** LiteLLM's `HEALTH_CHECK_TIMEOUT_SECONDS`; `model_info.health_check_timeout` overrides it per deployment. */
const DEFAULT_TIMEOUT_S = 60;
const CONCURRENCY = 10;

/** The `litellm_params` LiteLLM shows in a health result (`HEALTH_DISPLAY_PARAMS`); never keys or credentials. */
const DISPLAY = ["model", "custom_llm_provider", "mode", "base_model", "api_base", "api_version", "aws_region_name", "region_name", "vertex_project", "vertex_location", "tpm", "rpm"];
const MINIMAL = new Set(["model"]);

export interface HealthReport {
  healthy_endpoints: Array<Record<string, unknown>>;
  unhealthy_endpoints: Array<Record<string, unknown>>;
  healthy_count: number;
  unhealthy_count: number;
}

const seconds = (v: unknown) => (typeof v === "number" && v > 0 ? v : typeof v === "string" && Number(v) > 0 ? Number(v) : undefined);

/** The deployments `?model=` names: by model group, else by `litellm_params.model` (LiteLLM's `deployments_targeted_by_name`). */
export function healthTargets(groups: ModelGroups, model?: string, modelId?: string): Deployment[] | undefined {
  const all = groups.allDeployments();
  if (modelId) {
    const d = groups.deploymentById(modelId);
    return d ? [d] : undefined;
  }
  if (!model) return all;
  const byName = all.filter((d) => d.modelName === model);
  return byName.length ? byName : all.filter((d) => d.litellmModel === model);
}

function shown(d: Deployment, details: boolean): Record<string, unknown> {
  const params = d.params as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of DISPLAY) {
    if (!details && !MINIMAL.has(k)) continue;
    const v = k === "custom_llm_provider" ? d.providerName : k === "mode" ? d.info.mode : params[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  out.model_id = d.id;
  return out;
}

/** One probe: a short chat (or embedding) call through the normal upstream path, bounded by the deployment's health-check timeout. */
async function probe(d: Deployment, groups: ModelGroups, auth: AuthContext): Promise<string | undefined> {
  const info = d.info as Record<string, unknown>;
  const embedding = info.mode === "embedding";
  const healthModel = typeof info.health_check_model === "string" ? info.health_check_model : undefined;
  const requested = healthModel ?? d.modelName;
  if (requested.includes("*")) return "Missing `model_info.health_check_model` for a wildcard route; set it to a model this route serves";
  const resolved: Resolved = groups.resolve(requested) ?? { group: d.modelName, deployments: [d], requested };
  const timeoutMs = (seconds(info.health_check_timeout) ?? DEFAULT_TIMEOUT_S) * 1000;
  const body = embedding
    ? { model: requested, input: ["test from litellm"] }
    : { model: requested, messages: [{ role: "user", content: "What's 1 + 1?" }], max_tokens: 16 };
  const ctrl = new AbortController();
  const req: LLMRequest = {
    protocol: embedding ? "openai-embeddings" : "openai-chat",
    callType: embedding ? "aembedding" : "acompletion",
    route: "/health",
    body,
    rawBody: RequestBody.fromObject(body),
    model: requested,
    stream: false,
    headers: new Headers(),
    query: "",
    signal: ctrl.signal,
    callId: crypto.randomUUID(),
    startMs: Date.now(),
    startPerf: performance.now(),
    auth,
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      ctrl.abort();
      resolve("Timeout exceeded");
    }, timeoutMs);
  });
  const call = attempt(req, d, { ...resolved, deployments: [d] }, { resolved, release: () => {} }, { timeoutMs })
    .then(async (r) => {
      if (r.body instanceof ReadableStream) await r.body.cancel();
      return r.status >= 400 ? `upstream answered ${r.status}` : undefined;
    })
    .catch((e: unknown) => (e instanceof GatewayError ? e.message : (e as Error).message));
  try {
    return await Promise.race([call, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** LiteLLM's `perform_health_check`: every deployment probed, reported without secrets. */
export async function runHealthChecks(deployments: Deployment[], groups: ModelGroups, auth: AuthContext, details: boolean): Promise<HealthReport> {
  const errors: Array<string | undefined> = new Array(deployments.length);
  let next = 0;
  const worker = async () => {
    while (next < deployments.length) {
      const i = next++;
      errors[i] = await probe(deployments[i]!, groups, auth);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, deployments.length) }, worker));
  const healthy: Array<Record<string, unknown>> = [];
  const unhealthy: Array<Record<string, unknown>> = [];
  deployments.forEach((d, i) => {
    const error = errors[i];
    if (error === undefined) healthy.push(shown(d, details));
    else unhealthy.push({ ...shown(d, details), error });
  });
  return { healthy_endpoints: healthy, unhealthy_endpoints: unhealthy, healthy_count: healthy.length, unhealthy_count: unhealthy.length };
}
