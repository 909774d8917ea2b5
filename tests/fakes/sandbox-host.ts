/**
 * The machine side shared by the E2B and Daytona fakes: each sandbox is a temp directory, and its
 * commands really run on this machine (own process group, HOME inside the sandbox dir, only the
 * sandbox's env — nothing inherited from the test process). Records every sandbox and command so
 * tests can assert what entered a sandbox.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, normalize } from "node:path";

export type SandboxState = "running" | "killed" | "expired";

export interface HostedSandbox {
  id: string;
  /** The sandbox "filesystem": absolute paths outside the host are mapped under it for file APIs. */
  root: string;
  /** HOME of every command; relative file paths resolve against it. */
  home: string;
  user: string;
  /** Sandbox-level env (from create), applied to every process. */
  envs: Record<string, string>;
  template: string;
  metadata: Record<string, string>;
  state: SandboxState;
  createdAt: number;
  endedAt?: number;
  /** Process groups ever started in this sandbox (for liveness checks after a kill). */
  pgids: Set<number>;
}

export interface CommandRecord {
  sandboxId: string;
  /** How it was started: `process` (E2B Process/Start), `session` / `execute` (Daytona toolbox). */
  via: "process" | "session" | "execute";
  command: string;
  /** The environment the process really got. */
  env: Record<string, string>;
  cwd: string;
  pid?: number;
  startedAt: number;
  exitCode?: number;
}

export interface SpawnOptions {
  env: Record<string, string>;
  cwd: string;
  stdin?: "pipe" | "ignore";
  stdout?: "pipe" | "ignore";
}

/** PATH of a typical container image, for processes that do not get a login shell. */
export const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export class SandboxHost {
  readonly base: string;
  readonly sandboxes = new Map<string, HostedSandbox>();
  readonly commands: CommandRecord[] = [];
  private readonly live = new Map<string, Set<ChildProcess>>();

  constructor(
    name: string,
    private readonly keepDirs = false,
  ) {
    this.base = mkdtempSync(join(tmpdir(), `lr-fake-${name}-`));
  }

  create(opts: { id: string; user: string; envs: Record<string, string>; template: string; metadata: Record<string, string> }): HostedSandbox {
    const root = join(this.base, opts.id);
    const home = join(root, "home", opts.user);
    mkdirSync(home, { recursive: true });
    const sb: HostedSandbox = { ...opts, root, home, state: "running", createdAt: Date.now(), pgids: new Set() };
    this.sandboxes.set(opts.id, sb);
    this.live.set(opts.id, new Set());
    return sb;
  }

  running(id: string | null | undefined): HostedSandbox | undefined {
    const sb = id ? this.sandboxes.get(id) : undefined;
    return sb?.state === "running" ? sb : undefined;
  }

  /** Maps a sandbox path to the host: `~` and relative paths under HOME, foreign absolute paths under root. */
  resolve(sb: HostedSandbox, path: string): string {
    if (path === "~" || path.startsWith("~/")) return normalize(join(sb.home, path.slice(1)));
    if (!isAbsolute(path)) return normalize(join(sb.home, path));
    const p = normalize(path);
    if (p === sb.root || p.startsWith(`${sb.root}/`)) return p;
    return normalize(join(sb.root, p));
  }

  /** The env a process gets: identity, then sandbox-level envs, then the command's own envs. */
  envFor(sb: HostedSandbox, extra: Record<string, string> = {}, base: Record<string, string> = {}): Record<string, string> {
    return { HOME: sb.home, USER: sb.user, LOGNAME: sb.user, ...base, ...sb.envs, ...extra };
  }

  spawn(sb: HostedSandbox, argv: string[], opts: SpawnOptions): ChildProcess {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error("empty command");
    mkdirSync(opts.cwd, { recursive: true });
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [opts.stdin ?? "ignore", opts.stdout ?? "pipe", opts.stdout ?? "pipe"],
    });
    if (child.pid) sb.pgids.add(child.pid);
    const set = this.live.get(sb.id);
    set?.add(child);
    child.once("exit", () => set?.delete(child));
    return child;
  }

  record(rec: CommandRecord): CommandRecord {
    this.commands.push(rec);
    return rec;
  }

  /** Ends a sandbox: every process group it started is SIGKILLed and its directory removed. */
  destroy(sb: HostedSandbox, state: Exclude<SandboxState, "running">): void {
    if (sb.state !== "running") return;
    sb.state = state;
    sb.endedAt = Date.now();
    for (const pgid of sb.pgids) killGroup(pgid, "SIGKILL");
    this.live.get(sb.id)?.clear();
    if (!this.keepDirs) rmSync(sb.root, { recursive: true, force: true });
  }

  /** Host pids of processes still alive (not zombies) in the sandbox's process groups. */
  alivePids(id: string): number[] {
    const sb = this.sandboxes.get(id);
    if (!sb) return [];
    return liveGroupMembers(sb.pgids);
  }

  stop(): void {
    for (const sb of this.sandboxes.values()) this.destroy(sb, "killed");
    if (!this.keepDirs) rmSync(this.base, { recursive: true, force: true });
  }
}

export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function liveGroupMembers(pgids: Set<number>): number[] {
  const out: number[] = [];
  if (!existsSync("/proc")) return out;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // Fields after the parenthesised comm: state ppid pgrp ...
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (rest[0] === "Z" || rest[0] === "X") continue;
    if (pgids.has(Number(rest[2]))) out.push(Number(name));
  }
  return out;
}

export const randomHex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

/** Exit code as Go's ProcessState.ExitCode() reports it: -1 when killed by a signal. */
export const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null) => (signal || code === null ? -1 : code);

/** Options of a sandbox fake run by hand: `--port N [--api-key K] [--keep-dirs]`. */
export function fakeCliOptions(defaultPort: number): { port: number; apiKey?: string; keepDirs: boolean } {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return { port: Number(arg("--port") ?? defaultPort), apiKey: arg("--api-key"), keepDirs: argv.includes("--keep-dirs") };
}

export interface FailCreate {
  status: number;
  message?: string;
  /** How many creates fail; default: every one until the control changes. */
  count?: number;
}

/** The scripted behaviour of a fake (error injection), replaced as a whole by `control()`. */
export class FakeControl<C extends { failCreate?: FailCreate }> {
  current: C;
  private failsLeft = 0;

  constructor(initial: C | undefined) {
    this.current = { ...initial } as C;
    this.set(this.current);
  }

  readonly set = (c: C) => {
    this.current = { ...c };
    this.failsLeft = c.failCreate ? (c.failCreate.count ?? -1) : 0;
  };

  /** The failure the next create must answer with, if any. */
  nextCreateFailure(): FailCreate | undefined {
    const f = this.current.failCreate;
    if (!f || this.failsLeft === 0) return undefined;
    if (this.failsLeft > 0) this.failsLeft--;
    return f;
  }
}

/** The inspection / lifecycle part of a fake's handle, the same for E2B and Daytona. */
export function fakeHandle<S extends HostedSandbox>(host: SandboxHost, sandboxes: Map<string, S>, end: (sb: S, by: "api" | "timeout") => void, server: { stop(force?: boolean): Promise<void> }) {
  return {
    sandboxes,
    commands: host.commands,
    /** Ends a sandbox now, as its lifetime running out would. */
    expire(id: string) {
      const sb = sandboxes.get(id);
      if (sb) end(sb, "timeout");
    },
    /** Host pids still alive in the sandbox's process groups. */
    alivePids: (id: string) => host.alivePids(id),
    async stop() {
      for (const sb of sandboxes.values()) end(sb, "api");
      await server.stop(true);
      host.stop();
    },
  };
}

/** Keeps a fake started by hand running until Ctrl-C / SIGTERM, then kills its sandboxes and removes its dirs. */
export function stopOnSignal(fake: { stop(): Promise<void> }): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void fake.stop().finally(() => process.exit(0)));
}
