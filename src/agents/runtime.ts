import { GatewayError } from "../errors.ts";
import type { CallRecord, CallSink } from "../gateway/types.ts";
import type { Logger } from "../log.ts";
import { RunBus } from "./bus.ts";
import type { AgentDef } from "./definitions.ts";
import { RunQueue } from "./queue.ts";
import { executeRun, reattachRun, type RunnerDeps } from "./runner.ts";
import { Scheduler } from "./scheduler.ts";
import type { RunStore } from "./store/types.ts";
import { TERMINAL_STATES, type Run, type RunTrigger } from "./types.ts";

/** A run whose instance has not heart-beaten for this many heartbeats is an orphan. */
const ORPHAN_HEARTBEATS = 3;

export interface TriggerOptions {
  trigger: RunTrigger;
  prompt?: string;
  runId?: string;
  sessionId?: string;
  claudeSessionId?: string;
  resume?: boolean;
  metadata?: Record<string, unknown>;
}

/** The agent runtime: definitions, triggers, the run queue, the store and live events. */
export class AgentRuntime implements CallSink {
  readonly bus = new RunBus();
  readonly agents: Map<string, AgentDef>;
  readonly instanceId = crypto.randomUUID();
  private readonly queue: RunQueue;
  private readonly scheduler: Scheduler;
  private readonly spend = new Map<string, number>();
  private readonly resumeFlags = new Map<string, boolean>();
  private readonly deps: RunnerDeps;
  private heartbeat?: ReturnType<typeof setInterval>;
  /** Finished runs by agent and final state, for /metrics. */
  readonly outcomes = new Map<string, number>();

  constructor(
    defs: AgentDef[],
    readonly store: RunStore,
    deps: Omit<RunnerDeps, "store" | "bus" | "gatewaySpend">,
    maxConcurrentRuns: number,
    private readonly log: Logger,
    private readonly heartbeatMs = 10_000,
  ) {
    this.agents = new Map(defs.map((a) => [a.id, a]));
    this.deps = { ...deps, store, bus: this.bus, gatewaySpend: (id) => this.spend.get(id) ?? 0 };
    this.queue = new RunQueue(maxConcurrentRuns);
    this.scheduler = new Scheduler(store, async (agent, runId) => void (await this.trigger(agent.id, { trigger: "cron", runId })), log);
  }

  async start(): Promise<void> {
    await this.store.init();
    if (!this.store.durable && this.agents.size) this.log.warn("agent runs are kept in memory only (no database): they do not survive a restart");
    await this.reconcile();
    this.scheduler.start([...this.agents.values()]);
    this.heartbeat = setInterval(() => {
      this.store
        .touch(this.instanceId)
        .then(() => this.reconcile())
        .catch((e) => this.log.warn("agent heartbeat failed", { error: (e as Error).message }));
    }, this.heartbeatMs);
  }

  /** Spend the gateway metered for a run's LLM calls (the run key carries run_id in its metadata). */
  record(r: CallRecord): void {
    const runId = r.req.auth.metadata?.run_id;
    if (typeof runId === "string" && r.cost) this.spend.set(runId, (this.spend.get(runId) ?? 0) + r.cost);
  }

  nextRun(agentId: string): Date | null {
    return this.scheduler.nextRun(agentId);
  }

  agent(id: string): AgentDef {
    const a = this.agents.get(id);
    if (!a) throw new GatewayError(404, `agent not found: ${id}`, { type: "not_found_error" });
    return a;
  }

  async trigger(agentId: string, o: TriggerOptions): Promise<Run> {
    const agent = this.agent(agentId);
    const run: Run = {
      run_id: o.runId ?? crypto.randomUUID(),
      agent_id: agent.id,
      status: "queued",
      trigger: o.trigger,
      prompt: o.prompt ?? agent.prompt,
      created_at: new Date().toISOString(),
      started_at: null,
      ended_at: null,
      exit_code: null,
      error: null,
      claude_session_id: o.claudeSessionId ?? crypto.randomUUID(),
      total_cost_usd: null,
      usage: null,
      num_turns: null,
      result: null,
      gateway_spend: 0,
      sandbox_provider: null,
      sandbox_id: null,
      session_id: o.sessionId ?? null,
      session_state_error: null,
      instance_id: this.instanceId,
      heartbeat_at: new Date().toISOString(),
      metadata: { ...o.metadata, ...(o.resume ? { resume: true } : {}) },
    };
    if (!run.prompt.trim()) throw new GatewayError(400, `agent ${agent.id} has no prompt: pass {"prompt": "..."}`, { type: "invalid_request_error", param: "prompt" });
    await this.store.create(run);
    this.bus.publish(await this.store.appendEvent(run.run_id, "run.queued", { agent_id: agent.id, trigger: o.trigger }));
    this.enqueue(run, agent, o.resume ?? false);
    return run;
  }

  private enqueue(run: Run, agent: AgentDef, resume: boolean): void {
    this.resumeFlags.set(run.run_id, resume);
    this.queue.enqueue(run.run_id, agent, async (signal) => {
      const t = setTimeout(() => this.queue.abort(run.run_id, "timed_out"), agent.timeoutMs);
      try {
        this.countOutcome(agent.id, (await executeRun(this.deps, run, agent, signal, resume)).status);
      } finally {
        clearTimeout(t);
        this.resumeFlags.delete(run.run_id);
        this.spend.delete(run.run_id);
      }
    });
  }

  async cancel(runId: string): Promise<Run> {
    const run = await this.store.get(runId);
    if (!run) throw new GatewayError(404, `run not found: ${runId}`, { type: "not_found_error" });
    if (TERMINAL_STATES.has(run.status)) return run;
    const where = this.queue.abort(runId, "cancelled");
    if (where === "running") {
      for (let i = 0; i < 600; i++) {
        const cur = await this.store.get(runId);
        if (cur && TERMINAL_STATES.has(cur.status)) return cur;
        await Bun.sleep(50);
      }
      return (await this.store.get(runId))!;
    }
    const done = await this.store.update(runId, { status: "cancelled", error: "cancelled", ended_at: new Date().toISOString() });
    this.bus.publish(await this.store.appendEvent(runId, "run.failed", { status: "cancelled", error: "cancelled" }));
    return done!;
  }

  isLocal(runId: string): boolean {
    return this.queue.isLocal(runId);
  }

  activeCounts(): { queued: number; running: number } {
    return this.queue.counts();
  }

  /**
   * Runs whose instance stopped heart-beating (a crash, a restart) are adopted by exactly one live
   * instance: queued ones start again; in-flight ones are marked failed with the reason (their
   * sandboxes expire on their own timeout).
   */
  async reconcile(): Promise<void> {
    for (const run of await this.store.unfinished()) {
      if (run.instance_id === this.instanceId) continue;
      const beat = run.heartbeat_at ? Date.parse(run.heartbeat_at) : 0;
      if (Date.now() - beat < this.heartbeatMs * ORPHAN_HEARTBEATS) continue;
      if (!(await this.store.adopt(run.run_id, run.instance_id, this.instanceId))) continue;
      const agent = this.agents.get(run.agent_id);
      if (run.status === "queued") {
        if (agent) {
          this.log.info(`run ${run.run_id} was queued on a stopped gateway; starting it here`);
          this.enqueue(run, agent, run.metadata.resume === true);
        } else await this.finish(run, "failed", `agent ${run.agent_id} is no longer configured`);
        continue;
      }
      if (agent && run.status === "running" && run.metadata.command) {
        this.log.info(`run ${run.run_id} was running on a stopped gateway; reattaching to sandbox ${run.sandbox_provider}:${run.sandbox_id}`);
        this.follow(run, agent);
        continue;
      }
      if (run.sandbox_provider && run.sandbox_id) await this.deps.sandbox(run.sandbox_provider)?.kill(run.sandbox_id).catch(() => {});
      await this.finish(run, "failed", `the gateway stopped while the run was ${run.status}${run.sandbox_id ? ` (sandbox ${run.sandbox_id} killed)` : ""}`);
    }
  }

  private countOutcome(agentId: string, status: string): void {
    const k = `${agentId}\u0000${status}`;
    this.outcomes.set(k, (this.outcomes.get(k) ?? 0) + 1);
  }

  private follow(run: Run, agent: AgentDef): void {
    this.queue.enqueue(run.run_id, agent, async (signal) => {
      const left = agent.timeoutMs - (Date.now() - Date.parse(run.started_at ?? run.created_at));
      const t = setTimeout(() => this.queue.abort(run.run_id, "timed_out"), Math.max(0, left));
      try {
        const done = await reattachRun(this.deps, run, agent, signal);
        if (!done) await this.finish(run, "failed", `the gateway stopped while the run was running and its sandbox ${run.sandbox_provider}:${run.sandbox_id} is gone`);
        else this.countOutcome(agent.id, done.status);
      } finally {
        clearTimeout(t);
        this.spend.delete(run.run_id);
      }
    });
  }

  private async finish(run: Run, status: "failed" | "cancelled", error: string): Promise<void> {
    await this.store.update(run.run_id, { status, error, ended_at: new Date().toISOString() });
    this.bus.publish(await this.store.appendEvent(run.run_id, "run.failed", { status, error }));
    this.log.warn(`run ${run.run_id} ${status}: ${error}`);
  }

  async stop(deadlineMs: number): Promise<void> {
    this.scheduler.stop();
    clearInterval(this.heartbeat);
    await this.queue.drain(deadlineMs, this.store.durable ? undefined : "shutdown");
  }
}
