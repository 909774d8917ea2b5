import type { Context, Hono } from "hono";
import type { Runtime } from "../../runtime.ts";
import type { Deployment } from "../../router/deployment.ts";
import { unitPrices } from "../../spend/cost.ts";
import { errorResponse } from "../error-response.ts";

const SECRET = /(key|secret|token|password|credentials)/i;

function modelInfo(d: Deployment): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.params)) if (!SECRET.test(k) && v !== undefined && v !== null) params[k] = v;
  const prices = unitPrices(d, d.upstreamModel.replace(/\*/g, ""));
  return {
    model_name: d.modelName,
    litellm_params: params,
    model_info: {
      ...d.info,
      id: d.id,
      db_model: d.info.db_model ?? false,
      litellm_provider: d.providerName,
      mode: d.info.mode ?? "chat",
      input_cost_per_token: prices.known ? prices.input : null,
      output_cost_per_token: prices.known ? prices.output : null,
      cache_read_input_token_cost: prices.known ? prices.cacheRead : null,
      cache_creation_input_token_cost: prices.known ? prices.cacheWrite : null,
      max_tokens: d.info.max_tokens ?? null,
      max_input_tokens: d.info.max_input_tokens ?? null,
      max_output_tokens: d.info.max_output_tokens ?? null,
    },
  };
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const maxOf = (vals: Array<number | undefined>) => {
  const known = vals.filter((x): x is number => x !== undefined);
  return known.length ? Math.max(...known) : null;
};
const sumOf = (vals: Array<number | undefined>) => {
  const known = vals.filter((x): x is number => x !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
};
const SUPPORTS = ["supports_parallel_function_calling", "supports_vision", "supports_web_search", "supports_reasoning", "supports_function_calling"] as const;

/** LiteLLM's `ModelGroupInfo`: the deployments of one `model_name` folded together. */
function groupInfo(name: string, ds: Deployment[]): Record<string, unknown> {
  const prices = ds.map((d) => unitPrices(d, d.upstreamModel.replace(/\*/g, "")));
  const out: Record<string, unknown> = {
    model_group: name,
    providers: [...new Set(ds.map((d) => d.providerName))],
    max_input_tokens: maxOf(ds.map((d) => num(d.info.max_input_tokens))),
    max_output_tokens: maxOf(ds.map((d) => num(d.info.max_output_tokens))),
    input_cost_per_token: maxOf(prices.map((p) => (p.known ? p.input : undefined))),
    output_cost_per_token: maxOf(prices.map((p) => (p.known ? p.output : undefined))),
    mode: ds.find((d) => typeof d.info.mode === "string")?.info.mode ?? "chat",
    tpm: sumOf(ds.map((d) => d.tpm)),
    rpm: sumOf(ds.map((d) => d.rpm)),
  };
  for (const f of SUPPORTS) out[f] = ds.some((d) => d.info[f] === true);
  out.supported_openai_params = [];
  return out;
}

/** `/model/info`, `/v1/model/info` and `/model_group/info`: config and database models, narrowed to what the key may call. */
export function registerModelRoutes(app: Hono, rt: () => Runtime): void {
  const handler = async (c: Context) => {
    const runtime = rt();
    try {
      const auth = await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
      const all = runtime.router.groups.allDeployments();
      const names = [...new Set(all.map((d) => d.modelName))];
      const allowed = new Set(runtime.modelFilter ? runtime.modelFilter(auth, names) : names);
      const id = c.req.query("litellm_model_id");
      const data = all.filter((d) => allowed.has(d.modelName) && (!id || d.id === id)).map(modelInfo);
      return Response.json({ data });
    } catch (e) {
      return errorResponse(e, "openai");
    }
  };
  app.get("/model/info", handler);
  app.get("/v1/model/info", handler);

  app.get("/model_group/info", async (c) => {
    const runtime = rt();
    try {
      const auth = await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
      const groups = new Map<string, Deployment[]>();
      for (const d of runtime.router.groups.allDeployments()) groups.set(d.modelName, [...(groups.get(d.modelName) ?? []), d]);
      const names = [...groups.keys()];
      const allowed = new Set(runtime.modelFilter ? runtime.modelFilter(auth, names) : names);
      const wanted = c.req.query("model_group");
      const data = names.filter((n) => allowed.has(n) && (!wanted || n === wanted)).map((n) => groupInfo(n, groups.get(n)!));
      return Response.json({ data });
    } catch (e) {
      return errorResponse(e, "openai");
    }
  });
}
