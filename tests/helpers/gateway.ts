import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";

export const ROOT = resolve(import.meta.dir, "../..");

/** The command that runs the gateway: the compiled binary when LITELLM_RUST_BIN is set, else the source. */
export function gatewayCommand(): string[] {
  const bin = process.env.LITELLM_RUST_BIN;
  return bin ? [resolve(ROOT, bin)] : [process.execPath, join(ROOT, "src/main.ts")];
}

export interface GatewayProcess {
  url: string;
  port: number;
  configPath: string;
  proc: ReturnType<typeof Bun.spawn>;
  /** stdout + stderr seen so far */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export function writeConfig(config: string | object, dir = mkdtempSync(join(tmpdir(), "lr-cfg-"))): string {
  const path = join(dir, "config.yaml");
  writeFileSync(path, typeof config === "string" ? config : stringify(config));
  return path;
}

/** Starts the gateway on a free port over a real socket and waits until it listens. */
export async function startGateway(opts: {
  config?: string | object;
  configPath?: string;
  env?: Record<string, string | undefined>;
  args?: string[];
  timeoutMs?: number;
  /** A command the gateway runs under (`["prlimit", "--nofile=512", "--"]`). */
  under?: string[];
}): Promise<GatewayProcess> {
  const configPath = opts.configPath ?? writeConfig(opts.config ?? {});
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  const proc = Bun.spawn([...(opts.under ?? []), ...gatewayCommand(), "--config", configPath, "--port", "0", "--host", "127.0.0.1", ...(opts.args ?? [])], {
    cwd: ROOT,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out += dec.decode(chunk);
  };
  pump(proc.stdout as ReadableStream<Uint8Array>);
  pump(proc.stderr as ReadableStream<Uint8Array>);
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let url: string | undefined;
  while (Date.now() < deadline) {
    const m = /listening on (http:\/\/[^\s]+)/.exec(out);
    if (m) {
      url = m[1];
      break;
    }
    if (proc.exitCode !== null) break;
    await Bun.sleep(20);
  }
  if (!url) {
    proc.kill();
    throw new Error(`gateway did not start (exit ${proc.exitCode}):\n${out}`);
  }
  let stopping = false;
  // A gateway that ends on its own mid-test says why: later failures (connection refused) would not.
  void proc.exited.then((code) => {
    if (stopping || code === 0 || ["SIGKILL", "SIGTERM", "SIGINT", "SIGSTOP"].includes(String(proc.signalCode))) return;
    console.error(`gateway ${url} exited on its own (code ${code}, signal ${proc.signalCode}); its last output:\n${out.slice(-4000)}`);
  });
  return {
    url,
    port: Number(new URL(url).port),
    configPath,
    proc,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      stopping = true;
      if (proc.exitCode === null) proc.kill(signal);
      return await proc.exited;
    },
  };
}

/** Runs the gateway expecting it to exit (config errors, --version): returns code and output. */
export async function runGatewayOnce(args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...gatewayCommand(), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
