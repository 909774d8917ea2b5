import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ensurePortkey } from "./portkey.ts";
import { NGINX_INSTALL, nginxConfig } from "./nginx.ts";
import { LOAD_CPU, PROXY_CPU, spawnPinned, waitHttp, type Proc } from "./proc.ts";
import type { ShapeCtx } from "./shapes.ts";
import { AGENT_MODELS } from "./agent-bodies.ts";
import { PACE_MS, requestBody, SLOW_MS, STREAM_CHUNKS, STREAM_REPLY, type Api, type FakeKind, type Target } from "./targets.ts";

export const ROOT = join(import.meta.dir, "../..");
const BUN = process.execPath;
export const MASTER_KEY = "sk-bench-master";
const FAKE_KEY = "sk-bench-upstream";
const FETCH_CAP = { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" };

export type SubjectId = "direct" | "floor" | "nginx" | "portkey" | "litellm" | "translate" | "baseline";

export interface Subject {
  id: SubjectId;
  label: string;
  api: Api;
  proc?: Proc;
  /** Set when the subject cannot run here; it is then left out and the note printed. */
  note?: string;
  target(kind: FakeKind, stream: boolean): Target;
  /** Where coding-agent requests go (the agent upstream through this subject) and the key they carry; unset when the subject does not take part. */
  agent?: { origin: string; key: string };
}

/** The three fakes of the main matrix, and the agent shapes' instant upstream (scripts/bench/agent-upstream.ts). */
export type UpstreamKind = FakeKind | "agent";
export type Fakes = Record<UpstreamKind, { port: number; proc: Proc }>;

export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

const chatUrl = (port: number, prefix = "") => `http://127.0.0.1:${port}${prefix}/v1/chat/completions`;
const json = { "content-type": "application/json" };

export async function startFakes(logDir: string): Promise<Fakes> {
  const fake = async (kind: UpstreamKind, args: string[], script = join(ROOT, "tests/fakes/llm.ts")) => {
    const port = freePort();
    const proc = spawnPinned(`fake-${kind}`, [BUN, script, "--port", String(port), ...args], { cpu: LOAD_CPU, logDir });
    await waitHttp(proc, `http://127.0.0.1:${port}/`);
    return { port, proc };
  };
  const [zero, slow, paced, agent] = await Promise.all([
    fake("zero", []),
    fake("slow", ["--delay-ms", String(SLOW_MS)]),
    fake("paced", ["--chunk-delay-ms", String(PACE_MS), "--chunks", String(STREAM_CHUNKS)]),
    fake("agent", [], join(import.meta.dir, "agent-upstream.ts")),
  ]);
  await fetch(`http://127.0.0.1:${paced.port}/__control`, {
    method: "POST",
    body: JSON.stringify({ chunkDelayMs: PACE_MS, chunks: STREAM_CHUNKS, reply: STREAM_REPLY, record: false }),
  });
  return { zero, slow, paced, agent };
}

export function directSubject(fakes: Fakes): Subject {
  return {
    id: "direct",
    label: "direct (fake)",
    api: "chat",
    agent: { origin: `http://127.0.0.1:${fakes.agent.port}`, key: FAKE_KEY },
    target: (kind, stream) => ({
      url: chatUrl(fakes[kind].port),
      headers: { ...json, authorization: `Bearer ${FAKE_KEY}` },
      body: requestBody("chat", "gpt-bench", stream),
      api: "chat",
    }),
  };
}

export async function startFloor(fakes: Fakes, logDir: string): Promise<Subject> {
  const port = freePort();
  const proc = spawnPinned("floor", [BUN, join(import.meta.dir, "bare-proxy.ts"), String(port)], { cpu: PROXY_CPU, env: FETCH_CAP, logDir });
  await waitHttp(proc, `http://127.0.0.1:${port}/${fakes.zero.port}/`);
  return {
    id: "floor",
    label: "bare Bun proxy",
    api: "chat",
    proc,
    agent: { origin: `http://127.0.0.1:${port}/${fakes.agent.port}`, key: FAKE_KEY },
    target: (kind, stream) => ({
      url: chatUrl(port, `/${fakes[kind].port}`),
      headers: { ...json, authorization: `Bearer ${FAKE_KEY}` },
      body: requestBody("chat", "gpt-bench", stream),
      api: "chat",
    }),
  };
}

export async function startNginx(fakes: Fakes, logDir: string): Promise<Subject> {
  const base = { id: "nginx" as const, label: "nginx", api: "chat" as const, target: (): Target => ({ url: "", headers: {}, body: "", api: "chat" }) };
  const bin = Bun.which("nginx") ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].find((p) => Bun.file(p).size > 0);
  if (!bin) return { ...base, note: `nginx not installed; install with: ${NGINX_INSTALL}` };
  const dir = join(logDir, "nginx");
  mkdirSync(dir, { recursive: true });
  const ports = { zero: freePort(), slow: freePort(), paced: freePort(), agent: freePort() };
  const conf = nginxConfig(dir, (Object.keys(ports) as UpstreamKind[]).map((k) => ({ listen: ports[k], upstream: fakes[k].port })));
  const proc = spawnPinned("nginx", [bin, "-p", dir, "-c", conf, "-e", join(dir, "error.log")], { cpu: PROXY_CPU, logDir });
  await waitHttp(proc, `http://127.0.0.1:${ports.zero}/`);
  return {
    ...base,
    proc,
    agent: { origin: `http://127.0.0.1:${ports.agent}`, key: FAKE_KEY },
    target: (kind, stream) => ({
      url: chatUrl(ports[kind]),
      headers: { ...json, authorization: `Bearer ${FAKE_KEY}` },
      body: requestBody("chat", "gpt-bench", stream),
      api: "chat",
    }),
  };
}

export async function startPortkey(fakes: Fakes, logDir: string, installDir: string): Promise<Subject> {
  const base = { id: "portkey" as const, label: "Portkey gateway", api: "chat" as const, target: (): Target => ({ url: "", headers: {}, body: "", api: "chat" }) };
  const { entry, note } = ensurePortkey(installDir);
  if (!entry) return { ...base, note: `Portkey skipped: ${note}` };
  const port = freePort();
  const proc = spawnPinned("portkey", ["node", entry, `--port=${port}`, "--headless"], { cpu: PROXY_CPU, cwd: installDir, logDir });
  await waitHttp(proc, `http://127.0.0.1:${port}/`);
  return {
    ...base,
    proc,
    target: (kind, stream) => ({
      url: chatUrl(port),
      headers: {
        ...json,
        authorization: `Bearer ${FAKE_KEY}`,
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": `http://127.0.0.1:${fakes[kind].port}/v1`,
      },
      body: requestBody("chat", "gpt-bench", stream),
      api: "chat",
    }),
  };
}

/**
 * The gateway's benchmark config: each fake behind a model group of three deployments
 * (simple-shuffle), the coding-agent models (the traces' own names) on the agent upstream, the
 * shipped wildcard routes beside them, a master key, and a LiteLLM database (virtual keys, spend
 * logs) when one is given.
 */
export function litellmConfig(fakes: Fakes, databaseUrl?: string, redisUrl?: string): string {
  const group = (kind: FakeKind) =>
    [1, 2, 3].map((i) => ({
      model_name: `bench-${kind}`,
      litellm_params: { model: "openai/gpt-bench", api_base: `http://127.0.0.1:${fakes[kind].port}/v1`, api_key: `${FAKE_KEY}-${i}`, input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
    }));
  const agentBase = `http://127.0.0.1:${fakes.agent.port}`;
  const price = { input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5 };
  return stringify({
    model_list: [
      ...group("zero"),
      ...group("slow"),
      ...group("paced"),
      { model_name: AGENT_MODELS.claude, litellm_params: { model: `anthropic/${AGENT_MODELS.claude}`, api_base: agentBase, api_key: FAKE_KEY, ...price } },
      { model_name: AGENT_MODELS.codex, litellm_params: { model: `openai/${AGENT_MODELS.codex}`, api_base: `${agentBase}/v1`, api_key: FAKE_KEY, ...price } },
      { model_name: "claude-*", litellm_params: { model: "anthropic/claude-*", api_key: "os.environ/ANTHROPIC_API_KEY" } },
      { model_name: "gpt-*", litellm_params: { model: "openai/gpt-*", api_key: "os.environ/OPENAI_API_KEY" } },
    ],
    router_settings: { routing_strategy: "simple-shuffle", num_retries: 2, ...(redisUrl ? { redis_url: redisUrl } : {}) },
    general_settings: { master_key: MASTER_KEY, ...(databaseUrl ? { database_url: databaseUrl } : {}) },
  });
}

export interface GatewayCommand {
  cmd: string[];
  label: string;
  /** Environment added to the bench's own. */
  env?: Record<string, string>;
}

/** What a scenario after the main matrix gets: the running fakes, the direct baseline, the gateway to start. */
export interface ScenarioOpts {
  rounds: number;
  fakes: Fakes;
  direct: Subject;
  gw: GatewayCommand;
  ctx: ShapeCtx;
  logDir: string;
  log: (s: string) => void;
}

export async function startLitellm(name: string, gw: GatewayCommand, configPath: string, logDir: string, extraArgs: string[] = [], cpu: string | undefined = PROXY_CPU): Promise<{ proc: Proc; port: number }> {
  const port = freePort();
  const proc = spawnPinned(name, [...gw.cmd, "--config", configPath, "--port", String(port), "--host", "127.0.0.1", ...extraArgs], { cpu, logDir, cwd: ROOT, env: gw.env });
  await waitHttp(proc, `http://127.0.0.1:${port}/health/liveliness`);
  return { proc, port };
}

export function litellmSubjects(proc: Proc, port: number, key = MASTER_KEY): Subject[] {
  const headers = { ...json, authorization: `Bearer ${key}` };
  const chat: Subject = {
    id: "litellm",
    label: "litellm-rust",
    api: "chat",
    proc,
    agent: { origin: `http://127.0.0.1:${port}`, key },
    target: (kind, stream) => ({ url: chatUrl(port), headers, body: requestBody("chat", `bench-${kind}`, stream), api: "chat" }),
  };
  const translate: Subject = {
    id: "translate",
    label: "litellm-rust, Anthropic client → OpenAI deployment (translated)",
    api: "messages",
    proc,
    target: (kind, stream) => ({
      url: `http://127.0.0.1:${port}/v1/messages`,
      headers: { ...headers, "anthropic-version": "2023-06-01" },
      body: requestBody("messages", `bench-${kind}`, stream),
      api: "messages",
    }),
  };
  return [chat, translate];
}

/** Sends one request; returns undefined when it answers 200, else what went wrong. */
export async function probe(t: Target): Promise<string | undefined> {
  try {
    const res = await fetch(t.url, { method: "POST", headers: t.headers, body: t.body, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return res.status === 200 ? undefined : `HTTP ${res.status}: ${text.slice(0, 300)}`;
  } catch (e) {
    return (e as Error).message;
  }
}
