import { GatewayError } from "../errors.ts";
import type { PassthroughCall, Provider, Target } from "../providers/types.ts";
import { buildDeployments, type Deployment } from "../router/deployment.ts";
import { servesTeam } from "../router/model-groups.ts";
import type { Runtime } from "../runtime.ts";
import { costOf } from "../spend/cost.ts";
import { sendUpstream } from "../upstream.ts";
import { tappedBody } from "./passthrough-usage.ts";
import type { LLMRequest } from "./types.ts";
import { scanFirstId, type Usage } from "./usage.ts";

/** Which provider, credentials and prices a pass-through call uses, and the model it names. */
export interface PassthroughPlan {
  provider: Provider;
  /** Credentials and base, with `model` set to the model to call (a Bedrock or Vertex model id). */
  target: Target;
  /** The deployment the credentials came from: its prices and name go to the spend log. */
  deployment?: Deployment;
  model?: string;
  /** Set when the client named a config model (LiteLLM's router-model pass-through). */
  modelGroup?: string;
  /** A custom endpoint's `cost_per_request`, instead of pricing the answer's usage. */
  costPerRequest?: number;
}

/** The plan for a provider route: the deployment's own descriptor and target. */
export function planFor(d: Deployment, model?: string, modelGroup?: string): PassthroughPlan {
  const target = { ...d.target, model: model ?? d.upstreamModel };
  return { provider: d.provider.forModel?.(target.model) ?? d.provider, target, deployment: d, model, modelGroup };
}

const synthetic = new WeakMap<Runtime, Map<string, Deployment>>();

/**
 * LiteLLM's pass-through credentials (`PassthroughEndpointRouter`): a deployment of the provider
 * marked `use_in_pass_through: true` (for Vertex, the one whose project and location match; never a
 * team's deployment, which serves its team only), else
 * the provider's settings from env vars LiteLLM reads (and, for Vertex, `default_vertex_config`),
 * resolved once per runtime like any `model_list` entry.
 */
export function passthroughDeployment(rt: Runtime, provider: string, match: (d: Deployment) => boolean = () => true): Deployment {
  const marked = rt.router.groups.allDeployments().find((d) => d.providerName === provider && d.params.use_in_pass_through === true && servesTeam(d, undefined) && match(d));
  if (marked) return marked;
  let cache = synthetic.get(rt);
  if (!cache) synthetic.set(rt, (cache = new Map()));
  let d = cache.get(provider);
  if (!d) {
    const extra = provider === "vertex_ai" ? (rt.config.defaultVertexConfig ?? {}) : {};
    const entry = { model_name: `${provider}-pass-through`, litellm_params: { ...extra, model: `${provider}/pass-through` } };
    d = buildDeployments([entry as never], rt.config.env, rt.config.credentials).deployments[0]!;
    cache.set(provider, d);
  }
  return d;
}

const DROPPED_RESPONSE_HEADERS = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"]);

/** The first `"model":"…"` of an answer: what a pass-through call is priced by when the path did not name one. */
function answerModel(headText: string): string | undefined {
  return /"model"\s*:\s*"([^"\\]{1,200})"/.exec(headText)?.[1];
}

/**
 * One pass-through call: the provider builds the upstream request from the client's (path, body,
 * headers) with the gateway's credentials, `src/upstream.ts` sends it, the answer is relayed byte
 * for byte, and its usage (when the shape is known) is priced and recorded as LiteLLM's
 * `pass_through_endpoint` call.
 */
export async function runPassthrough(rt: Runtime, req: LLMRequest, call: PassthroughCall, plan: PassthroughPlan): Promise<Response> {
  const { deployment: d, provider } = plan;
  if (!provider.passthrough) throw new GatewayError(404, `${provider.name} has no pass-through route`, { type: "not_found_error" });
  const timeoutMs = d?.timeoutMs ?? rt.router.settings.timeoutMs;
  const upstream = await provider.passthrough(plan.target, call, {
    stream: false,
    clientHeaders: req.headers,
    query: call.query,
    send: (aux) => sendUpstream(aux, req.signal, aux.timeoutMs ?? timeoutMs),
  });
  const t0 = performance.now();
  const res = await sendUpstream(upstream, req.signal, timeoutMs);
  const upstreamMs = performance.now() - t0;
  const headers = new Headers();
  res.headers.forEach((v, k) => {
    if (!DROPPED_RESPONSE_HEADERS.has(k)) headers.set(k, v);
  });
  headers.set("x-litellm-call-id", req.callId);
  if (plan.modelGroup) headers.set("x-litellm-model-group", plan.modelGroup);
  let model = plan.model;
  let responseId: string | undefined;
  const record = (usage: Usage | undefined, error?: Error) => {
    const failed = res.status >= 400 || !!error;
    rt.sink.record({
      req,
      deployment: d,
      modelGroup: plan.modelGroup ?? model ?? req.model,
      upstreamModel: model,
      usage,
      responseId,
      status: failed ? "failure" : "success",
      error: failed ? new GatewayError(res.status >= 400 ? res.status : 500, error?.message ?? `pass-through: ${provider.name} answered ${res.status}`) : undefined,
      endMs: Date.now(),
      cost: failed ? 0 : (plan.costPerRequest ?? (d ? costOf(d, model ?? "", usage) : 0)),
      retries: 0,
      fallbacks: 0,
      upstreamMs,
    });
  };
  if (!res.body) {
    record(undefined);
    return new Response(null, { status: res.status, headers });
  }
  const eventStream = (res.headers.get("content-type") ?? "").includes("amazon.eventstream");
  const body = tappedBody(res.body, eventStream, (usage, error, head) => {
    model ??= answerModel(head);
    responseId = scanFirstId(head);
    record(usage, error);
  });
  return new Response(body, { status: res.status, headers });
}
