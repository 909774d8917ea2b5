import type { ArtifactIndex, ArtifactMeta, PruneOptions } from "./types.ts";

/** Artifact records in memory (a gateway without a database): lost on restart. */
export class MemoryArtifactIndex implements ArtifactIndex {
  private readonly runs = new Map<string, Map<string, { meta: ArtifactMeta; inline?: Uint8Array }>>();

  async init(): Promise<void> {}

  async put(meta: ArtifactMeta, inline?: Uint8Array): Promise<void> {
    let run = this.runs.get(meta.run_id);
    if (!run) this.runs.set(meta.run_id, (run = new Map()));
    run.set(meta.path, { meta: { ...meta }, inline });
  }

  async list(runId: string): Promise<ArtifactMeta[]> {
    return [...(this.runs.get(runId)?.values() ?? [])].map((e) => ({ ...e.meta })).sort((a, b) => a.path.localeCompare(b.path));
  }

  async get(runId: string, path: string): Promise<ArtifactMeta | undefined> {
    const e = this.runs.get(runId)?.get(path);
    return e && { ...e.meta };
  }

  async inline(runId: string, path: string): Promise<Uint8Array | undefined> {
    return this.runs.get(runId)?.get(path)?.inline;
  }

  async prune(o: PruneOptions): Promise<ArtifactMeta[]> {
    const protect = new Set(o.protect);
    const byAgent = new Map<string, Array<{ runId: string; at: string }>>();
    for (const [runId, files] of this.runs) {
      const metas = [...files.values()].map((f) => f.meta);
      const at = metas.reduce((m, a) => (a.created_at > m ? a.created_at : m), "");
      const agent = metas[0]?.agent_id ?? "";
      byAgent.set(agent, [...(byAgent.get(agent) ?? []), { runId, at }]);
    }
    const gone: ArtifactMeta[] = [];
    const cutoff = o.before.toISOString();
    for (const runs of byAgent.values()) {
      runs.sort((a, b) => b.at.localeCompare(a.at));
      runs.forEach((r, i) => {
        if (protect.has(r.runId) || (i < o.keepRuns && r.at >= cutoff)) return;
        gone.push(...[...this.runs.get(r.runId)!.values()].map((f) => f.meta));
        this.runs.delete(r.runId);
      });
    }
    return gone;
  }
}
