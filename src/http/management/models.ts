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

/** `/model/info` and `/v1/model/info`: config and database models, narrowed to what the key may call. */
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
}
