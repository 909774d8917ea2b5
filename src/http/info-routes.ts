import type { Hono } from "hono";
import type { Runtime } from "../runtime.ts";
import { VERSION } from "../version.ts";
import { errorResponse } from "./error-response.ts";

const MODEL_CREATED_AT = 1677610602;

/** Health, model list and the root probes (Claude Code sends `HEAD /` before its first call). */
export function registerInfoRoutes(app: Hono, rt: () => Runtime, health: () => Record<string, unknown> = () => ({})): void {
  const alive = () => Response.json("I'm alive!");
  app.get("/health/liveliness", alive);
  app.get("/health/liveness", alive);
  app.get("/health/readiness", () => {
    const extra = health();
    return Response.json(
      {
        status: "healthy",
        db: "Not connected",
        cache: null,
        litellm_version: VERSION,
        success_callbacks: [],
        last_updated: new Date().toISOString(),
        ...extra,
      },
      // LiteLLM answers 503 when its database health check fails.
      { status: extra.status === "unhealthy" ? 503 : 200 },
    );
  });
  app.on("HEAD", "/", () => new Response(null, { status: 200 }));
  app.get("/", () => Response.json({ name: "litellm-rust", version: VERSION, docs: "https://github.com/litellm-rust/litellm-rust" }));

  const listModels = async (c: import("hono").Context) => {
    const runtime = rt();
    try {
      const auth = await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
      const wildcards = c.req.query("return_wildcard_routes") === "true";
      const names = runtime.router.groups.publicNames(wildcards);
      const allowed = runtime.modelFilter ? runtime.modelFilter(auth, names) : names;
      return Response.json({
        object: "list",
        data: allowed.map((id) => ({ id, object: "model", created: MODEL_CREATED_AT, owned_by: "openai" })),
      });
    } catch (e) {
      return errorResponse(e, "openai");
    }
  };
  app.get("/v1/models", listModels);
  app.get("/models", listModels);
}
