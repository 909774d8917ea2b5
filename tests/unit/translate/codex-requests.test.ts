import { describe, expect, test } from "bun:test";
import { translator, type TranslateContext } from "../../../src/translate/index.ts";
import { expectValidAnthropicRequest, expectValidChatRequest, traceBodies } from "./helpers.ts";

type Obj = Record<string, unknown>;
const toAnthropic = translator("openai-responses", "anthropic-messages")!;
const toChat = translator("openai-responses", "openai-chat")!;
const requests = traceBodies("codex-requests.jsonl", "/v1/responses");
const toolLoop = requests.find((r) => (r.body.input as Obj[]).some((i) => i.type === "function_call_output"))!.body;

const FUNCTIONS = ["exec_command", "write_stdin", "request_user_input", "view_image", "get_goal", "create_goal", "update_goal"];
const NAMESPACED = ["close_agent", "resume_agent", "send_input", "spawn_agent", "wait_agent"].map((n) => `multi_agent_v1__${n}`);

describe("Codex's recorded requests → Anthropic messages", () => {
  test("every recorded request becomes a valid Anthropic body", () => {
    expect(requests.length).toBe(3);
    for (const { body } of requests) expectValidAnthropicRequest(toAnthropic.request(body, { model: "gpt-fake", upstreamModel: "claude-sonnet-4-5" }));
  });

  test("developer messages become the system prompt, user items the first turn", () => {
    const out = toAnthropic.request(toolLoop, { model: "gpt-fake" });
    const system = (out.system as Obj[]).map((b) => String(b.text));
    expect(system[0]).toStartWith("You are a coding agent running in the Codex CLI");
    expect(system.some((s) => s.includes("<permissions instructions>"))).toBe(true);
    const first = (out.messages as Obj[])[0]!;
    expect(first.role).toBe("user");
    expect((first.content as Obj[]).map((b) => b.text)).toEqual([expect.stringContaining("<environment_context>"), "USE_SHELL run echo hello"]);
  });

  test("function_call / function_call_output pair up as tool_use / tool_result by call_id", () => {
    const msgs = toAnthropic.request(toolLoop, { model: "gpt-fake" }).messages as Obj[];
    expect(msgs.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(msgs[1]!.content).toEqual([{ type: "tool_use", id: "call_5ae3a95feae46c8784f19dc8", name: "exec_command", input: { cmd: "echo hello" } }]);
    const result = (msgs[2]!.content as Obj[])[0]!;
    expect(result.type).toBe("tool_result");
    expect(result.tool_use_id).toBe("call_5ae3a95feae46c8784f19dc8");
    expect(JSON.stringify(result.content)).toContain("Output:\\nhello");
  });

  test("function tools are kept, the namespace is flattened the way Codex names it, hosted web_search is dropped", () => {
    const ctx: TranslateContext = { model: "gpt-fake" };
    const out = toAnthropic.request(toolLoop, ctx);
    const names = (out.tools as Obj[]).map((t) => t.name);
    expect(names.sort()).toEqual([...FUNCTIONS, ...NAMESPACED].sort());
    const exec = (out.tools as Obj[]).find((t) => t.name === "exec_command")!;
    expect((exec.input_schema as Obj).required).toEqual(["cmd"]);
    expect(ctx.tools?.get("multi_agent_v1__spawn_agent")).toEqual({ name: "spawn_agent", namespace: "multi_agent_v1" });
    expect(JSON.stringify(out)).not.toContain("web_search");
  });

  test("Responses-only fields are not sent; max_tokens gets a default; no cache_control is added unasked", () => {
    const out = toAnthropic.request(toolLoop, { model: "gpt-fake", upstreamModel: "claude-sonnet-4-5" });
    for (const k of ["store", "include", "prompt_cache_key", "client_metadata", "reasoning", "parallel_tool_calls", "instructions", "input"]) {
      expect(out[k]).toBeUndefined();
    }
    expect(out.max_tokens).toBe(32000);
    expect(out.tool_choice).toBeUndefined(); // "auto" with parallel calls allowed is Anthropic's default
    expect(JSON.stringify(out)).not.toContain("cache_control");
    expect(out.stream).toBe(true);
  });

  test("older Claude models get their own output cap as the default", () => {
    expect(toAnthropic.request(toolLoop, { model: "x", upstreamModel: "claude-3-5-haiku-20241022" }).max_tokens).toBe(8192);
    expect(toAnthropic.request(toolLoop, { model: "x", upstreamModel: "claude-3-haiku-20240307" }).max_tokens).toBe(4096);
    expect(toAnthropic.request({ ...toolLoop, max_output_tokens: 900 }, { model: "x" }).max_tokens).toBe(900);
  });

  test("reasoning effort becomes a thinking budget below max_tokens, and temperature is dropped with it", () => {
    const out = toAnthropic.request({ ...toolLoop, reasoning: { effort: "high", summary: "auto" }, temperature: 0.2 }, { model: "x" });
    expect(out.thinking).toBeUndefined(); // the last assistant tool turn has no signed thinking to continue from
    const fresh = { ...toolLoop, input: (toolLoop.input as Obj[]).slice(0, 4), reasoning: { effort: "high" }, temperature: 0.2 };
    const on = toAnthropic.request(fresh, { model: "x" });
    expect(on.thinking).toEqual({ type: "enabled", budget_tokens: 4096 });
    expect(on.temperature).toBeUndefined();
    expectValidAnthropicRequest(on);
  });

  test("previous_response_id: the remembered turns come first; an unknown id is OpenAI's 400", () => {
    expect(() => toAnthropic.request({ ...toolLoop, previous_response_id: "resp_1" }, { model: "x" })).toThrow("Previous response with id 'resp_1' not found.");
    const earlier = [{ type: "message", role: "user", content: "EARLIER QUESTION" }, { type: "message", role: "assistant", content: [{ type: "output_text", text: "EARLIER ANSWER" }] }];
    const responses = { items: (id: string) => (id === "resp_1" ? earlier : undefined), item: () => undefined, remember: () => {} };
    const ctx: TranslateContext = { model: "x", responses };
    const out = toAnthropic.request({ model: "gpt-5", input: "NOW", previous_response_id: "resp_1" }, ctx);
    expect(JSON.stringify(out.messages)).toMatch(/EARLIER QUESTION.*EARLIER ANSWER.*NOW/);
    expect(ctx.remember).toEqual({ previous: "resp_1", input: [{ type: "message", role: "user", content: "NOW" }] });
  });
});

describe("Codex's recorded requests → OpenAI chat (vLLM, groq)", () => {
  test("every recorded request becomes a valid chat body with the tool loop intact", () => {
    for (const { body } of requests) expectValidChatRequest(toChat.request(body, { model: "gpt-fake", upstreamModel: "qwen3" }));
    const out = toChat.request(toolLoop, { model: "gpt-fake", upstreamModel: "qwen3" });
    const msgs = out.messages as Obj[];
    expect(msgs.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(String(msgs[0]!.content)).toContain("<skills_instructions>");
    expect((msgs[2]!.tool_calls as Obj[])[0]).toEqual({ id: "call_5ae3a95feae46c8784f19dc8", type: "function", function: { name: "exec_command", arguments: '{"cmd":"echo hello"}' } });
    expect(msgs[3]!.tool_call_id).toBe("call_5ae3a95feae46c8784f19dc8");
    expect(out.tool_choice).toBe("auto");
    expect(out.parallel_tool_calls).toBe(true);
    expect(((out.tools as Obj[]).map((t) => (t.function as Obj).name) as string[]).sort()).toEqual([...FUNCTIONS, ...NAMESPACED].sort());
  });

  test("reasoning effort passes as reasoning_effort, except to chat models that reject it", () => {
    const body = { ...toolLoop, reasoning: { effort: "low" } };
    expect(toChat.request(body, { model: "x", upstreamModel: "openai/gpt-oss-120b" }).reasoning_effort).toBe("low");
    expect(toChat.request(body, { model: "x", upstreamModel: "gpt-4.1" }).reasoning_effort).toBeUndefined();
  });
});
