import type { Subprocess } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Core of the process under test; the load tools and the fakes get the other one. */
export const PROXY_CPU = "0";
export const LOAD_CPU = "1";

export interface Proc {
  name: string;
  pid: number;
  proc: Subprocess;
  log: string;
  /** All pids of the process tree (workers, nginx's worker). */
  pids(): number[];
  /** SIGTERM, then SIGKILL after `graceMs` */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOpts {
  cpu?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  logDir: string;
}

const running = new Set<Proc>();

export function spawnPinned(name: string, cmd: string[], opts: SpawnOpts): Proc {
  const log = join(opts.logDir, `${name.replace(/[^\w.-]+/g, "_")}.log`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  const full = opts.cpu !== undefined ? ["taskset", "-c", opts.cpu, ...cmd] : cmd;
  const proc = Bun.spawn(full, { cwd: opts.cwd, env, stdin: "ignore", stdout: Bun.file(log), stderr: Bun.file(`${log}.err`) });
  const p: Proc = {
    name,
    pid: proc.pid,
    proc,
    log,
    pids: () => treePids(proc.pid),
    async stop(graceMs = 3000) {
      running.delete(p);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
      if (!done) {
        for (const pid of treePids(proc.pid)) tryKill(pid, "SIGKILL");
        await proc.exited;
      }
    },
  };
  running.add(p);
  return p;
}

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Stops every process this run started (on exit, on Ctrl-C, on failure). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

export function logTail(p: Proc, lines = 20): string {
  const read = (f: string) => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  return `${read(p.log)}${read(`${p.log}.err`)}`.split("\n").slice(-lines).join("\n");
}

/** Waits until `url` answers any HTTP status. */
export async function waitHttp(p: Proc, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.proc.exitCode !== null) break;
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`${p.name} did not answer on ${url}:\n${logTail(p)}`);
}

function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** `root` and its descendants, from /proc. */
export function treePids(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    const pid = Number(d);
    if (!Number.isInteger(pid)) continue;
    const f = statFields(pid);
    if (f) parent.set(pid, Number(f[1]));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out.filter((pid) => parent.has(pid));
}

/** Resident memory of a set of processes, MiB. */
export function rssMiB(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      kb += Number(m?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return kb / 1024;
}

const CLK_TCK = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** User + system CPU time of a set of processes, microseconds. */
export function cpuMicros(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1e6) / CLK_TCK;
}

/** Samples the peak RSS of `pids()` until stopped. */
export function rssSampler(pids: () => number[], everyMs = 100): { stop(): number } {
  let peak = rssMiB(pids());
  const t = setInterval(() => {
    peak = Math.max(peak, rssMiB(pids()));
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, rssMiB(pids()));
    },
  };
}

export function which(cmd: string): string | undefined {
  return Bun.which(cmd) ?? undefined;
}
