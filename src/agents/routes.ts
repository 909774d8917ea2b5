import type { Context, Hono } from "hono";
import { GatewayError } from "../errors.ts";
import { errorResponse } from "../http/error-response.ts";
import { readBodyBytes } from "../http/body-reader.ts";
import type { Runtime } from "../runtime.ts";
import { adminRoute, listLimit, jsonObject, optionalString, param } from "./api-auth.ts";
import type { AgentRuntime } from "./runtime.ts";
import { TERMINAL_STATES, type RunEvent } from "./types.ts";
import { checkDelivery, promptWithPayload } from "./webhook.ts";

const KEEPALIVE_MS = 15_000;
const POLL_MS = 500;
const END_GRACE_MS = 5_000;
const END_POLL_MS = 50;

/** Whether the run's closing event is among those the follower already has (seq ≤ `last`). */
async function closingEventSent(agents: AgentRuntime, runId: string, last: number): Promise<boolean> {
  return (await agents.store.events(runId, 0)).some((e) => e.seq <= last && (e.type === "run.completed" || e.type === "run.failed"));
}

function agentView(agents: AgentRuntime, id: string) {
  const a = agents.agent(id);
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    model: a.model,
    sandbox: a.sandbox,
    schedule: a.schedule ?? null,
    next_run_at: agents.nextRun(a.id)?.toISOString() ?? null,
    webhook: !!a.webhook,
    timeout: a.timeoutMs / 1000,
    max_turns: a.maxTurns ?? null,
    max_budget: a.maxBudget ?? null,
    max_concurrency: a.maxConcurrency,
  };
}

const sseFrame = (e: RunEvent) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e.data, seq: e.seq, at: e.created_at })}\n\n`;

/** Replays a run's events after `after`, then follows live ones until the run ends. */
export function eventStream(agents: AgentRuntime, runId: string, after: number, signal: AbortSignal): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let last = after;
      let closed = false;
      const live: RunEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = agents.bus.subscribe(runId, (e) => {
        live.push(e);
        wake?.();
      });
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
      };
      signal.addEventListener("abort", close);
      const send = (e: RunEvent) => {
        if (e.seq <= last || closed) return false;
        last = e.seq;
        controller.enqueue(enc.encode(sseFrame(e)));
        return e.type === "run.completed" || e.type === "run.failed";
      };
      const keepalive = setInterval(() => !closed && controller.enqueue(enc.encode(": keepalive\n\n")), KEEPALIVE_MS);
      let endedAt = 0;
      try {
        for (;;) {
          for (const e of await agents.store.events(runId, last)) if (send(e)) return;
          const run = await agents.store.get(runId);
          if (!run) return;
          // A run is recorded as ended just before its closing event is stored: wait for that event,
          // unless the follower is already past it (a reconnect after the end) or it never comes.
          if (TERMINAL_STATES.has(run.status)) {
            if (!endedAt) {
              if (await closingEventSent(agents, runId, last)) return;
              endedAt = Date.now();
            } else if (Date.now() - endedAt > END_GRACE_MS) return;
          }
          await new Promise<void>((r) => {
            wake = r;
            setTimeout(r, endedAt ? END_POLL_MS : agents.isLocal(runId) ? KEEPALIVE_MS : POLL_MS);
          });
          wake = undefined;
          while (live.length) if (send(live.shift()!)) return;
          if (closed) return;
        }
      } finally {
        clearInterval(keepalive);
        close();
      }
    },
  });
}

/** `/api/agents` and `/api/runs`: master key (or an admin key); the webhook route is checked by signature only. */
export function registerAgentRoutes(app: Hono, rt: () => Runtime, agents: () => AgentRuntime): void {
  const guarded = adminRoute(rt, agents);

  app.get("/api/agents", guarded(async (_c, a) => Response.json({ data: [...a.agents.keys()].map((id) => agentView(a, id)) })));
  app.get("/api/agents/:id", guarded(async (c, a) => Response.json(agentView(a, param(c, "id")))));

  app.post(
    "/api/agents/:id/run",
    guarded(async (c, a) => {
      const prompt = optionalString(await jsonObject(c), "prompt");
      const run = await a.trigger(param(c, "id"), { trigger: "api", prompt });
      return Response.json({ run_id: run.run_id, status: run.status, event_url: `/api/runs/${run.run_id}/events` }, { status: 202 });
    }),
  );

  app.post("/api/agents/:id/webhook", async (c) => {
    try {
      const a = agents();
      const agent = a.agent(param(c, "id"));
      const raw = await readBodyBytes(c.req.raw, rt().body);
      const check = agent.webhook ? checkDelivery(agent.webhook, raw, (h) => c.req.header(h)) : { ok: false as const, reason: `agent ${agent.id} has no webhook` };
      if (!check.ok) throw new GatewayError(401, check.reason, { type: "auth_error" });
      const runId = crypto.randomUUID();
      const window = agent.webhook!.replayWindowMs;
      const original = await a.store.claimDelivery(agent.id, check.replayKey, runId, window);
      if (original) {
        const seen = await a.store.get(original);
        return Response.json({ run_id: original, status: seen?.status ?? "queued", event_url: `/api/runs/${original}/events`, replayed: true });
      }
      let run;
      try {
        run = await a.trigger(agent.id, {
          trigger: "webhook",
          runId,
          prompt: promptWithPayload(agent.prompt, new TextDecoder().decode(raw)),
          metadata: { webhook_event: c.req.header("x-github-event") ?? null, delivery: check.deliveryId, webhook_scheme: check.scheme },
        });
      } catch (e) {
        await a.store.releaseDelivery(agent.id, check.replayKey, runId).catch(() => {});
        throw e;
      }
      return Response.json({ run_id: run.run_id, status: run.status, event_url: `/api/runs/${run.run_id}/events` }, { status: 202 });
    } catch (e) {
      return errorResponse(e, "openai");
    }
  });

  app.get(
    "/api/runs",
    guarded(async (c, a) => {
      const limit = listLimit(c.req.query("limit"));
      const runs = await a.store.list({ agent_id: c.req.query("agent_id"), status: c.req.query("status"), limit });
      return Response.json({ data: runs });
    }),
  );
  app.get(
    "/api/runs/:id",
    guarded(async (c, a) => {
      const run = await a.store.get(param(c, "id"));
      if (!run) throw new GatewayError(404, `run not found: ${param(c, "id")}`, { type: "not_found_error" });
      return Response.json(run);
    }),
  );
  app.post("/api/runs/:id/cancel", guarded(async (c, a) => Response.json(await a.cancel(param(c, "id")))));
  app.get(
    "/api/runs/:id/events",
    guarded(async (c, a) => {
      const id = param(c, "id");
      if (!(await a.store.get(id))) throw new GatewayError(404, `run not found: ${id}`, { type: "not_found_error" });
      const after = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? 0) || 0;
      return new Response(eventStream(a, id, after, c.req.raw.signal), {
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
      });
    }),
  );
}
