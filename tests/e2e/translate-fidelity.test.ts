/**
 * What the official SDKs rely on beyond plain text, across every client protocol × upstream
 * protocol pair, streamed and not: structured output (the schema reaches the upstream in its own
 * form, the SDK's parse helper gets the object), JSON mode, forced and strict tools, refusals,
 * Responses `item_reference`, streamed usage in `message_start`, and `cache_control` only where asked.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { jsonSchemaOutputFormat } from "@anthropic-ai/sdk/helpers/json-schema";
import OpenAI from "openai";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLLM, type FakeLLM, type RecordedRequest } from "../fakes/llm.ts";
import { runCodex } from "../helpers/agents-cli.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

type Obj = Record<string, unknown>;
type Client = "chat" | "messages" | "responses";
type UpstreamKind = "anthropic" | "chat" | "responses";

const MASTER = "sk-master-fidelity";
const CLIENTS: Client[] = ["chat", "messages", "responses"];
const STREAMED = [false, true];

/** The upstreams, each a deployment of the gateway pointing at the fake. */
const UPSTREAMS = [
  { name: "anthropic (output_config)", model: "claude-native", kind: "anthropic", nativeSchema: true },
  { name: "anthropic (json_tool_call)", model: "claude-tool", kind: "anthropic", nativeSchema: false },
  { name: "openai chat", model: "chat-upstream", kind: "chat", nativeSchema: true },
  { name: "openai responses", model: "responses-upstream", kind: "responses", nativeSchema: true },
] as const;
type Upstream = (typeof UPSTREAMS)[number];

const PATH: Record<UpstreamKind, string> = { anthropic: "/v1/messages", chat: "/v1/chat/completions", responses: "/v1/responses" };

const PERSON = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer" },
    tags: { type: "array", items: { type: "string" } },
    address: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  },
  required: ["name", "age", "tags", "address"],
  additionalProperties: false,
} as const;
/** What the fake answers for PERSON (`tests/fakes/schema-sample.ts`): every property, so a lost one shows. */
const PERSON_ANSWER = { name: "text", age: 1, tags: ["text"], address: { city: "text" } };
const CITY = { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
const REFUSAL = "I can't help with that.";

let fake: FakeLLM;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeLLM();
  const claude = (model: string, extra: Obj = {}) => ({ model, api_base: fake.url, api_key: "sk-ant-upstream", ...extra });
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "claude-native", litellm_params: claude("anthropic/claude-sonnet-4-5") },
        { model_name: "claude-tool", litellm_params: claude("anthropic/claude-3-5-haiku-20241022") },
        { model_name: "chat-upstream", litellm_params: { model: "hosted_vllm/qwen3-coder", api_base: `${fake.url}/v1` } },
        { model_name: "responses-upstream", litellm_params: { model: "openai/responses/gpt-5", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream" } },
        {
          model_name: "claude-json-default",
          litellm_params: claude("anthropic/claude-sonnet-4-5", { response_format: { type: "json_schema", json_schema: { name: "person", schema: PERSON } }, temperature: 0.2 }),
        },
        {
          model_name: "claude-cached",
          litellm_params: claude("anthropic/claude-sonnet-4-5", {
            cache_control_injection_points: [
              { location: "message", role: "system" },
              { location: "message", index: -1 },
            ],
          }),
        },
        {
          model_name: "claude-cached-tools",
          litellm_params: claude("anthropic/claude-sonnet-4-5", { cache_control_injection_points: [{ location: "tools" }, { location: "system" }, { location: "message", role: "user" }] }),
        },
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
const sent = (kind: UpstreamKind): RecordedRequest[] => fake.requests.filter((r) => r.path === PATH[kind]);
const lastBody = (kind: UpstreamKind): Obj => {
  const all = sent(kind);
  expect(all.length, `a request reached the ${kind} upstream`).toBeGreaterThan(0);
  return all.at(-1)!.body as Obj;
};
const objs = (v: unknown) => (Array.isArray(v) ? (v as Obj[]) : []);
const cacheMarks = (body: unknown) => JSON.stringify(body).split('"cache_control"').length - 1;

const label = (client: Client, u: Upstream, stream: boolean) => `${client} client → ${u.name}, ${stream ? "streamed" : "not streamed"}`;
const cases = <T,>(f: (client: Client, u: Upstream, stream: boolean) => T) =>
  CLIENTS.flatMap((client) => UPSTREAMS.flatMap((u) => STREAMED.map((stream) => ({ client, u, stream, run: () => f(client, u, stream) }))));

describe("structured output: a JSON schema, parsed by the client's SDK", () => {
  /** Each client asks for PERSON the way its SDK does and returns what the SDK parsed. */
  const ask: Record<Client, (model: string, stream: boolean) => Promise<unknown>> = {
    async chat(model, stream) {
      const params = {
        model,
        messages: [{ role: "user" as const, content: "Extract the person." }],
        response_format: { type: "json_schema" as const, json_schema: { name: "person", schema: PERSON, strict: true } },
      };
      const done = stream ? await openai().chat.completions.stream(params).finalChatCompletion() : await openai().chat.completions.parse(params);
      return done.choices[0]!.message.parsed;
    },
    async responses(model, stream) {
      const params = { model, input: "Extract the person.", text: { format: { type: "json_schema" as const, name: "person", schema: PERSON, strict: true } } };
      const done = stream ? await openai().responses.stream(params).finalResponse() : await openai().responses.parse(params);
      return done.output_parsed;
    },
    async messages(model, stream) {
      const params = {
        model,
        max_tokens: 1024,
        messages: [{ role: "user" as const, content: "Extract the person." }],
        output_config: { format: jsonSchemaOutputFormat(PERSON, { transform: false }) },
      };
      const done = stream ? await anthropic().messages.stream(params).finalMessage() : await anthropic().messages.parse(params);
      return done.parsed_output;
    },
  };

  /** The schema in the upstream's own form: Anthropic `output_config.format` or the forced tool, chat `response_format`, Responses `text.format`. */
  function expectNativeSchema(client: Client, u: Upstream, body: Obj): void {
    const name = client === "messages" ? "structured_output" : "person";
    if (u.kind === "chat") expect(body.response_format).toEqual({ type: "json_schema", json_schema: { name, schema: PERSON, strict: true } });
    else if (u.kind === "responses") expect(body.text).toEqual({ format: { type: "json_schema", name, schema: PERSON, strict: true } });
    else if (u.nativeSchema || client === "messages") {
      expect(body.output_config).toEqual({ format: { type: "json_schema", schema: PERSON } });
      expect(body.tools).toBeUndefined();
    } else {
      expect(objs(body.tools).find((t) => t.name === "json_tool_call")?.input_schema).toEqual(PERSON);
      expect(body.tool_choice).toEqual({ type: "tool", name: "json_tool_call" });
      expect(body.output_config).toBeUndefined();
    }
  }

  for (const c of cases(async (client, u, stream) => {
    expect(await ask[client](u.model, stream)).toEqual(PERSON_ANSWER);
    const body = lastBody(u.kind);
    expectNativeSchema(client, u, body);
    expect(body.stream === true).toBe(stream);
    // `openai/responses/gpt-5`: the bridge prefix never reaches the upstream, translated or passed through.
    if (u.kind === "responses") expect(body.model).toBe("gpt-5");
  })) {
    test(label(c.client, c.u, c.stream), c.run);
  }

  for (const u of UPSTREAMS.filter((x) => x.kind !== "responses")) {
    test(`Codex \`exec --output-schema\` on ${u.name}: its final message is the JSON`, async () => {
      const schemaFile = join(tmpdir(), `person-${process.pid}.json`);
      writeFileSync(schemaFile, JSON.stringify(PERSON));
      const r = await runCodex({ baseUrl: `${gw.url}/v1`, apiKey: MASTER, prompt: "Extract the person.", model: u.model, extraArgs: ["--output-schema", schemaFile] });
      const msg = r.events.find((e) => e.type === "item.completed" && (e.item as Obj).type === "agent_message");
      expect(msg, r.stderr + r.stdout).toBeDefined();
      expect(JSON.parse(String((msg!.item as Obj).text))).toEqual(PERSON_ANSWER);
      const body = lastBody(u.kind);
      if (u.kind === "chat") expect(body.response_format).toMatchObject({ type: "json_schema", json_schema: { schema: PERSON, strict: true } });
      else if (u.nativeSchema) expect(body.output_config).toEqual({ format: { type: "json_schema", schema: PERSON } });
      else expect(body.tool_choice).toEqual({ type: "tool", name: "json_tool_call" });
    }, 60_000);
  }

  test("a deployment's default `response_format` (litellm_params) reaches a translated upstream in its own form", async () => {
    const done = await openai().chat.completions.create({ model: "claude-json-default", messages: [{ role: "user", content: "Extract the person." }] });
    expect(JSON.parse(done.choices[0]!.message.content!)).toEqual(PERSON_ANSWER);
    const body = lastBody("anthropic");
    expect(body.output_config).toEqual({ format: { type: "json_schema", schema: PERSON } });
    expect(body.temperature).toBe(0.2);
    expect(body.response_format).toBeUndefined();
  });

  test("Anthropic's beta `output_format` (top level) is read like `output_config.format`", async () => {
    for (const u of [UPSTREAMS[2], UPSTREAMS[3]]) {
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": MASTER, "content-type": "application/json", "anthropic-version": "2023-06-01", "anthropic-beta": "structured-outputs-2025-11-13" },
        body: JSON.stringify({ model: u.model, max_tokens: 100, messages: [{ role: "user", content: "Extract the person." }], output_format: { type: "json_schema", schema: PERSON } }),
      });
      const msg = (await res.json()) as { content: Array<{ text: string }> };
      expect(JSON.parse(msg.content[0]!.text)).toEqual(PERSON_ANSWER);
      expectNativeSchema("messages", u, lastBody(u.kind));
    }
  });
});

describe("JSON mode (`json_object`)", () => {
  const ask: Partial<Record<Client, (model: string, stream: boolean) => Promise<string>>> = {
    async chat(model, stream) {
      const params = { model, messages: [{ role: "user" as const, content: "Reply in JSON." }], response_format: { type: "json_object" as const } };
      if (!stream) return (await openai().chat.completions.create(params)).choices[0]!.message.content ?? "";
      return (await openai().chat.completions.stream(params).finalChatCompletion()).choices[0]!.message.content ?? "";
    },
    async responses(model, stream) {
      const params = { model, input: "Reply in JSON.", text: { format: { type: "json_object" as const } } };
      return (stream ? await openai().responses.stream(params).finalResponse() : await openai().responses.create(params)).output_text;
    },
  };

  for (const c of cases((client, u, stream) => [client, u, stream] as const).filter((c) => ask[c.client])) {
    test(label(c.client, c.u, c.stream), async () => {
      expect(JSON.parse(await ask[c.client]!(c.u.model, c.stream))).toEqual({ answer: "json" });
      const body = lastBody(c.u.kind);
      if (c.u.kind === "chat") expect(body.response_format).toEqual({ type: "json_object" });
      else if (c.u.kind === "responses") expect(body.text).toEqual({ format: { type: "json_object" } });
      else {
        // Claude has no schema-less JSON mode: a forced tool that takes any object.
        expect(objs(body.tools).find((t) => t.name === "json_tool_call")?.input_schema).toEqual({ type: "object", properties: {}, additionalProperties: true });
        expect(body.tool_choice).toEqual({ type: "tool", name: "json_tool_call" });
      }
    });
  }
});

describe("a forced, strict tool with parallel calls off", () => {
  const DESCRIPTION = "Weather for a city";
  /** Each client forces `get_weather` (strict) among two tools and returns the call it got back. */
  const ask: Record<Client, (model: string, stream: boolean) => Promise<{ name: string; args: unknown }>> = {
    async chat(model, stream) {
      const params = {
        model,
        messages: [{ role: "user" as const, content: "Weather in Paris?" }],
        tools: [
          { type: "function" as const, function: { name: "get_weather", description: DESCRIPTION, parameters: CITY, strict: true } },
          { type: "function" as const, function: { name: "get_time", parameters: CITY } },
        ],
        tool_choice: { type: "function" as const, function: { name: "get_weather" } },
        parallel_tool_calls: false,
      };
      // (`parse()` would refuse: it wants every tool strict.)
      const done = stream ? await openai().chat.completions.stream(params).finalChatCompletion() : await openai().chat.completions.create(params);
      const call = done.choices[0]!.message.tool_calls![0]!;
      if (call.type !== "function") throw new Error("not a function call");
      return { name: call.function.name, args: JSON.parse(call.function.arguments) };
    },
    async responses(model, stream) {
      const params = {
        model,
        input: "Weather in Paris?",
        tools: [
          { type: "function" as const, name: "get_weather", description: DESCRIPTION, parameters: CITY, strict: true },
          { type: "function" as const, name: "get_time", parameters: CITY, strict: false },
        ],
        tool_choice: { type: "function" as const, name: "get_weather" },
        parallel_tool_calls: false,
      };
      const done = stream ? await openai().responses.stream(params).finalResponse() : await openai().responses.parse(params);
      const call = done.output.find((i) => i.type === "function_call");
      if (call?.type !== "function_call") throw new Error("no function call");
      return { name: call.name, args: call.parsed_arguments };
    },
    async messages(model, stream) {
      const params = {
        model,
        max_tokens: 1024,
        messages: [{ role: "user" as const, content: "Weather in Paris?" }],
        tools: [
          { name: "get_weather", description: DESCRIPTION, input_schema: CITY, strict: true },
          { name: "get_time", input_schema: CITY },
        ],
        tool_choice: { type: "tool" as const, name: "get_weather", disable_parallel_tool_use: true },
      };
      const done = stream ? await anthropic().messages.stream(params).finalMessage() : await anthropic().messages.create(params);
      const use = done.content.find((b) => b.type === "tool_use");
      if (use?.type !== "tool_use") throw new Error("no tool_use");
      expect(done.stop_reason).toBe("tool_use");
      return { name: use.name, args: use.input };
    },
  };

  for (const c of cases(async (client, u, stream) => {
    expect(await ask[client](u.model, stream)).toEqual({ name: "get_weather", args: { city: "text" } });
    const body = lastBody(u.kind);
    const tools = objs(body.tools);
    if (u.kind === "anthropic") {
      expect(body.tool_choice).toEqual({ type: "tool", name: "get_weather", disable_parallel_tool_use: true });
      // Strict tool use exists on Claude models with structured output; older ones are not sent the flag.
      expect(tools[0]).toEqual({ name: "get_weather", description: DESCRIPTION, input_schema: CITY, ...(u.nativeSchema || client === "messages" ? { strict: true } : {}) });
    } else if (u.kind === "chat") {
      expect(body.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
      expect(body.parallel_tool_calls).toBe(false);
      expect(tools[0]).toEqual({ type: "function", function: { name: "get_weather", description: DESCRIPTION, parameters: CITY, strict: true } });
    } else {
      expect(body.tool_choice).toEqual({ type: "function", name: "get_weather" });
      expect(body.parallel_tool_calls).toBe(false);
      expect(tools[0]).toEqual({ type: "function", name: "get_weather", description: DESCRIPTION, parameters: CITY, strict: true });
      // The Responses API makes tools strict unless told otherwise: a client tool that was not strict stays so.
      expect(tools[1]!.strict).toBe(false);
    }
  })) {
    test(label(c.client, c.u, c.stream), c.run);
  }
});

describe("refusals reach each client in its own protocol's shape", () => {
  interface Refusal {
    text: string;
    /** chat `finish_reason`, Anthropic `stop_reason`, Responses status (and incomplete reason). */
    stop: string;
    /** Where the explanation came: chat `refusal` field or content, Responses `refusal` part or output text. */
    as: "refusal" | "text";
  }
  const ask: Record<Client, (model: string, stream: boolean) => Promise<Refusal>> = {
    async chat(model, stream) {
      const params = { model, messages: [{ role: "user" as const, content: "PLEASE_REFUSE" }] };
      const done = stream ? await openai().chat.completions.stream(params).finalChatCompletion() : await openai().chat.completions.create(params);
      const m = done.choices[0]!.message;
      return { text: m.refusal ?? m.content ?? "", stop: done.choices[0]!.finish_reason, as: m.refusal ? "refusal" : "text" };
    },
    async messages(model, stream) {
      const params = { model, max_tokens: 100, messages: [{ role: "user" as const, content: "PLEASE_REFUSE" }] };
      const done = stream ? await anthropic().messages.stream(params).finalMessage() : await anthropic().messages.create(params);
      return { text: done.content.map((b) => (b.type === "text" ? b.text : "")).join(""), stop: String(done.stop_reason), as: "text" };
    },
    async responses(model, stream) {
      const params = { model, input: "PLEASE_REFUSE" };
      const done = stream ? await openai().responses.stream(params).finalResponse() : await openai().responses.create(params);
      const part = done.output.flatMap((i) => (i.type === "message" ? i.content : []))[0];
      const stop = done.status === "incomplete" ? `incomplete:${done.incomplete_details?.reason}` : String(done.status);
      return part?.type === "refusal" ? { text: part.refusal, stop, as: "refusal" } : { text: done.output_text, stop, as: "text" };
    },
  };
  /** Claude refuses with a stop reason (OpenAI's content filter); OpenAI models with a refusal field, and a normal stop. */
  const expected = (client: Client, kind: UpstreamKind): Omit<Refusal, "text"> => {
    if (client === "messages") return { stop: "refusal", as: "text" };
    if (kind === "anthropic") return client === "chat" ? { stop: "content_filter", as: "text" } : { stop: "incomplete:content_filter", as: "text" };
    return client === "chat" ? { stop: "stop", as: "refusal" } : { stop: "completed", as: "refusal" };
  };

  for (const c of cases(async (client, u, stream) => {
    expect(await ask[client](u.model, stream)).toEqual({ text: REFUSAL, ...expected(client, u.kind) });
  }).filter((c) => c.u.model !== "claude-tool")) {
    test(label(c.client, c.u, c.stream), c.run);
  }
});

describe("Responses `item_reference` on translated routes", () => {
  const TOOLS = [{ type: "function" as const, name: "exec_command", description: "Run", strict: false, parameters: { type: "object", properties: { cmd: { type: "string" } }, required: ["cmd"] } }];

  for (const u of UPSTREAMS.filter((x) => x.kind !== "responses" && x.model !== "claude-tool")) {
    for (const stream of STREAMED) {
      test(`referenced items are replayed as the assistant turn and tool call they were (${u.name}, first turn ${stream ? "streamed" : "not streamed"})`, async () => {
        const client = openai();
        const first = stream
          ? await client.responses.stream({ model: u.model, input: "USE_BASH now", tools: TOOLS }).finalResponse()
          : await client.responses.create({ model: u.model, input: "USE_BASH now", tools: TOOLS });
        const message = first.output.find((i) => i.type === "message")!;
        const call = first.output.find((i) => i.type === "function_call");
        if (call?.type !== "function_call") throw new Error("no function call");
        expect(first.output_text).toBe("Running the command.");

        const second = await client.responses.create({
          model: u.model,
          tools: TOOLS,
          input: [
            { role: "user", content: "USE_BASH now" },
            { type: "item_reference", id: message.id! },
            { type: "item_reference", id: call.id! },
            { type: "function_call_output", call_id: call.call_id, output: "hello" },
          ],
        });
        expect(second.output_text).toBe("Tool output was: hello");

        const body = lastBody(u.kind);
        const turns = objs(body.messages);
        if (u.kind === "anthropic") {
          expect(turns.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
          expect(turns[1]!.content).toEqual([
            { type: "text", text: "Running the command." },
            { type: "tool_use", id: call.call_id, name: "exec_command", input: { cmd: "echo hello" } },
          ]);
          expect(objs(turns[2]!.content)[0]).toMatchObject({ type: "tool_result", tool_use_id: call.call_id });
        } else {
          expect(turns.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
          expect(turns[1]).toEqual({
            role: "assistant",
            content: "Running the command.",
            tool_calls: [{ id: call.call_id, type: "function", function: { name: "exec_command", arguments: '{"cmd":"echo hello"}' } }],
          });
          expect(turns[2]).toEqual({ role: "tool", tool_call_id: call.call_id, content: "hello" });
        }
      });
    }

    test(`an unknown id is OpenAI's 404 and nothing reaches the upstream (${u.name})`, async () => {
      const err = await openai()
        .responses.create({ model: u.model, input: [{ role: "user", content: "hi" }, { type: "item_reference", id: "msg_nope" }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({ message: "Item with id 'msg_nope' not found.", type: "invalid_request_error", param: "input" });
      expect(fake.requests.length).toBe(0);
      // A client's mistake does not cool the deployment down: the next call goes through.
      expect((await openai().responses.create({ model: u.model, input: "hi" })).status).toBe("completed");
    });
  }
});

describe("Anthropic effort (Claude Code's `output_config.effort`) on OpenAI-format upstreams", () => {
  /** LiteLLM's adapters: `output_config.effort` wins, adaptive thinking alone is medium, `max` is clamped to high. */
  const EFFORTS: Array<{ name: string; ask: Obj; effort?: string }> = [
    { name: "adaptive thinking + output_config.effort, as Claude Code sends them", ask: { thinking: { type: "adaptive" }, output_config: { effort: "high" } }, effort: "high" },
    { name: "adaptive thinking alone", ask: { thinking: { type: "adaptive" } }, effort: "medium" },
    { name: "output_config.effort max", ask: { output_config: { effort: "max" } }, effort: "high" },
    { name: "output_config.effort low with thinking off", ask: { thinking: { type: "disabled" }, output_config: { effort: "low" } }, effort: "low" },
    { name: "neither", ask: {}, effort: undefined },
  ];
  const OPENAI_UPSTREAMS = UPSTREAMS.filter((u) => u.kind !== "anthropic");
  test.each(EFFORTS.flatMap((e) => OPENAI_UPSTREAMS.flatMap((u) => STREAMED.map((stream) => ({ ...e, u, stream, label: `${e.name} → ${u.name}, ${stream ? "streamed" : "not streamed"}` })))))(
    "$label",
    async ({ ask, effort, u, stream }) => {
      const params = { model: u.model, max_tokens: 2048, messages: [{ role: "user" as const, content: "Think about it." }], ...ask } as never;
      if (stream) await anthropic().messages.stream(params).finalMessage();
      else await anthropic().messages.create(params);
      const body = lastBody(u.kind);
      if (u.kind === "chat") expect(body.reasoning_effort).toBe(effort);
      else expect((body.reasoning as Obj | undefined)?.effort).toBe(effort);
      expect(body.output_config).toBeUndefined();
      expect(body.thinking).toBeUndefined();
    },
  );
});

describe("usage in `message_start` on translated Anthropic streams", () => {
  const ROWS = [
    { upstream: UPSTREAMS[2], usageFirst: false },
    { upstream: UPSTREAMS[2], usageFirst: true },
    { upstream: UPSTREAMS[3], usageFirst: false },
  ];
  for (const { upstream: u, usageFirst } of ROWS) {
    test(`${u.name}${usageFirst ? " reporting usage in its first chunk" : ""}: an estimate (or the upstream's figure) first, the exact count last`, async () => {
      fake.control({ usageFirst });
      const events = await anthropic().messages.create({ model: u.model, max_tokens: 100, stream: true, messages: [{ role: "user", content: "say hello ".repeat(50) }] });
      let start: Anthropic.Usage | undefined;
      let end: Anthropic.MessageDeltaUsage | undefined;
      for await (const ev of events) {
        if (ev.type === "message_start") start = ev.message.usage;
        if (ev.type === "message_delta") end = ev.usage;
      }
      const body = lastBody(u.kind);
      // The fake counts a token per 40 characters of the conversation and reports some of them cached.
      const exact = u.kind === "chat" ? Math.ceil(JSON.stringify(body.messages).length / 40) - 2 : Math.ceil(JSON.stringify(body.input).length / 40) - 3;
      expect(start!.input_tokens).toBeGreaterThan(0);
      if (usageFirst) expect(start!.input_tokens).toBe(exact);
      expect(end!.input_tokens).toBe(exact);
    });
  }
});

describe("cache_control: only where the client or the deployment asked", () => {
  const ROWS: Array<{ name: string; model: string; client: "chat" | "responses" | "messages"; body: Obj; expect: (b: Obj) => void }> = [
    {
      name: "a chat client that marks nothing gets nothing marked",
      model: "claude-native",
      client: "chat",
      body: { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }] },
      expect: (b) => expect(cacheMarks(b)).toBe(0),
    },
    {
      name: "a Responses client gets nothing marked",
      model: "claude-native",
      client: "responses",
      body: { instructions: "Be brief.", input: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, { role: "user", content: "c" }] },
      expect: (b) => expect(cacheMarks(b)).toBe(0),
    },
    {
      name: "a chat client's own marks (on a content part, and on a whole message) reach the blocks they were on",
      model: "claude-native",
      client: "chat",
      body: {
        messages: [
          { role: "system", content: [{ type: "text", text: "Long rules.", cache_control: { type: "ephemeral" } }] },
          { role: "user", content: "first" },
          { role: "assistant", content: "ok" },
          { role: "user", content: "second", cache_control: { type: "ephemeral", ttl: "1h" } },
        ],
      },
      expect: (b) => {
        expect(cacheMarks(b)).toBe(2);
        expect(objs(b.system)[0]).toEqual({ type: "text", text: "Long rules.", cache_control: { type: "ephemeral" } });
        expect(objs(b.messages)[2]!.content).toEqual([{ type: "text", text: "second", cache_control: { type: "ephemeral", ttl: "1h" } }]);
      },
    },
    {
      name: "cache_control_injection_points (system role, index -1) mark the system prompt and the last message",
      model: "claude-cached",
      client: "chat",
      body: { messages: [{ role: "system", content: "Long rules." }, { role: "user", content: "first" }, { role: "assistant", content: "ok" }, { role: "user", content: "second" }] },
      expect: (b) => {
        expect(cacheMarks(b)).toBe(2);
        expect(objs(b.system)[0]!.cache_control).toEqual({ type: "ephemeral" });
        expect(objs(b.messages)[2]!.content).toEqual([{ type: "text", text: "second", cache_control: { type: "ephemeral" } }]);
      },
    },
    {
      name: "injection points apply to a Responses client's instructions and last input item too",
      model: "claude-cached",
      client: "responses",
      body: { instructions: "Long rules.", input: [{ role: "user", content: "first" }, { role: "assistant", content: "ok" }, { role: "user", content: "second" }] },
      expect: (b) => {
        expect(cacheMarks(b)).toBe(2);
        expect(objs(b.system)[0]!.cache_control).toEqual({ type: "ephemeral" });
        expect(objs(objs(b.messages)[2]!.content).at(-1)!.cache_control).toEqual({ type: "ephemeral" });
      },
    },
    {
      name: "a message the client marked keeps the client's mark (its TTL) instead of the injected one",
      model: "claude-cached",
      client: "chat",
      body: { messages: [{ role: "system", content: "Long rules." }, { role: "user", content: "second", cache_control: { type: "ephemeral", ttl: "1h" } }] },
      expect: (b) => {
        expect(cacheMarks(b)).toBe(2);
        expect(objs(b.messages)[0]!.content).toEqual([{ type: "text", text: "second", cache_control: { type: "ephemeral", ttl: "1h" } }]);
      },
    },
    {
      name: "an Anthropic client (Claude Code's protocol) on a deployment with injection points: the system prompt and the last message are marked",
      model: "claude-cached",
      client: "messages",
      body: { max_tokens: 100, system: "Long rules.", messages: [{ role: "user", content: "first" }, { role: "assistant", content: [{ type: "text", text: "ok" }] }, { role: "user", content: "second" }] },
      expect: (b) => {
        expect(cacheMarks(b)).toBe(2);
        expect(b.system).toEqual([{ type: "text", text: "Long rules.", cache_control: { type: "ephemeral" } }]);
        expect(objs(b.messages)[1]!.content).toEqual([{ type: "text", text: "ok" }]);
        expect(objs(b.messages)[2]!.content).toEqual([{ type: "text", text: "second", cache_control: { type: "ephemeral" } }]);
      },
    },
    {
      name: "an Anthropic client's own marks count toward Anthropic's four: injection stops there and never replaces a client's mark",
      model: "claude-cached-tools",
      client: "messages",
      body: {
        max_tokens: 100,
        system: [{ type: "text", text: "Rules.", cache_control: { type: "ephemeral", ttl: "1h" } }],
        tools: [{ name: "Read", input_schema: { type: "object" } }, { name: "Edit", input_schema: { type: "object" } }],
        messages: [
          { role: "user", content: [{ type: "text", text: "a", cache_control: { type: "ephemeral" } }] },
          { role: "assistant", content: "b" },
          { role: "user", content: "c" },
          { role: "assistant", content: "d" },
          { role: "user", content: "e" },
        ],
      },
      expect: (b) => {
        expect(cacheMarks(b)).toBe(4);
        expect(objs(b.system)[0]!.cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
        expect(objs(b.tools)[0]!.cache_control).toBeUndefined();
        expect(objs(b.tools)[1]!.cache_control).toEqual({ type: "ephemeral" });
        expect(objs(b.messages)[2]!.content).toEqual([{ type: "text", text: "c", cache_control: { type: "ephemeral" } }]);
        expect(objs(b.messages)[4]!.content).toBe("e");
      },
    },
    {
      name: "an Anthropic client on a deployment without injection points: no mark is added",
      model: "claude-native",
      client: "messages",
      body: { max_tokens: 100, system: "Long rules.", messages: [{ role: "user", content: "first" }] },
      expect: (b) => expect(cacheMarks(b)).toBe(0),
    },
    {
      name: "an Anthropic client's marks are not sent to an OpenAI-format upstream",
      model: "chat-upstream",
      client: "messages",
      body: { max_tokens: 100, system: [{ type: "text", text: "Long rules.", cache_control: { type: "ephemeral" } }], messages: [{ role: "user", content: "hi" }] },
      expect: (b) => expect(cacheMarks(b)).toBe(0),
    },
  ];
  const call: Record<(typeof ROWS)[number]["client"], (model: string, body: Obj) => Promise<unknown>> = {
    chat: (model, body) => openai().chat.completions.create({ model, ...body } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming),
    responses: (model, body) => openai().responses.create({ model, ...body } as OpenAI.Responses.ResponseCreateParamsNonStreaming),
    messages: (model, body) => anthropic().messages.create({ model, ...body } as unknown as Anthropic.MessageCreateParamsNonStreaming),
  };
  for (const row of ROWS) {
    test(row.name, async () => {
      await call[row.client](row.model, row.body);
      row.expect(lastBody(row.model === "chat-upstream" ? "chat" : "anthropic"));
    });
  }
});
