/** A durable conversation with one agent: its runs resume one Claude Code session. */
export interface Session {
  session_id: string;
  agent_id: string;
  title: string | null;
  /** Claude Code's session id, the same for every turn (`--session-id` first, then `--resume`). */
  claude_session_id: string;
  /** The run whose saved transcript and workspace the next turn starts from. */
  state_run_id: string | null;
  /** Why the last turn's state could not be saved: the next turn is refused until the caller starts over. */
  state_error: string | null;
  /** The run of the latest turn (in progress or done). */
  active_run_id: string | null;
  turns: number;
  created_at: string;
  updated_at: string;
}

export interface SessionStore {
  init(): Promise<void>;
  create(s: Session): Promise<void>;
  get(id: string): Promise<Session | undefined>;
  list(filter: { agent_id?: string; limit?: number }): Promise<Session[]>;
  /**
   * Takes the next turn for `runId` if the session is still at `turns` (one message at a time, across
   * instances); `startOver` also forgets the saved state and its error.
   */
  claimTurn(id: string, turns: number, runId: string, startOver?: boolean): Promise<boolean>;
  /** Gives a claimed turn back when its run could not be created. */
  releaseTurn(id: string, runId: string): Promise<void>;
  /** The run whose transcript and workspace the next turn starts from (clears any state error). */
  setState(id: string, runId: string): Promise<void>;
  setStateError(id: string, error: string): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Runs holding some session's saved state (kept by artifact retention). */
  stateRuns(): Promise<string[]>;
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Session>();

  async init(): Promise<void> {}

  async create(s: Session): Promise<void> {
    this.sessions.set(s.session_id, { ...s });
  }

  async get(id: string): Promise<Session | undefined> {
    const s = this.sessions.get(id);
    return s && { ...s };
  }

  async list(filter: { agent_id?: string; limit?: number }): Promise<Session[]> {
    return [...this.sessions.values()]
      .filter((s) => !filter.agent_id || s.agent_id === filter.agent_id)
      .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
      .slice(0, filter.limit ?? 100)
      .map((s) => ({ ...s }));
  }

  async claimTurn(id: string, turns: number, runId: string, startOver = false): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s || s.turns !== turns) return false;
    Object.assign(s, { turns: turns + 1, active_run_id: runId, updated_at: new Date().toISOString() });
    if (startOver) Object.assign(s, { state_run_id: null, state_error: null });
    return true;
  }

  async releaseTurn(id: string, runId: string): Promise<void> {
    const s = this.sessions.get(id);
    if (s?.active_run_id === runId) Object.assign(s, { turns: s.turns - 1, active_run_id: null });
  }

  async setState(id: string, runId: string): Promise<void> {
    const s = this.sessions.get(id);
    if (s) Object.assign(s, { state_run_id: runId, state_error: null, updated_at: new Date().toISOString() });
  }

  async setStateError(id: string, error: string): Promise<void> {
    const s = this.sessions.get(id);
    if (s) Object.assign(s, { state_error: error, updated_at: new Date().toISOString() });
  }

  async delete(id: string): Promise<boolean> {
    return this.sessions.delete(id);
  }

  async stateRuns(): Promise<string[]> {
    return [...this.sessions.values()].flatMap((s) => (s.state_run_id ? [s.state_run_id] : []));
  }
}
