import { GatewayError } from "../../errors.ts";
import type { MemoryEntry, MemoryStore, MemoryVersion, NewMemory } from "./store.ts";

export interface MemoryLimits {
  maxBytes: number;
  /** Versions kept per agent (and per session). */
  versions: number;
}

export const DEFAULT_MEMORY_LIMITS: MemoryLimits = { maxBytes: 32 * 1024, versions: 20 };

/** The first `max` bytes of a UTF-8 string, never splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  const buf = Buffer.from(s, "utf8");
  if (buf.length <= max) return s;
  return new TextDecoder().decode(buf.subarray(0, max)).replace(/\uFFFD+$/, "");
}

/** Per-agent (and per-session) notes that persist across runs: size-bounded and versioned. */
export class AgentMemory {
  constructor(
    private readonly store: MemoryStore,
    readonly limits: MemoryLimits,
  ) {}

  init(): Promise<void> {
    return this.store.init();
  }

  current(agentId: string, scope = ""): Promise<MemoryEntry | undefined> {
    return this.store.latest(agentId, scope);
  }

  version(agentId: string, scope: string, version: number): Promise<MemoryEntry | undefined> {
    return this.store.get(agentId, scope, version);
  }

  versions(agentId: string, scope = ""): Promise<MemoryVersion[]> {
    return this.store.versions(agentId, scope);
  }

  /** API writes: over the limit is a 400. */
  async write(m: NewMemory, mode: "replace" | "append"): Promise<MemoryEntry> {
    let content = m.content;
    if (mode === "append") {
      const cur = (await this.current(m.agent_id, m.scope))?.content ?? "";
      content = cur && !cur.endsWith("\n") ? `${cur}\n${content}` : cur + content;
    }
    const bytes = Buffer.byteLength(content, "utf8");
    if (bytes > this.limits.maxBytes) {
      throw new GatewayError(400, `memory would be ${bytes} bytes; the limit is ${this.limits.maxBytes} (agent_memory_max_bytes)`, { type: "invalid_request_error", param: "content" });
    }
    return this.store.insert({ ...m, content }, this.limits.versions);
  }

  /** What a run wrote back: kept up to the limit (truncated beyond it). */
  async saveFromRun(m: NewMemory): Promise<{ entry: MemoryEntry; truncated: boolean }> {
    const content = truncateUtf8(m.content, this.limits.maxBytes);
    return { entry: await this.store.insert({ ...m, content }, this.limits.versions), truncated: content !== m.content };
  }

  clear(agentId: string, scope = ""): Promise<number> {
    return this.store.clear(agentId, scope);
  }
}
