import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import { startFakeLLM, type FakeLLM, type RecordedRequest } from "../fakes/llm.ts";
import { api, readRunEvents, waitForRun } from "../helpers/agent-api.ts";
import { tarEntries } from "../helpers/artifacts.ts";
import { ROOT, startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

const MASTER = "sk-sessions-master-0001";
const CLAUDE = realpathSync(join(ROOT, "node_modules/.bin/claude"));

let llm: FakeLLM;
let e2b: FakeE2B;
let db: TestDb;
let gw: GatewayProcess;
let configPath: string;

beforeAll(async () => {
  llm = await startFakeLLM();
  e2b = await startFakeE2B({ apiKey: "e2b-test-key" });
  db = await createTestDb("lr_sessions");
  configPath = writeConfig({
    model_list: [{ model_name: "claude-agent", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: llm.url, api_key: "sk-ant-provider-0002" } }],
    general_settings: {
      master_key: MASTER,
      database_url: db.url,
      agent_claude_path: CLAUDE,
      e2b_sandbox_params: { e2b_api_key: "e2b-test-key", e2b_api_url: e2b.url, e2b_sandbox_url: e2b.url },
      agent_memory_max_bytes: 2048,
      artifact_max_bytes: 150_000,
    },
    agents: [
      { name: "Chat", model: "claude-agent", timeout: 60 },
      { name: "Notetaker", model: "claude-agent", prompt: "say hi", memory_file: "MEMORY.md", timeout: 60 },
    ],
  });
  gw = await startGateway({ configPath });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([llm?.stop(), e2b?.stop()]);
  await db?.drop();
});

const messagesText = (r: RecordedRequest) => JSON.stringify((r.body as { messages: unknown }).messages);

async function artifact(runId: string, path: string): Promise<Response> {
  return fetch(`${gw.url}/api/runs/${runId}/artifacts/${path}`, { headers: { authorization: `Bearer ${MASTER}` } });
}

describe("durable sessions", () => {
  test("two turns: the second runs in a new sandbox after a gateway restart and Claude gets the first turn's history and workspace", async () => {
    const created = await api(gw, MASTER, "POST", "/api/sessions", { agent_id: "chat", title: "pairing" });
    expect(created.status).toBe(201);
    const sid = String(created.body.session_id);
    expect(created.body).toMatchObject({ agent_id: "chat", title: "pairing", turns: 0, state_run_id: null });

    const turn1 = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "USE_BASH `echo PINEAPPLE-42 > notes.txt && cat notes.txt`" });
    expect(turn1.status).toBe(202);
    const run1 = await waitForRun(gw, MASTER, String(turn1.body.run_id), ["succeeded", "failed"]);
    expect(run1.status).toBe("succeeded");
    expect(String(run1.result)).toContain("Tool output was: PINEAPPLE-42");
    expect(e2b.sandboxes.get(String(run1.sandbox_id))!.state).not.toBe("running");

    expect(await gw.stop()).toBe(0);
    gw = await startGateway({ configPath });

    const before = llm.requests.length;
    const turn2 = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "ECHO_HISTORY please" });
    expect(turn2.status).toBe(202);
    const run2 = await waitForRun(gw, MASTER, String(turn2.body.run_id), ["succeeded", "failed"]);
    expect(run2.status).toBe("succeeded");
    expect(run2.sandbox_id).not.toBe(run1.sandbox_id);
    expect(run2.claude_session_id).toBe(run1.claude_session_id);

    const calls = llm.requests.slice(before).filter((r) => r.path === "/v1/messages" && messagesText(r).includes("ECHO_HISTORY"));
    expect(calls.length).toBeGreaterThan(0);
    const history = messagesText(calls[0]!);
    expect(history).toContain("echo PINEAPPLE-42 > notes.txt");
    expect(history).toContain("Tool output was: PINEAPPLE-42");
    expect(String(run2.result)).toMatch(/I received \d+ messages/);
    expect(String(run2.result)).toContain("Tool output was: PINEAPPLE-42");

    const events = await readRunEvents(gw, MASTER, String(run2.run_id));
    const restored = events.find((e) => e.event === "session.restored")!;
    expect(restored.data).toMatchObject({ session_id: sid, from_run_id: run1.run_id });
    const init = events.find((e) => e.event === "output.delta" && e.data.type === "system" && e.data.subtype === "init")!;
    expect(init.data.session_id).toBe(run1.claude_session_id);

    const tar = await artifact(String(run2.run_id), "workspace.tar.gz");
    expect(tar.status).toBe(200);
    const files = await tarEntries(new Uint8Array(await tar.arrayBuffer()));
    expect(files.get("./notes.txt")).toBe("PINEAPPLE-42\n");

    const view = (await api(gw, MASTER, "GET", `/api/sessions/${sid}`)).body;
    expect(view).toMatchObject({ session_id: sid, status: "idle", turns: 2, state_run_id: run2.run_id });
    const runs = view.runs as Array<{ run_id: string }>;
    expect(runs.map((r) => r.run_id)).toEqual([String(run1.run_id), String(run2.run_id)]);
    expect(Number(view.total_cost_usd)).toBeGreaterThan(0);
    expect(Number(view.gateway_spend)).toBeGreaterThan(0);
    const listed = (await api(gw, MASTER, "GET", "/api/sessions?agent_id=chat")).body.data as Array<{ session_id: string }>;
    expect(listed.map((s) => s.session_id)).toContain(sid);
  }, 120_000);

  test("one message at a time: a second message while a turn runs is 409; DELETE cancels the turn and removes the session", async () => {
    const sid = String((await api(gw, MASTER, "POST", "/api/sessions", { agent_id: "chat" })).body.session_id);
    llm.control({ delayMs: 20_000 });
    try {
      const first = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "say hi" });
      expect(first.status).toBe(202);
      const second = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "again" });
      expect(second.status).toBe(409);
      await waitForRun(gw, MASTER, String(first.body.run_id), ["running"]);
      const del = await api(gw, MASTER, "DELETE", `/api/sessions/${sid}`);
      expect(del.body).toMatchObject({ deleted: true });
      expect((await api(gw, MASTER, "GET", `/api/runs/${first.body.run_id}`)).body.status).toBe("cancelled");
      expect((await api(gw, MASTER, "GET", `/api/sessions/${sid}`)).status).toBe(404);
      expect((await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "x" })).status).toBe(404);
    } finally {
      llm.reset();
    }
  }, 60_000);

  test("session routes need the master key; an unknown agent is 404; a message needs a prompt", async () => {
    expect((await fetch(`${gw.url}/api/sessions`)).status).toBe(401);
    expect((await api(gw, MASTER, "POST", "/api/sessions", { agent_id: "nope" })).status).toBe(404);
    const sid = String((await api(gw, MASTER, "POST", "/api/sessions", { agent_id: "chat" })).body.session_id);
    expect((await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, {})).status).toBe(400);
  });
});

describe("agent memory", () => {
  test("memory the agent writes in run 1 is in the CLAUDE.md Claude reads in run 2", async () => {
    const r1 = await api(gw, MASTER, "POST", "/api/agents/notetaker/run", { prompt: "USE_BASH `echo 'favourite colour: teal' >> MEMORY.md`" });
    const run1 = await waitForRun(gw, MASTER, String(r1.body.run_id), ["succeeded", "failed"]);
    expect(run1.status).toBe("succeeded");
    const ev1 = await readRunEvents(gw, MASTER, String(run1.run_id));
    expect(ev1.find((e) => e.event === "memory.loaded")!.data).toMatchObject({ version: 0, memory_file: "MEMORY.md" });
    expect(ev1.find((e) => e.event === "memory.saved")!.data).toMatchObject({ version: 1, truncated: false });

    const mem = (await api(gw, MASTER, "GET", "/api/agents/notetaker/memory")).body;
    expect(mem).toMatchObject({ agent_id: "notetaker", version: 1, source: "run", run_id: run1.run_id });
    expect(String(mem.content)).toBe("favourite colour: teal\n");

    const before = llm.requests.length;
    const r2 = await api(gw, MASTER, "POST", "/api/agents/notetaker/run", { prompt: "say hi" });
    const run2 = await waitForRun(gw, MASTER, String(r2.body.run_id), ["succeeded", "failed"]);
    expect(run2.status).toBe("succeeded");
    const first = llm.requests.slice(before).find((r) => r.path === "/v1/messages" && messagesText(r).includes("say hi"))!;
    expect(messagesText(first)).toContain("favourite colour: teal");
    expect(messagesText(first)).toContain("CLAUDE.md");
    const ev2 = await readRunEvents(gw, MASTER, String(run2.run_id));
    expect(ev2.find((e) => e.event === "memory.loaded")!.data).toMatchObject({ version: 1, bytes: 23 });
    expect(ev2.some((e) => e.event === "memory.saved")).toBe(false);
    const tar = await tarEntries(new Uint8Array(await (await artifact(String(run2.run_id), "workspace.tar.gz")).arrayBuffer()));
    expect(tar.get("./CLAUDE.md")).toContain("favourite colour: teal");
  }, 90_000);

  test("the memory API: replace, append, versions, the size bound, delete", async () => {
    const put = await api(gw, MASTER, "POST", "/api/agents/chat/memory", { content: "line one" });
    expect(put.status).toBe(201);
    const app = await api(gw, MASTER, "POST", "/api/agents/chat/memory", { content: "line two", mode: "append" });
    expect(app.body).toMatchObject({ version: put.body.version as number + 1, content: "line one\nline two", source: "api" });
    const got = (await api(gw, MASTER, "GET", "/api/agents/chat/memory")).body;
    expect((got.versions as Array<{ version: number }>).map((v) => v.version)).toEqual([app.body.version as number, put.body.version as number]);
    const old = (await api(gw, MASTER, "GET", `/api/agents/chat/memory?version=${put.body.version}`)).body;
    expect(old.content).toBe("line one");
    const big = await api(gw, MASTER, "POST", "/api/agents/chat/memory", { content: "x".repeat(3000) });
    expect(big.status).toBe(400);
    expect(JSON.stringify(big.body)).toContain("agent_memory_max_bytes");
    const scoped = await api(gw, MASTER, "POST", "/api/agents/chat/memory", { content: "session note", session_id: "s-1" });
    expect(scoped.body).toMatchObject({ session_id: "s-1", version: 1 });
    expect((await api(gw, MASTER, "GET", "/api/agents/chat/memory")).body.content).toBe("line one\nline two");
    const del = await api(gw, MASTER, "DELETE", "/api/agents/chat/memory");
    expect(del.body.deleted_versions).toBe(2);
    expect((await api(gw, MASTER, "GET", "/api/agents/chat/memory")).body).toMatchObject({ version: 0, content: "" });
    expect((await api(gw, MASTER, "GET", "/api/agents/nope/memory")).status).toBe(404);
  });
});

async function turn(sid: string, body: Record<string, unknown>) {
  const r = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, body);
  expect(r.status).toBe(202);
  return waitForRun(gw, MASTER, String(r.body.run_id), ["succeeded", "failed", "cancelled", "timed_out"]);
}

async function eventsOf(runId: unknown) {
  return readRunEvents(gw, MASTER, String(runId));
}

describe("session state that cannot be saved fails loudly", () => {
  test("a turn whose workspace cannot be saved says so; the next turn is refused with the reason until the caller starts over", async () => {
    const sid = String((await api(gw, MASTER, "POST", "/api/sessions", { agent_id: "chat" })).body.session_id);

    const run1 = await turn(sid, { prompt: "USE_BASH `echo KIWI-7 > notes.txt`" });
    expect(run1).toMatchObject({ status: "succeeded", session_state_error: null });
    const saved = (await eventsOf(run1.run_id)).find((e) => e.event === "session.saved")!;
    expect(saved.data).toMatchObject({ session_id: sid });
    expect(Number(saved.data.workspace_bytes)).toBeGreaterThan(0);

    const run2 = await turn(sid, { prompt: "USE_BASH `head -c 400000 /dev/urandom > big.bin`" });
    expect(run2.status).toBe("succeeded");
    expect(String(run2.session_state_error)).toMatch(/^turn 2 \(run [0-9a-f-]+\) could not save the session's state: the workspace: larger than artifact_max_bytes \(\d+ > 150000\)$/);
    const events2 = await eventsOf(run2.run_id);
    const failed = events2.find((e) => e.event === "session.save_failed")!;
    expect(failed.data).toMatchObject({ session_id: sid, error: run2.session_state_error, session_continues: false });
    expect(events2.at(-1)).toMatchObject({ event: "run.completed", data: { session_state_error: run2.session_state_error } });
    expect(events2.some((e) => e.event === "session.saved")).toBe(false);

    const view = (await api(gw, MASTER, "GET", `/api/sessions/${sid}`)).body;
    expect(view).toMatchObject({ state_run_id: run1.run_id, state_error: run2.session_state_error, turns: 2 });
    expect((view.runs as Array<Record<string, unknown>>)[1]).toMatchObject({ run_id: run2.run_id, session_state_error: run2.session_state_error });

    const refused = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "ECHO_HISTORY please" });
    expect(refused.status).toBe(409);
    const message = String((refused.body.error as { message: string }).message);
    expect(message).toContain(String(run2.session_state_error));
    expect(message).toContain('"start_over": true');
    expect((await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "x", start_over: "yes" })).status).toBe(400);
    const after = (await api(gw, MASTER, "GET", `/api/sessions/${sid}`)).body;
    expect(after).toMatchObject({ turns: 2, state_error: run2.session_state_error });
    expect((after.runs as unknown[]).length).toBe(2);

    const before = llm.requests.length;
    const run3 = await turn(sid, { prompt: "ECHO_HISTORY please", start_over: true });
    expect(run3).toMatchObject({ status: "succeeded", session_state_error: null });
    expect(run3.metadata).toMatchObject({ session_turn: 3, start_over: true });
    const calls = llm.requests.slice(before).filter((r) => r.path === "/v1/messages" && messagesText(r).includes("ECHO_HISTORY"));
    expect(calls.length).toBeGreaterThan(0);
    expect(messagesText(calls[0]!)).not.toContain("KIWI-7");
    const events3 = await eventsOf(run3.run_id);
    expect(events3.some((e) => e.event === "session.restored")).toBe(false);
    expect(events3.some((e) => e.event === "session.saved")).toBe(true);
    const tar = await fetch(`${gw.url}/api/runs/${run3.run_id}/artifacts/workspace.tar.gz`, { headers: { authorization: `Bearer ${MASTER}` } });
    const files = await tarEntries(new Uint8Array(await tar.arrayBuffer()));
    expect(files.has("./notes.txt")).toBe(false);
    expect((await api(gw, MASTER, "GET", `/api/sessions/${sid}`)).body).toMatchObject({ state_run_id: run3.run_id, state_error: null, turns: 3 });
  }, 120_000);

  test("a cancelled turn is reported unsaved and the session continues from the turn before it", async () => {
    const sid = String((await api(gw, MASTER, "POST", "/api/sessions", { agent_id: "chat" })).body.session_id);
    const run1 = await turn(sid, { prompt: "USE_BASH `echo MANGO-3 > notes.txt`" });
    expect(run1.status).toBe("succeeded");

    llm.control({ delayMs: 20_000 });
    let cancelled: Record<string, unknown>;
    try {
      const r = await api(gw, MASTER, "POST", `/api/sessions/${sid}/messages`, { prompt: "say something slowly" });
      await waitForRun(gw, MASTER, String(r.body.run_id), ["running"]);
      await Bun.sleep(500);
      expect((await api(gw, MASTER, "POST", `/api/runs/${r.body.run_id}/cancel`)).body.status).toBe("cancelled");
      cancelled = (await api(gw, MASTER, "GET", `/api/runs/${r.body.run_id}`)).body;
    } finally {
      llm.reset();
    }
    expect(String(cancelled.session_state_error)).toMatch(/^turn 2 \(run [0-9a-f-]+\) ended \(cancelled\) before the session's state was saved; the session continues from its previous state$/);
    const failed = (await eventsOf(cancelled.run_id)).find((e) => e.event === "session.save_failed")!;
    expect(failed.data).toMatchObject({ session_continues: true });
    expect((await api(gw, MASTER, "GET", `/api/sessions/${sid}`)).body).toMatchObject({ state_run_id: run1.run_id, state_error: null });

    const before = llm.requests.length;
    const run3 = await turn(sid, { prompt: "ECHO_HISTORY please" });
    expect(run3).toMatchObject({ status: "succeeded", session_state_error: null });
    const calls = llm.requests.slice(before).filter((r) => r.path === "/v1/messages" && messagesText(r).includes("ECHO_HISTORY"));
    expect(messagesText(calls[0]!)).toContain("MANGO-3");
    expect(messagesText(calls[0]!)).not.toContain("say something slowly");
  }, 120_000);
});
