import { describe, expect, test } from "bun:test";
import { claudeCommand, claudeEnv, shq } from "../../../src/agents/harness/claude-code.ts";
import { readResult, StreamJsonParser } from "../../../src/agents/harness/stream-json.ts";
import { promptWithPayload, signBody, verifySignature } from "../../../src/agents/webhook.ts";

describe("stream-json parsing", () => {
  test("chunks are not lines: events split across chunks and several per chunk are parsed whole", () => {
    const events = [
      { type: "system", subtype: "init", session_id: "s1" },
      { type: "assistant", message: { content: [{ type: "text", text: "a\\nb" }] } },
      { type: "result", subtype: "success", is_error: false, session_id: "s1", total_cost_usd: 0.0123, num_turns: 2, result: "done", usage: { input_tokens: 5 } },
    ];
    const text = events.map((e) => JSON.stringify(e)).join("\n") + "\n";
    for (const size of [1, 3, 7, 64, text.length]) {
      const p = new StreamJsonParser();
      const out: Array<Record<string, unknown>> = [];
      for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
      out.push(...p.end());
      expect(out).toEqual(events);
    }
  });

  test("a last line without newline and non-JSON lines are kept", () => {
    const p = new StreamJsonParser();
    expect(p.push("warning: something\n{\"type\":\"res")).toEqual([{ type: "text", text: "warning: something" }]);
    expect(p.push("ult\",\"is_error\":true}")).toEqual([]);
    const last = p.end();
    expect(readResult(last[0]!)).toMatchObject({ isError: true });
  });

  test("readResult takes what a run stores", () => {
    expect(readResult({ type: "result", subtype: "error_max_turns", is_error: true, api_error_status: 529, session_id: "x" })).toMatchObject({
      isError: true,
      subtype: "error_max_turns",
      apiErrorStatus: 529,
      sessionId: "x",
    });
    expect(readResult({ type: "assistant" })).toBeUndefined();
  });
});

describe("Claude Code command line", () => {
  test("arguments are shell-quoted, including quotes and newlines in the prompt", () => {
    const cmd = claudeCommand({ claude: "/opt/claude", prompt: "it's $HOME `x`\nline2", sessionId: "123e4567-e89b-12d3-a456-426614174000", model: "claude-x", system: "be nice", maxTurns: 3, maxBudgetUsd: 0.5 });
    const r = Bun.spawnSync(["bash", "-c", `printf '%s\\0' ${cmd.replace(/^\/opt\/claude /, "").replace(/ < \/dev\/null$/, "")}`]);
    const argv = r.stdout.toString().split("\0").filter(Boolean);
    expect(argv).toEqual([
      "-p", "it's $HOME `x`\nline2", "--output-format", "stream-json", "--verbose", "--session-id", "123e4567-e89b-12d3-a456-426614174000",
      "--dangerously-skip-permissions", "--model", "claude-x", "--append-system-prompt", "be nice", "--max-turns", "3", "--max-budget-usd", "0.5",
    ]);
    expect(claudeCommand({ claude: "c", prompt: "p", sessionId: "s", resume: true, model: "m" })).toContain("--resume 's'");
    expect(shq("a'b")).toBe(`'a'\\''b'`);
  });

  test("the sandbox environment points at the gateway with the run key and nothing else secret", () => {
    const env = claudeEnv({ gatewayUrl: "http://gw:4000", runKey: "sk-run", model: "m", runId: "r1" });
    expect(env).toMatchObject({ ANTHROPIC_BASE_URL: "http://gw:4000", ANTHROPIC_AUTH_TOKEN: "sk-run", IS_SANDBOX: "1", ANTHROPIC_CUSTOM_HEADERS: "x-litellm-run-id: r1" });
    expect(Object.keys(env)).not.toContain("ANTHROPIC_API_KEY");
  });
});

describe("webhook signatures", () => {
  test("GitHub-style sha256 HMAC of the raw body", () => {
    const body = new TextEncoder().encode('{"action":"opened"}');
    const sig = signBody("s3cret", body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature("s3cret", body, sig)).toBe(true);
    expect(verifySignature("wrong", body, sig)).toBe(false);
    expect(verifySignature("s3cret", new TextEncoder().encode('{"action":"closed"}'), sig)).toBe(false);
    expect(verifySignature("s3cret", body, undefined)).toBe(false);
    expect(verifySignature("s3cret", body, "sha256=zz")).toBe(false);
  });

  test("the payload fills {{payload}} or follows the prompt", () => {
    expect(promptWithPayload("Review {{payload}} now", "X")).toBe("Review X now");
    expect(promptWithPayload("Review", "X")).toBe("Review\n\nWebhook payload:\nX");
  });
});
