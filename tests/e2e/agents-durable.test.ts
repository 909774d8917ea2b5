import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { api, readRunEvents, waitForRun } from "../helpers/agent-api.ts";
import { ROOT, startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

const MASTER = "sk-durable-master-0003";
const CLAUDE = realpathSync(join(ROOT, "node_modules/.bin/claude"));

let llm: FakeLLM;
let e2b: FakeE2B;
let db: TestDb;
const gateways: GatewayProcess[] = [];

function config(agents: object[]) {
  return {
    model_list: [{ model_name: "claude-agent", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: llm.url, api_key: "sk-ant-up" } }],
    general_settings: {
      master_key: MASTER,
      database_url: db.url,
      agent_claude_path: CLAUDE,
      agent_heartbeat_seconds: 1,
      graceful_shutdown_seconds: 5,
      e2b_sandbox_params: { e2b_api_key: "e2b-key", e2b_api_url: e2b.url, e2b_sandbox_url: e2b.url },
    },
    agents,
  };
}

async function gateway(configPath: string, args: string[] = []) {
  const g = await startGateway({ configPath, args });
  gateways.push(g);
  return g;
}

beforeAll(async () => {
  llm = await startFakeLLM();
  e2b = await startFakeE2B({ apiKey: "e2b-key" });
  db = await createTestDb("lr_agents");
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop("SIGKILL")));
  await Promise.all([llm?.stop(), e2b?.stop()]);
  await db?.drop();
});

describe("durable agent runs (Postgres)", () => {
  test("a gateway killed mid-run: the restarted gateway reattaches to the sandbox and the run succeeds; its queued run starts too", async () => {
    const path = writeConfig(config([{ name: "Worker", model: "claude-agent", prompt: "say hi", max_concurrency: 1, timeout: 120 }]));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const first = await gateway(path, ["--port", String(port)]);
    llm.control({ delayMs: 4000 });
    const a = String((await api(first, MASTER, "POST", "/api/agents/worker/run")).body.run_id);
    await waitForRun(first, MASTER, a, ["running"]);
    const b = String((await api(first, MASTER, "POST", "/api/agents/worker/run", { prompt: "second" })).body.run_id);
    expect((await api(first, MASTER, "GET", `/api/runs/${b}`)).body.status).toBe("queued");
    await Bun.sleep(1500);
    first.proc.kill("SIGKILL");
    await first.proc.exited;

    llm.reset();
    const second = await gateway(path, ["--port", String(port)]);
    const resumed = await waitForRun(second, MASTER, a, ["succeeded", "failed"], 60_000);
    expect(resumed.status).toBe("succeeded");
    expect(resumed.exit_code).toBe(0);
    const events = await readRunEvents(second, MASTER, a);
    const types = events.map((e) => e.event);
    expect(types).toContain("sandbox.created");
    expect(types).toContain("run.reattached");
    expect(types.at(-1)).toBe("run.completed");
    expect(e2b.sandboxes.get(String(resumed.sandbox_id))!.state).not.toBe("running");
    const started = await waitForRun(second, MASTER, b, ["succeeded", "failed"], 60_000);
    expect(started.status).toBe("succeeded");
    expect(started.prompt).toBe("second");
    const tables = await db.sql`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'litellm_rust_%' ORDER BY 1`;
    expect(tables.map((t) => t.table_name)).toEqual([
      "litellm_rust_agent_artifacts",
      "litellm_rust_agent_memory",
      "litellm_rust_agent_run_events",
      "litellm_rust_agent_runs",
      "litellm_rust_agent_sessions",
      "litellm_rust_coding_sessions",
      "litellm_rust_cron_ticks",
      "litellm_rust_vault_secrets",
      "litellm_rust_webhook_deliveries",
    ]);
    await second.stop();
  }, 120_000);

  test("a run whose sandbox died with the gateway is marked failed with the reason", async () => {
    const path = writeConfig(config([{ name: "Worker", model: "claude-agent", prompt: "say hi", timeout: 120 }]));
    const first = await gateway(path);
    llm.control({ delayMs: 30_000 });
    const a = String((await api(first, MASTER, "POST", "/api/agents/worker/run")).body.run_id);
    const running = await waitForRun(first, MASTER, a, ["running"]);
    await Bun.sleep(500);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    e2b.expire(String(running.sandbox_id));
    llm.reset();
    const second = await gateway(path);
    const failed = await waitForRun(second, MASTER, a, ["failed", "succeeded"], 30_000);
    expect(failed.status).toBe("failed");
    expect(String(failed.error)).toContain("the gateway stopped while the run was running");
    expect(String(failed.error)).toContain("is gone");
    await second.stop();
  }, 90_000);

  test("a cron agent fires exactly once per tick with two instances running, and not again after a restart", async () => {
    const path = writeConfig(config([{ name: "Ticker", model: "claude-agent", prompt: "say hi", schedule: "*/2 * * * * *", max_concurrency: 5 }]));
    const [g1, g2] = [await gateway(path), await gateway(path)];
    await Bun.sleep(6500);
    await g1.stop();
    const g3 = await gateway(path);
    await Bun.sleep(4500);
    await Promise.all([g2.stop(), g3.stop()]);
    const ticks = await db.sql`SELECT tick_at, run_id FROM litellm_rust_cron_ticks WHERE agent_id = 'ticker' ORDER BY tick_at`;
    const runs = await db.sql`SELECT run_id, instance_id, created_at FROM litellm_rust_agent_runs WHERE agent_id = 'ticker' AND trigger = 'cron'`;
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(runs.length).toBe(ticks.length);
    expect(new Set(runs.map((r) => r.run_id))).toEqual(new Set(ticks.map((t) => t.run_id)));
    for (const t of ticks) expect(new Date(t.tick_at).getUTCSeconds() % 2).toBe(0);
    const gaps = ticks.slice(1).map((t, i) => new Date(t.tick_at).getTime() - new Date(ticks[i]!.tick_at).getTime());
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(2000);
  }, 90_000);
});
