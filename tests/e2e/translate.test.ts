import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM, type RecordedRequest } from "../fakes/llm.ts";
import { runClaude, runCodex } from "../helpers/agents-cli.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

type Obj = Record<string, unknown>;
const MASTER = "sk-master-translate";
const PRICES = {
  input_cost_per_token: 0.000001,
  output_cost_per_token: 0.000002,
  cache_read_input_token_cost: 0.0000001,
  cache_creation_input_token_cost: 0.00000125,
};
let fake: FakeLLM;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeLLM();
  const anthropicUpstream = { model: "anthropic/claude-sonnet-4-5", api_base: fake.url, api_key: "sk-ant-upstream", ...PRICES };
  const chatUpstream = { model: "hosted_vllm/qwen3-coder", api_base: `${fake.url}/v1` };
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "claude-*", litellm_params: chatUpstream },
        { model_name: "codex-on-claude", litellm_params: anthropicUpstream },
        { model_name: "sdk-on-claude", litellm_params: anthropicUpstream },
        { model_name: "sdk-on-gpt", litellm_params: { model: "openai/gpt-5", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream", ...PRICES } },
        { model_name: "responses-on-vllm", litellm_params: chatUpstream },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
});

beforeEach(() => fake.reset());

const openai = () => new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
const posts = (path: string): RecordedRequest[] => fake.requests.filter((r) => r.path === path);
const bodyOf = (r: RecordedRequest | undefined) => (r?.body ?? {}) as Obj;

/** Sum of a Prometheus counter over the series of one model group. */
async function metric(name: string, group: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && line.includes(`model_group="${group}"`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** The spend the gateway must record for a translated call, from the usage the client was sent. */
const spendOf = (u: { prompt: number; cacheRead: number; cacheWrite: number; output: number }) =>
  (u.prompt - u.cacheRead - u.cacheWrite) * PRICES.input_cost_per_token +
  u.cacheRead * PRICES.cache_read_input_token_cost +
  u.cacheWrite * PRICES.cache_creation_input_token_cost +
  u.output * PRICES.output_cost_per_token;

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50 && !(await check()); i++) await Bun.sleep(20);
}

const BASH_TOOL = { name: "Bash", description: "Run a shell command", input_schema: { type: "object" as const, properties: { command: { type: "string" } }, required: ["command"] } };

describe("coding-agent CLIs across protocols", () => {
  test("Claude Code completes a Bash tool call when its model is served by an OpenAI-style (hosted_vllm) upstream", async () => {
    const r = await runClaude({ baseUrl: gw.url, apiKey: MASTER, prompt: "USE_BASH please", extraArgs: ["--dangerously-skip-permissions"] });
    const result = r.events.find((e) => e.type === "result");
    expect(result, r.stderr + r.stdout).toBeDefined();
    expect(result!.is_error).toBe(false);
    expect(String(result!.result)).toBe("Tool output was: hello");
    expect(r.code).toBe(0);
    const toolUse = r.events.flatMap((e) => (e.type === "assistant" ? ((e.message as Obj).content as Obj[]) : [])).find((b) => b.type === "tool_use");
    expect(toolUse).toMatchObject({ name: "Bash", input: { command: "echo hello" } });

    const calls = posts("/v1/chat/completions");
    expect(calls.length).toBe(2);
    const first = bodyOf(calls[0]);
    expect(first.model).toBe("qwen3-coder");
    expect(first.stream).toBe(true);
    expect(first.stream_options).toEqual({ include_usage: true });
    const msgs = first.messages as Obj[];
    expect(msgs[0]!.role).toBe("system");
    expect(String(msgs[0]!.content)).toContain("Claude");
    expect(msgs.filter((m) => m.role === "system").length).toBe(1);
    expect(((first.tools as Obj[]) ?? []).map((t) => (t.function as Obj).name)).toContain("Bash");
    expect(JSON.stringify(first)).not.toContain("cache_control");
    const second = bodyOf(calls[1]).messages as Obj[];
    const call = ((second.at(-2)!.tool_calls as Obj[]) ?? [])[0]!;
    expect(second.at(-1)).toEqual({ role: "tool", tool_call_id: call.id, content: "hello" });
    expect(call.function).toEqual({ name: "Bash", arguments: JSON.stringify({ command: "echo hello" }) });
    expect(call.id).toBe(toolUse!.id);
  }, 90_000);

  test("Codex completes a prompt on an Anthropic upstream, with usage (cache reads and writes) in its turn", async () => {
    const r = await runCodex({ baseUrl: `${gw.url}/v1`, apiKey: MASTER, prompt: "say hi", model: "codex-on-claude" });
    const msg = r.events.find((e) => e.type === "item.completed" && (e.item as Obj).type === "agent_message");
    expect(msg, r.stderr + r.stdout).toBeDefined();
    expect((msg!.item as Obj).text).toBe("Hello from the fake Anthropic!");
    const turn = r.events.find((e) => e.type === "turn.completed");
    expect(turn!.usage).toMatchObject({ cached_input_tokens: 7, cache_write_input_tokens: 5, output_tokens: 12 });
    const sent = posts("/v1/messages");
    expect(sent.length).toBe(1);
    expect(sent[0]!.headers["x-api-key"]).toBe("sk-ant-upstream");
    const body = bodyOf(sent[0]);
    expect(body.model).toBe("claude-sonnet-4-5");
    expect(String(((body.system as Obj[])[0]!).text)).toContain("Codex");
    expect(body.max_tokens).toBe(32000);
    expect((body.tools as Obj[]).map((t) => t.name)).toContain("exec_command");
    expect(JSON.stringify(body.tools)).not.toContain("web_search");
  }, 90_000);

  test("Codex runs an exec_command tool call on an Anthropic upstream and answers from its output", async () => {
    const r = await runCodex({ baseUrl: `${gw.url}/v1`, apiKey: MASTER, prompt: "USE_BASH please", model: "codex-on-claude", extraArgs: ["--dangerously-bypass-approvals-and-sandbox"] });
    const exec = r.events.find((e) => e.type === "item.completed" && (e.item as Obj).type === "command_execution");
    expect(exec, r.stderr + r.stdout).toBeDefined();
    expect(exec!.item).toMatchObject({ aggregated_output: "hello\n", exit_code: 0, status: "completed" });
    expect(String((exec!.item as Obj).command)).toContain("echo hello");
    const texts = r.events.filter((e) => e.type === "item.completed" && (e.item as Obj).type === "agent_message").map((e) => (e.item as Obj).text);
    expect(texts).toEqual(["Running the command.", "Tool output was: hello"]);
    const sent = posts("/v1/messages");
    expect(sent.length).toBe(2);
    const msgs = bodyOf(sent[1]).messages as Obj[];
    const use = (msgs.at(-2)!.content as Obj[]).find((b) => b.type === "tool_use")!;
    expect(use).toMatchObject({ name: "exec_command", input: { cmd: "echo hello" } });
    const result = (msgs.at(-1)!.content as Obj[])[0]!;
    expect(result).toMatchObject({ type: "tool_result", tool_use_id: use.id });
    expect(JSON.stringify(result.content)).toContain("hello");
  }, 90_000);
});

describe("official SDKs across protocols", () => {
  test("openai SDK: streamed chat with tools on an Anthropic deployment, then the tool result", async () => {
    const client = openai();
    const tools = [{ type: "function" as const, function: { name: BASH_TOOL.name, description: BASH_TOOL.description, parameters: BASH_TOOL.input_schema } }];
    const stream = await client.chat.completions.create({ model: "sdk-on-claude", stream: true, messages: [{ role: "user", content: "USE_BASH now" }], tools });
    let content = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    const calls: Array<{ id: string; name: string; args: string }> = [];
    for await (const chunk of stream) {
      expect(chunk.model).toBe("sdk-on-claude");
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      content += choice.delta.content ?? "";
      for (const tc of choice.delta.tool_calls ?? []) {
        if (tc.id) calls[tc.index] = { id: tc.id, name: tc.function?.name ?? "", args: "" };
        calls[tc.index]!.args += tc.function?.arguments ?? "";
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(content).toBe("Running the command.");
    expect(calls.length).toBe(1);
    expect(calls[0]!.name).toBe("Bash");
    expect(JSON.parse(calls[0]!.args)).toEqual({ command: "echo hello", description: "Print hello" });
    expect(finish).toBe("tool_calls");

    const up = bodyOf(posts("/v1/messages")[0]);
    expect(up.tools).toEqual([BASH_TOOL]);
    expect(up.stream).toBe(true);
    const input = Math.ceil(JSON.stringify(up).length / 40);
    expect(usage).toMatchObject({ prompt_tokens: input + 12, completion_tokens: 12, total_tokens: input + 24, prompt_tokens_details: { cached_tokens: 7 } });

    // The gateway counted spend from the usage chunk it sent the client.
    const expected = spendOf({ prompt: input + 12, cacheRead: 7, cacheWrite: 5, output: 12 });
    await eventually(async () => (await metric("litellm_spend_metric", "sdk-on-claude")) > 0);
    expect(await metric("litellm_input_tokens_metric", "sdk-on-claude")).toBe(input + 12);
    expect(await metric("litellm_spend_metric", "sdk-on-claude")).toBeCloseTo(expected, 12);

    const { data, response } = await client.chat.completions
      .create({
        model: "sdk-on-claude",
        messages: [
          { role: "user", content: "USE_BASH now" },
          { role: "assistant", content, tool_calls: [{ id: calls[0]!.id, type: "function", function: { name: "Bash", arguments: calls[0]!.args } }] },
          { role: "tool", tool_call_id: calls[0]!.id, content: "hello" },
        ],
        tools,
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("Tool output was: hello");
    expect(data.choices[0]!.finish_reason).toBe("stop");
    const second = bodyOf(posts("/v1/messages")[1]);
    const turns = second.messages as Obj[];
    expect(turns.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect((turns[2]!.content as Obj[])[0]).toMatchObject({ type: "tool_result", tool_use_id: calls[0]!.id, content: [{ type: "text", text: "hello" }] });
    const prompt = Math.ceil(JSON.stringify(second).length / 40) + 12;
    expect(data.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: 12 });
    expect(Number(response.headers.get("x-litellm-response-cost"))).toBeCloseTo(spendOf({ prompt, cacheRead: 7, cacheWrite: 5, output: 12 }), 12);
  });

  test("anthropic SDK: streamed message with tools on an OpenAI deployment (gpt-5), then the tool result", async () => {
    const client = anthropic();
    const stream = client.messages.stream({ model: "sdk-on-gpt", max_tokens: 1024, messages: [{ role: "user", content: "USE_BASH now" }], tools: [BASH_TOOL] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const msg = await stream.finalMessage();
    expect(text).toBe("Running the command.");
    expect(msg.model).toBe("sdk-on-gpt");
    expect(msg.stop_reason).toBe("tool_use");
    expect(msg.content.length).toBe(2);
    expect(msg.content[0]).toMatchObject({ type: "text", text: "Running the command." });
    const use = msg.content[1] as Anthropic.ToolUseBlock;
    expect(use).toMatchObject({ type: "tool_use", name: "Bash", input: { command: "echo hello" } });

    const sent = posts("/v1/chat/completions");
    expect(sent[0]!.headers.authorization).toBe("Bearer sk-openai-upstream");
    const up = bodyOf(sent[0]);
    expect(up.model).toBe("gpt-5");
    expect(up.max_completion_tokens).toBe(1024);
    expect(up.max_tokens).toBeUndefined();
    expect(up.tools).toEqual([{ type: "function", function: { name: "Bash", description: BASH_TOOL.description, parameters: BASH_TOOL.input_schema } }]);
    const prompt = Math.ceil(JSON.stringify(up.messages).length / 40);
    expect(msg.usage).toMatchObject({ input_tokens: prompt - 2, output_tokens: 9, cache_read_input_tokens: 2, cache_creation_input_tokens: 0 });
    await eventually(async () => (await metric("litellm_input_tokens_metric", "sdk-on-gpt")) > 0);
    expect(await metric("litellm_input_tokens_metric", "sdk-on-gpt")).toBe(prompt);
    expect(await metric("litellm_spend_metric", "sdk-on-gpt")).toBeCloseTo(spendOf({ prompt, cacheRead: 2, cacheWrite: 0, output: 9 }), 12);

    const done = await client.messages.create({
      model: "sdk-on-gpt",
      max_tokens: 1024,
      tools: [BASH_TOOL],
      messages: [
        { role: "user", content: "USE_BASH now" },
        { role: "assistant", content: msg.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "hello" }] },
      ],
    });
    expect(done.content.map((b) => (b.type === "text" ? b.text : b.type))).toEqual(["Tool output was: hello"]);
    expect(done.stop_reason).toBe("end_turn");
    const turns = bodyOf(posts("/v1/chat/completions")[1]).messages as Obj[];
    expect(turns.at(-1)).toEqual({ role: "tool", tool_call_id: use.id, content: "hello" });
  });

  test("openai SDK Responses API on a chat-only deployment: streamed function call, then a plain answer", async () => {
    const client = openai();
    const tools = [{ type: "function" as const, name: "exec_command", description: "Run", strict: false, parameters: { type: "object", properties: { cmd: { type: "string" } }, required: ["cmd"] } }, { type: "web_search" as const }];
    const stream = client.responses.stream({ model: "responses-on-vllm", input: "USE_BASH now", tools, instructions: "Be useful." });
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    expect(final.model).toBe("responses-on-vllm");
    const call = final.output.find((i) => i.type === "function_call");
    expect(call).toMatchObject({ name: "exec_command", arguments: '{"cmd":"echo hello"}' });
    expect(final.output_text).toBe("Running the command.");
    expect(final.usage).toMatchObject({ output_tokens: 9, input_tokens_details: { cached_tokens: 2 } });
    const up = bodyOf(posts("/v1/chat/completions")[0]);
    expect((up.messages as Obj[])[0]).toEqual({ role: "system", content: "Be useful." });
    expect((up.tools as Obj[]).map((t) => (t.function as Obj).name)).toEqual(["exec_command"]);

    const plain = await client.responses.create({ model: "responses-on-vllm", input: "say hi" });
    expect(plain.output_text).toBe("Hello from the fake OpenAI!");
  });

  test("previous_response_id: the gateway replays its stored conversation upstream, across streaming and providers; store:false is not kept; unknown ids are 400", async () => {
    const client = openai();
    const said = (messages: unknown) =>
      (messages as Obj[]).map((m) => `${m.role}:${typeof m.content === "string" ? m.content : (m.content as Obj[]).map((c) => c.text ?? "").join("")}`);
    const r1 = await client.responses.create({ model: "responses-on-vllm", input: "first question" });
    expect(r1.output_text).toBe("Hello from the fake OpenAI!");

    const stream = await client.responses.create({ model: "responses-on-vllm", input: "second question", previous_response_id: r1.id, stream: true });
    let r2 = "";
    for await (const ev of stream) if (ev.type === "response.completed") r2 = ev.response.id;
    expect(r2).toMatch(/^resp_/);
    expect(r2).not.toBe(r1.id);
    expect(said(bodyOf(posts("/v1/chat/completions").at(-1)).messages)).toEqual(["user:first question", "assistant:Hello from the fake OpenAI!", "user:second question"]);

    await client.responses.create({ model: "sdk-on-claude", input: "third question", previous_response_id: r2 });
    expect(said(bodyOf(posts("/v1/messages").at(-1)).messages)).toEqual([
      "user:first question",
      "assistant:Hello from the fake OpenAI!",
      "user:second question",
      "assistant:Hello from the fake OpenAI!",
      "user:third question",
    ]);

    const unstored = await client.responses.create({ model: "responses-on-vllm", input: "private", store: false });
    const before = fake.requests.length;
    for (const id of [unstored.id, "resp_123"]) {
      const err = await client.responses.create({ model: "responses-on-vllm", input: "hi", previous_response_id: id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(String((err as Error).message)).toContain(`Previous response with id '${id}' not found.`);
    }
    expect(fake.requests.length).toBe(before);
  });
});

describe("upstream errors inside a translated stream", () => {
  test("an error event before any output fails the attempt, so the router retries it", async () => {
    fake.control({ streamErrorAfter: 0 });
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { "x-litellm-num-retries": "1" } });
    const { data: stream, response } = await client.chat.completions.create({ model: "sdk-on-claude", stream: true, messages: [{ role: "user", content: "hi" }] }).withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello from the fake Anthropic!");
    expect(posts("/v1/messages").length).toBe(2);
    expect(response.headers.get("x-litellm-attempted-retries")).toBe("1");
  });

  test("without retries left, that error reaches the client as an HTTP error in its protocol", async () => {
    fake.control({ streamErrorAfter: 0 });
    const err = await anthropic()
      .messages.create({ model: "sdk-on-gpt", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect(String((err as Error).message)).toContain("fake stream error");
  });

  test("an error event after output ends the client's stream with its protocol's error (OpenAI SDK)", async () => {
    fake.control({ streamErrorAfter: 5 }); // message_start, ping, block start, two text deltas
    const stream = await openai().chat.completions.create({ model: "sdk-on-claude", stream: true, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(text).toBe("Hello from ");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String((err as Error).message)).toContain("Overloaded");
  });

  test("an error event after output ends the client's stream with its protocol's error (Anthropic SDK)", async () => {
    fake.control({ streamErrorAfter: 3 }); // role chunk and two text chunks
    const stream = anthropic().messages.stream({ model: "sdk-on-gpt", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(text).toBe("Hello from ");
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as Error).message)).toContain("fake stream error");
  });
});
