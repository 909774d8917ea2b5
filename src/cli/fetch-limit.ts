import { selfCommand } from "./self.ts";

const ENV = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Bun's largest accepted value; its default (256) would queue the 257th concurrent upstream call. */
const LIMIT = "65535";

/**
 * Bun reads its outbound connection cap once, from the environment the process started with:
 * assigning `process.env` (or libc `setenv`) before the first fetch has no effect, so the process
 * replaces itself (same pid, same stdio) with the variable set. A value set by the user is kept.
 */
export function raiseFetchLimit(args: string[]): void {
  if (process.env[ENV]) return;
  const [file, ...argv] = selfCommand(args);
  try {
    if (!process.execve) throw new Error("process.execve is not available");
    process.execve(file!, [file!, ...argv], { ...process.env, [ENV]: LIMIT });
  } catch (e) {
    process.stderr.write(`litellm-rust: could not raise ${ENV} (${(e as Error).message}); upstream calls are capped at 256 at a time\n`);
  }
}
