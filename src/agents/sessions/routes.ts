import type { Hono } from "hono";
import { GatewayError } from "../../errors.ts";
import type { Runtime } from "../../runtime.ts";
import { adminRoute, listLimit, jsonObject, notFound, optionalString, param, requiredString } from "../api-auth.ts";
import type { AgentMemory } from "../memory/memory.ts";
import type { AgentRuntime } from "../runtime.ts";
import { TERMINAL_STATES, type Run } from "../types.ts";
import type { Session, SessionStore } from "./store.ts";

/** A claimed turn whose run never appeared (its gateway died in between) frees the session after this. */
const STALE_CLAIM_MS = 60_000;

const busy = (s: Session, runId: string) =>
  new GatewayError(409, `session ${s.session_id} is busy: run ${runId} is still in progress; wait for it or cancel it`, { type: "conflict_error" });

const runSummary = (r: Run) => ({
  run_id: r.run_id,
  status: r.status,
  prompt: r.prompt,
  result: r.result,
  error: r.error,
  session_state_error: r.session_state_error ?? null,
  created_at: r.created_at,
  ended_at: r.ended_at,
  total_cost_usd: r.total_cost_usd,
  gateway_spend: r.gateway_spend,
});

async function activeRun(a: AgentRuntime, s: Session): Promise<Run | "claimed" | undefined> {
  if (!s.active_run_id) return undefined;
  const run = await a.store.get(s.active_run_id);
  if (run) return TERMINAL_STATES.has(run.status) ? undefined : run;
  return Date.now() - Date.parse(s.updated_at) < STALE_CLAIM_MS ? "claimed" : undefined;
}

const stateLost = (s: Session) =>
  new GatewayError(409, `session ${s.session_id} cannot continue: ${s.state_error}. Send the message again with "start_over": true to begin a new conversation in a fresh workspace`, {
    type: "conflict_error",
    param: "start_over",
  });

function startOverFlag(body: Record<string, unknown>): boolean {
  const v = body.start_over;
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw new GatewayError(400, "start_over must be a boolean", { type: "invalid_request_error", param: "start_over" });
  return v;
}

async function startTurn(a: AgentRuntime, sessions: SessionStore, s: Session, prompt: string, startOver = false): Promise<Run> {
  const active = await activeRun(a, s);
  if (active) throw busy(s, active === "claimed" ? s.active_run_id! : active.run_id);
  if (s.state_error && !startOver) throw stateLost(s);
  const runId = crypto.randomUUID();
  if (!(await sessions.claimTurn(s.session_id, s.turns, runId, startOver))) throw busy(s, "(another message)");
  try {
    return await a.trigger(s.agent_id, {
      trigger: "session",
      prompt,
      runId,
      sessionId: s.session_id,
      claudeSessionId: s.claude_session_id,
      resume: s.state_run_id !== null && !startOver,
      metadata: { session_turn: s.turns + 1, ...(startOver ? { start_over: true } : {}) },
    });
  } catch (e) {
    await sessions.releaseTurn(s.session_id, runId);
    throw e;
  }
}

const accepted = (s: Session, run: Run) => ({ session_id: s.session_id, run_id: run.run_id, status: run.status, event_url: `/api/runs/${run.run_id}/events` });

/** `/api/sessions`: durable multi-turn conversations with an agent. */
export function registerSessionRoutes(app: Hono, rt: () => Runtime, agents: () => AgentRuntime, sessions: SessionStore, memory: AgentMemory): void {
  const guarded = adminRoute(rt, agents);
  const load = async (id: string) => {
    const s = await sessions.get(id);
    if (!s) throw notFound("session", id);
    return s;
  };

  app.post(
    "/api/sessions",
    guarded(async (c, a) => {
      const body = await jsonObject(c);
      const agent = a.agent(optionalString(body, "agent_id") ?? requiredString(body, "agent"));
      const prompt = optionalString(body, "prompt");
      const now = new Date().toISOString();
      const s: Session = {
        session_id: crypto.randomUUID(),
        agent_id: agent.id,
        title: optionalString(body, "title") ?? null,
        claude_session_id: crypto.randomUUID(),
        state_run_id: null,
        state_error: null,
        active_run_id: null,
        turns: 0,
        created_at: now,
        updated_at: now,
      };
      await sessions.create(s);
      const run = prompt?.trim() ? await startTurn(a, sessions, s, prompt) : undefined;
      return Response.json({ ...s, ...(run ? { turns: 1, active_run_id: run.run_id, run: accepted(s, run) } : {}) }, { status: 201 });
    }),
  );

  app.post(
    "/api/sessions/:id/messages",
    guarded(async (c, a) => {
      const body = await jsonObject(c);
      const prompt = requiredString(body, "prompt");
      const startOver = startOverFlag(body);
      const s = await load(param(c, "id"));
      return Response.json(accepted(s, await startTurn(a, sessions, s, prompt, startOver)), { status: 202 });
    }),
  );

  app.get(
    "/api/sessions",
    guarded(async (c) => {
      const limit = listLimit(c.req.query("limit"));
      return Response.json({ data: await sessions.list({ agent_id: c.req.query("agent_id"), limit }) });
    }),
  );

  app.get(
    "/api/sessions/:id",
    guarded(async (c, a) => {
      const s = await load(param(c, "id"));
      const runs = (await a.store.list({ session_id: s.session_id, limit: 1000 })).reverse();
      const active = await activeRun(a, s);
      return Response.json({
        ...s,
        status: active ? "running" : "idle",
        runs: runs.map(runSummary),
        total_cost_usd: runs.reduce((n, r) => n + (r.total_cost_usd ?? 0), 0),
        gateway_spend: runs.reduce((n, r) => n + r.gateway_spend, 0),
      });
    }),
  );

  app.delete(
    "/api/sessions/:id",
    guarded(async (c, a) => {
      const s = await load(param(c, "id"));
      const active = await activeRun(a, s);
      if (active && active !== "claimed") await a.cancel(active.run_id);
      await sessions.delete(s.session_id);
      await memory.clear(s.agent_id, s.session_id);
      return Response.json({ deleted: true, session_id: s.session_id });
    }),
  );
}
