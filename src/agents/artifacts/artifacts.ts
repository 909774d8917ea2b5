import { createHash } from "node:crypto";
import type { Logger } from "../../log.ts";
import type { Run } from "../types.ts";
import type { BlobStore } from "./blobs.ts";
import type { ArtifactIndex, ArtifactKind, ArtifactMeta } from "./types.ts";

export interface ArtifactLimits {
  /** Up to this size an artifact is stored inline (bytea / memory) even when a blob store exists. */
  inlineMaxBytes: number;
  /** Larger files are not copied out of the sandbox. */
  maxBytes: number;
  retentionDays: number;
  /** Per agent: how many runs keep their artifacts. */
  retentionRuns: number;
}

export const DEFAULT_ARTIFACT_LIMITS: ArtifactLimits = {
  inlineMaxBytes: 1024 * 1024,
  maxBytes: 100 * 1024 * 1024,
  retentionDays: 30,
  retentionRuns: 100,
};

const PRUNE_EVERY_MS = 60_000;

export function contentTypeFor(path: string): string {
  if (path.endsWith(".jsonl")) return "application/x-ndjson";
  return Bun.file(path).type || "application/octet-stream";
}

/** A run's outputs: records in the index, bytes inline when small or in the blob store when large. */
export class Artifacts {
  private lastPrune = 0;

  constructor(
    private readonly index: ArtifactIndex,
    private readonly blobs: BlobStore | undefined,
    readonly limits: ArtifactLimits,
    private readonly inlineStorage: "db" | "memory",
    private readonly log: Logger,
  ) {}

  init(): Promise<void> {
    return this.index.init();
  }

  async save(run: Run, a: { path: string; kind: ArtifactKind; data: Uint8Array; contentType?: string }): Promise<ArtifactMeta> {
    const inline = !this.blobs || a.data.byteLength <= this.limits.inlineMaxBytes;
    const meta: ArtifactMeta = {
      run_id: run.run_id,
      agent_id: run.agent_id,
      session_id: run.session_id,
      path: a.path,
      kind: a.kind,
      size: a.data.byteLength,
      content_type: a.contentType ?? contentTypeFor(a.path),
      sha256: createHash("sha256").update(a.data).digest("hex"),
      storage: inline ? this.inlineStorage : this.blobs!.kind,
      location: inline ? null : `${run.agent_id}/${run.run_id}/${a.path}`,
      created_at: new Date().toISOString(),
    };
    if (!inline) await this.blobs!.put(meta.location!, a.data, meta.content_type);
    await this.index.put(meta, inline ? a.data : undefined);
    return meta;
  }

  list(runId: string): Promise<ArtifactMeta[]> {
    return this.index.list(runId);
  }

  get(runId: string, path: string): Promise<ArtifactMeta | undefined> {
    return this.index.get(runId, path);
  }

  /** The artifact's bytes as a Blob; blob-store artifacts are read lazily (streamed when served). */
  async open(meta: ArtifactMeta): Promise<Blob> {
    if (meta.location) {
      if (!this.blobs || this.blobs.kind !== meta.storage) throw new Error(`artifact ${meta.path} is in ${meta.storage} storage, which is not configured on this gateway`);
      return this.blobs.open(meta.location);
    }
    const data = await this.index.inline(meta.run_id, meta.path);
    if (!data) throw new Error(`artifact ${meta.path} of run ${meta.run_id} has no stored bytes`);
    return new Blob([data as Uint8Array<ArrayBuffer>], { type: meta.content_type });
  }

  async read(meta: ArtifactMeta): Promise<Uint8Array> {
    return new Uint8Array(await (await this.open(meta)).arrayBuffer());
  }

  /** Applies retention by age and count; `protect` lists runs whose artifacts must stay. */
  async prune(protect: string[], now = Date.now()): Promise<number> {
    const gone = await this.index.prune({
      before: new Date(now - this.limits.retentionDays * 86_400_000),
      keepRuns: this.limits.retentionRuns,
      protect,
    });
    for (const m of gone) {
      if (m.location && this.blobs?.kind === m.storage) {
        await this.blobs.delete(m.location).catch((e: Error) => this.log.warn("artifact blob not deleted", { key: m.location, error: e.message }));
      }
    }
    return gone.length;
  }

  /** Prunes at most once a minute (called after runs). */
  async maybePrune(protect: () => Promise<string[]>): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const n = await this.prune(await protect());
    if (n) this.log.info(`artifact retention removed ${n} artifacts`);
  }
}
