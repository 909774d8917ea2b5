/** One saved version of an agent's (or a session's) memory notes. */
export interface MemoryVersion {
  agent_id: string;
  /** `""` for the agent's own memory, else a session id. */
  scope: string;
  version: number;
  bytes: number;
  source: "api" | "run";
  run_id: string | null;
  created_at: string;
}

export interface MemoryEntry extends MemoryVersion {
  content: string;
}

export type NewMemory = Pick<MemoryEntry, "agent_id" | "scope" | "content" | "source" | "run_id">;

export interface MemoryStore {
  init(): Promise<void>;
  latest(agentId: string, scope: string): Promise<MemoryEntry | undefined>;
  get(agentId: string, scope: string, version: number): Promise<MemoryEntry | undefined>;
  versions(agentId: string, scope: string): Promise<MemoryVersion[]>;
  /** Saves the next version and drops all but the newest `keep`. */
  insert(m: NewMemory, keep: number): Promise<MemoryEntry>;
  clear(agentId: string, scope: string): Promise<number>;
}

const bytesOf = (s: string) => Buffer.byteLength(s, "utf8");

export class MemoryMemoryStore implements MemoryStore {
  private readonly entries = new Map<string, MemoryEntry[]>();
  private readonly key = (a: string, s: string) => `${a}\u0000${s}`;

  async init(): Promise<void> {}

  async latest(agentId: string, scope: string): Promise<MemoryEntry | undefined> {
    return this.entries.get(this.key(agentId, scope))?.at(-1);
  }

  async get(agentId: string, scope: string, version: number): Promise<MemoryEntry | undefined> {
    return this.entries.get(this.key(agentId, scope))?.find((e) => e.version === version);
  }

  async versions(agentId: string, scope: string): Promise<MemoryVersion[]> {
    return (this.entries.get(this.key(agentId, scope)) ?? []).map(({ content: _, ...v }) => v).reverse();
  }

  async insert(m: NewMemory, keep: number): Promise<MemoryEntry> {
    const k = this.key(m.agent_id, m.scope);
    const list = this.entries.get(k) ?? [];
    const entry: MemoryEntry = { ...m, version: (list.at(-1)?.version ?? 0) + 1, bytes: bytesOf(m.content), created_at: new Date().toISOString() };
    list.push(entry);
    this.entries.set(k, list.slice(-keep));
    return entry;
  }

  async clear(agentId: string, scope: string): Promise<number> {
    const n = this.entries.get(this.key(agentId, scope))?.length ?? 0;
    this.entries.delete(this.key(agentId, scope));
    return n;
  }
}
