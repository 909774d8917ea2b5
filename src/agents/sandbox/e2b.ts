/**
 * E2B sandboxes through the official `e2b` SDK. Connection settings come in as options (from
 * `general_settings.e2b_sandbox_params`); every one is passed explicitly so the SDK's env-var
 * fallbacks (E2B_API_KEY, E2B_DEBUG, ...) never decide where a sandbox goes.
 *
 * envd forgets a process once it exits, so each command records its exit code in a file for a
 * later `attach`; and a reconnecting client only gets output from then on.
 */
import {
  AuthenticationError,
  CommandExitError,
  FileNotFoundError,
  NotFoundError,
  RateLimitError,
  Sandbox as E2BClient,
  SandboxError as E2BError,
  SandboxNotFoundError,
  ServiceBusyError,
  TimeoutError,
  type CommandHandle as E2BCommandHandle,
  type ConnectionOpts,
} from "e2b";
import { errorMessage, SandboxError } from "./errors.ts";
import { CREATE_TAG, guardedCreate, interruptible, killOnce, shellQuote } from "./guard.ts";
import type { CommandHandle, Sandbox, SandboxAttachOptions, SandboxCreateOptions, SandboxFile, SandboxProvider, SandboxRunOptions, SandboxRunResult } from "./types.ts";

export interface E2BProviderOptions {
  apiKey: string;
  /** Control-plane base URL; default `https://api.<domain>`. */
  apiUrl?: string;
  /** Default `e2b.app`. */
  domain?: string;
  /** envd base URL for every sandbox (self-hosted or a fake); default derived from the domain. */
  sandboxUrl?: string;
  /** Default template; default `base`. */
  template?: string;
  /** Limit for each control-plane / file request (creation included); SDK default 60 s. */
  requestTimeoutMs?: number;
}

function describe(err: unknown): { message: string; upstreamStatus?: number } {
  const message = errorMessage(err);
  if (err instanceof AuthenticationError) return { message, upstreamStatus: 401 };
  if (err instanceof RateLimitError) return { message, upstreamStatus: 429 };
  if (err instanceof ServiceBusyError) return { message, upstreamStatus: 503 };
  return { message, upstreamStatus: err instanceof E2BError ? err.statusCode : undefined };
}

/** Exit-code files, relative to the sandbox user's home (where envd resolves relative file paths). */
const EXIT_DIR = ".litellm-rust/exit";

/** The command in a bash of its own, then its exit code written (atomically) to `exitFile`. */
function recordingExit(command: string, exitFile: string): string {
  const file = `"$HOME"/${exitFile}`;
  return `/bin/bash -c ${shellQuote(command)}; rc=$?; { mkdir -p "$HOME"/${EXIT_DIR} && echo $rc > ${file}.tmp && mv ${file}.tmp ${file}; } 2>/dev/null; exit $rc`;
}

async function exitCodeOf(handle: E2BCommandHandle): Promise<number> {
  try {
    return (await handle.wait()).exitCode;
  } catch (err) {
    if (err instanceof CommandExitError) return err.exitCode;
    throw err;
  }
}

export class E2BProvider implements SandboxProvider {
  readonly name = "e2b" as const;
  readonly attachOutput = "from-attach" as const;
  private readonly conn: ConnectionOpts & { sandboxUrl?: string };

  constructor(private readonly opts: E2BProviderOptions) {
    this.conn = {
      apiKey: opts.apiKey,
      apiUrl: opts.apiUrl,
      domain: opts.domain,
      sandboxUrl: opts.sandboxUrl,
      requestTimeoutMs: opts.requestTimeoutMs,
      debug: false,
    };
  }

  async create(o: SandboxCreateOptions = {}): Promise<Sandbox> {
    const createId = crypto.randomUUID();
    return guardedCreate(
      this.name,
      o.signal,
      async () =>
        new E2BSandbox(
          await E2BClient.create(o.template ?? this.opts.template ?? "base", {
            ...this.conn,
            envs: o.envs,
            metadata: { ...o.metadata, [CREATE_TAG]: createId },
            timeoutMs: o.timeoutMs,
            signal: o.signal,
          }),
        ),
      () => this.sweep(createId),
      describe,
    );
  }

  async connect(sandboxId: string): Promise<Sandbox | undefined> {
    try {
      if ((await E2BClient.getInfo(sandboxId, this.conn)).state !== "running") return undefined;
      return new E2BSandbox(await E2BClient.connect(sandboxId, this.conn));
    } catch (err) {
      if (err instanceof SandboxNotFoundError) return undefined;
      throw this.error(`connecting to E2B sandbox ${sandboxId}`, err);
    }
  }

  async kill(sandboxId: string): Promise<void> {
    try {
      await E2BClient.kill(sandboxId, this.conn);
    } catch (err) {
      throw this.error(`killing E2B sandbox ${sandboxId}`, err);
    }
  }

  private error(what: string, err: unknown): SandboxError {
    const { message, upstreamStatus } = describe(err);
    return new SandboxError(this.name, "failed", `${what} failed: ${message}`, { cause: err, upstreamStatus });
  }

  /** Kills sandboxes a failed create may have left running. */
  private async sweep(createId: string): Promise<void> {
    const page = E2BClient.list({ ...this.conn, query: { metadata: { [CREATE_TAG]: createId } } });
    const found = await page.nextItems();
    await Promise.all(found.map((s) => E2BClient.kill(s.sandboxId, this.conn)));
  }
}

class E2BSandbox implements Sandbox {
  readonly provider = "e2b" as const;
  readonly id: string;
  readonly kill: () => Promise<void>;

  constructor(private readonly client: E2BClient) {
    this.id = client.sandboxId;
    this.kill = killOnce(this.provider, async () => {
      await client.kill();
    });
  }

  async writeFiles(files: SandboxFile[]): Promise<void> {
    if (files.length === 0) return;
    try {
      await this.client.files.write(files.map((f) => ({ path: f.path, data: typeof f.data === "string" ? f.data : new Blob([f.data as Uint8Array<ArrayBuffer>]) })));
    } catch (err) {
      throw await this.failure("writing files", err);
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      return await this.client.files.read(path, { format: "bytes" });
    } catch (err) {
      if (err instanceof NotFoundError && !(err instanceof TimeoutError)) throw new SandboxError(this.provider, "file_not_found", `${path}: ${err.message}`, { cause: err });
      throw await this.failure(`reading ${path}`, err);
    }
  }

  run(command: string, o: SandboxRunOptions = {}): Promise<SandboxRunResult> {
    let handle: E2BCommandHandle | undefined;
    const exitFile = `${EXIT_DIR}/${crypto.randomUUID()}`;
    return interruptible(
      this.provider,
      o,
      async () => {
        try {
          // timeoutMs 0: the SDK's default would end the stream after 60 s (and envd leaves the process running).
          handle = await this.client.commands.run(recordingExit(command, exitFile), { background: true, envs: o.envs, cwd: o.cwd, timeoutMs: 0, onStdout: o.onStdout, onStderr: o.onStderr });
          o.onStart?.({ provider: "e2b", pid: handle.pid, exitFile });
          return { exitCode: await exitCodeOf(handle) };
        } catch (err) {
          throw await this.failure("running a command", err);
        }
      },
      () => this.stop(handle),
    );
  }

  attach(target: CommandHandle, o: SandboxAttachOptions = {}): Promise<SandboxRunResult> {
    if (target.provider !== "e2b") return Promise.reject(new SandboxError(this.provider, "failed", `cannot attach to a ${target.provider} command in an E2B sandbox`));
    let handle: E2BCommandHandle | undefined;
    return interruptible(
      this.provider,
      o,
      async () => {
        try {
          // The exit file first: once the process has ended, its pid may belong to another one.
          const ended = await this.recordedExit(target.exitFile);
          if (ended !== undefined) return { exitCode: ended };
          try {
            handle = await this.client.commands.connect(target.pid, { timeoutMs: 0, onStdout: o.onStdout, onStderr: o.onStderr });
          } catch (err) {
            if (!(err instanceof NotFoundError) || err instanceof SandboxNotFoundError) throw err;
            const exitCode = await this.recordedExit(target.exitFile);
            if (exitCode === undefined) throw new SandboxError(this.provider, "command_gone", `process ${target.pid} is not running in E2B sandbox ${this.id} and left no exit code`, { cause: err });
            return { exitCode };
          }
          return { exitCode: await exitCodeOf(handle) };
        } catch (err) {
          throw await this.failure(`attaching to process ${target.pid}`, err);
        }
      },
      () => this.stop(handle),
    );
  }

  /** The exit code a command recorded when it ended; `undefined` while it runs (or if it never could). */
  private async recordedExit(exitFile: string): Promise<number | undefined> {
    let text: string;
    try {
      text = (await this.client.files.read(exitFile)).trim();
    } catch (err) {
      if (err instanceof FileNotFoundError) return undefined;
      throw err;
    }
    return /^\d+$/.test(text) ? Number(text) : undefined;
  }

  private async stop(handle: E2BCommandHandle | undefined): Promise<void> {
    await handle?.kill().catch(() => false);
    await handle?.disconnect();
    await this.kill();
  }

  /** Maps a failure; if the sandbox itself is gone (killed, lifetime over), says so. */
  private async failure(what: string, err: unknown): Promise<SandboxError> {
    if (err instanceof SandboxError) return err;
    const gone = !(await this.client.isRunning({ requestTimeoutMs: 5_000 }).catch(() => true));
    return new SandboxError(this.provider, gone ? "sandbox_gone" : "failed", `${what} in E2B sandbox ${this.id} failed: ${errorMessage(err)}`, {
      cause: err,
      upstreamStatus: describe(err).upstreamStatus,
    });
  }
}
