/**
 * Daytona toolbox sessions, faked the way the daemon runs them: one persistent bash per session
 * (so `cd` and `export` persist), each command written into it as
 * `{ <command>\n} > out 2> err; echo $? > exit`, its output files tailed for the log stream.
 */
import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { IMAGE_PATH, killGroup, type CommandRecord, type HostedSandbox, type SandboxHost } from "./sandbox-host.ts";

export type StreamId = 1 | 2;
type Chunk = { stream: StreamId; bytes: Uint8Array };

export class SessionCommand {
  exitCode?: number;
  done = false;
  readonly log: Chunk[] = [];
  private readonly listeners = new Set<(c: Chunk | null) => void>();
  private readonly offsets = { 1: 0, 2: 0 };
  private readonly fds: { 1?: number; 2?: number } = {};

  constructor(
    readonly id: string,
    readonly command: string,
    readonly record: CommandRecord,
    private readonly files: { out: string; err: string; exit: string; env: string },
  ) {}

  text(stream?: StreamId): string {
    const dec = new TextDecoder();
    return this.log
      .filter((c) => stream === undefined || c.stream === stream)
      .map((c) => dec.decode(c.bytes, { stream: true }))
      .join("");
  }

  /** Replays what was logged so far, then follows; `null` means the command ended. */
  follow(fn: (c: Chunk | null) => void): () => void {
    for (const c of this.log) fn(c);
    if (this.done) {
      fn(null);
      return () => {};
    }
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Reads new output; returns the env dump when the command has finished. */
  poll(): Record<string, string> | undefined {
    if (this.done) return undefined;
    const finished = existsSync(this.files.exit);
    this.drain(1, this.files.out);
    this.drain(2, this.files.err);
    if (!finished) return undefined;
    this.exitCode = Number(readFileSync(this.files.exit, "utf8").trim());
    const env = parseEnvDump(this.files.env);
    this.finish();
    return env;
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    for (const s of [1, 2] as const) if (this.fds[s] !== undefined) closeSync(this.fds[s]!);
    this.record.exitCode = this.exitCode;
    for (const l of this.listeners) l(null);
    this.listeners.clear();
  }

  private drain(stream: StreamId, path: string): void {
    if (this.fds[stream] === undefined) {
      if (!existsSync(path)) return;
      this.fds[stream] = openSync(path, "r");
    }
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(this.fds[stream]!, buf, 0, buf.length, this.offsets[stream]);
      if (n <= 0) return;
      this.offsets[stream] += n;
      const chunk = { stream, bytes: new Uint8Array(buf.subarray(0, n)) };
      this.log.push(chunk);
      for (const l of this.listeners) l(chunk);
    }
  }
}

function parseEnvDump(path: string): Record<string, string> | undefined {
  if (!existsSync(path)) return undefined;
  const env: Record<string, string> = {};
  for (const entry of readFileSync(path, "utf8").split("\0")) {
    const i = entry.indexOf("=");
    if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return env;
}

export class Session {
  readonly commands = new Map<string, SessionCommand>();
  private readonly shell: ChildProcess;
  private readonly dir: string;
  private readonly timer: ReturnType<typeof setInterval>;
  /** The shell's env after its last command (what the next command inherits). */
  private env: Record<string, string>;
  alive = true;

  constructor(
    readonly id: string,
    private readonly sb: HostedSandbox,
    private readonly host: SandboxHost,
    daemonDir: string,
  ) {
    this.dir = join(daemonDir, `session-${id.replace(/[^A-Za-z0-9_.-]/g, "_")}`);
    mkdirSync(this.dir, { recursive: true });
    this.env = host.envFor(sb, {}, { PATH: IMAGE_PATH });
    this.shell = host.spawn(sb, ["/bin/bash"], { env: this.env, cwd: sb.home, stdin: "pipe", stdout: "ignore" });
    this.shell.once("exit", () => this.kill());
    this.timer = setInterval(() => this.pollAll(), 25);
  }

  exec(command: string): SessionCommand {
    const cid = crypto.randomUUID();
    const f = { out: join(this.dir, `${cid}.out`), err: join(this.dir, `${cid}.err`), exit: join(this.dir, `${cid}.exit`), env: join(this.dir, `${cid}.env`) };
    const record = this.host.record({ sandboxId: this.sb.id, via: "session", command, env: { ...this.env }, cwd: this.sb.home, pid: this.shell.pid, startedAt: Date.now() });
    const cmd = new SessionCommand(cid, command, record, f);
    this.commands.set(cid, cmd);
    if (!this.alive) {
      cmd.finish();
      return cmd;
    }
    this.shell.stdin?.write(`{ ${command}\n} > '${f.out}' 2> '${f.err}'; __rc=$?; env -0 > '${f.env}'; echo $__rc > '${f.exit}.tmp'; mv '${f.exit}.tmp' '${f.exit}'\n`);
    return cmd;
  }

  input(data: string): void {
    this.shell.stdin?.write(data);
  }

  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    clearInterval(this.timer);
    if (this.shell.pid) killGroup(this.shell.pid, "SIGKILL");
    for (const c of this.commands.values()) c.finish();
  }

  private pollAll(): void {
    for (const c of this.commands.values()) {
      const env = c.poll();
      if (env) {
        this.env = env;
        c.record.env = env;
        c.record.cwd = env.PWD ?? c.record.cwd;
      }
    }
  }
}
