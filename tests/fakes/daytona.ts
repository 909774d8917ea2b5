/**
 * A fake Daytona speaking the real wire protocols of `@daytonaio/sdk` 0.218
 * (spec/sandboxes-and-agents.md §2): the control plane under `/api` and the toolbox under
 * `/toolbox/<sandboxId>` (also the legacy `/api/toolbox/<id>/toolbox`): `/process/execute`
 * (argv split, no shell, like the daemon), sessions with a real persistent bash each, async exec,
 * the log WebSocket with the 0x01/0x02 stream markers, command status, and the file endpoints.
 * No socket.io: run the SDK with `useDeprecatedPolling` / DAYTONA_USE_DEPRECATED_POLLING=true.
 *
 * Point the SDK at it with `apiUrl` = `${url}/api`.
 * Run by hand: `bun tests/fakes/daytona.ts --port 9300 [--api-key dtn_x] [--keep-dirs]`.
 */
import type { ServerWebSocket } from "bun";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { filesRoute } from "./daytona-files.ts";
import { Session, type SessionCommand } from "./daytona-session.ts";
import { exitCodeOf, fakeCliOptions, fakeHandle, FakeControl, IMAGE_PATH, SandboxHost, stopOnSignal, type FailCreate, type CommandRecord, type HostedSandbox } from "./sandbox-host.ts";

export interface DaytonaControl {
  /** `POST /api/sandbox` answers this status with Daytona's error body; `count` times (default: until reset). */
  failCreate?: FailCreate;
  /** The sandbox is returned in state `starting` and becomes `started` after this delay. */
  startDelayMs?: number;
  /** The sandbox goes to state `error` with this reason instead of starting. */
  startError?: string;
}

export interface DaytonaSandbox extends HostedSandbox {
  name: string;
  dtoState: "starting" | "started" | "error" | "destroyed";
  errorReason?: string;
  labels: Record<string, string>;
  target: string;
  body: Record<string, unknown>;
  sessions: Map<string, Session>;
  daemonDir: string;
  endedBy?: "api" | "timeout";
}

export interface DaytonaRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  at: number;
}

export interface FakeDaytona {
  /** Origin; the SDK's apiUrl is `${url}/api`. */
  url: string;
  apiUrl: string;
  port: number;
  sandboxes: Map<string, DaytonaSandbox>;
  commands: CommandRecord[];
  requests: DaytonaRequest[];
  control(c: DaytonaControl): void;
  expire(id: string): void;
  alivePids(id: string): number[];
  stop(): Promise<void>;
}

type WsData = { cmd: SessionCommand; stop?: () => void };

const REASONS: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout", 409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable" };
const apiError = (status: number, message: string) => Response.json({ statusCode: status, message, error: REASONS[status] ?? "Error" }, { status });
const MARKERS = { 1: [1, 1, 1], 2: [2, 2, 2] } as const;

/** Splits a command line on spaces, honouring quotes, as the toolbox daemon does (no shell). */
export function splitArgv(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < line.length && '"\\'.includes(line[i + 1]!)) cur += line[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = "";
      has = false;
    } else cur += ch;
  }
  if (has || cur) out.push(cur);
  return out;
}

export async function startFakeDaytona(opts: { port?: number; apiKey?: string; keepDirs?: boolean; control?: DaytonaControl } = {}): Promise<FakeDaytona> {
  const host = new SandboxHost("daytona", opts.keepDirs);
  const sandboxes = new Map<string, DaytonaSandbox>();
  const timers = new Map<string, Array<ReturnType<typeof setTimeout>>>();
  const requests: DaytonaRequest[] = [];
  const control = new FakeControl<DaytonaControl>(opts.control);
  let origin = "";

  const later = (sb: DaytonaSandbox, ms: number, fn: () => void) => {
    const list = timers.get(sb.id) ?? [];
    list.push(setTimeout(fn, ms));
    timers.set(sb.id, list);
  };

  const end = (sb: DaytonaSandbox, by: "api" | "timeout") => {
    if (sb.state !== "running") return;
    for (const t of timers.get(sb.id) ?? []) clearTimeout(t);
    for (const s of sb.sessions.values()) s.kill();
    sb.dtoState = "destroyed";
    sb.endedBy = by;
    host.destroy(sb, by === "api" ? "killed" : "expired");
  };

  const dto = (sb: DaytonaSandbox) => ({
    id: sb.id,
    organizationId: "fake-org",
    name: sb.name,
    snapshot: sb.template,
    user: sb.user,
    env: sb.envs,
    labels: sb.labels,
    public: false,
    networkBlockAll: false,
    target: sb.target,
    cpu: 1,
    gpu: 0,
    memory: 1,
    disk: 3,
    state: sb.dtoState,
    ...(sb.errorReason && { errorReason: sb.errorReason }),
    autoStopInterval: sb.body.autoStopInterval ?? 15,
    autoDeleteInterval: sb.body.autoDeleteInterval ?? -1,
    createdAt: new Date(sb.createdAt).toISOString(),
    updatedAt: new Date().toISOString(),
    daemonVersion: "0.218.0",
    toolboxProxyUrl: `${origin}/toolbox`,
  });

  async function createSandbox(req: Request): Promise<Response> {
    const body = (await req.json()) as Record<string, unknown> & { env?: Record<string, string>; labels?: Record<string, string>; snapshot?: string; name?: string; target?: string; user?: string; ttlMinutes?: number };
    const failure = control.nextCreateFailure();
    if (failure) return apiError(failure.status, failure.message ?? `fake Daytona failure ${failure.status}`);
    const id = crypto.randomUUID();
    const base = host.create({ id, user: body.user ?? "daytona", envs: body.env ?? {}, template: body.snapshot ?? "daytona-small", metadata: body.labels ?? {} });
    const daemonDir = join(host.base, `${id}-daemon`);
    mkdirSync(daemonDir, { recursive: true });
    const sb: DaytonaSandbox = Object.assign(base, {
      name: body.name ?? id,
      dtoState: "started" as DaytonaSandbox["dtoState"],
      labels: body.labels ?? {},
      target: body.target ?? "us",
      body,
      sessions: new Map<string, Session>(),
      daemonDir,
    });
    sandboxes.set(id, sb);
    if (body.ttlMinutes) later(sb, body.ttlMinutes * 60_000, () => end(sb, "timeout"));
    if (control.current.startError) {
      sb.dtoState = "error";
      sb.errorReason = control.current.startError;
    } else if (control.current.startDelayMs) {
      sb.dtoState = "starting";
      later(sb, control.current.startDelayMs, () => {
        if (sb.dtoState === "starting") sb.dtoState = "started";
      });
    }
    return Response.json(dto(sb));
  }

  async function controlPlane(req: Request, url: URL, path: string): Promise<Response> {
    if (req.method === "POST" && path === "/sandbox") return createSandbox(req);
    if (req.method === "GET" && path === "/sandbox") {
      const labels = JSON.parse(url.searchParams.get("labels") ?? "{}") as Record<string, string>;
      const items = [...sandboxes.values()].filter((sb) => sb.state === "running" && Object.entries(labels).every(([k, v]) => sb.labels[k] === v));
      return Response.json({ items: items.map(dto), nextCursor: null });
    }
    const m = /^\/sandbox\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return apiError(404, `Cannot ${req.method} /api${path}`);
    const sb = [...sandboxes.values()].find((s) => s.state === "running" && (s.id === m[1] || s.name === m[1]));
    if (!sb) return apiError(404, `Sandbox with ID or name ${m[1]} not found`);
    const rest = m[2] ?? "";
    if (!rest && req.method === "GET") return Response.json(dto(sb));
    if (!rest && req.method === "DELETE") {
      end(sb, "api");
      return Response.json(dto(sb));
    }
    if (rest === "/toolbox-proxy-url") return Response.json({ url: `${origin}/toolbox` });
    if (req.method === "POST" && /^\/(autostop|autodelete|autoarchive|autopause|ttl)\/-?\d+$/.test(rest)) return new Response(null, { status: 200 });
    if (req.method === "POST" && (rest === "/start" || rest.startsWith("/stop"))) return Response.json(dto(sb));
    return apiError(404, `Cannot ${req.method} /api${path}`);
  }

  async function execute(req: Request, sb: DaytonaSandbox): Promise<Response> {
    const body = (await req.json()) as { command: string; cwd?: string; envs?: Record<string, string>; timeout?: number };
    const env = host.envFor(sb, body.envs, { PATH: IMAGE_PATH });
    const cwd = body.cwd ? host.resolve(sb, body.cwd) : sb.home;
    const argv = splitArgv(body.command);
    const rec = host.record({ sandboxId: sb.id, via: "execute", command: body.command, env, cwd, startedAt: Date.now() });
    const child = host.spawn(sb, argv, { env, cwd });
    rec.pid = child.pid;
    let out = "";
    child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
    let timedOut = false;
    const timer = body.timeout ? setTimeout(() => ((timedOut = true), child.kill("SIGKILL")), body.timeout * 1000) : undefined;
    const exitCode = await new Promise<number>((resolve) => {
      child.once("error", (e) => ((out += e.message), resolve(127)));
      child.once("close", (code, signal) => resolve(exitCodeOf(code, signal)));
    });
    clearTimeout(timer);
    rec.exitCode = exitCode;
    if (timedOut) return apiError(408, "command execution timeout");
    return Response.json({ exitCode, result: out });
  }

  async function sessions(req: Request, sub: string, sb: DaytonaSandbox, server: Bun.Server<WsData>): Promise<Response | undefined> {
    if (sub === "/process/session") {
      if (req.method === "GET") return Response.json([...sb.sessions.values()].map(sessionJson));
      const { sessionId } = (await req.json()) as { sessionId: string };
      if (sb.sessions.has(sessionId)) return apiError(409, `session ${sessionId} already exists`);
      sb.sessions.set(sessionId, new Session(sessionId, sb, host, sb.daemonDir));
      return new Response(null, { status: 201 });
    }
    const m = /^\/process\/session\/([^/]+)(?:\/(exec|command\/([^/]+)(\/logs|\/input)?))?$/.exec(sub);
    const session = m ? sb.sessions.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !session) return apiError(404, `session not found`);
    if (!m[2]) {
      if (req.method === "DELETE") {
        session.kill();
        sb.sessions.delete(session.id);
        return new Response(null, { status: 204 });
      }
      return Response.json(sessionJson(session));
    }
    if (m[2] === "exec") {
      const body = (await req.json()) as { command: string; runAsync?: boolean; async?: boolean };
      const cmd = session.exec(body.command);
      if (body.runAsync || body.async) return Response.json({ cmdId: cmd.id }, { status: 202 });
      await new Promise<void>((resolve) => cmd.follow((c) => c === null && resolve()));
      return Response.json({ cmdId: cmd.id, output: cmd.text(), stdout: cmd.text(1), stderr: cmd.text(2), exitCode: cmd.exitCode });
    }
    const cmd = session.commands.get(m[3]!);
    if (!cmd) return apiError(404, `command ${m[3]} not found`);
    if (!m[4]) return Response.json({ id: cmd.id, command: cmd.command, ...(cmd.exitCode !== undefined && { exitCode: cmd.exitCode }) });
    if (m[4] === "/input") {
      session.input(((await req.json()) as { data: string }).data);
      return new Response(null, { status: 200 });
    }
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return server.upgrade(req, { data: { cmd } }) ? undefined : apiError(400, "websocket upgrade failed");
    }
    return Response.json({ output: cmd.text(), stdout: cmd.text(1), stderr: cmd.text(2) });
  }

  const sessionJson = (s: Session) => ({
    sessionId: s.id,
    commands: [...s.commands.values()].map((c) => ({ id: c.id, command: c.command, ...(c.exitCode !== undefined && { exitCode: c.exitCode }) })),
  });

  async function toolbox(req: Request, url: URL, id: string, sub: string, server: Bun.Server<WsData>): Promise<Response | undefined> {
    const sb = sandboxes.get(id);
    if (!sb || sb.state !== "running") return apiError(404, `Sandbox with ID ${id} not found`);
    if (sb.dtoState !== "started") return apiError(400, `Sandbox ${id} is not started (state: ${sb.dtoState})`);
    if (sub === "/user-home-dir" || sub === "/work-dir") return Response.json({ dir: sb.home });
    if (sub === "/version") return Response.json({ version: "0.218.0" });
    if (sub === "/process/execute" && req.method === "POST") return execute(req, sb);
    if (sub.startsWith("/process/session")) return sessions(req, sub, sb, server);
    if (sub.startsWith("/files")) return filesRoute(req, url, sub, sb, host);
    return apiError(404, `Cannot ${req.method} ${sub}`);
  }

  const server = Bun.serve<WsData>({
    port: opts.port ?? 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    maxRequestBodySize: 512 * 1024 * 1024,
    async fetch(req, server) {
      const url = new URL(req.url);
      const path = url.pathname;
      requests.push({ method: req.method, path, query: url.search, headers: Object.fromEntries(req.headers), at: Date.now() });
      const auth = req.headers.get("authorization");
      if (!auth?.startsWith("Bearer ") || (opts.apiKey && auth !== `Bearer ${opts.apiKey}`)) return apiError(401, "Unauthorized");
      const tb = /^\/(?:toolbox\/([^/]+)|api\/toolbox\/([^/]+)\/toolbox)(\/.*)$/.exec(path);
      if (tb) return toolbox(req, url, (tb[1] ?? tb[2])!, tb[3]!, server);
      if (path.startsWith("/api/")) return controlPlane(req, url, path.slice(4));
      return apiError(404, `Cannot ${req.method} ${path}`);
    },
    websocket: {
      open(ws: ServerWebSocket<WsData>) {
        ws.data.stop = ws.data.cmd.follow((c) => {
          if (c === null) ws.close(1000, "command finished");
          else ws.sendBinary(new Uint8Array([...MARKERS[c.stream], ...c.bytes]));
        });
      },
      message() {},
      close(ws: ServerWebSocket<WsData>) {
        ws.data.stop?.();
      },
    },
  });
  origin = `http://127.0.0.1:${server.port}`;

  return {
    url: origin,
    apiUrl: `${origin}/api`,
    port: server.port!,
    requests,
    control: control.set,
    ...fakeHandle(host, sandboxes, end, server),
  };
}

if (import.meta.main) {
  const fake = await startFakeDaytona(fakeCliOptions(9300));
  stopOnSignal(fake);
  console.log(`fake Daytona listening on ${fake.url} (DAYTONA_API_URL=${fake.apiUrl}, DAYTONA_USE_DEPRECATED_POLLING=true)`);
}
