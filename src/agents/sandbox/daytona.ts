/**
 * Daytona sandboxes through the official `@daytonaio/sdk`. Connection settings come in as options
 * (from `general_settings.daytona_sandbox_params`). Commands run in a session of their own:
 * `runAsync` exec, output streamed over the log WebSocket, exit code from the command status.
 * The session outlives the gateway process, so `attach` finds the command, its whole log and its
 * exit code again.
 */
import "./daytona-modules.ts";
import { Daytona, DaytonaError, DaytonaNotFoundError, type Sandbox as DaytonaClient } from "@daytonaio/sdk";
import { errorMessage, SandboxError, type SandboxErrorCode } from "./errors.ts";
import { CREATE_TAG, guardedCreate, interruptible, killOnce, shellQuote } from "./guard.ts";
import type { CommandHandle, Sandbox, SandboxAttachOptions, SandboxCreateOptions, SandboxFile, SandboxProvider, SandboxRunOptions, SandboxRunResult } from "./types.ts";

export interface DaytonaProviderOptions {
  apiKey: string;
  /** Default `https://app.daytona.io/api`. */
  apiUrl?: string;
  /** Region (`us`, `eu`). Without it the SDK falls back to DAYTONA_TARGET / the organization default. */
  target?: string;
  /** Default snapshot for new sandboxes. */
  snapshot?: string;
  /** How long creation may take until the sandbox is started, in seconds; SDK default 60. */
  createTimeoutSec?: number;
  /** Poll sandbox state over REST instead of the socket.io event stream. */
  useDeprecatedPolling?: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const noop = () => {};

function describe(err: unknown): { message: string; upstreamStatus?: number } {
  return { message: errorMessage(err), upstreamStatus: err instanceof DaytonaError ? err.statusCode : undefined };
}

export class DaytonaProvider implements SandboxProvider {
  readonly name = "daytona" as const;
  readonly attachOutput = "complete" as const;
  private client?: Daytona;

  constructor(private readonly opts: DaytonaProviderOptions) {}

  /** Built on first use: without polling, the SDK opens its event socket at construction. */
  private get daytona(): Daytona {
    this.client ??= new Daytona({
      apiKey: this.opts.apiKey,
      apiUrl: this.opts.apiUrl,
      target: this.opts.target,
      useDeprecatedPolling: this.opts.useDeprecatedPolling,
      otelEnabled: false,
    });
    return this.client;
  }

  async create(o: SandboxCreateOptions = {}): Promise<Sandbox> {
    const createId = crypto.randomUUID();
    const lifetime = o.timeoutMs ? { autoStopInterval: 0, ttlMinutes: Math.max(1, Math.ceil(o.timeoutMs / 60_000)) } : {};
    return guardedCreate(
      this.name,
      o.signal,
      async () =>
        new DaytonaSandbox(
          await this.daytona.create(
            {
              snapshot: o.template ?? this.opts.snapshot,
              envVars: o.envs,
              labels: { ...o.metadata, [CREATE_TAG]: createId },
              ephemeral: true,
              ...lifetime,
            },
            { timeout: this.opts.createTimeoutSec ?? 60 },
          ),
        ),
      () => this.sweep(createId),
      describe,
    );
  }

  async connect(sandboxId: string): Promise<Sandbox | undefined> {
    try {
      const found = await this.daytona.get(sandboxId);
      return found.state === "started" ? new DaytonaSandbox(found) : undefined;
    } catch (err) {
      if (err instanceof DaytonaNotFoundError) return undefined;
      throw this.error(`connecting to Daytona sandbox ${sandboxId}`, err);
    }
  }

  async kill(sandboxId: string): Promise<void> {
    try {
      await (await this.daytona.get(sandboxId)).delete();
    } catch (err) {
      if (err instanceof DaytonaNotFoundError) return;
      throw this.error(`killing Daytona sandbox ${sandboxId}`, err);
    }
  }

  private error(what: string, err: unknown): SandboxError {
    const { message, upstreamStatus } = describe(err);
    return new SandboxError(this.name, "failed", `${what} failed: ${message}`, { cause: err, upstreamStatus });
  }

  /** Deletes sandboxes a failed create may have left (e.g. created but never started in time). */
  private async sweep(createId: string): Promise<void> {
    for await (const sb of this.daytona.list({ labels: { [CREATE_TAG]: createId } })) await sb.delete().catch(noop);
  }
}

class DaytonaSandbox implements Sandbox {
  readonly provider = "daytona" as const;
  readonly id: string;
  readonly kill: () => Promise<void>;

  constructor(private readonly client: DaytonaClient) {
    this.id = client.id;
    this.kill = killOnce(this.provider, async () => {
      try {
        await client.delete();
      } catch (err) {
        if (!(err instanceof DaytonaNotFoundError)) throw err;
      }
    });
  }

  async writeFiles(files: SandboxFile[]): Promise<void> {
    if (files.length === 0) return;
    try {
      await this.client.fs.uploadFiles(files.map((f) => ({ source: Buffer.from(f.data), destination: f.path })));
    } catch (err) {
      throw await this.failure("writing files", err);
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await this.client.fs.downloadFile(path));
    } catch (err) {
      if (err instanceof DaytonaNotFoundError && /file/i.test(err.message)) {
        throw new SandboxError(this.provider, "file_not_found", `${path}: ${err.message}`, { cause: err });
      }
      throw await this.failure(`reading ${path}`, err);
    }
  }

  run(command: string, o: SandboxRunOptions = {}): Promise<SandboxRunResult> {
    const session = `run-${crypto.randomUUID()}`;
    const proc = this.client.process;
    return interruptible(
      this.provider,
      o,
      async () => {
        try {
          await proc.createSession(session);
          // cd and exports persist in the session's shell; the command itself runs in a child bash
          // so that an `exit` in it cannot end the session shell before its status is written.
          const setup = this.setupLine(o);
          if (setup) {
            const r = await proc.executeSessionCommand(session, { command: setup });
            if (r.exitCode !== 0) throw new SandboxError(this.provider, "failed", `preparing the command failed (exit ${r.exitCode}): ${(r.stderr || r.output || "").trim()}`);
          }
          const { cmdId } = await proc.executeSessionCommand(session, { command: `/bin/bash -c ${shellQuote(command)}`, runAsync: true });
          o.onStart?.({ provider: "daytona", sessionId: session, commandId: cmdId });
          return { exitCode: await this.follow(session, cmdId, o) };
        } catch (err) {
          throw await this.failure("running a command", err);
        } finally {
          proc.deleteSession(session).catch(noop);
        }
      },
      () => this.stop(session),
    );
  }

  attach(target: CommandHandle, o: SandboxAttachOptions = {}): Promise<SandboxRunResult> {
    if (target.provider !== "daytona") return Promise.reject(new SandboxError(this.provider, "failed", `cannot attach to a ${target.provider} command in a Daytona sandbox`));
    const { sessionId, commandId } = target;
    const proc = this.client.process;
    return interruptible(
      this.provider,
      o,
      async () => {
        let exitCode: number;
        try {
          const cmd = await proc.getSessionCommand(sessionId, commandId);
          if (typeof cmd.exitCode === "number") {
            const logs = await proc.getSessionCommandLogs(sessionId, commandId);
            if (logs.stdout) o.onStdout?.(logs.stdout);
            if (logs.stderr) o.onStderr?.(logs.stderr);
            exitCode = cmd.exitCode;
          } else {
            exitCode = await this.follow(sessionId, commandId, o);
          }
        } catch (err) {
          throw await this.failure(`attaching to command ${commandId} of session ${sessionId}`, err, "command_gone");
        }
        proc.deleteSession(sessionId).catch(noop);
        return { exitCode };
      },
      () => this.stop(sessionId),
    );
  }

  /** The command's log (from its start) through the callbacks until it ends, then its exit code. */
  private async follow(session: string, cmdId: string, o: SandboxAttachOptions): Promise<number> {
    await this.client.process.getSessionCommandLogs(session, cmdId, o.onStdout ?? noop, o.onStderr ?? noop);
    return this.exitCode(session, cmdId);
  }

  private async stop(session: string): Promise<void> {
    await this.client.process.deleteSession(session).catch(noop);
    await this.kill();
  }

  private setupLine(o: SandboxRunOptions): string {
    const parts: string[] = [];
    if (o.cwd) parts.push(`cd ${shellQuote(o.cwd)}`);
    for (const [k, v] of Object.entries(o.envs ?? {})) {
      if (!ENV_NAME.test(k)) throw new SandboxError(this.provider, "failed", `invalid environment variable name: ${k}`);
      parts.push(`export ${k}=${shellQuote(v)}`);
    }
    return parts.join(" && ");
  }

  /** The log stream closes when the command ends; its status may lag a moment behind. */
  private async exitCode(session: string, cmdId: string): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const cmd = await this.client.process.getSessionCommand(session, cmdId);
      if (typeof cmd.exitCode === "number") return cmd.exitCode;
      await Bun.sleep(100);
    }
    throw new SandboxError(this.provider, "failed", `command ${cmdId} ended without an exit code`);
  }

  /**
   * Maps a failure; if the sandbox itself is gone (deleted, lifetime over), says so. `onNotFound`:
   * the code for a 404 from a sandbox that is still there.
   */
  private async failure(what: string, err: unknown, onNotFound: SandboxErrorCode = "failed"): Promise<SandboxError> {
    if (err instanceof SandboxError) return err;
    const gone = await this.client.refreshData().then(
      () => this.client.state === "destroyed" || this.client.state === "destroying",
      (e: unknown) => e instanceof DaytonaNotFoundError,
    );
    const code = gone ? "sandbox_gone" : err instanceof DaytonaNotFoundError ? onNotFound : "failed";
    return new SandboxError(this.provider, code, `${what} in Daytona sandbox ${this.id} failed: ${errorMessage(err)}`, {
      cause: err,
      upstreamStatus: describe(err).upstreamStatus,
    });
  }
}
