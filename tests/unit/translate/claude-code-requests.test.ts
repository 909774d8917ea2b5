import { describe, expect, test } from "bun:test";
import { translator, type TranslateContext } from "../../../src/translate/index.ts";
import { expectValidChatRequest, traceBodies } from "./helpers.ts";

type Obj = Record<string, unknown>;
const toChat = translator("anthropic-messages", "openai-chat")!;
const requests = traceBodies("claude-code-requests.jsonl", "/v1/messages");
const ctx = (upstreamModel: string): TranslateContext => ({ model: "claude-opus-4-8", upstreamModel });

describe("Claude Code's recorded requests → OpenAI chat", () => {
  test("the trace holds the requests this suite is about", () => {
    expect(requests.length).toBeGreaterThanOrEqual(20);
    expect(requests.filter((r) => !r.body._abridged).length).toBe(3);
    expect(requests.some((r) => r.experiment === "bash-tool")).toBe(true);
  });

  test("every recorded request becomes a valid, complete chat body", () => {
    for (const { experiment, body } of requests) {
      const out = toChat.request(body, ctx("qwen3-coder"));
      expectValidChatRequest(out);
      // abridged records keep only tool names; the full ones must keep every tool
      if (!body._abridged) {
        const tools = body.tools as Obj[];
        expect((out.tools as Obj[]).map((t) => (t.function as Obj).name), experiment).toEqual(tools.map((t) => t.name));
      }
      expect(out.stream).toBe(body.stream === true ? true : undefined);
      if (body.stream) expect(out.stream_options).toEqual({ include_usage: true });
      expect(out.max_tokens).toBe(body.max_tokens);
      // OpenAI caps `user` at 64 characters; Claude Code's JSON user_id is longer
      const userId = String((body.metadata as Obj).user_id);
      expect(userId.length).toBeGreaterThan(64);
      expect(out.user).toBe(new Bun.CryptoHasher("sha256").update(userId).digest("hex"));
      // Anthropic-only fields never reach an OpenAI-style upstream
      for (const k of ["thinking", "context_management", "output_config", "metadata", "system"]) expect(out[k]).toBeUndefined();
    }
  });

  test("system blocks and the mid-conversation system message lead the chat as one system message", () => {
    const { body } = requests.find((r) => r.experiment === "say-hi")!;
    const out = toChat.request(body, ctx("qwen3-coder"));
    const msgs = out.messages as Obj[];
    expect(msgs.filter((m) => m.role === "system").length).toBe(1);
    const system = String(msgs[0]!.content);
    expect(system).toContain("You are a Claude agent, built on Anthropic's Claude Agent SDK.");
    expect(system).toContain("You are an interactive agent that helps users with software engineering tasks.");
    expect(system).toContain("Available agent types for the Agent tool");
    // Claude Code's per-build billing marker is dropped: it would break the upstream's prefix cache
    expect(system).not.toContain("x-anthropic-billing-header");
    const user = msgs[1]!;
    expect(user.role).toBe("user");
    expect(String(user.content)).toContain("<system-reminder>");
    expect(String(user.content)).toContain("say hi");
  });

  test("the Bash tool loop: tool_use → assistant tool_calls, tool_result → tool message with the same id", () => {
    const second = requests.filter((r) => r.experiment === "bash-tool")[1]!.body;
    const out = toChat.request(second, ctx("qwen3-coder"));
    const msgs = out.messages as Obj[];
    const assistant = msgs.find((m) => m.role === "assistant")!;
    expect(assistant.content).toBe("Running a command.");
    const call = (assistant.tool_calls as Obj[])[0]!;
    expect(call.id).toBe("toolu_5be47d7fb89b196a160d6a17");
    expect(call.function).toEqual({ name: "Bash", arguments: JSON.stringify({ command: "echo hello", description: "Say hello" }) });
    const tool = msgs[msgs.indexOf(assistant) + 1]!;
    expect(tool).toEqual({ role: "tool", tool_call_id: "toolu_5be47d7fb89b196a160d6a17", content: "hello" });
    expect(msgs.at(-1)).toBe(tool);
  });

  test("tool schemas keep their properties and lose only $schema", () => {
    const { body } = requests.find((r) => r.experiment === "say-hi")!;
    const out = toChat.request(body, ctx("qwen3-coder"));
    const bash = (out.tools as Obj[]).map((t) => t.function as Obj).find((f) => f.name === "Bash")!;
    const original = (body.tools as Obj[]).find((t) => t.name === "Bash")!;
    const { $schema: _, ...schema } = original.input_schema as Obj;
    expect(bash.parameters).toEqual(schema);
    expect(bash.description).toBe(original.description);
  });

  test("OpenAI reasoning models get max_completion_tokens; other servers max_tokens", () => {
    const { body } = requests.find((r) => r.experiment === "say-hi")!;
    const gpt5 = toChat.request(body, ctx("gpt-5"));
    expect(gpt5.max_completion_tokens).toBe(64000);
    expect(gpt5.max_tokens).toBeUndefined();
    expect(toChat.request(body, ctx("openai/o4-mini")).max_completion_tokens).toBe(64000);
    expect(toChat.request(body, ctx("llama-3.3-70b")).max_tokens).toBe(64000);
  });

  test("resumed sessions keep every earlier turn in order", () => {
    const resumed = requests.filter((r) => r.experiment === "resume").at(-1)!.body;
    const out = toChat.request(resumed, ctx("qwen3-coder"));
    const roles = (out.messages as Obj[]).map((m) => m.role);
    const source = (resumed.messages as Obj[]).filter((m) => m.role !== "system").map((m) => m.role);
    expect(roles[0]).toBe("system");
    expect(roles.filter((r) => r === "assistant").length).toBe(source.filter((r) => r === "assistant").length);
  });
});
