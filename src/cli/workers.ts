import type { Subprocess } from "bun";
import type { CliArgs } from "./args.ts";
import { selfCommand } from "./self.ts";

/** Set in the environment of each process started by `--num_workers`; its value is the worker's index. */
export const WORKER_ENV = "LITELLM_RUST_WORKER";

export const isWorker = (): boolean => process.env[WORKER_ENV] !== undefined;

/** A free port for the workers to share when the user asked for port 0. */
function freePort(host: string): number {
  const probe = Bun.listen({ hostname: host, port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

function withPort(argv: string[], port: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-p" || a === "--port") i++;
    else if (!a.startsWith("--port=")) out.push(a);
  }
  return [...out, "--port", String(port)];
}

/** Resolves with the worker's URL once it listens; its later stdout goes on to ours. */
async function waitListening(proc: Subprocess<"ignore", "pipe", "inherit">): Promise<string> {
  const reader = proc.stdout.getReader();
  const dec = new TextDecoder();
  let out = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`worker exited before listening (code ${await proc.exited})`);
    out += dec.decode(value, { stream: true });
    const m = /listening on (\S+)/.exec(out);
    if (!m) continue;
    void (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) process.stdout.write(r.value);
    })();
    return m[1]!;
  }
}

/**
 * `--num_workers N`: N copies of this program serve one port (SO_REUSEPORT; the kernel spreads
 * connections). This process only supervises: it forwards SIGINT/SIGTERM and, when one worker
 * dies, stops the others and exits with its code so an outer supervisor can restart the set.
 */
export async function runWorkers(args: CliArgs, argv: string[]): Promise<number> {
  const port = args.port === 0 ? freePort(args.host) : args.port;
  const cmd = selfCommand(withPort(argv, port));
  const workers = Array.from({ length: args.numWorkers }, (_, i) =>
    Bun.spawn(cmd, { env: { ...process.env, [WORKER_ENV]: String(i) }, stdin: "ignore", stdout: "pipe", stderr: "inherit" }),
  );
  const stopAll = (signal: NodeJS.Signals) => {
    for (const w of workers) if (w.exitCode === null) w.kill(signal);
  };
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      stopping = true;
      stopAll(signal);
    });
  }
  try {
    const urls = await Promise.all(workers.map(waitListening));
    process.stdout.write(`litellm-rust listening on ${urls[0]} (${workers.length} workers, pids ${workers.map((w) => w.pid).join(" ")})\n`);
  } catch (e) {
    process.stderr.write(`litellm-rust: ${(e as Error).message}\n`);
    stopAll("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));
    return 1;
  }
  const first = await Promise.race(workers.map((w) => w.exited));
  if (!stopping) {
    process.stderr.write(`litellm-rust: a worker exited with code ${first}; stopping the others\n`);
    stopAll("SIGTERM");
  }
  await Promise.all(workers.map((w) => w.exited));
  return stopping ? 0 : first || 1;
}
