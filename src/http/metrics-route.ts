import type { Hono } from "hono";
import type { Runtime } from "../runtime.ts";
import { errorResponse } from "./error-response.ts";

/** `/metrics` in Prometheus text format; public unless `require_auth_for_metrics_endpoint: true`. */
export function registerMetricsRoute(app: Hono, rt: () => Runtime, render: () => string): void {
  app.get("/metrics", async (c) => {
    const runtime = rt();
    if (runtime.config.litellm.require_auth_for_metrics_endpoint) {
      try {
        await runtime.auth.authenticate(c.req.raw.headers, { route: "/metrics", isLLMRoute: false });
      } catch (e) {
        return errorResponse(e, "openai");
      }
    }
    return new Response(render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
  });
}
