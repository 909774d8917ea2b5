/**
 * E2B sandboxes through the official `e2b` SDK. Connection settings come in as options (from
 * `general_settings.e2b_sandbox_params`); every one is passed explicitly so the SDK's env-var
 * fallbacks (E2B_API_KEY, E2B_DEBUG, ...) never decide where a sandbox goes.
 */
import {
  AuthenticationError,
  CommandExitError,
  NotFoundError,
  RateLimitError,
  Sandbox as E2BClient,
  SandboxError as E2BError,
  ServiceBusyError,
  TimeoutError,
  type CommandHandle,
  type ConnectionOpts,
} from "e2b";
import { errorMessage, SandboxError } from "./errors.ts";
import { CREATE_TAG, guardedCreate, interruptible, killOnce } from "./guard.ts";
import type { Sandbox, SandboxCreateOptions, SandboxFile, SandboxProvider, SandboxRunOptions, SandboxRunResult } from "./types.ts";

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

export class E2BProvider implements SandboxProvider {
  readonly name = "e2b" as const;
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
    let handle: CommandHandle | undefined;
    return interruptible(
      this.provider,
      o,
      async () => {
        try {
          // timeoutMs 0: the SDK's default would end the stream after 60 s (and envd leaves the process running).
          handle = await this.client.commands.run(command, { background: true, envs: o.envs, cwd: o.cwd, timeoutMs: 0, onStdout: o.onStdout, onStderr: o.onStderr });
          return { exitCode: (await handle.wait()).exitCode };
        } catch (err) {
          if (err instanceof CommandExitError) return { exitCode: err.exitCode };
          throw await this.failure("running a command", err);
        }
      },
      async () => {
        await handle?.kill().catch(() => false);
        await handle?.disconnect();
        await this.kill();
      },
    );
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
