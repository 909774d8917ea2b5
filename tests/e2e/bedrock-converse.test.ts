import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeBedrock, type FakeBedrock } from "../fakes/bedrock.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-converse";
const KEY_ID = "AKIAFAKECONVERSE1";
const SECRET = "converse/secret";
let fake: FakeBedrock;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeBedrock({ keys: { [KEY_ID]: SECRET } });
  const aws = { aws_access_key_id: KEY_ID, aws_secret_access_key: SECRET, aws_region_name: "eu-central-1", aws_bedrock_runtime_endpoint: fake.url };
  gw = await startGateway({
    config: {
      model_list: [{ model_name: "nova", litellm_params: { model: "bedrock/amazon.nova-pro-v1:0", ...aws } }],
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
const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: "function", function: { name: "shell", parameters: { type: "object", properties: { command: { type: "string" } } } } }];

describe("Bedrock Converse (non-Anthropic models) through the gateway with the OpenAI SDK", () => {
  const PERSON = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"], additionalProperties: false };
  for (const stream of [false, true]) {
    test(`structured output (${stream ? "streamed" : "not streamed"}): LiteLLM's forced json_tool_call on the wire, parsed JSON content back`, async () => {
      const params = { model: "nova", messages: [{ role: "user" as const, content: "Extract the person." }], response_format: { type: "json_schema" as const, json_schema: { name: "person", schema: PERSON, strict: true } } };
      const done = stream ? await client().chat.completions.stream(params).finalChatCompletion() : await client().chat.completions.parse(params);
      expect(done.choices[0]!.message.parsed).toEqual({ name: "text", age: 1 });
      expect(done.choices[0]!.message.tool_calls ?? []).toEqual([]);
      expect(done.choices[0]!.finish_reason).toBe("stop");
      const config = fake.requests.at(-1)!.body.toolConfig as Record<string, unknown>;
      expect(config.toolChoice).toEqual({ tool: { name: "json_tool_call" } });
      expect((config.tools as Array<{ toolSpec: unknown }>).map((t) => t.toolSpec)).toEqual([
        { name: "json_tool_call", description: "Respond with a JSON object.", inputSchema: { json: PERSON } },
      ]);
    });
  }

  test("non-streaming tool call, then the tool result turn", async () => {
    const first = await client().chat.completions.create({ model: "nova", tools, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "USE_BASH now" }] });
    const call = first.choices[0]!.message.tool_calls?.[0];
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("shell");
    expect(first.usage).toMatchObject({ prompt_tokens: 25, completion_tokens: 8 });
    const sent = fake.requests.at(-1)!;
    expect(sent.operation).toBe("converse");
    expect(sent.modelId).toBe("amazon.nova-pro-v1:0");
    expect(sent.signedBy).toBe(KEY_ID);
    expect(sent.body.system).toEqual([{ text: "be brief" }]);

    const second = await client().chat.completions.create({
      model: "nova",
      tools,
      messages: [{ role: "user", content: "USE_BASH now" }, first.choices[0]!.message, { role: "tool", tool_call_id: call!.id, content: "hello" }],
    });
    expect(second.choices[0]!.message.content).toBe("Tool output was: hello");
  });

  test("streaming: converse-stream frames become chat chunks with tool call deltas and usage", async () => {
    const stream = await client().chat.completions.create({ model: "nova", tools, messages: [{ role: "user", content: "USE_BASH now" }], stream: true });
    let text = "";
    let args = "";
    let name: string | undefined;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? "";
      const tc = c.choices[0]?.delta?.tool_calls?.[0];
      if (tc?.function?.name) name = tc.function.name;
      args += tc?.function?.arguments ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe("Running the command.");
    expect(name).toBe("shell");
    expect(JSON.parse(args)).toEqual({ command: "echo hello" });
    expect(finish).toBe("tool_calls");
    expect(usage?.total_tokens).toBe(33);
    expect(fake.requests.at(-1)!.operation).toBe("converse-stream");
  });
});
