/** Shared by the providers: run timeouts and cancellation, and cleanup after a failed create. */
import { errorMessage, SandboxError } from "./errors.ts";
import type { SandboxProviderName } from "./types.ts";

/** Metadata key / label carrying a per-create id, so a sandbox whose create failed half-way can be found and killed. */
export const CREATE_TAG = "litellm-rust-create-id";

type Interrupt = "timeout" | "cancelled";

/**
 * Runs `work` until it settles or the timeout / abort fires; on the latter `stop()` kills the
 * command and the sandbox, and the run rejects with a `timeout` or `cancelled` SandboxError.
 */
export async function interruptible<T>(
  provider: SandboxProviderName,
  opts: { timeoutMs?: number; signal?: AbortSignal },
  work: () => Promise<T>,
  stop: () => Promise<void>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const interrupted = new Promise<Interrupt>((resolve) => {
    if (opts.signal?.aborted) return resolve("cancelled");
    onAbort = () => resolve("cancelled");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) timer = setTimeout(() => resolve("timeout"), opts.timeoutMs);
  });
  const running = opts.signal?.aborted ? undefined : work();
  try {
    const outcome = await (running ? Promise.race([running.then((value) => ({ value })), interrupted]) : interrupted);
    if (typeof outcome === "object") return outcome.value;
    running?.catch(() => {});
    await stop().catch(() => {});
    throw new SandboxError(
      provider,
      outcome,
      outcome === "timeout" ? `the command ran longer than ${opts.timeoutMs} ms; it and its sandbox were killed` : "the run was cancelled; the command and its sandbox were killed",
    );
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Creates a sandbox with `create`; if that fails or the signal aborts first, kills whatever
 * sandbox it produced (late or half-made: `sweep` finds them by the create tag).
 */
export async function guardedCreate<T extends { kill(): Promise<void> }>(
  provider: SandboxProviderName,
  signal: AbortSignal | undefined,
  create: () => Promise<T>,
  sweep: () => Promise<void>,
  describe: (err: unknown) => { message: string; upstreamStatus?: number },
): Promise<T> {
  if (signal?.aborted) throw new SandboxError(provider, "cancelled", "sandbox creation was cancelled");
  const creating = create();
  let onAbort = () => {};
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([creating, aborted]);
    if (outcome !== "aborted") return outcome;
    void creating
      .then(
        (sb) => sb.kill(),
        () => sweep(),
      )
      .catch(() => sweep())
      .catch(() => {});
    throw new SandboxError(provider, "cancelled", "sandbox creation was cancelled");
  } catch (err) {
    if (err instanceof SandboxError) throw err;
    await sweep().catch(() => {});
    if (signal?.aborted) throw new SandboxError(provider, "cancelled", "sandbox creation was cancelled");
    const { message, upstreamStatus } = describe(err);
    throw new SandboxError(provider, "create_failed", `${provider} sandbox creation failed: ${message}`, { cause: err, upstreamStatus });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Kills once; concurrent and later calls share the first successful kill. */
export function killOnce(provider: SandboxProviderName, kill: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= kill().catch((err: unknown) => {
      done = undefined;
      throw new SandboxError(provider, "failed", `killing the sandbox failed: ${errorMessage(err)}`, { cause: err });
    });
    return done;
  };
}

const SAFE = /^[\w@%+=:,./-]+$/;
/** POSIX shell quoting (single quotes), for command lines sent to a shell. */
export const shellQuote = (s: string) => (s !== "" && SAFE.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`);
