import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { api, waitForRun } from "../helpers/agent-api.ts";
import { ROOT, startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-nodb-master-0001";
const SECRET = "tok_without_a_database_5678";
const CLAUDE = realpathSync(join(ROOT, "node_modules/.bin/claude"));

let llm: FakeLLM;
let e2b: FakeE2B;
let gw: GatewayProcess;
let dir: string;

beforeAll(async () => {
  llm = await startFakeLLM();
  e2b = await startFakeE2B({ apiKey: "e2b-test-key" });
  dir = mkdtempSync(join(tmpdir(), "lr-artifact-dir-"));
  gw = await startGateway({
    config: {
      model_list: [{ model_name: "claude-agent", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: llm.url, api_key: "sk-ant-provider-0002" } }],
      general_settings: {
        master_key: MASTER,
        agent_claude_path: CLAUDE,
        e2b_sandbox_params: { e2b_api_key: "e2b-test-key", e2b_api_url: e2b.url, e2b_sandbox_url: e2b.url },
        artifact_dir: dir,
        artifact_inline_max_bytes: 64,
      },
      agents: [{ name: "Helper", model: "claude-agent", secrets: ["API_TOKEN"], artifacts: ["*.txt"], timeout: 60 }],
    },
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([llm?.stop(), e2b?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test("without a database: vault, a two-turn session and artifacts work from memory and artifact_dir", async () => {
  expect((await api(gw, MASTER, "POST", "/api/vault/secrets", { name: "API_TOKEN", value: SECRET })).status).toBe(201);
  const sid = String((await api(gw, MASTER, "POST", "/api/sessions", { agent_id: "helper" })).body.session_id);
  const t1 = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: 'USE_BASH `echo "key $API_TOKEN" > out.txt && echo done-writing`' });
  const run1 = await waitForRun(gw, MASTER, String(t1.body.run_id), ["succeeded", "failed"]);
  expect(run1.status).toBe("succeeded");
  const t2 = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "ECHO_HISTORY" });
  const run2 = await waitForRun(gw, MASTER, String(t2.body.run_id), ["succeeded", "failed"]);
  expect(run2.status).toBe("succeeded");
  expect(run2.sandbox_id).not.toBe(run1.sandbox_id);
  expect(String(run2.result)).toContain("Tool output was: done-writing");

  const arts = (await api(gw, MASTER, "GET", `/api/runs/${run2.run_id}/artifacts`)).body.data as Array<{ path: string; storage: string }>;
  const storage = Object.fromEntries(arts.map((a) => [a.path, a.storage]));
  expect(storage["files/out.txt"]).toBe("memory");
  expect(storage["transcript.jsonl"]).toBe("dir");
  const onDisk = readFileSync(join(dir, "helper", String(run2.run_id), "transcript.jsonl"), "utf8");
  expect(onDisk).toContain("ECHO_HISTORY");
  expect(onDisk).not.toContain(SECRET);
  const out = await (await fetch(`${gw.url}/api/runs/${run2.run_id}/artifacts/files/out.txt`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
  expect(out).toBe(`key ${"*".repeat(SECRET.length)}\n`);
  expect(gw.output()).toContain("agent runs are kept in memory only");
  expect(gw.output()).not.toContain(SECRET);
}, 120_000);
