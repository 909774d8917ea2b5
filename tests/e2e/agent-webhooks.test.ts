import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { signBody, signStandard } from "../../src/agents/webhook.ts";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { api, waitForRun } from "../helpers/agent-api.ts";
import { ROOT, startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

const MASTER = "sk-webhook-master-0009";
const CLAUDE = realpathSync(join(ROOT, "node_modules/.bin/claude"));
const STANDARD_SECRET = `whsec_${Buffer.from("standard-webhooks-secret-bytes!!").toString("base64")}`;
const GITHUB_SECRET = "github-hook-secret-42";

let llm: FakeLLM;
let e2b: FakeE2B;
let db: TestDb;
let first: GatewayProcess;
let second: GatewayProcess;
let memoryOnly: GatewayProcess;

function config(databaseUrl?: string) {
  return {
    model_list: [{ model_name: "claude-agent", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: llm.url, api_key: "sk-ant-up" } }],
    general_settings: {
      master_key: MASTER,
      ...(databaseUrl ? { database_url: databaseUrl } : {}),
      agent_claude_path: CLAUDE,
      e2b_sandbox_params: { e2b_api_key: "e2b-key", e2b_api_url: e2b.url, e2b_sandbox_url: e2b.url },
    },
    agents: [
      { name: "Standard", model: "claude-agent", prompt: "Event: {{payload}}", webhook: { secret: STANDARD_SECRET, timestamp_tolerance: 60 } },
      { name: "Github", model: "claude-agent", prompt: "Event: {{payload}}", webhook: { secret: GITHUB_SECRET } },
      { name: "Brief", model: "claude-agent", prompt: "Event: {{payload}}", webhook: { secret: GITHUB_SECRET, timestamp_tolerance: 1, replay_window: 0 } },
    ],
  };
}

beforeAll(async () => {
  llm = await startFakeLLM();
  e2b = await startFakeE2B({ apiKey: "e2b-key" });
  db = await createTestDb("lr_webhooks");
  [first, second, memoryOnly] = await Promise.all([startGateway({ config: config(db.url) }), startGateway({ config: config(db.url) }), startGateway({ config: config() })]);
}, 60_000);

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop(), memoryOnly?.stop()]);
  await Promise.all([llm?.stop(), e2b?.stop()]);
  await db?.drop();
});

const now = () => Math.floor(Date.now() / 1000);

function standardHeaders(id: string, ts: number, body: string, secret = STANDARD_SECRET): Record<string, string> {
  return { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `v1,bm90LXRoaXMtb25l ${signStandard(secret, id, ts, body)}`, "content-type": "application/json" };
}

async function post(g: GatewayProcess, agent: string, headers: Record<string, string>, body: string) {
  const res = await fetch(`${g.url}/api/agents/${agent}/webhook`, { method: "POST", headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const runCount = async (g: GatewayProcess, agent: string) => ((await api(g, MASTER, "GET", `/api/runs?agent_id=${agent}&limit=500`)).body.data as unknown[]).length;

describe("webhook deliveries", () => {
  test("Standard Webhooks: a signed delivery starts one run; the same delivery again, on either instance, answers 200 with that run and starts nothing", async () => {
    const body = JSON.stringify({ type: "invoice.paid", id: "evt_1" });
    const headers = standardHeaders("msg_replay_1", now(), body);
    const before = await runCount(first, "standard");
    const a = await post(first, "standard", headers, body);
    expect(a.status).toBe(202);
    const runId = String(a.body.run_id);
    const again = await post(first, "standard", headers, body);
    const elsewhere = await post(second, "standard", headers, body);
    for (const r of [again, elsewhere]) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ run_id: runId, replayed: true, event_url: `/api/runs/${runId}/events` });
    }
    const done = await waitForRun(first, MASTER, runId, ["succeeded", "failed"]);
    expect(done).toMatchObject({ trigger: "webhook", status: "succeeded" });
    expect(done.prompt).toBe(`Event: ${body}`);
    expect(done.metadata).toMatchObject({ delivery: "msg_replay_1", webhook_scheme: "standard" });
    expect(await runCount(first, "standard")).toBe(before + 1);
    const rows = await db.sql`SELECT run_id FROM litellm_rust_webhook_deliveries WHERE agent_id = 'standard' AND delivery_key = 'id:msg_replay_1'`;
    expect(rows.map((r) => r.run_id)).toEqual([runId]);
  }, 90_000);

  test("Standard Webhooks: stale or future timestamps, a wrong secret, a tampered body or id are 401 and start nothing", async () => {
    const body = JSON.stringify({ type: "ping" });
    const before = await runCount(first, "standard");
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [standardHeaders("msg_old", now() - 120, body), body, /webhook-timestamp is 1[12]\ds away from now \(tolerance 60s\)/],
      [standardHeaders("msg_future", now() + 120, body), body, /tolerance 60s/],
      [standardHeaders("msg_wrong", now(), body, `whsec_${Buffer.from("another-secret").toString("base64")}`), body, /invalid webhook-signature/],
      [standardHeaders("msg_tamper", now(), body), JSON.stringify({ type: "pong" }), /invalid webhook-signature/],
      [{ ...standardHeaders("msg_a", now(), body), "webhook-id": "msg_b" }, body, /invalid webhook-signature/],
      [{ ...standardHeaders("msg_ts", now(), body), "webhook-timestamp": "soon" }, body, /whole seconds/],
      [{ "webhook-signature": signStandard(STANDARD_SECRET, "x", now(), body) }, body, /needs webhook-id and webhook-timestamp/],
    ];
    for (const [headers, sent, reason] of cases) {
      const r = await post(first, "standard", headers, sent);
      expect(r.status).toBe(401);
      expect(String((r.body.error as { message: string }).message)).toMatch(reason);
    }
    expect(await runCount(first, "standard")).toBe(before);
  });

  test("GitHub scheme: a replayed body is recognised even with a fresh X-GitHub-Delivery; another body starts another run", async () => {
    const body = JSON.stringify({ action: "opened", number: 41 });
    const sig = signBody(GITHUB_SECRET, body);
    const before = await runCount(second, "github");
    const a = await post(second, "github", { "x-hub-signature-256": sig, "x-github-delivery": "d-1", "x-github-event": "issues" }, body);
    expect(a.status).toBe(202);
    const replay = await post(first, "github", { "x-hub-signature-256": sig, "x-github-delivery": "d-2-forged", "x-github-event": "issues" }, body);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ run_id: a.body.run_id, replayed: true });
    const other = JSON.stringify({ action: "opened", number: 42 });
    const b = await post(first, "github", { "x-hub-signature-256": signBody(GITHUB_SECRET, other), "x-github-delivery": "d-3" }, other);
    expect(b.status).toBe(202);
    expect(b.body.run_id).not.toBe(a.body.run_id);
    expect(await runCount(second, "github")).toBe(before + 2);
    const run = await waitForRun(second, MASTER, String(a.body.run_id), ["succeeded", "failed"]);
    expect(run.metadata).toMatchObject({ delivery: "d-1", webhook_scheme: "github", webhook_event: "issues" });
    await waitForRun(first, MASTER, String(b.body.run_id), ["succeeded", "failed"]);
  }, 90_000);

  test("a delivery is remembered for the replay window (at least twice the timestamp tolerance), then runs again", async () => {
    const body = JSON.stringify({ action: "closed", number: 5 });
    const headers = { "x-hub-signature-256": signBody(GITHUB_SECRET, body) };
    const a = await post(first, "brief", headers, body);
    expect(a.status).toBe(202);
    expect((await post(second, "brief", headers, body)).status).toBe(200);
    await Bun.sleep(2200);
    const later = await post(second, "brief", headers, body);
    expect(later.status).toBe(202);
    expect(later.body.run_id).not.toBe(a.body.run_id);
    const rows = await db.sql`SELECT run_id FROM litellm_rust_webhook_deliveries WHERE agent_id = 'brief'`;
    expect(rows.map((r) => r.run_id)).toEqual([later.body.run_id]);
    for (const r of [a, later]) await waitForRun(first, MASTER, String(r.body.run_id), ["succeeded", "failed"]);
  }, 90_000);

  test("without a database, deliveries are remembered in memory: the replay answers the original run", async () => {
    const body = JSON.stringify({ type: "memory.check" });
    const headers = standardHeaders("msg_memory_1", now(), body);
    const a = await post(memoryOnly, "standard", headers, body);
    expect(a.status).toBe(202);
    const b = await post(memoryOnly, "standard", headers, body);
    expect(b).toEqual({ status: 200, body: { run_id: a.body.run_id, status: expect.any(String), event_url: `/api/runs/${a.body.run_id}/events`, replayed: true } });
    expect(await runCount(memoryOnly, "standard")).toBe(1);
    await waitForRun(memoryOnly, MASTER, String(a.body.run_id), ["succeeded", "failed"]);
  }, 90_000);
});
