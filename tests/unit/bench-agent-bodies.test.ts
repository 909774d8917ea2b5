import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { agentWorkloads, claudeBare, growSession, readTrace, TRACES } from "../../scripts/bench/agent-bodies.ts";

const ROOT = join(import.meta.dir, "../..");
const workloads = agentWorkloads(TRACES, join(ROOT, "node_modules/hono/dist"));
const claude = workloads.find((w) => w.api === "claude")!;
const codex = workloads.find((w) => w.api === "codex")!;
type Json = Record<string, unknown>;

const TARGETS: Record<string, number> = { "10k": 10_000, "600k": 600_000, "2m": 2_000_000 };

describe("coding-agent benchmark bodies", () => {
  // The last tool round is cut to fit; its fixed part (the call, the result's envelope) is a few hundred bytes.
  const SLACK = 500;

  test("every body is valid JSON of its stated byte size, within a tool round's envelope of its target size", () => {
    for (const w of workloads) {
      expect(w.bodies.map((b) => b.id)).toEqual(["10k", "first", "600k", "2m"]);
      for (const b of w.bodies) {
        expect(() => JSON.parse(b.body)).not.toThrow();
        expect(Buffer.byteLength(b.body)).toBe(b.bytes);
        const target = TARGETS[b.id];
        if (target) expect(Math.abs(b.bytes - target)).toBeLessThan(SLACK);
      }
    }
  });

  test("the real first turns are sent as recorded", () => {
    const cc = readTrace(join(TRACES, "claude-code-first-turn.json"));
    expect(JSON.parse(claude.bodies.find((b) => b.id === "first")!.body)).toEqual(cc.body);
    expect(claude.path).toBe("/v1/messages?beta=true");
    expect(claude.headers["anthropic-beta"]).toContain("claude-code-20250219");
    expect(claude.headers["user-agent"]).toStartWith("claude-cli/");
    expect(codex.path).toBe("/v1/responses");
    expect(codex.headers.originator).toBe("codex_exec");
    for (const h of ["x-api-key", "authorization", "host", "content-length", "connection"]) {
      expect(claude.headers[h]).toBeUndefined();
      expect(codex.headers[h]).toBeUndefined();
    }
  });

  test("Claude Code sessions alternate assistant tool_use and user tool_result, ids paired, and end on the user", () => {
    for (const b of claude.bodies.filter((x) => x.turns > 0)) {
      const body = JSON.parse(b.body) as { messages: Json[]; model: string; stream: boolean };
      expect(body.model).toBe("claude-opus-4-8");
      expect(body.stream).toBe(true);
      const appended = body.messages.slice(body.messages.length - 2 * b.turns);
      appended.forEach((m, i) => expect(m.role).toBe(i % 2 ? "user" : "assistant"));
      for (let i = 0; i < appended.length; i += 2) {
        const use = (appended[i]!.content as Json[]).find((c) => c.type === "tool_use")!;
        const result = (appended[i + 1]!.content as Json[])[0]!;
        expect(use.name).toBe("Read");
        expect(result.type).toBe("tool_result");
        expect(result.tool_use_id).toBe(use.id as string);
        expect(typeof result.content).toBe("string");
      }
      const last = body.messages.at(-1)!;
      expect(last.role).toBe("user");
      expect((last.content as Json[])[0]!.cache_control).toEqual({ type: "ephemeral" });
      expect(new Set(appended.filter((m) => m.role === "assistant").map((m) => ((m.content as Json[])[1] as Json).id)).size).toBe(b.turns);
    }
  });

  test("Codex sessions append function_call / function_call_output pairs with matching call ids", () => {
    for (const b of codex.bodies.filter((x) => x.turns > 0)) {
      const body = JSON.parse(b.body) as { input: Json[]; stream: boolean };
      expect(body.stream).toBe(true);
      const appended = body.input.slice(body.input.length - 2 * b.turns);
      for (let i = 0; i < appended.length; i += 2) {
        expect(appended[i]!.type).toBe("function_call");
        expect(appended[i]!.name).toBe("exec_command");
        expect(() => JSON.parse(appended[i]!.arguments as string)).not.toThrow();
        expect(appended[i + 1]!.type).toBe("function_call_output");
        expect(appended[i + 1]!.call_id).toBe(appended[i]!.call_id as string);
      }
    }
  });

  test("the short Claude Code session has the --bare shape: three tools, no role:system message", () => {
    const body = JSON.parse(claude.bodies[0]!.body) as { tools: Json[]; messages: Json[] };
    expect(body.tools.map((t) => t.name).sort()).toEqual(["Bash", "Edit", "Read"]);
    expect(body.messages.some((m) => m.role === "system")).toBe(false);
  });

  test("growSession does not touch its base and stops at the target", () => {
    const base = claudeBare(readTrace(join(TRACES, "claude-code-first-turn.json")).body);
    const before = JSON.stringify(base);
    const pool = [{ path: "src/a.ts", text: 'const s = "quote \\" backslash \\\\ ünïcode";\n'.repeat(200) }];
    const g = growSession("claude", base, 50_000, pool);
    expect(JSON.stringify(base)).toBe(before);
    const size = Buffer.byteLength(JSON.stringify(g.body));
    expect(Math.abs(size - 50_000)).toBeLessThan(SLACK);
    expect(g.turns).toBeGreaterThan(1);
  });
});
