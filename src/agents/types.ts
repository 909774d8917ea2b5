export type RunState = "queued" | "provisioning" | "running" | "succeeded" | "failed" | "cancelled" | "timed_out";

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export type RunTrigger = "api" | "cron" | "webhook" | "session";

/** One execution of an agent, as stored and served by `/api/runs/{id}`. */
export interface Run {
  run_id: string;
  agent_id: string;
  status: RunState;
  trigger: RunTrigger;
  prompt: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  exit_code: number | null;
  error: string | null;
  /** Claude Code's session id (`--session-id`), for resume. */
  claude_session_id: string | null;
  /** What Claude Code reported in its `result` event. */
  total_cost_usd: number | null;
  usage: Record<string, unknown> | null;
  num_turns: number | null;
  result: string | null;
  /** What the gateway itself metered for the run's LLM calls. */
  gateway_spend: number;
  sandbox_provider: string | null;
  sandbox_id: string | null;
  /** Durable session this run belongs to (issue 7), if any. */
  session_id: string | null;
  /** Why this session turn's state (transcript, workspace) was not saved; null when saved or not a session turn. */
  session_state_error: string | null;
  instance_id: string;
  heartbeat_at: string | null;
  metadata: Record<string, unknown>;
}

export type RunEventType =
  | "run.queued"
  | "run.started"
  | "sandbox.created"
  | "run.reattached"
  | "output.delta"
  | "output.stderr"
  | "session.restored"
  | "session.saved"
  | "session.save_failed"
  | "memory.loaded"
  | "memory.saved"
  | "artifacts.saved"
  | "run.completed"
  | "run.failed";

export interface RunEvent {
  run_id: string;
  seq: number;
  type: RunEventType;
  data: Record<string, unknown>;
  created_at: string;
}
