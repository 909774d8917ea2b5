import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, existsSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import parsePrometheus from "parse-prometheus-text-format";
import { stringify } from "yaml";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { gatewayCommand, ROOT, startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";

const KEY = "sk-ops-master-key";
let fake: FakeLLM;
const started: GatewayProcess[] = [];

beforeAll(async () => {
  fake = await startFakeLLM();
});
afterAll(async () => {
  await Promise.all(started.map((g) => g.stop("SIGKILL")));
  await fake.stop();
});

const model = (name: string) => ({ model_name: name, litellm_params: { model: "openai/up", api_base: `${fake.url}/v1`, api_key: "sk-upstream-secret-9876" } });
const config = (names: string[], extra: Record<string, unknown> = {}) => ({ model_list: names.map(model), general_settings: { master_key: KEY }, ...extra });

async function gateway(cfg: object, args: string[] = [], env: Record<string, string> = {}) {
  const g = await startGateway({ config: cfg, args, env });
  started.push(g);
  return g;
}

function chat(g: GatewayProcess, m: string, stream = false) {
  return fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: m, stream, messages: [{ role: "user", content: "hi" }] }),
  });
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await Bun.sleep(25);
  }
  return false;
}

describe("SIGHUP reload", () => {
  test("a valid new config is applied without a restart; an invalid one is refused and the old one kept", async () => {
    const g = await gateway(config(["first"]));
    writeFileSync(g.configPath, stringify(config(["first", "second"])));
    g.proc.kill("SIGHUP");
    expect(await waitFor(async () => (await chat(g, "second")).status === 200)).toBe(true);
    expect(g.output()).toContain("config reloaded");

    writeFileSync(g.configPath, "model_list:\n  - model_name: broken\n    litellm_params: { model: [1, 2] }\n");
    g.proc.kill("SIGHUP");
    expect(await waitFor(() => g.output().includes("config reload failed"))).toBe(true);
    expect(g.output()).toContain("model_list[0].litellm_params.model");
    expect((await chat(g, "second")).status).toBe(200);
    expect(g.proc.exitCode).toBeNull();
  });
});

describe("graceful shutdown", () => {
  test("SIGTERM during a stream: the stream completes, is logged, new connections are refused, exit 0", async () => {
    const g = await gateway(config(["slow"], { litellm_settings: { json_logs: true } }));
    fake.control({ chunkDelayMs: 80, chunks: 15 });
    const res = await chat(g, "slow", true);
    const callId = res.headers.get("x-litellm-call-id")!;
    const reader = res.body!.getReader();
    await reader.read();
    g.proc.kill("SIGTERM");
    await Bun.sleep(100);
    const refused = await fetch(`${g.url}/health/liveliness`).then(() => false).catch(() => true);
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    fake.reset();
    expect(text).toContain('"finish_reason":"stop"');
    expect(text).toContain("[DONE]");
    expect(refused).toBe(true);
    expect(await g.proc.exited).toBe(0);
    const line = g.output().split("\n").find((l) => l.includes(callId));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ msg: "llm call", request_id: callId, status: "success", model: "slow" });
  });
});

describe("observability", () => {
  let g: GatewayProcess;
  beforeAll(async () => {
    g = await gateway(config(["obs"], { litellm_settings: { json_logs: true } }), ["--detailed_debug"]);
  });

  test("/metrics parses as Prometheus text with request, latency, token and spend series", async () => {
    await chat(g, "obs");
    await (await chat(g, "obs", true)).text();
    await chat(g, "nonexistent-model");
    const text = await (await fetch(`${g.url}/metrics`)).text();
    const families = parsePrometheus(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    const requests = byName.get("litellm_proxy_total_requests_metric")!;
    expect(requests.type).toBe("COUNTER");
    const ok = requests.metrics.find((m) => m.labels?.model_group === "obs" && m.labels?.status_code === "200");
    expect(Number(ok!.value)).toBe(2);
    expect(byName.get("litellm_overhead_latency_metric")!.type).toBe("HISTOGRAM");
    expect(Number(byName.get("litellm_llm_api_latency_metric")!.metrics[0]!.buckets!["+Inf"])).toBe(2);
    expect(Number(byName.get("litellm_total_tokens_metric")!.metrics[0]!.value)).toBeGreaterThan(0);
    const failed = byName.get("litellm_proxy_failed_requests_metric")!.metrics[0]!;
    expect(failed.labels?.exception_class).toBe("BadRequestError");
    expect(byName.has("litellm_process_resident_memory_bytes")).toBe(true);
  });

  test("JSON logs carry request id, model, status and latency, never a secret; --detailed_debug traces redact keys", async () => {
    await chat(g, "obs");
    const lines = g.output().split("\n").filter((l) => l.startsWith("{"));
    const calls = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "llm call");
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]).toHaveProperty("request_id");
    expect(calls[0]).toHaveProperty("latency_ms");
    const trace = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "upstream request");
    expect(trace).toBeDefined();
    expect(String((trace!.headers as Record<string, string>).authorization)).toContain("redacted");
    expect(g.output()).not.toContain("sk-upstream-secret-9876");
    expect(g.output()).not.toContain(KEY);
  });
});

describe("launchers", () => {
  let g: GatewayProcess;
  beforeAll(async () => {
    g = await startGateway({
      config: {
        model_list: [
          { model_name: "claude-*", litellm_params: { model: "anthropic/claude-*", api_base: fake.url, api_key: "sk-ant-upstream" } },
          { model_name: "gpt-launch", litellm_params: { model: "openai/gpt-5-codex", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream" } },
        ],
        general_settings: { master_key: KEY },
      },
    });
    started.push(g);
  });

  function runLauncher(args: string[], env: Record<string, string>) {
    const home = mkdtempSync(join(tmpdir(), "lr-launch-"));
    const proc = Bun.spawn([...gatewayCommand(), ...args], {
      cwd: home,
      env: {
        PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
        HOME: home,
        CODEX_HOME: home,
        IS_SANDBOX: "1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        ANTHROPIC_API_KEY: "sk-ant-should-not-be-sent",
        ...env,
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    return Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  }

  test("litellm-rust claude runs the real Claude Code against the gateway with the right env", async () => {
    fake.reset();
    const [out, err, code] = await runLauncher(["claude", "--gateway-url", g.url, "--gateway-key", KEY, "-p", "say hi", "--output-format", "stream-json", "--verbose"], {});
    expect(code, err).toBe(0);
    expect(out).toContain("Hello from the fake Anthropic!");
    const sent = fake.requests.find((r) => r.path === "/v1/messages")!;
    expect(sent.headers["x-api-key"]).toBe("sk-ant-upstream");
    expect(g.output()).not.toContain("sk-ant-should-not-be-sent");
  }, 90_000);

  test("settings come from the saved file; --reset forgets it; without settings and no terminal it explains", async () => {
    const cfgHome = mkdtempSync(join(tmpdir(), "lr-xdg-"));
    const saved = join(cfgHome, "litellm-rust", "launcher.json");
    const [, errNone, codeNone] = await runLauncher(["claude", "--version"], { XDG_CONFIG_HOME: cfgHome });
    expect(codeNone).toBe(2);
    expect(errNone).toContain("no gateway settings");
    Bun.spawnSync(["mkdir", "-p", join(cfgHome, "litellm-rust")]);
    writeFileSync(saved, JSON.stringify({ url: g.url, key: KEY }), { mode: 0o600 });
    const [out, , code] = await runLauncher(["codex", "exec", "--json", "--skip-git-repo-check", "-m", "gpt-launch", "say hi"], { XDG_CONFIG_HOME: cfgHome });
    expect(code).toBe(0);
    expect(out).toContain("Hello from the fake OpenAI Responses!");
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    const [, errReset] = await runLauncher(["claude", "--reset", "--version"], { XDG_CONFIG_HOME: cfgHome });
    expect(errReset).toContain("forgot saved gateway settings");
    expect(existsSync(saved)).toBe(false);
  }, 90_000);
});

test("writeConfig helper round-trips", () => {
  expect(existsSync(writeConfig({ model_list: [] }))).toBe(true);
});
