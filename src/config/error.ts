/** A config problem: names the file, the key path and what was expected. Fatal at boot, reported on reload. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly keyPath: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${file}${keyPath ? `: ${keyPath}` : ""}: expected ${expected}, got ${received}`);
    this.name = "ConfigError";
  }
}
