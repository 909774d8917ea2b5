import type { Context, Hono } from "hono";
import { GatewayError } from "../../errors.ts";
import type { Runtime } from "../../runtime.ts";
import { adminRoute, jsonObject, notFound, optionalString, param, positiveInt } from "../api-auth.ts";
import type { AgentRuntime } from "../runtime.ts";
import type { AgentMemory } from "./memory.ts";
import type { MemoryEntry } from "./store.ts";

const view = (agentId: string, scope: string, e: MemoryEntry | undefined) => ({
  agent_id: agentId,
  session_id: scope || null,
  version: e?.version ?? 0,
  content: e?.content ?? "",
  bytes: e?.bytes ?? 0,
  source: e?.source ?? null,
  run_id: e?.run_id ?? null,
  updated_at: e?.created_at ?? null,
});

/** `/api/agents/{id}/memory`: the agent's notes, or a session's with `?session_id=`. */
export function registerMemoryRoutes(app: Hono, rt: () => Runtime, agents: () => AgentRuntime, memory: AgentMemory): void {
  const guarded = adminRoute(rt, agents);
  const target = (c: Context, a: AgentRuntime, body: Record<string, unknown> = {}) => ({
    agentId: a.agent(param(c, "id")).id,
    scope: optionalString(body, "session_id") ?? c.req.query("session_id") ?? "",
  });

  app.get(
    "/api/agents/:id/memory",
    guarded(async (c, a) => {
      const { agentId, scope } = target(c, a);
      const v = c.req.query("version");
      const entry = v ? await memory.version(agentId, scope, positiveInt(v, "version")) : await memory.current(agentId, scope);
      if (v && !entry) throw notFound("memory version", v);
      return Response.json({ ...view(agentId, scope, entry), max_bytes: memory.limits.maxBytes, versions: await memory.versions(agentId, scope) });
    }),
  );

  app.post(
    "/api/agents/:id/memory",
    guarded(async (c, a) => {
      const body = await jsonObject(c);
      const { agentId, scope } = target(c, a, body);
      const content = optionalString(body, "content");
      if (content === undefined) throw new GatewayError(400, "content is required", { type: "invalid_request_error", param: "content" });
      const mode = optionalString(body, "mode") ?? "replace";
      if (mode !== "replace" && mode !== "append") throw new GatewayError(400, 'mode must be "replace" or "append"', { type: "invalid_request_error", param: "mode" });
      const entry = await memory.write({ agent_id: agentId, scope, content, source: "api", run_id: null }, mode);
      return Response.json(view(agentId, scope, entry), { status: 201 });
    }),
  );

  app.delete(
    "/api/agents/:id/memory",
    guarded(async (c, a) => {
      const { agentId, scope } = target(c, a);
      return Response.json({ agent_id: agentId, session_id: scope || null, deleted_versions: await memory.clear(agentId, scope) });
    }),
  );
}
