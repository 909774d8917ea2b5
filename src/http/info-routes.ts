import type { Hono } from "hono";
import type { Runtime } from "../runtime.ts";
import { VERSION } from "../version.ts";
import { errorResponse } from "./error-response.ts";
import { listedModelNames } from "./model-names.ts";
import { healthTargets, runHealthChecks } from "../gateway/health-check.ts";
import { httpError, requireAdmin } from "./management/context.ts";

/** FastAPI's boolean query values. */
export const queryFlag = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

const MODEL_CREATED_AT = 1677610602;

/** Health, model list and the root probes (Claude Code sends `HEAD /` before its first call). */
export function registerInfoRoutes(app: Hono, rt: () => Runtime, health: () => Record<string, unknown> = () => ({})): void {
  const alive = () => Response.json("I'm alive!");
  app.get("/health/liveliness", alive);
  app.get("/health/liveness", alive);
  /** LiteLLM answers 503 when a configured database does not answer (its body still says "healthy"). */
  const readyStatus = (status: unknown) => ({ status: status === "unhealthy" ? 503 : 200 });
  const readiness = () => {
    const { status, ...extra } = health();
    const debug = rt().log.debugEnabled;
    return Response.json(
      {
        status: "healthy",
        db: "Not connected",
        cache: null,
        litellm_version: VERSION,
        success_callbacks: [],
        use_aiohttp_transport: false,
        log_level: debug ? "DEBUG" : "INFO",
        is_detailed_debug: debug,
        last_updated: new Date().toISOString(),
        ...extra,
      },
      readyStatus(status),
    );
  };
  /**
   * The public probe is low-detail, as LiteLLM's: the status and the database's state, unless
   * `general_settings.allow_public_health_readiness_details` opens the diagnostics to everyone.
   */
  app.get("/health/readiness", () => {
    if (rt().config.general.allow_public_health_readiness_details === true) return readiness();
    const { status, db } = health();
    return Response.json({ status: "healthy", db: db ?? "Not connected" }, readyStatus(status));
  });
  /** LiteLLM's authenticated readiness diagnostics (any valid key). */
  app.get("/health/readiness/details", async (c) => {
    const runtime = rt();
    try {
      await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
      return readiness();
    } catch (e) {
      return errorResponse(e, "openai");
    }
  });
  app.get("/health", async (c) => {
    const runtime = rt();
    try {
      const auth = await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
      requireAdmin(auth);
      const modelId = c.req.query("model_id");
      const targets = healthTargets(runtime.router.groups, c.req.query("model"), modelId);
      if (!targets) throw httpError(404, `Model with ID ${modelId} not found`);
      const details = (runtime.config.general as Record<string, unknown>).health_check_details !== false;
      return Response.json(await runHealthChecks(targets, runtime.router.groups, auth, details));
    } catch (e) {
      return errorResponse(e, "openai");
    }
  });
  /** LiteLLM's public `/routes`: every route the server answers. */
  app.get("/routes", () => {
    const methods = new Map<string, Set<string>>();
    for (const r of app.routes) if (r.method !== "ALL") methods.set(r.path, (methods.get(r.path) ?? new Set()).add(r.method));
    const routes = [...methods].map(([path, m]) => {
      const name = path.replace(/^\//, "").replace(/[^A-Za-z0-9]+/g, "_") || "root";
      return { path, methods: [...m], name, endpoint: name };
    });
    return Response.json({ routes });
  });
  app.on("HEAD", "/", () => new Response(null, { status: 200 }));
  app.get("/", () => Response.json({ name: "litellm-rust", version: VERSION, docs: "https://github.com/litellm-rust/litellm-rust" }));

  const listModels = async (c: import("hono").Context) => {
    const runtime = rt();
    try {
      const auth = await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
      const allowed = listedModelNames(runtime, auth, {
        returnWildcardRoutes: queryFlag(c.req.query("return_wildcard_routes")),
        includeAccessGroups: queryFlag(c.req.query("include_model_access_groups")),
        onlyAccessGroups: queryFlag(c.req.query("only_model_access_groups")),
      });
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
