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

/**
 * Names a started command for `Sandbox.attach`, from this or a later gateway process: plain JSON,
 * to be stored with the run. E2B: the envd process id, and the file (relative to the sandbox
 * user's home) the command's exit code is written to when it ends. Daytona: the toolbox session
 * and command ids.
 */
export type CommandHandle =
  | { provider: "e2b"; pid: number; exitFile: string }
  | { provider: "daytona"; sessionId: string; commandId: string };

export interface SandboxAttachOptions {
  /** Kills the command and the sandbox when exceeded; no limit when absent. */
  timeoutMs?: number;
  /** Output as it arrives, in chunks (not lines). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Aborting kills the command and the sandbox. */
  signal?: AbortSignal;
}

export interface SandboxRunOptions extends SandboxAttachOptions {
  envs?: Record<string, string>;
  cwd?: string;
  /** Called once the command is running, with what `attach` needs to find it again. */
  onStart?: (handle: CommandHandle) => void;
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
  /**
   * Follows a command started by `run` (possibly by another gateway process) to its end: its
   * output from now on (see `SandboxProvider.attachOutput`), then its exit code. A command that
   * already ended resolves at once. Unknown command (and no recorded exit code): `command_gone`;
   * timeout, abort and a vanished sandbox as in `run`. Attach to a command once: after it has
   * ended its record may be cleaned up (Daytona deletes the session).
   */
  attach(handle: CommandHandle, opts?: SandboxAttachOptions): Promise<SandboxRunResult>;
  /** Destroys the sandbox and everything running in it. Idempotent. */
  kill(): Promise<void>;
}

export interface SandboxProvider {
  readonly name: SandboxProviderName;
  /** Creates a running sandbox; on failure nothing is left behind and a `SandboxError` is thrown. */
  create(opts?: SandboxCreateOptions): Promise<Sandbox>;
  /**
   * A running sandbox by id, e.g. after a gateway restart; `undefined` when it no longer exists or
   * is not running (E2B: paused; Daytona: stopped, archived, error, ...). Other failures (the
   * provider unreachable, a bad key) throw `SandboxError`: the sandbox may still be alive.
   */
  connect(sandboxId: string): Promise<Sandbox | undefined>;
  /** Destroys a sandbox by id (an orphan nobody will attach to). A sandbox already gone is not an error. */
  kill(sandboxId: string): Promise<void>;
  /**
   * What `attach` delivers of the output. `complete`: everything the command wrote since it
   * started, also when it already ended (Daytona keeps session command logs). `from-attach`: only
   * what it writes after the attach, nothing for a command that already ended (E2B envd keeps no
   * output for a reconnecting client).
   */
  readonly attachOutput: "complete" | "from-attach";
}
