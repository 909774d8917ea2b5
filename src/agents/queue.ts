import type { AgentDef } from "./definitions.ts";

interface Waiting {
  runId: string;
  agent: AgentDef;
  start: (signal: AbortSignal) => Promise<void>;
}

/** Runs start in arrival order within a global limit and each agent's own limit; the rest wait. */
export class RunQueue {
  private readonly waiting: Waiting[] = [];
  private readonly running = new Map<string, { agentId: string; ctrl: AbortController; done: Promise<void> }>();

  constructor(private readonly globalLimit: number) {}

  enqueue(runId: string, agent: AgentDef, start: (signal: AbortSignal) => Promise<void>): void {
    this.waiting.push({ runId, agent, start });
    this.pump();
  }

  private runningFor(agentId: string): number {
    let n = 0;
    for (const r of this.running.values()) if (r.agentId === agentId) n++;
    return n;
  }

  private pump(): void {
    for (let i = 0; i < this.waiting.length && this.running.size < this.globalLimit; ) {
      const w = this.waiting[i]!;
      if (this.runningFor(w.agent.id) >= w.agent.maxConcurrency) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      const ctrl = new AbortController();
      const done = w
        .start(ctrl.signal)
        .catch(() => {})
        .finally(() => {
          this.running.delete(w.runId);
          this.pump();
        });
      this.running.set(w.runId, { agentId: w.agent.id, ctrl, done });
    }
  }

  /** "waiting" if it was removed from the queue, "running" if its abort was signalled, else undefined. */
  abort(runId: string, reason: string): "waiting" | "running" | undefined {
    const i = this.waiting.findIndex((w) => w.runId === runId);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      return "waiting";
    }
    const r = this.running.get(runId);
    if (!r) return undefined;
    r.ctrl.abort(reason);
    return "running";
  }

  counts(): { queued: number; running: number } {
    return { queued: this.waiting.length, running: this.running.size };
  }

  isLocal(runId: string): boolean {
    return this.running.has(runId) || this.waiting.some((w) => w.runId === runId);
  }

  /**
   * Waits for running runs up to `ms`; then aborts the rest with `reason` and waits for them to wind
   * up, or, without a reason, leaves them running (a durable store lets another instance adopt them).
   */
  async drain(ms: number, reason?: string): Promise<void> {
    this.waiting.length = 0;
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    const finished = await Promise.race([all().then(() => true), Bun.sleep(ms).then(() => false)]);
    if (finished || !reason) return;
    for (const r of this.running.values()) r.ctrl.abort(reason);
    await all();
  }
}
