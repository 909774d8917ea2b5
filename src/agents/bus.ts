import type { RunEvent } from "./types.ts";

type Listener = (e: RunEvent) => void;

/** Live fan-out of run events to SSE followers in this process (the store keeps the history). */
export class RunBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  subscribe(runId: string, fn: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (!set!.size) this.listeners.delete(runId);
    };
  }

  publish(e: RunEvent): void {
    for (const fn of this.listeners.get(e.run_id) ?? []) fn(e);
  }
}
