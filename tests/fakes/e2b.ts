/**
 * A fake E2B speaking the real wire protocols of `e2b` 2.51 (spec/sandboxes-and-agents.md §1):
 * the control-plane REST API and, on the same port, envd (told apart by the `E2b-Sandbox-Id`
 * header): `process.Process` over Connect+JSON and the `/files` + `/health` REST endpoints.
 * Commands really run on this machine (`/bin/bash -l -c`, as envd does) inside a temp dir per
 * sandbox — see sandbox-host.ts.
 *
 * Point the SDK at it with `apiUrl` and `sandboxUrl` (or E2B_API_URL / E2B_SANDBOX_URL) = url.
 * Run by hand: `bun tests/fakes/e2b.ts --port 9200 [--api-key e2b_x] [--keep-dirs]`.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { basename, dirname } from "node:path";
import { endStream, envelope, firstEnvelope, isStreamingRequest, STREAM_HEADERS, unaryError } from "./connect-json.ts";
import { exitCodeOf, fakeCliOptions, fakeHandle, FakeControl, killGroup, randomHex, SandboxHost, stopOnSignal, type FailCreate, type CommandRecord, type HostedSandbox } from "./sandbox-host.ts";

export interface E2BControl {
  /** Sandbox creation answers this status with E2B's error body `{code, message}`; `count` times (default: until reset). */
  failCreate?: FailCreate;
  /** Delay before the create answer; the sandbox already exists (and is listed) meanwhile. */
  createDelayMs?: number;
  envdVersion?: string;
}

export interface E2BSandbox extends HostedSandbox {
  envdAccessToken: string;
  endAt: number;
  /** How it ended: `DELETE /sandboxes/{id}` or its timeout. */
  endedBy?: "api" | "timeout";
}

export interface E2BRequest {
  plane: "api" | "envd";
  method: string;
  path: string;
  query: string;
  sandboxId?: string;
  headers: Record<string, string>;
  at: number;
}

export interface FakeE2B {
  url: string;
  port: number;
  sandboxes: Map<string, E2BSandbox>;
  commands: CommandRecord[];
  requests: E2BRequest[];
  control(c: E2BControl): void;
  expire(id: string): void;
  alivePids(id: string): number[];
  stop(): Promise<void>;
}

interface ProcessConfig {
  cmd: string;
  args?: string[];
  envs?: Record<string, string>;
  cwd?: string;
}
type ProcessSelector = { pid?: number; tag?: string };
type ProcessEvent = Record<string, unknown>;

interface Proc {
  pid: number;
  sandboxId: string;
  tag?: string;
  config: ProcessConfig;
  child: ChildProcess;
  listeners: Set<(ev: ProcessEvent) => void>;
  end?: ProcessEvent;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const apiError = (status: number, message: string) => Response.json({ code: status, message }, { status });

export async function startFakeE2B(opts: { port?: number; apiKey?: string; keepDirs?: boolean; control?: E2BControl } = {}): Promise<FakeE2B> {
  const host = new SandboxHost("e2b", opts.keepDirs);
  const sandboxes = new Map<string, E2BSandbox>();
  const procs = new Map<number, Proc>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Streams to cut when a sandbox dies (a dead VM answers nothing more). */
  const cutters = new Map<string, Set<() => void>>();
  const requests: E2BRequest[] = [];
  const control = new FakeControl<E2BControl>(opts.control);

  const end = (sb: E2BSandbox, by: "api" | "timeout") => {
    if (sb.state !== "running") return;
    clearTimeout(timers.get(sb.id));
    for (const cut of cutters.get(sb.id) ?? []) cut();
    cutters.delete(sb.id);
    sb.endedBy = by;
    host.destroy(sb, by === "api" ? "killed" : "expired");
    for (const [pid, p] of procs) if (p.sandboxId === sb.id) procs.delete(pid);
  };

  const setTimer = (sb: E2BSandbox, seconds: number) => {
    clearTimeout(timers.get(sb.id));
    sb.endAt = Date.now() + seconds * 1000;
    timers.set(sb.id, setTimeout(() => end(sb, "timeout"), seconds * 1000));
  };

  const sandboxJson = (sb: E2BSandbox) => ({
    sandboxID: sb.id,
    templateID: sb.template,
    alias: sb.template,
    clientID: "fake-client",
    envdVersion: control.current.envdVersion ?? "0.6.4",
    envdAccessToken: sb.envdAccessToken,
    trafficAccessToken: null,
    domain: null,
  });
  const detailJson = (sb: E2BSandbox) => ({
    ...sandboxJson(sb),
    startedAt: new Date(sb.createdAt).toISOString(),
    endAt: new Date(sb.endAt).toISOString(),
    state: "running",
    cpuCount: 2,
    memoryMB: 512,
    diskSizeMB: 2048,
    metadata: sb.metadata,
    volumeMounts: [],
  });

  async function createSandbox(req: Request): Promise<Response> {
    const body = (await req.json()) as { templateID?: string; timeout?: number; envVars?: Record<string, string>; metadata?: Record<string, string> };
    const failure = control.nextCreateFailure();
    if (failure) return apiError(failure.status, failure.message ?? `fake E2B failure ${failure.status}`);
    const id = `i${randomHex(10)}`.slice(0, 20);
    const sb: E2BSandbox = Object.assign(
      host.create({ id, user: "user", envs: body.envVars ?? {}, template: body.templateID ?? "base", metadata: body.metadata ?? {} }),
      { envdAccessToken: randomHex(16), endAt: 0 },
    );
    sandboxes.set(id, sb);
    cutters.set(id, new Set());
    setTimer(sb, body.timeout ?? 300);
    if (control.current.createDelayMs) await sleep(control.current.createDelayMs);
    if (sb.state !== "running") return apiError(500, `sandbox ${id} was killed while it was being created`);
    return Response.json(sandboxJson(sb), { status: 201 });
  }

  async function controlPlane(req: Request, url: URL): Promise<Response> {
    const key = req.headers.get("x-api-key");
    if (!key || (opts.apiKey && key !== opts.apiKey)) return apiError(401, "Invalid API key, it must start with 'e2b_' prefix and be valid");
    const path = url.pathname;
    if (req.method === "POST" && (path === "/v2/sandboxes" || path === "/sandboxes")) return createSandbox(req);
    if (req.method === "GET" && (path === "/v2/sandboxes" || path === "/sandboxes")) {
      const want = new URLSearchParams(url.searchParams.get("metadata") ?? "");
      const items = [...sandboxes.values()].filter(
        (sb) => sb.state === "running" && [...want].every(([k, v]) => sb.metadata[decodeURIComponent(k)] === decodeURIComponent(v)),
      );
      return Response.json(items.map(detailJson));
    }
    const m = /^(?:\/v2)?\/sandboxes\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    if (!m) return apiError(404, `no route ${req.method} ${path}`);
    const sb = host.running(m[1]) ? sandboxes.get(m[1]!) : undefined;
    if (!sb) return apiError(404, `sandbox "${m[1]}" doesn't exist or you don't have access to it`);
    const action = m[2];
    if (!action && req.method === "DELETE") {
      end(sb, "api");
      return new Response(null, { status: 204 });
    }
    if (!action && req.method === "GET") return Response.json(detailJson(sb));
    if (req.method === "POST" && (action === "timeout" || action === "connect" || action === "resume")) {
      const text = await req.text();
      const body = (text ? JSON.parse(text) : {}) as { timeout?: number };
      if (body.timeout !== undefined) setTimer(sb, body.timeout);
      return action === "timeout" ? new Response(null, { status: 204 }) : Response.json(sandboxJson(sb), { status: 200 });
    }
    return apiError(404, `no route ${req.method} ${path}`);
  }

  function spawnProcess(sb: E2BSandbox, config: ProcessConfig, stdin: boolean, tag?: string): Proc | string {
    const cwd = config.cwd ? host.resolve(sb, config.cwd) : sb.home;
    try {
      if (!statSync(cwd).isDirectory()) return `cwd '${config.cwd}' is not a directory`;
    } catch {
      return `cwd '${config.cwd}' does not exist`;
    }
    const env = host.envFor(sb, config.envs);
    const child = host.spawn(sb, [config.cmd, ...(config.args ?? [])], { env, cwd, stdin: stdin ? "pipe" : "ignore" });
    if (!child.pid) return `error starting process '${config.cmd}'`;
    const rec = host.record({ sandboxId: sb.id, via: "process", command: [config.cmd, ...(config.args ?? [])].join(" "), env, cwd, pid: child.pid, startedAt: Date.now() });
    const proc: Proc = { pid: child.pid, sandboxId: sb.id, tag, config: { ...config, cwd }, child, listeners: new Set() };
    procs.set(proc.pid, proc);
    const emit = (ev: ProcessEvent) => {
      for (const l of proc.listeners) l(ev);
    };
    child.stdout?.on("data", (b: Buffer) => emit({ data: { stdout: b.toString("base64") } }));
    child.stderr?.on("data", (b: Buffer) => emit({ data: { stderr: b.toString("base64") } }));
    child.on("close", (code, signal) => {
      const exitCode = exitCodeOf(code, signal);
      rec.exitCode = exitCode;
      const status = signal ? `signal: ${signal === "SIGKILL" ? "killed" : signal.toLowerCase()}` : `exit status ${code}`;
      proc.end = { end: { ...(exitCode !== 0 && { exitCode }), ...(!signal && { exited: true }), status, ...(exitCode !== 0 && { error: status }) } };
      emit(proc.end);
      procs.delete(proc.pid);
    });
    return proc;
  }

  /** A server stream of one process's events, honouring Connect-Timeout-Ms and Keepalive-Ping-Interval. */
  function processStream(req: Request, sb: E2BSandbox, proc: Proc): Response {
    let cleanup = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let open = true;
        const timers: Array<ReturnType<typeof setTimeout>> = [];
        const close = () => {
          open = false;
          proc.listeners.delete(listener);
          cutters.get(sb.id)?.delete(cut);
          for (const t of timers) clearTimeout(t);
        };
        const finish = (error?: { code: "deadline_exceeded" | "unknown"; message: string }) => {
          if (!open) return;
          close();
          controller.enqueue(endStream(error));
          controller.close();
        };
        const cut = () => {
          if (!open) return;
          close();
          // Resets the connection like a dead VM (no end-stream envelope); no reason, so Bun logs nothing.
          controller.error(undefined);
        };
        const send = (ev: ProcessEvent) => {
          if (open) controller.enqueue(envelope({ event: ev }));
        };
        const listener = (ev: ProcessEvent) => {
          send(ev);
          if ("end" in ev) finish();
        };
        cleanup = close;
        cutters.get(sb.id)?.add(cut);
        send({ start: { pid: proc.pid } });
        if (proc.end) return listener(proc.end);
        proc.listeners.add(listener);
        const deadline = Number(req.headers.get("connect-timeout-ms") ?? 0);
        if (deadline > 0) timers.push(setTimeout(() => finish({ code: "deadline_exceeded", message: "context deadline exceeded" }), deadline));
        const ping = Number(req.headers.get("keepalive-ping-interval") ?? 0);
        if (ping > 0) timers.push(setInterval(() => send({ keepalive: {} }), ping * 1000));
        req.signal.addEventListener("abort", close);
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(stream, { headers: STREAM_HEADERS });
  }

  const select = (sb: E2BSandbox, s: ProcessSelector | undefined): Proc | undefined =>
    [...procs.values()].find((p) => p.sandboxId === sb.id && ((s?.pid !== undefined && p.pid === s.pid) || (s?.tag !== undefined && p.tag === s.tag)));

  async function processService(req: Request, sb: E2BSandbox, method: string): Promise<Response> {
    const raw = new Uint8Array(await req.arrayBuffer());
    if (isStreamingRequest(req)) {
      const msg = firstEnvelope<{ process?: ProcessConfig & ProcessSelector; stdin?: boolean; tag?: string }>(raw);
      if (method === "Start") {
        const proc = spawnProcess(sb, msg.process as ProcessConfig, msg.stdin === true, msg.tag);
        if (typeof proc === "string") {
          return new Response(endStream({ code: "unknown", message: proc }), { headers: STREAM_HEADERS });
        }
        return processStream(req, sb, proc);
      }
      if (method === "Connect") {
        const proc = select(sb, msg.process);
        if (!proc) return new Response(endStream({ code: "not_found", message: "process not found" }), { headers: STREAM_HEADERS });
        return processStream(req, sb, proc);
      }
      return unaryError("unimplemented", `process.Process/${method} is not implemented by the fake`);
    }
    const body = (raw.length ? JSON.parse(new TextDecoder().decode(raw)) : {}) as {
      process?: ProcessSelector;
      signal?: string;
      input?: { stdin?: string };
    };
    if (method === "List") {
      const processes = [...procs.values()]
        .filter((p) => p.sandboxId === sb.id)
        .map((p) => ({ pid: p.pid, ...(p.tag && { tag: p.tag }), config: p.config }));
      return Response.json({ processes });
    }
    const proc = select(sb, body.process);
    if (!proc) return unaryError("not_found", `process with pid ${body.process?.pid} not found`);
    if (method === "SendSignal") {
      killGroup(proc.pid, body.signal === "SIGNAL_SIGTERM" ? "SIGTERM" : "SIGKILL");
      return Response.json({});
    }
    if (method === "SendInput") {
      proc.child.stdin?.write(Buffer.from(body.input?.stdin ?? "", "base64"));
      return Response.json({});
    }
    if (method === "CloseStdin") {
      proc.child.stdin?.end();
      return Response.json({});
    }
    return unaryError("unimplemented", `process.Process/${method} is not implemented by the fake`);
  }

  async function files(req: Request, url: URL, sb: E2BSandbox): Promise<Response> {
    const target = url.searchParams.get("path");
    if (req.method === "GET") {
      if (!target) return apiError(400, "path is required");
      const p = host.resolve(sb, target);
      try {
        if (statSync(p).isDirectory()) return apiError(400, `path '${target}' is a directory`);
        return new Response(readFileSync(p), { headers: { "content-type": "application/octet-stream" } });
      } catch {
        return apiError(404, `path '${target}' does not exist`);
      }
    }
    const written: Array<{ name: string; type: "file"; path: string }> = [];
    const put = (path: string, data: Uint8Array) => {
      const p = host.resolve(sb, path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
      written.push({ name: basename(p), type: "file", path: p });
    };
    const type = req.headers.get("content-type") ?? "";
    if (type.startsWith("multipart/form-data")) {
      const form = await req.formData();
      const parts = form.getAll("file").filter((f): f is File => typeof f !== "string");
      for (const f of parts) put(target && parts.length === 1 ? target : f.name, new Uint8Array(await f.arrayBuffer()));
    } else {
      if (!target) return apiError(400, "path is required for octet-stream uploads");
      let data = new Uint8Array(await req.arrayBuffer());
      if (req.headers.get("content-encoding") === "gzip") data = Bun.gunzipSync(data);
      put(target, data);
    }
    return Response.json(written);
  }

  async function envd(req: Request, url: URL, id: string): Promise<Response> {
    const sb = host.running(id) ? sandboxes.get(id) : undefined;
    if (!sb) return Response.json({ sandboxId: id, message: "The sandbox was not found", code: 502 }, { status: 502 });
    if (url.pathname === "/health") return new Response(null, { status: 204 });
    if (req.headers.get("x-access-token") !== sb.envdAccessToken) return apiError(401, "unauthorized access, please provide a valid access token");
    if (url.pathname === "/files") return files(req, url, sb);
    const rpc = /^\/process\.Process\/([A-Za-z]+)$/.exec(url.pathname);
    if (rpc && req.method === "POST") return processService(req, sb, rpc[1]!);
    if (url.pathname.startsWith("/filesystem.Filesystem/")) return unaryError("unimplemented", "filesystem.Filesystem is not implemented by the fake");
    return apiError(404, `no route ${req.method} ${url.pathname}`);
  }

  const server = Bun.serve({
    port: opts.port ?? 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    maxRequestBodySize: 512 * 1024 * 1024,
    async fetch(req) {
      const url = new URL(req.url);
      const sandboxId = req.headers.get("e2b-sandbox-id") ?? undefined;
      const plane = sandboxId ? "envd" : "api";
      requests.push({ plane, method: req.method, path: url.pathname, query: url.search, sandboxId, headers: Object.fromEntries(req.headers), at: Date.now() });
      return sandboxId ? envd(req, url, sandboxId) : controlPlane(req, url);
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port!,
    requests,
    control: control.set,
    ...fakeHandle(host, sandboxes, end, server),
  };
}

if (import.meta.main) {
  const fake = await startFakeE2B(fakeCliOptions(9200));
  stopOnSignal(fake);
  console.log(`fake E2B listening on ${fake.url} (E2B_API_URL and E2B_SANDBOX_URL)`);
}
