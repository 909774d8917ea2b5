import type { Run, RunEvent, RunEventType } from "../types.ts";

/** Where runs and their events live: Postgres when configured, memory otherwise. */
export interface RunStore {
  readonly durable: boolean;
  init(): Promise<void>;
  create(run: Run): Promise<void>;
  update(runId: string, patch: Partial<Run>): Promise<Run | undefined>;
  get(runId: string): Promise<Run | undefined>;
  list(filter: { agent_id?: string; status?: string; session_id?: string; limit?: number }): Promise<Run[]>;
  /** Appends an event with the next sequence number of the run and returns it. */
  appendEvent(runId: string, type: RunEventType, data: Record<string, unknown>): Promise<RunEvent>;
  events(runId: string, afterSeq: number): Promise<RunEvent[]>;
  /** Claims a cron tick for an agent: true for exactly one caller across every instance. */
  claimTick(agentId: string, tickAt: Date, runId: string): Promise<boolean>;
  /**
   * Records a webhook delivery (by its replay key) as starting `runId`: undefined for the first
   * caller across every instance within `windowMs`, else the run the first delivery started.
   */
  claimDelivery(agentId: string, key: string, runId: string, windowMs: number): Promise<string | undefined>;
  /** Forgets a claimed delivery whose run could not be created. */
  releaseDelivery(agentId: string, key: string, runId: string): Promise<void>;
  /** Runs left in non-terminal states (for reconciliation after a restart). */
  unfinished(): Promise<Run[]>;
  /** Marks every unfinished run of an instance as alive now. */
  touch(instanceId: string): Promise<void>;
  /** Moves a run from a dead instance to this one; true for exactly one caller. */
  adopt(runId: string, fromInstance: string, toInstance: string): Promise<boolean>;
}
