import type { Context, Hono } from "hono";
import { teamScope } from "../auth/model-access.ts";
import { OPEN_AUTH } from "../auth/types.ts";
import { GatewayError } from "../errors.ts";
import { invalidModel } from "../gateway/call.ts";
import { passthroughDeployment, planFor, runPassthrough, type PassthroughPlan } from "../gateway/passthrough.ts";
import { EMPTY_BODY } from "../gateway/request-body.ts";
import type { LLMRequest } from "../gateway/types.ts";
import { bedrockAction } from "../providers/bedrock/index.ts";
import { customEndpoint } from "../providers/custom-passthrough.ts";
import type { PassthroughCall, Protocol } from "../providers/types.ts";
import type { Deployment } from "../router/deployment.ts";
import { upstreamModelFor, type TeamScope } from "../router/model-groups.ts";
import type { Runtime } from "../runtime.ts";
import { errorResponse, type ErrorShape } from "./error-response.ts";
import { clientIp } from "./parse.ts";
import { readBodyBytes } from "./body-reader.ts";
import type { BodyLimits } from "../limits/body-budget.ts";

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/** A config model the path names (LiteLLM's router-model pass-through), with its deployment for the provider. */
function routerModel(rt: Runtime, name: string, provider: string, scope?: TeamScope): { d: Deployment; model: string; group: string } | undefined {
  const resolved = rt.router.resolve(name, scope);
  const d = resolved?.deployments.find((x) => x.providerName === provider);
  return resolved && d ? { d, model: upstreamModelFor(d, resolved), group: resolved.group } : undefined;
}

interface RouteSpec {
  prefix: string;
  shape: ErrorShape;
  /**
   * The credentials to use and the model the call names; `checked` is a config model the key must be
   * allowed, and with the caller's `scope` only a deployment its team may use.
   */
  plan(rt: Runtime, call: PassthroughCall, scope?: TeamScope): PassthroughPlan & { checked?: string };
  /** Where the client put its virtual key, when not in LiteLLM's usual headers (Gemini's `?key=`). */
  keyOf?(c: Context): string | undefined;
}

const simple = (prefix: string, provider: string, shape: ErrorShape = "openai"): RouteSpec => ({
  prefix,
  shape,
  plan: (rt) => planFor(passthroughDeployment(rt, provider)),
});

const modelInPath = (path: string) => /\/models\/([^/:]+)(:|$)/.exec(path)?.[1];

/** LiteLLM's provider pass-through routes (`llm_passthrough_endpoints.py`). */
const ROUTES: RouteSpec[] = [
  simple("/anthropic", "anthropic", "anthropic"),
  simple("/openai", "openai"),
  simple("/mistral", "mistral"),
  simple("/cohere", "cohere"),
  simple("/vllm", "hosted_vllm"),
  {
    prefix: "/gemini",
    shape: "openai",
    keyOf: (c) => c.req.query("key") ?? c.req.header("x-goog-api-key"),
    plan: (rt, call) => ({ ...planFor(passthroughDeployment(rt, "gemini")), model: modelInPath(call.path) }),
  },
  {
    prefix: "/azure",
    shape: "openai",
    plan(rt, call, scope) {
      for (const part of call.path.split("/").filter(Boolean)) {
        const hit = routerModel(rt, decodeURIComponent(part), "azure", scope);
        if (hit) return { ...planFor(hit.d, hit.model, hit.group), checked: decodeURIComponent(part) };
      }
      return planFor(passthroughDeployment(rt, "azure"));
    },
  },
  {
    prefix: "/bedrock",
    shape: "anthropic",
    plan(rt, call, scope) {
      const op = bedrockAction(call.path);
      const hit = op && routerModel(rt, op.modelId, "bedrock", scope);
      if (op && hit) return { ...planFor(hit.d, hit.model, hit.group), checked: op.modelId };
      return planFor(passthroughDeployment(rt, "bedrock"), op?.modelId ?? "");
    },
  },
  ...["/vertex_ai", "/vertex-ai"].map(
    (prefix): RouteSpec => ({
      prefix,
      shape: "anthropic",
      plan(rt, call) {
        const project = /\/projects\/([^/]+)\//.exec(call.path)?.[1];
        const location = /\/locations\/([^/]+)\//.exec(call.path)?.[1];
        const d = passthroughDeployment(rt, "vertex_ai", (x) => x.target.params.vertex_project === project && x.target.params.vertex_location === location);
        return planFor(d, modelInPath(call.path) ?? "");
      },
    }),
  ),
];

/** The call as the spend log and sinks see it, for routes that do not parse an LLM request. */
export function plainRequest(c: Context, callType: string, model: string, auth: LLMRequest["auth"], protocol: Protocol): LLMRequest {
  const headers = c.req.raw.headers;
  return {
    protocol,
    callType,
    route: c.req.path,
    body: {},
    rawBody: EMPTY_BODY,
    model,
    stream: false,
    headers,
    query: "",
    signal: c.req.raw.signal,
    callId: crypto.randomUUID(),
    clientCallId: headers.get("x-litellm-call-id") ?? undefined,
    startMs: Date.now(),
    startPerf: performance.now(),
    auth,
    clientIp: clientIp(c),
  };
}

async function callOf(c: Context, path: string, limits: BodyLimits): Promise<PassthroughCall> {
  const method = c.req.method;
  const body = method === "GET" || method === "HEAD" ? undefined : await readBodyBytes(c.req.raw, limits);
  const url = c.req.url;
  const q = url.indexOf("?");
  return { method, path: path || "/", query: q >= 0 ? url.slice(q) : "", headers: c.req.raw.headers, body };
}

function providerRoute(rt: () => Runtime, spec: RouteSpec) {
  return async (c: Context) => {
    const runtime = rt();
    try {
      const key = spec.keyOf?.(c);
      const headers = key ? new Headers({ authorization: `Bearer ${key}` }) : c.req.raw.headers;
      await runtime.auth.refuseEarly(headers);
      const call = await callOf(c, c.req.path.slice(spec.prefix.length), runtime.body);
      const named = spec.plan(runtime, call);
      const auth = await runtime.auth.authenticate(headers, { route: c.req.path, model: named.checked, isLLMRoute: true });
      const plan = named.checked ? spec.plan(runtime, call, teamScope(auth)) : named;
      if (named.checked && plan.checked !== named.checked) throw invalidModel(named.checked);
      const req = plainRequest(c, "pass_through_endpoint", plan.modelGroup ?? plan.model ?? "", auth, spec.shape === "anthropic" ? "anthropic-messages" : "openai-chat");
      return await runPassthrough(runtime, req, call, plan);
    } catch (e) {
      return errorResponse(e, spec.shape);
    }
  };
}

/** Which configured endpoint serves `path`: the one with that path, or a prefix of it with `include_subpath`. */
function customEndpointFor(rt: Runtime, path: string) {
  return rt.config.general.pass_through_endpoints?.find((x) => path === x.path || (x.include_subpath === true && path.startsWith(`${x.path.replace(/\/+$/, "")}/`)));
}

/** One `general_settings.pass_through_endpoints` route; its settings are read per request, so a reload changes them. */
function customRoute(rt: () => Runtime) {
  return async (c: Context) => {
    const runtime = rt();
    const path = c.req.path;
    const e = customEndpointFor(runtime, path);
    if (!e) return c.notFound();
    try {
      if (e.auth === true) await runtime.auth.refuseEarly(c.req.raw.headers);
      const call = await callOf(c, path.slice(e.path.replace(/\/+$/, "").length), runtime.body);
      const auth = e.auth === true ? await runtime.auth.authenticate(c.req.raw.headers, { route: path, isLLMRoute: true }) : OPEN_AUTH;
      const req = plainRequest(c, "pass_through_endpoint", e.path, auth, "openai-chat");
      const plan: PassthroughPlan = { provider: customEndpoint(e, runtime.config.env), target: { model: "", apiBase: e.target, params: {} }, costPerRequest: e.cost_per_request ?? undefined, model: e.path };
      return await runPassthrough(runtime, req, call, plan);
    } catch (err) {
      return errorResponse(err, "openai");
    }
  };
}

/**
 * Provider pass-through routes as LiteLLM serves them: `/anthropic/*`, `/openai/*`, `/azure/*`,
 * `/gemini/*`, `/vertex_ai/*`, `/bedrock/*` (and `/mistral`, `/cohere`, `/vllm`), plus the
 * config's `pass_through_endpoints`: the client's path and body forwarded with the gateway's
 * credentials, after virtual-key auth, priced from the answer's usage when its shape is known.
 */
export function registerPassthroughRoutes(app: Hono, rt: () => Runtime): void {
  for (const spec of ROUTES) app.on(METHODS, `${spec.prefix}/*`, providerRoute(rt, spec));
  // Custom paths are routes from the config at start (new paths need a restart, as in LiteLLM).
  for (const e of rt().config.general.pass_through_endpoints ?? []) {
    const path = e.path.replace(/\/+$/, "") || "/";
    app.on(METHODS, path, customRoute(rt));
    if (e.include_subpath) app.on(METHODS, `${path}/*`, customRoute(rt));
  }
}
