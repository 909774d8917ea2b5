import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { CLAUDE_BIN, runClaude, runCodex } from "../helpers/agents-cli.ts";
import { launchBrowser, type TestBrowser } from "../helpers/browser.ts";
import { gatewayCommand, ROOT, startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { TerminalScreen } from "../helpers/terminal.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/**
 * Coding sessions end to end: the real Claude Code and Codex CLIs through the gateway (fake
 * upstreams, a fresh LiteLLM database): sessions listed with their totals, a per-session budget,
 * `litellm-rust statusline`, `/metrics` and the Sessions page in Chromium.
 */
const MASTER = "sk-master-coding-sessions";
/** Screenshots go to docs/screenshots/ with UPDATE_SCREENSHOTS=1 (else a temp dir). */
const SHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs/screenshots") : mkdtempSync(join(tmpdir(), "lr-sessions-shots-"));
mkdirSync(SHOTS, { recursive: true });
const PRICES = { input_cost_per_token: 0.000003, output_cost_per_token: 0.000015, cache_read_input_token_cost: 0.0000003, cache_creation_input_token_cost: 0.00000375 };
/** What the fake Anthropic reports per call (tests/fakes/llm.ts). */
const ANTHROPIC_CACHE_READ = 7;
const ANTHROPIC_CACHE_WRITE = 5;
/** What the fake Responses API reports per call. */
const RESPONSES_CACHED = 3;

const SESSION_A = "a1a1a1a1-1111-4aaa-8bbb-000000000001";
const SESSION_B = "b2b2b2b2-2222-4aaa-8bbb-000000000002";
const SESSION_OVER = "c3c3c3c3-3333-4aaa-8bbb-000000000003";
const SESSION_FRESH = "d4d4d4d4-4444-4aaa-8bbb-000000000004";

let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;
let key: string;
let keyHash: string;
let otherKey: string;

async function api(path: string, bearer = MASTER, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function admin(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await api(path, MASTER, { method: "POST", body: JSON.stringify(body) });
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

interface SessionView {
  session_id: string;
  api_key: string;
  client: string;
  client_version: string | null;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  cache_hit_rate: number | null;
  spend: number;
  models: string[];
  last_model: string;
  active: boolean;
  timeline?: Array<{ model: string; input_tokens: number; output_tokens: number; cache_read_tokens: number; cost: number; status: string; duration_ms: number; retries: number }>;
}

interface SpendRow {
  session_id: string;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  metadata: { client?: { kind: string; version?: string }; additional_usage_values?: { cache_read_input_tokens?: number } };
}

const sessionRows = (id: string) => db.sql<SpendRow[]>`SELECT session_id, spend, prompt_tokens, completion_tokens, metadata FROM "LiteLLM_SpendLogs" WHERE session_id = ${id}`;
/** Anthropic calls the fake has answered so far. */
const messageCalls = () => fake.requests.filter((r) => r.path === "/v1/messages").length;

async function listed(bearer = MASTER, query = ""): Promise<SessionView[]> {
  const r = await api(`/api/coding-sessions${query}`, bearer);
  expect(r.status).toBe(200);
  return r.body.data as SessionView[];
}

/** Waits until the batch writer has summed `calls` calls into the session's row. */
const settled = (id: string, calls: number) =>
  waitFor(async () => (await listed()).find((s) => s.session_id === id && s.calls === calls), 15_000, `session ${id} with ${calls} calls`);

let codexSession = "";

beforeAll(async () => {
  [db, fake] = await Promise.all([createTestDb("lr_sessions"), startFakeLLM()]);
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "claude-*", litellm_params: { model: "anthropic/claude-*", api_base: fake.url, api_key: "sk-ant-upstream", ...PRICES } },
        { model_name: "gpt-codex", litellm_params: { model: "openai/gpt-5-codex", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream", ...PRICES } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
    },
  });
  const k = await admin("/key/generate", { key_alias: "coder", user_id: "dev-1" });
  key = String(k.key);
  keyHash = String(k.token);
  otherKey = String((await admin("/key/generate", { key_alias: "someone-else" })).key);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

describe("coding sessions", () => {
  test("two Claude Code sessions and a Codex session of one key are listed apart, with totals that match their spend rows (cache tokens included)", async () => {
    const [a1, codex] = await Promise.all([
      runClaude({ baseUrl: gw.url, apiKey: key, prompt: "say hi", extraArgs: ["--session-id", SESSION_A] }),
      runCodex({ baseUrl: `${gw.url}/v1`, apiKey: key, prompt: "say hi", model: "gpt-codex" }),
    ]);
    const callsA = messageCalls();
    const b1 = await runClaude({ baseUrl: gw.url, apiKey: key, prompt: "USE_BASH please", extraArgs: ["--session-id", SESSION_B, "--dangerously-skip-permissions"] });
    const callsB = messageCalls() - callsA;
    for (const r of [a1, codex, b1]) expect(r.code, r.stderr + r.stdout).toBe(0);
    codexSession = String(codex.events.find((e) => e.type === "thread.started")?.thread_id ?? "");
    expect(codexSession).toMatch(/^[0-9a-f-]{36}$/);
    const codexCalls = fake.requests.filter((r) => r.path === "/v1/responses");
    expect(callsA).toBeGreaterThanOrEqual(1);
    expect(callsB).toBeGreaterThanOrEqual(2);
    await Promise.all([settled(SESSION_A, callsA), settled(SESSION_B, callsB), settled(codexSession, codexCalls.length)]);

    const sessions = await listed(MASTER, `?key=${keyHash}`);
    expect(sessions.map((s) => s.session_id).sort()).toEqual([SESSION_A, SESSION_B, codexSession].sort());
    for (const s of sessions) {
      const rows = await sessionRows(s.session_id);
      expect(rows.length).toBe(s.calls);
      expect(s.api_key).toBe(keyHash);
      expect(s.spend).toBeCloseTo(rows.reduce((a, r) => a + r.spend, 0), 12);
      expect(s.spend).toBeGreaterThan(0);
      expect(s.input_tokens).toBe(rows.reduce((a, r) => a + r.prompt_tokens, 0));
      expect(s.output_tokens).toBe(rows.reduce((a, r) => a + r.completion_tokens, 0));
      expect(s.active).toBe(true);
      expect(s.cache_hit_rate).toBeCloseTo(s.cache_read_tokens / s.input_tokens, 12);
    }
    const a = sessions.find((s) => s.session_id === SESSION_A)!;
    expect(a.client).toBe("claude-code");
    expect(a.client_version).toBe("2.1.197");
    expect(a.cache_read_tokens).toBe(ANTHROPIC_CACHE_READ * callsA);
    expect(a.cache_creation_tokens).toBe(ANTHROPIC_CACHE_WRITE * callsA);
    expect(a.models.every((m) => m.startsWith("claude-"))).toBe(true);
    const b = sessions.find((s) => s.session_id === SESSION_B)!;
    expect(b.cache_read_tokens).toBe(ANTHROPIC_CACHE_READ * callsB);
    const c = sessions.find((s) => s.session_id === codexSession)!;
    expect(c.client).toBe("codex");
    expect(c.client_version).toBe("0.169.0");
    expect(c.cache_read_tokens).toBe(RESPONSES_CACHED * codexCalls.length);
    expect(c.models).toEqual(["gpt-5-codex"]);
    expect(c.last_model).toBe("gpt-5-codex");

    const rowsA = await sessionRows(SESSION_A);
    expect(rowsA[0]!.metadata.client).toMatchObject({ kind: "claude-code", version: "2.1.197" });
    expect(rowsA[0]!.metadata.additional_usage_values?.cache_read_input_tokens).toBe(ANTHROPIC_CACHE_READ);
  }, 120_000);

  test("filters: client, model; a session's timeline; /spend/logs?session_id=; LiteLLM's /spend/logs/session/ui", async () => {
    expect((await listed(MASTER, "?client=codex")).map((s) => s.session_id)).toEqual([codexSession]);
    expect((await listed(MASTER, "?model=gpt-5-codex")).map((s) => s.session_id)).toEqual([codexSession]);
    expect((await listed(MASTER, "?client=claude-code")).map((s) => s.session_id).sort()).toEqual([SESSION_A, SESSION_B].sort());
    expect(await listed(MASTER, "?user_id=nobody")).toEqual([]);
    const bad = await api("/api/coding-sessions?client=emacs");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("client must be one of");

    const detail = (await api(`/api/coding-sessions/${SESSION_B}`)).body as unknown as SessionView;
    const rows = await sessionRows(SESSION_B);
    expect(detail.timeline!.length).toBe(rows.length);
    expect(detail.calls).toBe(rows.length);
    for (const call of detail.timeline!) {
      expect(call.status).toBe("success");
      expect(call.model).toMatch(/^claude-/);
      expect(call.cache_read_tokens).toBe(ANTHROPIC_CACHE_READ);
      expect(call.cost).toBeGreaterThan(0);
      expect(call.duration_ms).toBeGreaterThanOrEqual(0);
      expect(call.retries).toBe(0);
    }
    expect(detail.timeline!.reduce((x, c) => x + c.cost, 0)).toBeCloseTo(detail.spend, 12);

    const logs = await api(`/spend/logs?session_id=${SESSION_B}`);
    expect((logs.body as unknown as SpendRow[]).map((r) => r.session_id)).toEqual(rows.map(() => SESSION_B));
    const ui = await api(`/spend/logs/session/ui?session_id=${SESSION_B}`);
    expect((ui.body as unknown as SpendRow[]).length).toBe(rows.length);
    expect((await api("/api/coding-sessions/no-such-session")).status).toBe(404);
  });

  test("a non-admin key sees its own sessions only", async () => {
    expect((await listed(key)).map((s) => s.session_id).sort()).toEqual([SESSION_A, SESSION_B, codexSession].sort());
    expect(await listed(otherKey)).toEqual([]);
    expect(await listed(otherKey, `?key=${keyHash}`)).toEqual([]);
    expect((await api(`/api/coding-sessions/${SESSION_A}`, otherKey)).status).toBe(404);
    expect((await api(`/api/coding-sessions/${SESSION_A}`, key)).status).toBe(200);
  });

  test("a session over its budget is refused with a clear Anthropic error; another session of the same key still works", async () => {
    await admin("/key/update", { key: keyHash, metadata: { max_session_budget: 0.0001 } });
    const before = messageCalls();
    const first = await runClaude({ baseUrl: gw.url, apiKey: key, prompt: "say hi", extraArgs: ["--session-id", SESSION_OVER] });
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const spent = (await settled(SESSION_OVER, messageCalls() - before)).spend;
    expect(spent).toBeGreaterThan(0.0001);

    const upstreamBefore = messageCalls();
    const again = await runClaude({ baseUrl: gw.url, apiKey: key, prompt: "say hi again", extraArgs: ["--session-id", SESSION_OVER] });
    const result = again.events.find((e) => e.type === "result");
    expect(result, again.stderr + again.stdout).toBeDefined();
    expect(result!.is_error).toBe(true);
    const text = String(result!.result);
    expect(text).toStartWith("API Error: 400 Session budget reached");
    expect(text).toContain(`Claude Code session (${SESSION_OVER})`);
    expect(text).toContain("max_session_budget");
    expect(text).toContain("/clear");
    expect(messageCalls()).toBe(upstreamBefore);

    const direct = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": key, "content-type": "application/json", "x-claude-code-session-id": SESSION_OVER, "user-agent": "claude-cli/2.1.197 (external, cli)" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(direct.status).toBe(400);
    const err = (await direct.json()) as { type: string; error: { type: string; message: string } };
    expect(err.type).toBe("error");
    expect(err.error.message).toMatch(/^Session budget reached: this Claude Code session \(.+\) has spent \$[\d.]+; the key 'coder' allows \$0\.0001 per session/);

    const codexAgain = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "session-id": codexSession, originator: "codex_exec", "user-agent": "codex_exec/0.169.0 (Debian 12.0.0; x86_64)" },
      body: JSON.stringify({ model: "gpt-codex", input: "hi", stream: true }),
    });
    expect(codexAgain.status).toBe(400);
    const codexErr = (await codexAgain.json()) as { error: { type: string; code: string; message: string } };
    expect(codexErr.error.type).toBe("budget_exceeded");
    expect(codexErr.error.message).toStartWith(`Session budget reached: this Codex session (${codexSession}) has spent $`);
    expect(codexErr.error.message).toContain("(a new `codex` session, or /new)");

    const other = await runClaude({ baseUrl: gw.url, apiKey: key, prompt: "say hi", extraArgs: ["--session-id", SESSION_FRESH] });
    const ok = other.events.find((e) => e.type === "result");
    expect(ok, other.stderr + other.stdout).toBeDefined();
    expect(ok!.is_error).toBe(false);
    expect(String(ok!.result)).toContain("Hello from the fake Anthropic!");
    await admin("/key/update", { key: keyHash, metadata: { max_session_budget: null } });
  }, 120_000);

  test("`litellm-rust statusline` prints the session's figures for the JSON Claude Code passes it, and nothing when the gateway is away", async () => {
    const s = (await api(`/api/coding-sessions/${SESSION_A}?timeline=false`)).body as unknown as SessionView;
    const input = JSON.stringify({
      session_id: SESSION_A,
      transcript_path: `/tmp/${SESSION_A}.jsonl`,
      cwd: "/tmp",
      model: { id: "claude-sonnet-4-5", display_name: "Sonnet 4.5" },
      workspace: { current_dir: "/tmp", project_dir: "/tmp", added_dirs: [] },
      version: "2.1.197",
      output_style: { name: "default" },
      cost: { total_cost_usd: 0.01, total_duration_ms: 1000, total_api_duration_ms: 500, total_lines_added: 0, total_lines_removed: 0 },
      exceeds_200k_tokens: false,
    });
    const run = async (env: Record<string, string>) => {
      const p = Bun.spawn([...gatewayCommand(), "statusline"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env }, stdin: new Blob([input]), stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      return { out, err, code };
    };
    const r = await run({ ANTHROPIC_BASE_URL: gw.url, ANTHROPIC_AUTH_TOKEN: key });
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    const pct = (s.cache_hit_rate! * 100).toFixed(1);
    const kTokens = (n: number) => (n >= 1e4 ? `${Math.round(n / 1e3)}k` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
    const figures = `${kTokens(s.input_tokens)} in · ${s.output_tokens} out · cache ${pct}% · ${s.last_model} · ${s.calls} ${s.calls === 1 ? "call" : "calls"}`;
    expect(s.last_model).toMatch(/^claude-/);
    expect(r.out).toBe(`gateway $${Number(s.spend.toPrecision(3))} · ${figures}\n`);

    await admin("/key/update", { key: keyHash, metadata: { max_session_budget: 5 } });
    const budgeted = await run({ ANTHROPIC_BASE_URL: gw.url, ANTHROPIC_AUTH_TOKEN: key });
    expect(budgeted.out).toBe(`gateway $${Number(s.spend.toPrecision(3))} of $5.00 · ${figures}\n`);
    await admin("/key/update", { key: keyHash, metadata: { max_session_budget: null } });

    const away = await run({ ANTHROPIC_BASE_URL: "http://127.0.0.1:9", ANTHROPIC_AUTH_TOKEN: key });
    expect(away).toEqual({ out: "", err: "", code: 0 });
  }, 30_000);

  test("/metrics: active sessions per client and their spend", async () => {
    const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
    expect(text).toContain('litellm_rust_coding_sessions_active{client="claude-code"} 4');
    expect(text).toContain('litellm_rust_coding_sessions_active{client="codex"} 1');
    expect(text).toMatch(/litellm_rust_coding_sessions_active_spend_usd\{client="claude-code"\} 0\.\d+/);
    expect(text).toContain("# TYPE litellm_rust_coding_session_spend_usd histogram");
  });

  test("the Sessions page lists the sessions and shows a session's timeline in Chromium", async () => {
    let b: TestBrowser | undefined;
    try {
      b = await launchBrowser();
      const page = b.page;
      await page.goto(`${gw.url}/ui/login`);
      await page.getByLabel("Master key or virtual key").fill(MASTER);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(`${gw.url}/ui`);
      await page.getByRole("link", { name: "Sessions" }).click();
      await page.waitForURL(`${gw.url}/ui/sessions`);
      const table = page.getByTestId("sessions-table");
      for (const id of [SESSION_A, SESSION_B, codexSession]) await expect(table.getByText(id.slice(0, 8)).count()).resolves.toBeGreaterThan(0);
      await expect(table.locator("tbody tr").count()).resolves.toBe(5);
      await page.screenshot({ path: join(SHOTS, "sessions.png") });
      await page.getByLabel("Client").selectOption("codex");
      await page.getByRole("button", { name: "Filter" }).click();
      await expect(page.getByTestId("sessions-table").locator("tbody tr").count()).resolves.toBe(1);
      await page.getByTestId("sessions-table").getByRole("link", { name: codexSession.slice(0, 8) }).click();
      await page.waitForURL(new RegExp(`/ui/sessions/${codexSession}$`));
      const s = (await api(`/api/coding-sessions/${codexSession}`)).body as unknown as SessionView;
      await expect(page.getByTestId("session-calls").locator("tbody tr").count()).resolves.toBe(s.calls);
      await expect(page.getByTestId("session-totals").textContent()).resolves.toContain("gpt-5-codex");
      await page.screenshot({ path: join(SHOTS, "session.png"), fullPage: true });

      await page.goto(`${gw.url}/ui/keys`);
      await page.locator('tr[data-key-alias="coder"]').getByRole("link", { name: "Sessions" }).click();
      await page.waitForURL(`${gw.url}/ui/sessions?key=${keyHash}`);
      await expect(page.getByTestId("sessions-table").locator("tbody tr").count()).resolves.toBe(5);
      await page.goto(`${gw.url}/ui/users/dev-1`);
      await page.getByRole("link", { name: "sessions", exact: true }).click();
      await page.waitForURL(`${gw.url}/ui/sessions?user=dev-1`);
      await expect(page.getByTestId("sessions-table").locator("tbody tr").count()).resolves.toBe(5);

      await page.goto(`${gw.url}/ui/keys`);
      const form = page.getByTestId("create-key-form");
      if (!(await form.isVisible())) await page.getByText("+ Create key").click();
      await form.getByLabel("Alias").fill("capped");
      await form.getByLabel("Max spend per session (USD)").fill("2.5");
      await form.getByLabel("Max session length").fill("8h");
      await form.getByRole("button", { name: "Create key" }).click();
      await page.waitForURL(`${gw.url}/ui/keys`);
      const secret = (await page.getByTestId("new-secret").textContent())!.trim();
      const info = (await api(`/key/info?key=${secret}`)).body.info as { metadata: Record<string, unknown> };
      expect(info.metadata).toMatchObject({ max_session_budget: 2.5, max_session_duration: "8h" });

      await page.goto(`${gw.url}/ui/teams`);
      if (!(await page.getByLabel("Team name").isVisible())) await page.getByText("+ Create team").click();
      await page.getByLabel("Team name").fill("agent-fleet");
      await page.getByLabel("Max spend per session (USD)").fill("4");
      await page.getByRole("button", { name: "Create team" }).click();
      await page.waitForURL(`${gw.url}/ui/teams`);
      await page.getByTestId("teams-table").getByRole("link", { name: "agent-fleet" }).click();
      await page.getByLabel("Max spend per session (USD)").fill("");
      await page.getByLabel("Max session length").fill("2h");
      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForURL(/\/ui\/teams\/[^/]+$/);
      const teams = (await (await fetch(`${gw.url}/team/list`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as Array<{ team_alias: string; metadata: Record<string, unknown> }>;
      expect(teams.find((t) => t.team_alias === "agent-fleet")!.metadata).toMatchObject({ max_session_budget: null, max_session_duration: "2h" });
      expect(b.errors).toEqual([]);
    } finally {
      await b?.close();
    }
  }, 60_000);

  test("the real Claude Code, started by `litellm-rust claude` in a terminal, shows its session's gateway figures in the status line", async () => {
    const home = realpathSync(mkdtempSync(join(tmpdir(), "lr-claude-tty-")));
    writeFileSync(join(home, ".claude.json"), JSON.stringify({ hasCompletedOnboarding: true, theme: "dark", projects: { [home]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } } }));
    const launcher = [...gatewayCommand(), "claude", "--gateway-url", gw.url, "--gateway-key", key].map((a) => `'${a}'`).join(" ");
    const tty = Bun.spawn(["script", "-qfec", `stty cols 160 rows 40; exec ${launcher}`, "/dev/null"], {
      cwd: home,
      env: { PATH: process.env.PATH ?? "", HOME: home, TERM: "xterm-256color", LITELLM_RUST_CLAUDE_BIN: realpathSync(CLAUDE_BIN), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1", DISABLE_AUTOUPDATER: "1", IS_SANDBOX: "1" },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const term = new TerminalScreen();
    void (async () => {
      const dec = new TextDecoder();
      for await (const c of tty.stdout as ReadableStream<Uint8Array>) term.write(dec.decode(c, { stream: true }));
    })();
    const shows = (text: string) => term.text().includes(text);
    try {
      await waitFor(async () => shows("❯"), 30_000, "Claude Code's prompt");
      tty.stdin.write("say hi\r");
      tty.stdin.flush();
      await waitFor(async () => shows("Hello from the fake Anthropic!"), 30_000, "Claude Code's answer");
      const mine = await waitFor(async () => (await listed(MASTER, "?client=claude-code")).find((s) => ![SESSION_A, SESSION_B, SESSION_OVER, SESSION_FRESH].includes(s.session_id)), 15_000, "the new session");
      const pct = (mine.cache_hit_rate! * 100).toFixed(1);
      const tokensIn = `${(mine.input_tokens / 1000).toFixed(1)}k`;
      const line = `gateway $${Number(mine.spend.toPrecision(3))} · ${tokensIn} in · ${mine.output_tokens} out · cache ${pct}% · ${mine.last_model} · ${mine.calls} ${mine.calls === 1 ? "call" : "calls"}`;
      expect(mine.input_tokens).toBeGreaterThan(1000);
      expect(mine.input_tokens).toBeLessThan(10_000);
      const statusRow = (l: string) => l.trim() === line || l.trim().startsWith(`${line}  `);
      await waitFor(async () => term.lines().some(statusRow), 30_000, `the status line "${line}"`);
    } catch (e) {
      throw new Error(`${(e as Error).message}; the terminal showed:\n${term.text().slice(-3000)}`);
    } finally {
      tty.kill("SIGKILL");
      await tty.exited;
    }
  }, 120_000);
});
