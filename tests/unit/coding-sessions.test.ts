import { describe, expect, test } from "bun:test";
import { keyRecordFrom, type KeyRecord } from "../../src/auth/key-record.ts";
import { launchCommand, parseLaunchArgs, statusLineSettings } from "../../src/cli/launch.ts";
import { statuslineGateway, statusText } from "../../src/cli/statusline.ts";
import type { CallRecord } from "../../src/gateway/types.ts";
import { Logger } from "../../src/log.ts";
import { SessionBudgets, sessionLimits, type ReadStored } from "../../src/sessions/budget.ts";
import { clientOf, sessionIdOf, sessionOfCall } from "../../src/sessions/identity.ts";
import { ACTIVE_WINDOW_MS, LiveSessions, type EndedSession } from "../../src/sessions/live.ts";
import { rollupRows } from "../../src/sessions/rollup.ts";
import { SpendBook } from "../../src/spend/book.ts";
import type { SpendEvent, SpendLogRow } from "../../src/spend/spend-log.ts";

/** Headers as the CLIs send them (/work/shared/traces: Claude Code 2.1.197, Codex 0.169.0, the OpenAI SDK). */
const CLAUDE = new Headers({
  "user-agent": "claude-cli/2.1.197 (external, sdk-cli)",
  "x-app": "cli",
  "x-claude-code-session-id": "864ca64a-3aac-4e9a-8d4c-c1447da197a1",
  "x-stainless-lang": "js",
  "x-stainless-package-version": "0.94.0",
});
const CODEX = new Headers({
  "user-agent": "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)",
  originator: "codex_exec",
  "session-id": "01a20ffa-7f81-7330-b44a-c653203a1931",
  "thread-id": "01a20ffa-7f81-7330-b44a-c653203a1931",
});
const SDK = new Headers({ "user-agent": "OpenAI/JS 7.57.0", "x-stainless-lang": "js", "x-stainless-package-version": "7.57.0" });

describe("which session and client a call belongs to", () => {
  test("LiteLLM's session id wins, then Claude Code's header, then Codex's", () => {
    expect(sessionIdOf(CLAUDE, {})).toBe("864ca64a-3aac-4e9a-8d4c-c1447da197a1");
    expect(sessionIdOf(CODEX, {})).toBe("01a20ffa-7f81-7330-b44a-c653203a1931");
    expect(sessionIdOf(CLAUDE, { litellm_session_id: "from-body" })).toBe("from-body");
    expect(sessionIdOf(new Headers({ ...Object.fromEntries(CLAUDE), "x-litellm-session-id": "from-header" }), { litellm_session_id: "from-body" })).toBe("from-header");
    expect(sessionIdOf(new Headers(), { litellm_trace_id: "trace-1" })).toBe("trace-1");
    expect(sessionIdOf(SDK, {})).toBeUndefined();
  });

  test("unusable ids are ignored: empty, too long, spaces or control characters", () => {
    for (const bad of ["", "   ", "a b", "x".repeat(257), "id\u0007"]) expect(sessionIdOf(new Headers({ "session-id": "ok-id" }), { litellm_session_id: bad })).toBe("ok-id");
    expect(sessionIdOf(new Headers(), { litellm_session_id: 42 })).toBeUndefined();
  });

  test("client kind and version from user-agent, x-app, originator and Stainless headers", () => {
    expect(clientOf(CLAUDE)).toEqual({ kind: "claude-code", name: "claude-cli", version: "2.1.197" });
    expect(clientOf(CODEX)).toEqual({ kind: "codex", name: "codex_exec", version: "0.169.0" });
    expect(clientOf(SDK)).toEqual({ kind: "sdk", name: "openai-js", version: "7.57.0" });
    expect(clientOf(new Headers({ "user-agent": "AsyncOpenAI/Python 1.99.0" }))).toEqual({ kind: "sdk", name: "openai-python", version: "1.99.0" });
    expect(clientOf(new Headers({ "x-stainless-lang": "go", "x-stainless-package-version": "1.2.0" }))).toEqual({ kind: "sdk", name: "stainless-go", version: "1.2.0" });
    expect(clientOf(new Headers({ "user-agent": "curl/7.88.1" }))).toEqual({ kind: "other", name: "curl", version: "7.88.1" });
    expect(clientOf(new Headers())).toEqual({ kind: "other" });
    expect(sessionOfCall(CODEX, {})).toEqual({ id: "01a20ffa-7f81-7330-b44a-c653203a1931", client: clientOf(CODEX) });
  });
});

function keyRecord(meta: Record<string, unknown>, teamMeta?: Record<string, unknown>): KeyRecord {
  return keyRecordFrom({ k: { token: "hash-1", key_alias: "coder", team_id: teamMeta ? "t1" : null, metadata: meta }, t: teamMeta ? { team_alias: "platform", metadata: teamMeta } : null }, new SpendBook());
}

const quiet = () => {
  const lines: string[] = [];
  return { log: new Logger(false, false, (l) => lines.push(l)), lines };
};

function call(headers: Headers, cost: number, startMs: number, endMs = startMs + 1000): CallRecord {
  return {
    req: { headers, body: {}, callType: "anthropic_messages", startMs, auth: { kind: "virtual_key", role: "internal_user", apiKeyHash: "hash-1" } } as unknown as CallRecord["req"],
    status: "success",
    endMs,
    cost,
    retries: 0,
    fallbacks: 0,
    upstreamMs: 10,
  };
}

const claudeSession = () => sessionOfCall(CLAUDE, {});

describe("per-session budgets", () => {
  test("limits come from the key's and the team's metadata; none means nothing to wait for", () => {
    expect(sessionLimits(keyRecord({}))).toEqual([]);
    expect(sessionLimits(keyRecord({ max_session_budget: "2.5", max_session_duration: "2h" }, { max_session_budget: 10 }))).toEqual([
      { scope: "key", name: "coder", maxBudget: 2.5, maxDurationMs: 7_200_000 },
      { scope: "team", name: "platform", maxBudget: 10, maxDurationMs: undefined },
    ]);
    expect(sessionLimits(keyRecord({ max_session_duration: 90 }))[0]!.maxDurationMs).toBe(90_000);
    expect(sessionLimits(keyRecord({ max_session_budget: null }))).toEqual([]);
    const budgets = new SessionBudgets(new LiveSessions(), async () => undefined, quiet().log);
    expect(budgets.check(keyRecord({}), claudeSession)).toBeUndefined();
    expect(budgets.check(keyRecord({ max_session_budget: 1 }), () => undefined)).toBeUndefined();
  });

  test("a session that reached the key's budget is refused, naming the budget, the spend and how to go on; another session is not", async () => {
    const live = new LiveSessions();
    const budgets = new SessionBudgets(live, async () => undefined, quiet().log);
    const rec = keyRecord({ max_session_budget: 0.05 });
    await budgets.check(rec, claudeSession);
    live.record(call(CLAUDE, 0.03, Date.now()));
    await budgets.check(rec, claudeSession);
    live.record(call(CLAUDE, 0.03, Date.now()));
    const err = await budgets.check(rec, claudeSession)!.then(() => undefined, (e: Error & { status: number; type: string }) => e);
    expect(err?.status).toBe(400);
    expect(err?.type).toBe("budget_exceeded");
    expect(err?.message).toBe(
      "Session budget reached: this Claude Code session (864ca64a-3aac-4e9a-8d4c-c1447da197a1) has spent $0.06; the key 'coder' allows $0.05 per session (max_session_budget). Other sessions of this key still work: start a new session to continue (/clear, or a new `claude`), or ask a gateway admin to raise it (/key/update).",
    );
    await budgets.check(rec, () => sessionOfCall(CODEX, {}));
  });

  test("the team's budget and the stored spend of earlier calls (other instances, before a restart) count", async () => {
    const reads: string[] = [];
    const stored: ReadStored = async (id, key) => {
      reads.push(`${id}/${key}`);
      return { spend: 4, firstMs: Date.now() - 60_000 };
    };
    const budgets = new SessionBudgets(new LiveSessions(), stored, quiet().log);
    const err = await budgets.check(keyRecord({}, { max_session_budget: 3 }), () => sessionOfCall(CODEX, {}))!.catch((e: Error) => e);
    expect((err as Error).message).toStartWith("Session budget reached: this Codex session (01a20ffa-7f81-7330-b44a-c653203a1931) has spent $4.00; the team 'platform' allows $3.00 per session");
    expect((err as Error).message).toContain("(/team/update)");
    expect(reads).toEqual(["01a20ffa-7f81-7330-b44a-c653203a1931/hash-1"]);
  });

  test("the tighter of the key's and the team's budgets is the session's admission line, refused with its own message", async () => {
    const live = new LiveSessions();
    const budgets = new SessionBudgets(live, async () => undefined, quiet().log);
    const line = (await budgets.check(keyRecord({ max_session_budget: 5 }, { max_session_budget: 2 }), claudeSession))!;
    expect(line).toMatchObject({ id: "session:hash-1:864ca64a-3aac-4e9a-8d4c-c1447da197a1", max: 2, atMax: true, shared: true });
    live.record(call(CLAUDE, 0.5, Date.now()));
    expect(line.spend.value).toBe(0.5);
    expect(line.spend.readAt).toBeNumber();
    expect(line.refusal!(1.5, 0.75).message).toStartWith(
      "Session budget reached: this Claude Code session (864ca64a-3aac-4e9a-8d4c-c1447da197a1) has spent $1.50 (and $0.75 is held by its calls still running); the team 'platform' allows $2.00 per session",
    );
    expect(await budgets.check(keyRecord({ max_session_duration: "1h" }), claudeSession)).toBeUndefined();
  });

  test("max_session_duration: refused once the first call is that long ago", async () => {
    let now = 1_000_000;
    const live = new LiveSessions(() => now);
    const budgets = new SessionBudgets(live, async () => undefined, quiet().log, () => now);
    const rec = keyRecord({ max_session_duration: "30m" });
    await budgets.check(rec, claudeSession);
    live.record(call(CLAUDE, 0.01, now));
    now += 29 * 60_000;
    await budgets.check(rec, claudeSession);
    now += 60_000;
    const err = await budgets.check(rec, claudeSession)!.catch((e: Error) => e);
    expect((err as Error).message).toStartWith("Session time limit reached: this Claude Code session (864ca64a-3aac-4e9a-8d4c-c1447da197a1) started 30 min ago and has spent $0.01; the key 'coder' allows 30 min per session (max_session_duration).");
  });

  test("an unreadable database leaves this instance's own count in charge, logged once", async () => {
    const { log, lines } = quiet();
    const live = new LiveSessions();
    const budgets = new SessionBudgets(live, async () => Promise.reject(new Error("connection refused")), log);
    const rec = keyRecord({ max_session_budget: 1 });
    await budgets.check(rec, claudeSession);
    await budgets.check(rec, () => sessionOfCall(CODEX, {}));
    expect(lines.filter((l) => l.includes("stored session spend not readable")).length).toBe(1);
    live.record(call(CLAUDE, 2, Date.now()));
    expect(await budgets.check(rec, claudeSession)!.catch((e: Error) => e.message)).toStartWith("Session budget reached");
  });
});

describe("sessions seen by this instance", () => {
  test("active per client; a session idle past the window ends with its spend and duration", () => {
    let now = 10_000_000;
    const live = new LiveSessions(() => now);
    const ended: EndedSession[] = [];
    live.onEnded = (s) => ended.push(s);
    live.record(call(CLAUDE, 0.5, now - 120_000, now));
    live.record(call(CLAUDE, 0.25, now - 60_000, now));
    live.record(call(CODEX, 0.1, now - 1000, now));
    live.record(call(SDK, 9, now));
    expect(Object.fromEntries(live.active())).toEqual({ "claude-code": { count: 1, spend: 0.75 }, codex: { count: 1, spend: 0.1 } });
    now += ACTIVE_WINDOW_MS - 1;
    live.sweep(true);
    expect(ended).toEqual([]);
    now += 1;
    live.sweep(true);
    expect(ended).toEqual([
      { client: "claude-code", spend: 0.75, durationS: 120 },
      { client: "codex", spend: 0.1, durationS: 1 },
    ]);
    expect(live.active().size).toBe(0);
  });
});

function event(session: string | undefined, over: Partial<SpendLogRow>, cacheRead = 0, cacheCreation = 0): SpendEvent {
  const row = {
    api_key: "hash-1",
    user: "dev-1",
    team_id: null,
    spend: 0.01,
    prompt_tokens: 100,
    completion_tokens: 10,
    startTime: "2026-01-01T10:00:00.000Z",
    endTime: "2026-01-01T10:00:01.000Z",
    model: "claude-sonnet-4-5",
    model_group: "claude-*",
    status: "success",
    metadata: { user_api_key_alias: "coder" },
    ...over,
  } as SpendLogRow;
  return { row, cacheReadTokens: cacheRead, cacheCreationTokens: cacheCreation, endpoint: "/v1/messages", session: session ? { id: session, client: clientOf(CLAUDE) } : undefined };
}

describe("the rollup rows a batch adds", () => {
  test("summed per session and key, calls outside sessions left out", () => {
    const rows = rollupRows([
      event("s1", {}, 7, 5),
      event("s1", { startTime: "2026-01-01T09:59:00.000Z", endTime: "2026-01-01T10:05:00.000Z", model: "claude-haiku-4-5", status: "failure", spend: 0 }, 3, 0),
      event("s1", { api_key: "hash-2" }),
      event("s1", { call_type: "acount_tokens" }),
      event(undefined, {}),
    ]);
    expect(rows.length).toBe(2);
    expect(rows[0]).toEqual({
      session_id: "s1",
      api_key: "hash-1",
      key_alias: "coder",
      user_id: "dev-1",
      team_id: null,
      client: "claude-code",
      client_name: "claude-cli",
      client_version: "2.1.197",
      first_call: "2026-01-01T09:59:00.000Z",
      last_call: "2026-01-01T10:05:00.000Z",
      calls: 2,
      failed_calls: 1,
      prompt_tokens: 200,
      completion_tokens: 20,
      cache_read_tokens: 10,
      cache_creation_tokens: 5,
      spend: 0.01,
      models: ["claude-sonnet-4-5", "claude-haiku-4-5"],
      model_groups: ["claude-*"],
      last_model: "claude-haiku-4-5",
    });
    expect(rows[1]!.api_key).toBe("hash-2");
  });
});

describe("Claude Code's status line", () => {
  test("one line: spend (of the session budget), tokens, cache hit rate, routed model, calls", () => {
    const s = { spend: 0.4213, input_tokens: 152_340, output_tokens: 2_150, cache_hit_rate: 0.873, last_model: "claude-sonnet-4-5", calls: 14 };
    expect(statusText(s)).toBe("gateway $0.421 · 152k in · 2.1k out · cache 87% · claude-sonnet-4-5 · 14 calls");
    expect(statusText({ ...s, spend: 1.5, budget: { max_session_budget: 5 }, cache_hit_rate: 0.004, calls: 1 })).toBe("gateway $1.50 of $5.00 · 152k in · 2.1k out · cache 0.4% · claude-sonnet-4-5 · 1 call");
    expect(statusText({ spend: 0, input_tokens: 0, output_tokens: 0, cache_hit_rate: null, calls: 0 })).toBe("gateway $0 · 0 in · 0 out · 0 calls");
  });

  test("the gateway is where Claude Code sends its calls, else the launcher's settings", () => {
    const env = { HOME: "/nonexistent", ANTHROPIC_BASE_URL: "http://gw:4000/", ANTHROPIC_AUTH_TOKEN: "sk-a", LITELLM_RUST_URL: "http://other", LITELLM_RUST_API_KEY: "sk-b" };
    expect(statuslineGateway([], env)).toEqual({ url: "http://gw:4000", key: "sk-a" });
    expect(statuslineGateway([], { ...env, ANTHROPIC_BASE_URL: undefined, ANTHROPIC_AUTH_TOKEN: undefined })).toEqual({ url: "http://other", key: "sk-b" });
    expect(statuslineGateway(["--gateway-url", "http://flag", "--gateway-key=sk-c"], env)).toEqual({ url: "http://flag", key: "sk-c" });
    expect(statuslineGateway([], { HOME: "/nonexistent" })).toBeUndefined();
  });

  test("`litellm-rust claude` passes Claude Code a statusLine running `litellm-rust statusline`, unless told not to or given other settings", () => {
    const settings = JSON.parse(statusLineSettings(["/usr/local/bin/litellm-rust", "statusline"]));
    expect(settings).toEqual({ statusLine: { type: "command", command: "/usr/local/bin/litellm-rust statusline", refreshInterval: 10 } });
    expect(JSON.parse(statusLineSettings(["/opt/my tools/litellm-rust", "statusline"])).statusLine.command).toBe("'/opt/my tools/litellm-rust' statusline");
    const s = { url: "http://gw", key: "sk-k" };
    const { cmd } = launchCommand("claude", s, ["-p", "hi"], {});
    expect(cmd[1]).toBe("--settings");
    expect(JSON.parse(cmd[2]!).statusLine.command).toEndWith("statusline");
    expect(cmd.slice(3)).toEqual(["-p", "hi"]);
    const off = parseLaunchArgs(["--no-statusline", "-p", "hi"]);
    expect(launchCommand("claude", s, off.rest, {}, { statusline: off.statusline }).cmd).toEqual(["claude", "-p", "hi"]);
    expect(launchCommand("claude", s, ["--settings", "mine.json"], {}).cmd).toEqual(["claude", "--settings", "mine.json"]);
    expect(launchCommand("codex", s, [], {}).cmd).not.toContain("--settings");
  });
});
