export type ArtifactKind = "file" | "transcript" | "workspace";

/** Where an artifact's bytes are: inline in Postgres or memory, or in a blob store (directory, S3). */
export type ArtifactStorage = "db" | "memory" | "dir" | "s3";

export interface ArtifactMeta {
  run_id: string;
  agent_id: string;
  session_id: string | null;
  /** `transcript.jsonl`, `workspace.tar.gz`, or `files/<path in the workspace>`. */
  path: string;
  kind: ArtifactKind;
  size: number;
  content_type: string;
  sha256: string;
  storage: ArtifactStorage;
  /** Blob key for `dir` and `s3`. */
  location: string | null;
  created_at: string;
}

export interface PruneOptions {
  /** Artifacts of runs older than this go. */
  before: Date;
  /** Per agent, the artifacts of the newest this many runs stay. */
  keepRuns: number;
  /** Runs whose artifacts always stay (the saved state of live sessions). */
  protect: string[];
}

/** Artifact records, with the bytes of small ones inline. */
export interface ArtifactIndex {
  init(): Promise<void>;
  /** Inserts or replaces the record of (run_id, path). */
  put(meta: ArtifactMeta, inline?: Uint8Array): Promise<void>;
  list(runId: string): Promise<ArtifactMeta[]>;
  get(runId: string, path: string): Promise<ArtifactMeta | undefined>;
  inline(runId: string, path: string): Promise<Uint8Array | undefined>;
  /** Deletes what retention lets go and returns it (so blobs can be removed too). */
  prune(o: PruneOptions): Promise<ArtifactMeta[]>;
}

export const TRANSCRIPT = "transcript.jsonl";
export const WORKSPACE_TARBALL = "workspace.tar.gz";
export const filePath = (rel: string) => `files/${rel}`;
