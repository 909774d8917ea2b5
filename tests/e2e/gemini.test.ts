import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { THOUGHT_SIGNATURE } from "../fakes/gemini-wire.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-gemini";
let fake: FakeGoogle;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeGoogle({ apiKey: "AIza-fake-key" });
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gemini-flash", litellm_params: { model: "gemini/gemini-2.5-flash", api_key: "AIza-fake-key", api_base: fake.url } },
        { model_name: "gemini-badkey", litellm_params: { model: "gemini/gemini-2.5-flash", api_key: "wrong", api_base: fake.url } },
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

beforeEach(() => (fake.requests.length = 0));

const client = () => new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const tools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: "function", function: { name: "run_shell", description: "Run a command", parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"], additionalProperties: false } } },
];

describe("Gemini (Google AI Studio) through the gateway with the OpenAI SDK", () => {
  test("non-streaming: converted to generateContent, answer and usage converted back", async () => {
    const { data, response } = await client()
      .chat.completions.create({ model: "gemini-flash", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }], max_tokens: 50, temperature: 0.2 })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("Hello from the fake Gemini!");
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(data.usage!.completion_tokens).toBe(12);
    expect(data.usage!.completion_tokens_details?.reasoning_tokens).toBe(3);
    expect(Number(response.headers.get("x-litellm-response-cost"))).toBeGreaterThan(0);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(sent.headers["x-goog-api-key"]).toBe("AIza-fake-key");
    expect(sent.body.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
    expect(sent.body.contents).toEqual([{ role: "user", parts: [{ text: "hi" }] }]);
    expect(sent.body.generationConfig).toEqual({ maxOutputTokens: 50, temperature: 0.2 });
  });

  test("streaming: SSE generateContent chunks become chat.completion.chunks with a usage chunk", async () => {
    const stream = await client().chat.completions.create({ model: "gemini-flash", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello from the fake Gemini!");
    expect(finish).toBe("stop");
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(fake.requests.at(-1)!.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    expect(fake.requests.at(-1)!.query).toBe("?alt=sse");
  });

  test("tool call (non-streaming) and the tool result turn, with the thought signature carried back", async () => {
    const first = await client().chat.completions.create({ model: "gemini-flash", tools, messages: [{ role: "user", content: "USE_BASH please" }] });
    const call = first.choices[0]!.message.tool_calls?.[0];
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("run_shell");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ command: "echo hello" });
    const decl = (fake.requests.at(-1)!.body.tools as Array<{ functionDeclarations: Array<Record<string, unknown>> }>)[0]!.functionDeclarations[0]!;
    expect(decl.parametersJsonSchema).toEqual(tools[0]!.type === "function" ? tools[0]!.function.parameters : {});

    const second = await client().chat.completions.create({
      model: "gemini-flash",
      tools,
      messages: [{ role: "user", content: "USE_BASH please" }, first.choices[0]!.message, { role: "tool", tool_call_id: call!.id, content: "hello\n" }],
    });
    expect(second.choices[0]!.message.content).toBe("Tool output was: hello");
    const contents = fake.requests.at(-1)!.body.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    expect(contents.map((c) => c.role)).toEqual(["user", "model", "user"]);
    expect(contents[1]!.parts.find((p) => p.functionCall)!.thoughtSignature).toBe(THOUGHT_SIGNATURE);
    expect(contents[2]!.parts[0]).toEqual({ functionResponse: { name: "run_shell", response: { content: "hello\n" } } });
  });

  test("tool call (streaming): the function call arrives as a tool_calls delta", async () => {
    const stream = await client().chat.completions.create({ model: "gemini-flash", tools, messages: [{ role: "user", content: "USE_BASH please" }], stream: true });
    const calls: Array<{ name?: string; args: string }> = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { args: "" };
        if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
        calls[tc.index]!.args += tc.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(calls).toEqual([{ name: "run_shell", args: '{"command":"echo hello"}' }]);
    expect(finish).toBe("tool_calls");
  });

  test("an invalid key is Google's 400, surfaced with the Gemini exception name", async () => {
    const err = await client()
      .chat.completions.create({ model: "gemini-badkey", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect(String((err as Error).message)).toContain("GeminiException - API key not valid");
  });
});
