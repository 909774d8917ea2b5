import { Cron } from "croner";
import type { Logger } from "../log.ts";
import type { AgentDef } from "./definitions.ts";
import type { RunStore } from "./store/types.ts";

/**
 * Cron triggers. Every instance runs the same schedule; a tick starts a run only for the instance
 * that claims it in the store (a unique row per agent and tick), so a tick fires once across
 * instances and a restart never fires a past tick again.
 */
export class Scheduler {
  private readonly jobs = new Map<string, Cron>();

  constructor(
    private readonly store: RunStore,
    private readonly fire: (agent: AgentDef, runId: string, tick: Date) => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(agents: AgentDef[]): void {
    for (const agent of agents) {
      if (!agent.schedule) continue;
      const job = new Cron(agent.schedule.cron, { timezone: agent.schedule.timezone, protect: true, name: `agent:${agent.id}` }, async (self: Cron) => {
        const ran = self.currentRun() ?? new Date();
        const tick = new Date(Math.round(ran.getTime() / 1000) * 1000);
        const runId = crypto.randomUUID();
        try {
          if (await this.store.claimTick(agent.id, tick, runId)) await this.fire(agent, runId, tick);
        } catch (e) {
          this.log.error("cron tick failed", { agent_id: agent.id, tick: tick.toISOString(), error: (e as Error).message });
        }
      });
      this.jobs.set(agent.id, job);
    }
  }

  nextRun(agentId: string): Date | null {
    return this.jobs.get(agentId)?.nextRun() ?? null;
  }

  stop(): void {
    for (const j of this.jobs.values()) j.stop();
    this.jobs.clear();
  }
}
