import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { signBody } from "../../src/agents/webhook.ts";
import { startFakeDaytona, type FakeDaytona } from "../fakes/daytona.ts";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { api, readRunEvents, waitForRun } from "../helpers/agent-api.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { ROOT, startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-agents-master-key-0001";
const PROVIDER_KEY = "sk-ant-provider-secret-0002";
const SECRET = "whsec-test-123";
const CLAUDE = realpathSync(join(ROOT, "node_modules/.bin/claude"));

let llm: FakeLLM;
let e2b: FakeE2B;
let daytona: FakeDaytona;
let gw: GatewayProcess;

beforeAll(async () => {
  llm = await startFakeLLM();
  e2b = await startFakeE2B({ apiKey: "e2b-test-key" });
  daytona = await startFakeDaytona({ apiKey: "daytona-test-key" });
  gw = await startGateway({
    config: {
      model_list: [{ model_name: "claude-agent", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: llm.url, api_key: PROVIDER_KEY } }],
      general_settings: {
        master_key: MASTER,
        agent_claude_path: CLAUDE,
        e2b_sandbox_params: { e2b_api_key: "e2b-test-key", e2b_api_url: e2b.url, e2b_sandbox_url: e2b.url },
        daytona_sandbox_params: { daytona_api_key: "daytona-test-key", daytona_api_url: `${daytona.url}/api`, use_polling: true },
      },
      agents: [
        { name: "Greeter", model: "claude-agent", prompt: "say hi", timeout: 60 },
        { name: "Shell user", model: "claude-agent", prompt: "USE_BASH to print hello", sandbox: "daytona", timeout: 60 },
        { name: "Hooked", model: "claude-agent", prompt: "Summarize this event: {{payload}}", webhook: { secret: SECRET } },
        { name: "Slow", model: "claude-agent", prompt: "say hi slowly", timeout: 4 },
        { name: "Budgeted", model: "claude-agent", prompt: "say hi", max_budget: 0.000001, max_turns: 1 },
      ],
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([llm?.stop(), e2b?.stop(), daytona?.stop()]);
});

const run = async (agent: string, body?: unknown) => api(gw, MASTER, "POST", `/api/agents/${agent}/run`, body);

describe("agent runs", () => {
  test("API trigger → E2B sandbox → real Claude Code through the gateway, with SSE events replayed and followed", async () => {
    llm.reset();
    const r = await run("greeter");
    expect(r.status).toBe(202);
    expect(r.body.event_url).toBe(`/api/runs/${r.body.run_id}/events`);
    const events = await readRunEvents(gw, MASTER, String(r.body.run_id));
    const types = events.map((e) => e.event);
    expect(types[0]).toBe("run.queued");
    expect(types).toContain("run.started");
    expect(types).toContain("sandbox.created");
    expect(types.at(-1)).toBe("run.completed");
    const outputs = events.filter((e) => e.event === "output.delta").map((e) => e.data);
    expect(outputs.some((o) => o.type === "system" && o.subtype === "init")).toBe(true);
    const result = outputs.find((o) => o.type === "result")!;
    expect(result.is_error).toBe(false);
    expect(String(result.result)).toContain("Hello from the fake Anthropic!");
    expect(events.map((e) => e.id)).toEqual([...events.keys()].map((i) => i + 1));

    const done = (await api(gw, MASTER, "GET", `/api/runs/${r.body.run_id}`)).body;
    expect(done).toMatchObject({ status: "succeeded", exit_code: 0, sandbox_provider: "e2b", trigger: "api", agent_id: "greeter" });
    expect(done.total_cost_usd).toBeGreaterThan(0);
    expect(done.gateway_spend).toBeGreaterThan(0);
    expect(done.claude_session_id).toMatch(/^[0-9a-f-]{36}$/);
    const call = llm.requests.find((q) => q.path === "/v1/messages")!;
    expect(call.headers["x-api-key"]).toBe(PROVIDER_KEY);
    const userId = JSON.parse(String((call.body as { metadata: { user_id: string } }).metadata.user_id)) as { session_id: string };
    expect(userId.session_id).toBe(String(done.claude_session_id));
    expect(e2b.sandboxes.get(String(done.sandbox_id))?.state).not.toBe("running");

    const replay = await readRunEvents(gw, MASTER, String(r.body.run_id), { lastEventId: 3 });
    expect(replay[0]!.id).toBe(4);
    expect(replay.length).toBe(events.length - 3);
  }, 90_000);

  test("a tool-use run in a Daytona sandbox runs Bash and finishes", async () => {
    const r = await run("shell-user");
    const done = await waitForRun(gw, MASTER, String(r.body.run_id), ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    expect(done.sandbox_provider).toBe("daytona");
    expect(String(done.result)).toContain("Tool output was: hello");
    const events = await readRunEvents(gw, MASTER, String(r.body.run_id));
    expect(events.some((e) => e.event === "output.delta" && e.data.type === "user")).toBe(true);
  }, 90_000);

  test("webhook: a good signature starts a run with the payload in the prompt; a bad or missing one is 401 and runs nothing", async () => {
    const payload = JSON.stringify({ action: "opened", number: 7 });
    const before = ((await api(gw, MASTER, "GET", "/api/runs?agent_id=hooked")).body.data as unknown[]).length;
    for (const sig of [undefined, "sha256=deadbeef", signBody("wrong-secret", payload)]) {
      const res = await fetch(`${gw.url}/api/agents/hooked/webhook`, { method: "POST", headers: sig ? { "x-hub-signature-256": sig } : {}, body: payload });
      expect(res.status).toBe(401);
    }
    expect(((await api(gw, MASTER, "GET", "/api/runs?agent_id=hooked")).body.data as unknown[]).length).toBe(before);
    const ok = await fetch(`${gw.url}/api/agents/hooked/webhook`, { method: "POST", headers: { "x-hub-signature-256": signBody(SECRET, payload), "x-github-event": "pull_request" }, body: payload });
    expect(ok.status).toBe(202);
    const id = String(((await ok.json()) as { run_id: string }).run_id);
    const done = await waitForRun(gw, MASTER, id, ["succeeded", "failed"]);
    expect(done.prompt).toBe(`Summarize this event: ${payload}`);
    expect(done.trigger).toBe("webhook");
    expect(done.status).toBe("succeeded");
  }, 90_000);

  test("cancel kills the run and its sandbox", async () => {
    llm.control({ delayMs: 20_000 });
    try {
      const r = await run("greeter");
      const id = String(r.body.run_id);
      await waitForRun(gw, MASTER, id, ["running"]);
      await Bun.sleep(500);
      const c = await api(gw, MASTER, "POST", `/api/runs/${id}/cancel`);
      expect(c.body.status).toBe("cancelled");
      const sb = e2b.sandboxes.get(String(c.body.sandbox_id))!;
      expect(sb.state).not.toBe("running");
      // SIGKILL to the sandbox's process groups is sent at cancel; the kernel reaps them shortly after.
      await waitFor(async () => e2b.alivePids(sb.id).length === 0, 10_000, "the sandbox's processes to exit");
      expect(e2b.alivePids(sb.id)).toEqual([]);
    } finally {
      llm.reset();
    }
  }, 60_000);

  test("a run past its timeout is timed_out and its sandbox is gone", async () => {
    llm.control({ delayMs: 20_000 });
    try {
      const r = await run("slow");
      const done = await waitForRun(gw, MASTER, String(r.body.run_id), ["timed_out", "failed", "succeeded"], 30_000);
      expect(done.status).toBe("timed_out");
      expect(String(done.error)).toContain("timed out after 4s");
      expect(e2b.sandboxes.get(String(done.sandbox_id))!.state).not.toBe("running");
    } finally {
      llm.reset();
    }
  }, 60_000);

  test("a sandbox that cannot be created fails the run with the reason", async () => {
    e2b.control({ failCreate: { status: 401, message: "Invalid API key", count: 1 } });
    const r = await run("greeter");
    const done = await waitForRun(gw, MASTER, String(r.body.run_id), ["failed", "succeeded"]);
    expect(done.status).toBe("failed");
    expect(String(done.error)).toContain("Invalid API key");
    e2b.control({});
  }, 60_000);

  test("Claude Code failing (upstream errors, non-zero exit) makes the run failed, never succeeded", async () => {
    llm.control({ failStatus: 400, failBody: { type: "error", error: { type: "invalid_request_error", message: "prompt is broken" } } });
    try {
      const r = await run("greeter");
      const done = await waitForRun(gw, MASTER, String(r.body.run_id), ["failed", "succeeded"]);
      expect(done.status).toBe("failed");
      expect(done.exit_code).not.toBe(0);
      expect(String(done.error)).toContain("Claude Code");
    } finally {
      llm.reset();
    }
  }, 60_000);

  test("the run key is scoped: its budget is enforced by the gateway and it cannot reach management routes", async () => {
    const r = await run("budgeted");
    const done = await waitForRun(gw, MASTER, String(r.body.run_id), ["failed", "succeeded"]);
    expect(done.gateway_spend).toBeGreaterThan(0);
    const cmd = e2b.commands.find((c) => c.sandboxId === done.sandbox_id && c.command.includes("--output-format"))!;
    const runKey = cmd.env.ANTHROPIC_AUTH_TOKEN!;
    expect(runKey).toMatch(/^sk-/);
    const after = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${runKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-agent", max_tokens: 5, messages: [{ role: "user", content: "x" }] }),
    });
    expect(after.status).toBe(401);
    expect((await api(gw, runKey, "GET", "/api/agents")).status).toBe(401);
  }, 60_000);

  test("no sandbox ever saw the master key or a provider key", () => {
    const seen = [...e2b.commands, ...daytona.commands].map((c) => JSON.stringify(c.env) + c.command);
    const sandboxEnvs = [...e2b.sandboxes.values(), ...daytona.sandboxes.values()].map((s) => JSON.stringify(s.envs));
    expect(seen.length).toBeGreaterThan(5);
    for (const text of [...seen, ...sandboxEnvs]) {
      expect(text).not.toContain(MASTER);
      expect(text).not.toContain(PROVIDER_KEY);
    }
  });

  test("agent and run routes need the master key; an unknown agent is 404; /api/agents lists them", async () => {
    expect((await fetch(`${gw.url}/api/agents`)).status).toBe(401);
    expect((await run("nope")).status).toBe(404);
    const list = (await api(gw, MASTER, "GET", "/api/agents")).body.data as Array<{ id: string; webhook: boolean }>;
    expect(list.map((a) => a.id)).toEqual(["greeter", "shell-user", "hooked", "slow", "budgeted"]);
    expect(list.find((a) => a.id === "hooked")!.webhook).toBe(true);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/litellm_rust_agent_runs_finished\{agent_id="greeter",state="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/litellm_rust_agent_runs_finished\{agent_id="slow",state="timed_out"\} 1/);
    expect(metrics).toContain('litellm_rust_agent_runs_active{state="running"} 0');
  });
});
