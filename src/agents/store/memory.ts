import { TERMINAL_STATES, type Run, type RunEvent, type RunEventType } from "../types.ts";
import type { RunStore } from "./types.ts";

/** Webhook deliveries remembered without a database; past this the oldest are forgotten first. */
const MAX_DELIVERIES = 100_000;

/** Runs in memory: the gateway without a database. Lost on restart (the start-up log says so). */
export class MemoryRunStore implements RunStore {
  readonly durable = false;
  private readonly runs = new Map<string, Run>();
  private readonly eventLog = new Map<string, RunEvent[]>();
  private readonly ticks = new Set<string>();
  private readonly deliveries = new Map<string, { runId: string; at: number }>();

  async init(): Promise<void> {}

  async create(run: Run): Promise<void> {
    this.runs.set(run.run_id, { ...run });
    this.eventLog.set(run.run_id, []);
  }

  async update(runId: string, patch: Partial<Run>): Promise<Run | undefined> {
    const cur = this.runs.get(runId);
    if (!cur) return undefined;
    const next = { ...cur, ...patch };
    this.runs.set(runId, next);
    return { ...next };
  }

  async get(runId: string): Promise<Run | undefined> {
    const r = this.runs.get(runId);
    return r && { ...r };
  }

  async list(filter: { agent_id?: string; status?: string; session_id?: string; limit?: number }): Promise<Run[]> {
    const out = [...this.runs.values()]
      .filter((r) => (!filter.agent_id || r.agent_id === filter.agent_id) && (!filter.status || r.status === filter.status) && (!filter.session_id || r.session_id === filter.session_id))
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
    return out.slice(0, filter.limit ?? 100).map((r) => ({ ...r }));
  }

  async appendEvent(runId: string, type: RunEventType, data: Record<string, unknown>): Promise<RunEvent> {
    const log = this.eventLog.get(runId) ?? [];
    this.eventLog.set(runId, log);
    const ev: RunEvent = { run_id: runId, seq: log.length + 1, type, data, created_at: new Date().toISOString() };
    log.push(ev);
    return ev;
  }

  async events(runId: string, afterSeq: number): Promise<RunEvent[]> {
    return (this.eventLog.get(runId) ?? []).filter((e) => e.seq > afterSeq);
  }

  async claimTick(agentId: string, tickAt: Date, _runId: string): Promise<boolean> {
    const key = `${agentId}@${tickAt.toISOString()}`;
    if (this.ticks.has(key)) return false;
    this.ticks.add(key);
    return true;
  }

  async claimDelivery(agentId: string, key: string, runId: string, windowMs: number): Promise<string | undefined> {
    const now = Date.now();
    const k = `${agentId}\u0000${key}`;
    const seen = this.deliveries.get(k);
    if (seen && now - seen.at < windowMs) return seen.runId;
    this.deliveries.delete(k);
    this.deliveries.set(k, { runId, at: now });
    for (const [old, d] of this.deliveries) {
      if (this.deliveries.size <= MAX_DELIVERIES && now - d.at < windowMs) break;
      this.deliveries.delete(old);
    }
    return undefined;
  }

  async releaseDelivery(agentId: string, key: string, runId: string): Promise<void> {
    const k = `${agentId}\u0000${key}`;
    if (this.deliveries.get(k)?.runId === runId) this.deliveries.delete(k);
  }

  async touch(instanceId: string): Promise<void> {
    const now = new Date().toISOString();
    for (const r of this.runs.values()) if (r.instance_id === instanceId && !TERMINAL_STATES.has(r.status)) r.heartbeat_at = now;
  }

  async adopt(runId: string, fromInstance: string, toInstance: string): Promise<boolean> {
    const r = this.runs.get(runId);
    if (!r || r.instance_id !== fromInstance) return false;
    r.instance_id = toInstance;
    r.heartbeat_at = new Date().toISOString();
    return true;
  }

  async unfinished(): Promise<Run[]> {
    return [...this.runs.values()].filter((r) => !TERMINAL_STATES.has(r.status)).map((r) => ({ ...r }));
  }
}
