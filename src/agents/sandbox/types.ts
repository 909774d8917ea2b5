/**
 * One small interface over the sandbox providers (E2B, Daytona) the agent runtime runs coding
 * agents in. Paths (files, cwd) are absolute or relative to the sandbox user's home directory.
 */

export type SandboxProviderName = "e2b" | "daytona";

export interface SandboxCreateOptions {
  /** Sandbox-level environment: every process in the sandbox gets it. */
  envs?: Record<string, string>;
  /** Lifetime: the provider destroys the sandbox after this even if `kill()` is never called. */
  timeoutMs?: number;
  /** E2B metadata / Daytona labels. */
  metadata?: Record<string, string>;
  /** E2B template or Daytona snapshot; overrides the provider's configured default. */
  template?: string;
  signal?: AbortSignal;
}

export interface SandboxFile {
  path: string;
  data: string | Uint8Array;
}

export interface SandboxRunOptions {
  envs?: Record<string, string>;
  cwd?: string;
  /** Kills the command and the sandbox when exceeded; no limit when absent. */
  timeoutMs?: number;
  /** Output as it arrives, in chunks (not lines). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Aborting kills the command and the sandbox. */
  signal?: AbortSignal;
}

export interface SandboxRunResult {
  exitCode: number;
}

export interface Sandbox {
  readonly id: string;
  readonly provider: SandboxProviderName;
  writeFiles(files: SandboxFile[]): Promise<void>;
  /** Runs a shell command line. A non-zero exit is a result; a timeout or abort rejects with `SandboxError`. */
  run(command: string, opts?: SandboxRunOptions): Promise<SandboxRunResult>;
  readFile(path: string): Promise<Uint8Array>;
  /** Destroys the sandbox and everything running in it. Idempotent. */
  kill(): Promise<void>;
}

export interface SandboxProvider {
  readonly name: SandboxProviderName;
  /** Creates a running sandbox; on failure nothing is left behind and a `SandboxError` is thrown. */
  create(opts?: SandboxCreateOptions): Promise<Sandbox>;
}
