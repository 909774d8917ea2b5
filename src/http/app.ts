import { Hono } from "hono";
import type { Runtime } from "../runtime.ts";
import { registerInfoRoutes } from "./info-routes.ts";
import { registerLLMRoutes } from "./llm-routes.ts";
import { registerFilesRoutes } from "./files-routes.ts";
import { registerMediaRoutes } from "./media-routes.ts";
import { registerPassthroughRoutes } from "./passthrough-routes.ts";

export interface AppOptions {
  health?: () => Record<string, unknown>;
  /** Further route groups (management API, agents, UI) added by their modules. */
  extend?: Array<(app: Hono, rt: () => Runtime) => void>;
}

/** The Hono app: every route of the gateway. `rt` returns the current runtime (it changes on reload). */
export function createApp(rt: () => Runtime, opts: AppOptions = {}): Hono {
  const app = new Hono();
  registerLLMRoutes(app, rt);
  registerMediaRoutes(app, rt);
  registerFilesRoutes(app, rt);
  registerPassthroughRoutes(app, rt);
  registerInfoRoutes(app, rt, opts.health);
  for (const ext of opts.extend ?? []) ext(app, rt);
  app.notFound(() => Response.json({ detail: "Not Found" }, { status: 404 }));
  app.onError((e) => {
    rt().log.error("unhandled error", { error: (e as Error).message });
    return Response.json({ error: { message: "Internal Server Error", type: "internal_server_error", param: null, code: "500" } }, { status: 500 });
  });
  return app;
}
