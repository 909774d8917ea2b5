/** True inside a `bun build --compile` binary (its entry lives in Bun's embedded file system). */
export const isCompiled = (): boolean => import.meta.path.startsWith("/$bunfs/") || import.meta.path.includes("~BUN");

/**
 * The argv that starts this same program again with `args`: the binary itself when compiled,
 * else the runtime with its own flags and the entry script.
 */
export function selfCommand(args: string[]): string[] {
  if (isCompiled()) return [process.execPath, ...args];
  return [process.execPath, ...process.execArgv, Bun.main, ...args];
}
