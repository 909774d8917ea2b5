/**
 * Daytona sandboxes through the official `@daytonaio/sdk`. Connection settings come in as options
 * (from `general_settings.daytona_sandbox_params`). Commands run in a session of their own:
 * `runAsync` exec, output streamed over the log WebSocket, exit code from the command status.
 */
import "./daytona-modules.ts";
import { Daytona, DaytonaError, DaytonaNotFoundError, type Sandbox as DaytonaClient } from "@daytonaio/sdk";
import { errorMessage, SandboxError } from "./errors.ts";
import { CREATE_TAG, guardedCreate, interruptible, killOnce, shellQuote } from "./guard.ts";
import type { Sandbox, SandboxCreateOptions, SandboxFile, SandboxProvider, SandboxRunOptions, SandboxRunResult } from "./types.ts";

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
          await proc.getSessionCommandLogs(session, cmdId, o.onStdout ?? noop, o.onStderr ?? noop);
          return { exitCode: await this.exitCode(session, cmdId) };
        } catch (err) {
          throw await this.failure("running a command", err);
        } finally {
          proc.deleteSession(session).catch(noop);
        }
      },
      async () => {
        await proc.deleteSession(session).catch(noop);
        await this.kill();
      },
    );
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

  /** Maps a failure; if the sandbox itself is gone (deleted, lifetime over), says so. */
  private async failure(what: string, err: unknown): Promise<SandboxError> {
    if (err instanceof SandboxError) return err;
    const gone = await this.client.refreshData().then(
      () => this.client.state === "destroyed" || this.client.state === "destroying",
      (e: unknown) => e instanceof DaytonaNotFoundError,
    );
    return new SandboxError(this.provider, gone ? "sandbox_gone" : "failed", `${what} in Daytona sandbox ${this.id} failed: ${errorMessage(err)}`, {
      cause: err,
      upstreamStatus: describe(err).upstreamStatus,
    });
  }
}
