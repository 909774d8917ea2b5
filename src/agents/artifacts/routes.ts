import type { Hono } from "hono";
import { GatewayError } from "../../errors.ts";
import type { Runtime } from "../../runtime.ts";
import { adminRoute, notFound, param } from "../api-auth.ts";
import type { AgentRuntime } from "../runtime.ts";
import type { Artifacts } from "./artifacts.ts";
import type { ArtifactMeta } from "./types.ts";

const view = (m: ArtifactMeta) => ({
  path: m.path,
  kind: m.kind,
  size: m.size,
  content_type: m.content_type,
  sha256: m.sha256,
  storage: m.storage,
  created_at: m.created_at,
  url: `/api/runs/${m.run_id}/artifacts/${m.path.split("/").map(encodeURIComponent).join("/")}`,
});

/** The artifact path after `/artifacts/`, from the raw URL (each segment percent-decoded once). */
function artifactPath(url: string): string {
  const raw = new URL(url).pathname;
  const rest = raw.slice(raw.indexOf("/artifacts/") + "/artifacts/".length);
  try {
    return rest.split("/").map(decodeURIComponent).join("/");
  } catch {
    throw new GatewayError(400, "malformed artifact path", { type: "invalid_request_error" });
  }
}

/** `GET /api/runs/{run_id}/artifacts` and `GET /api/runs/{run_id}/artifacts/{path}` (streamed). */
export function registerArtifactRoutes(app: Hono, rt: () => Runtime, agents: () => AgentRuntime, artifacts: Artifacts): void {
  const guarded = adminRoute(rt, agents);
  const runOr404 = async (a: AgentRuntime, id: string) => {
    const run = await a.store.get(id);
    if (!run) throw notFound("run", id);
    return run;
  };

  app.get(
    "/api/runs/:id/artifacts",
    guarded(async (c, a) => {
      const run = await runOr404(a, param(c, "id"));
      return Response.json({ run_id: run.run_id, data: (await artifacts.list(run.run_id)).map(view) });
    }),
  );

  app.get(
    "/api/runs/:id/artifacts/*",
    guarded(async (c, a) => {
      const run = await runOr404(a, param(c, "id"));
      const path = artifactPath(c.req.url);
      const meta = await artifacts.get(run.run_id, path);
      if (!meta) throw notFound("artifact", path);
      const blob = await artifacts.open(meta);
      const name = (path.split("/").pop() ?? "artifact").replace(/["\\\r\n]/g, "_");
      return new Response(blob.stream(), {
        headers: {
          "content-type": meta.content_type,
          "content-length": String(meta.size),
          "content-disposition": `attachment; filename="${name}"`,
          "x-content-type-options": "nosniff",
          etag: `"${meta.sha256}"`,
        },
      });
    }),
  );
}
