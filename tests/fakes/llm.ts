/**
 * A fake LLM provider speaking the real wire protocols: OpenAI chat completions, Responses and
 * embeddings, and Anthropic messages (+ count_tokens). Streams are real SSE.
 *
 * Scripted behaviour (from the last user message text):
 *   USE_BASH      → a call of the shell tool the request offers (`Bash` {command} or `exec_command` {cmd};
 *                   by default Anthropic and chat call `Bash`, Responses `exec_command`), then echoes the
 *                   tool result back in the next turn. The command is `echo hello`, or the text in
 *                   backticks right after it (USE_BASH `ls -la`).
 *   USE_TOOL Name → a call of the offered tool `Name` with arguments that follow its schema (Claude Code's
 *                   `StructuredOutput` tool of `--json-schema`, say).
 *   ECHO_HISTORY  → answers with the number of messages it received and their texts.
 *   PLEASE_REFUSE → refuses in the protocol's own way (Anthropic `stop_reason: "refusal"`, chat
 *                   `message.refusal`, Responses `refusal` content).
 * Structured output is honoured as the real APIs do: a JSON schema (Anthropic `output_config.format`
 * or beta `output_format`, chat `response_format`, Responses `text.format`) is answered with JSON
 * following it (`sampleFor`), JSON mode with a JSON object, and a forced tool (`tool_choice` naming
 * one) with a call of that tool whose arguments follow its schema.
 * Otherwise it answers `Hello from the fake <provider>!` (or FAKE_REPLY / `reply` control).
 *
 * Also `/moderations` (OpenAI's shape) for the OpenAI-compatible base.
 * Control API: POST /__control {failStatus, failCount, failBody, delayMs, chunkDelayMs, reply, chunks, hangMs,
 *   streamErrorAfter, streamErrorCount, usageFirst}
 *   GET /__requests (recorded requests), POST /__reset.
 * Run by hand: `bun tests/fakes/llm.ts --port 9100 [--chunk-delay-ms 10]`.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: unknown;
  at: number;
  /** set when the client (the gateway) went away before the stream ended */
  aborted?: boolean;
}

export interface FakeControl {
  /** Answer this status for the next `failCount` LLM requests (-1 = always). */
  failStatus?: number;
  failCount?: number;
  failBody?: unknown;
  failHeaders?: Record<string, string>;
  /** Delay before response headers. */
  delayMs?: number;
  /** Delay between stream chunks. */
  chunkDelayMs?: number;
  /** Number of text chunks in a streamed answer (default: one per word). */
  chunks?: number;
  reply?: string;
  /** Close the connection after this many stream chunks (simulates an upstream crash mid-stream). */
  breakAfterChunks?: number;
  /**
   * Send the protocol's in-stream error event (Anthropic `event: error` overloaded_error, OpenAI
   * `data: {"error":…}`) after this many events, then end the stream.
   */
  streamErrorAfter?: number;
  /** How many streams get that error (default 1; -1 = every stream). */
  streamErrorCount?: number;
  /** Record request bodies (default true; the benchmark turns it off). */
  record?: boolean;
  /** Chat streams also report usage in their first chunk (as vLLM's continuous usage stats do). */
  usageFirst?: boolean;
  /** Serve only these model ids; any other gets the provider's 404 for an unknown model, as the real APIs answer. */
  knownModels?: string[];
}

export interface FakeLLM {
  url: string;
  port: number;
  requests: RecordedRequest[];
  control(c: FakeControl): void;
  reset(): void;
  stop(): Promise<void>;
}

import { sampleFor } from "./schema-sample.ts";

const enc = new TextEncoder();
const REFUSAL = "I can't help with that.";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
const nextId = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

type Msg = { role?: string; content?: unknown; type?: string; output?: unknown };

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((b: Record<string, unknown>) => {
        if (typeof b.text === "string") return b.text;
        if (b.type === "tool_result") return `[tool_result] ${textOf(b.content)}`;
        return "";
      })
      .join(" ");
  }
  return "";
}

/** What the fake decides to say for a conversation. */
interface ToolPlan {
  name: string;
  input: Record<string, unknown>;
}

interface Plan {
  text: string;
  tool?: ToolPlan;
  refusal?: string;
}

type Json = Record<string, unknown>;
const asObj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** The tool a request forces (`tool_choice` naming one), with arguments that follow its schema. */
function forcedTool(body: Json, name: string | undefined): ToolPlan | undefined {
  if (!name) return undefined;
  const tool = (Array.isArray(body.tools) ? (body.tools as Json[]) : []).find((t) => (t.name ?? asObj(t.function).name) === name);
  if (!tool) return undefined;
  const schema = tool.input_schema ?? tool.parameters ?? asObj(tool.function).parameters;
  return { name, input: asObj(sampleFor(schema)) };
}

/** What a structured-output request gets instead of the scripted answer: JSON text, or the forced tool's call. */
function structuredPlan(schema: unknown, jsonMode: boolean, forced: ToolPlan | undefined): Plan | undefined {
  if (schema !== undefined) return { text: JSON.stringify(sampleFor(schema)) };
  if (jsonMode) return { text: JSON.stringify(sampleFor({ type: "object" })) };
  return forced ? { text: "", tool: forced } : undefined;
}

function planFor(messages: Msg[], reply: string, tool: ToolPlan, body: Json = {}): Plan {
  const last = messages[messages.length - 1];
  const lastUserText = [...messages].reverse().find((m) => m.role === "user" && !textOf(m.content).startsWith("[tool_result]"));
  const allText = messages.map((m) => textOf(m.content) + (typeof m.output === "string" ? m.output : "")).join("\n");
  const toolResult = last && (textOf(last.content).includes("[tool_result]") || last.role === "tool" || last.type === "function_call_output");
  if (toolResult) {
    const out = last.type === "function_call_output" ? String(last.output) : last.role === "tool" ? textOf(last.content) : textOf(last.content).replace("[tool_result]", "");
    const hello = /hello/.test(out) ? "hello" : out.trim().slice(0, 200);
    return { text: `Tool output was: ${hello}` };
  }
  const userText = textOf(lastUserText?.content);
  if (userText.includes("PLEASE_REFUSE")) return { text: "", refusal: REFUSAL };
  const named = forcedTool(body, /USE_TOOL (\w+)/.exec(userText)?.[1]);
  if (named) return { text: "", tool: named };
  if (userText.includes("USE_BASH")) {
    const cmd = /USE_BASH `([^`]+)`/.exec(userText)?.[1];
    if (!cmd) return { text: "Running the command.", tool };
    return { text: "Running the command.", tool: { name: tool.name, input: tool.name === "exec_command" ? { cmd } : { command: cmd, description: "Run the requested command" } } };
  }
  if (allText.includes("ECHO_HISTORY")) {
    const texts = messages.filter((m) => m.role === "user" || m.role === "assistant").map((m) => `${m.role}: ${textOf(m.content).slice(0, 300)}`);
    return { text: `I received ${messages.length} messages. ${texts.join(" | ")}` };
  }
  return { text: reply };
}

/**
 * The shell tool the request offers, so a request translated from another protocol gets a call its
 * client can run: Claude Code offers `Bash` {command}, Codex `exec_command` {cmd}.
 */
function shellTool(body: Record<string, unknown>, fallback: ToolPlan): ToolPlan {
  const names = new Set<string>();
  for (const t of Array.isArray(body.tools) ? (body.tools as Array<Record<string, unknown>>) : []) {
    const name = t.name ?? (t.function as { name?: unknown } | undefined)?.name;
    if (typeof name === "string") names.add(name);
  }
  if (names.has(fallback.name)) return fallback;
  if (names.has("Bash")) return { name: "Bash", input: { command: "echo hello", description: "Print hello" } };
  if (names.has("exec_command")) return { name: "exec_command", input: { cmd: "echo hello" } };
  return fallback;
}

function unknownModel(path: string, model: string): Response {
  if (path.includes("/messages")) return Response.json({ type: "error", error: { type: "not_found_error", message: `model: ${model}` } }, { status: 404 });
  const message = `The model \`${model}\` does not exist or you do not have access to it.`;
  return Response.json({ error: { message, type: "invalid_request_error", param: null, code: "model_not_found" } }, { status: 404 });
}

function splitText(text: string, chunks?: number): string[] {
  if (!chunks) return text.match(/\S+\s*/g) ?? [text];
  const size = Math.max(1, Math.ceil(text.length / chunks));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  while (out.length < chunks) out.push("");
  return out;
}

export async function startFakeLLM(opts: { port?: number; control?: FakeControl; name?: string } = {}): Promise<FakeLLM> {
  const requests: RecordedRequest[] = [];
  let ctl: FakeControl = { ...opts.control };
  let failsLeft = ctl.failCount ?? 0;
  let streamErrorsLeft = 0;

  const setControl = (c: FakeControl) => {
    ctl = { ...c };
    failsLeft = c.failCount ?? (c.failStatus ? -1 : 0);
    streamErrorsLeft = c.streamErrorAfter === undefined ? 0 : (c.streamErrorCount ?? 1);
  };
  setControl(ctl);

  const sse = (events: Array<[string | undefined, unknown]>, req: Request, rec: RecordedRequest, errorEvent: [string | undefined, unknown]): Response => {
    let i = 0;
    const errorAt = streamErrorsLeft !== 0 ? ctl.streamErrorAfter! : -1;
    if (streamErrorsLeft > 0) streamErrorsLeft--;
    req.signal.addEventListener("abort", () => {
      if (rec && i < events.length) rec.aborted = true;
    });
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i >= events.length) return controller.close();
        if (ctl.breakAfterChunks !== undefined && i >= ctl.breakAfterChunks) {
          controller.error(new Error("fake upstream broke the stream"));
          return;
        }
        if (i > 0 && ctl.chunkDelayMs) await sleep(ctl.chunkDelayMs);
        if (req.signal.aborted) {
          if (rec) rec.aborted = true;
          return controller.close();
        }
        if (i === errorAt) {
          const [event, data] = errorEvent;
          controller.enqueue(enc.encode(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`));
          i = events.length;
          return controller.close();
        }
        const [event, data] = events[i++]!;
        const payload = typeof data === "string" ? data : JSON.stringify(data);
        controller.enqueue(enc.encode(event ? `event: ${event}\ndata: ${payload}\n\n` : `data: ${payload}\n\n`));
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
  };

  const anthropic = (body: Record<string, unknown>, req: Request, rec: RecordedRequest): Response => {
    const messages = (body.messages as Msg[]) ?? [];
    const format = asObj(asObj(body.output_config).format).schema ? asObj(asObj(body.output_config).format) : asObj(body.output_format);
    const choice = asObj(body.tool_choice);
    const plan =
      structuredPlan(format.schema, false, forcedTool(body, choice.type === "tool" ? String(choice.name) : undefined)) ??
      planFor(messages, ctl.reply ?? "Hello from the fake Anthropic!", shellTool(body, { name: "Bash", input: { command: "echo hello", description: "Print hello" } }), body);
    if (plan.refusal) plan.text = plan.refusal;
    const id = `msg_${nextId()}`;
    const model = String(body.model);
    const inputTokens = Math.ceil(JSON.stringify(body).length / 40);
    const usage = { input_tokens: inputTokens, output_tokens: 12, cache_creation_input_tokens: 5, cache_read_input_tokens: 7 };
    const content: Array<Record<string, unknown>> = plan.text ? [{ type: "text", text: plan.text }] : [];
    const toolId = `toolu_${nextId()}`;
    if (plan.tool) content.push({ type: "tool_use", id: toolId, name: plan.tool.name, input: plan.tool.input });
    const stopReason = plan.refusal ? "refusal" : plan.tool ? "tool_use" : "end_turn";
    if (!body.stream) {
      return Response.json({ id, type: "message", role: "assistant", model, content, stop_reason: stopReason, stop_sequence: null, usage });
    }
    const ev: Array<[string, unknown]> = [
      ["message_start", { type: "message_start", message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } }],
      ["ping", { type: "ping" }],
    ];
    let index = 0;
    if (plan.text) {
      ev.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }]);
      for (const piece of splitText(plan.text, ctl.chunks)) {
        ev.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } }]);
      }
      ev.push(["content_block_stop", { type: "content_block_stop", index: index++ }]);
    }
    if (plan.tool) {
      ev.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: toolId, name: plan.tool.name, input: {} } }]);
      const json = JSON.stringify(plan.tool.input);
      ev.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json.slice(0, 10) } }]);
      ev.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json.slice(10) } }]);
      ev.push(["content_block_stop", { type: "content_block_stop", index }]);
    }
    ev.push(["message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }]);
    ev.push(["message_stop", { type: "message_stop" }]);
    return sse(ev, req, rec, ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }]);
  };

  const chat = (body: Record<string, unknown>, req: Request, rec: RecordedRequest): Response => {
    const messages = (body.messages as Msg[]) ?? [];
    const rf = asObj(body.response_format);
    const plan =
      structuredPlan(rf.type === "json_schema" ? asObj(rf.json_schema).schema : undefined, rf.type === "json_object", forcedTool(body, asObj(asObj(body.tool_choice).function).name as string | undefined)) ??
      planFor(messages, ctl.reply ?? "Hello from the fake OpenAI!", shellTool(body, { name: "Bash", input: { command: "echo hello" } }), body);
    const id = `chatcmpl-${nextId()}`;
    const model = String(body.model);
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = Math.ceil(JSON.stringify(messages).length / 40);
    const usage = { prompt_tokens: promptTokens, completion_tokens: 9, total_tokens: promptTokens + 9, prompt_tokens_details: { cached_tokens: 2 } };
    const toolCalls = plan.tool
      ? [{ id: `call_${nextId()}`, type: "function", function: { name: plan.tool.name, arguments: JSON.stringify(plan.tool.input) } }]
      : undefined;
    const finish = plan.tool ? "tool_calls" : "stop";
    if (!body.stream) {
      return Response.json({
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message: { role: "assistant", content: plan.text || null, refusal: plan.refusal ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: finish }],
        usage,
      });
    }
    const chunk = (delta: unknown, finishReason: string | null) => ({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] });
    const ev: Array<[undefined, unknown]> = [[undefined, { ...chunk({ role: "assistant", content: "" }, null), ...(ctl.usageFirst ? { usage } : {}) }]];
    if (plan.text) for (const piece of splitText(plan.text, ctl.chunks)) ev.push([undefined, chunk({ content: piece }, null)]);
    if (plan.refusal) for (const piece of splitText(plan.refusal)) ev.push([undefined, chunk({ refusal: piece }, null)]);
    if (toolCalls) {
      const tc = toolCalls[0]!;
      ev.push([undefined, chunk({ tool_calls: [{ index: 0, id: tc.id, type: "function", function: { name: tc.function.name, arguments: "" } }] }, null)]);
      ev.push([undefined, chunk({ tool_calls: [{ index: 0, function: { arguments: tc.function.arguments } }] }, null)]);
    }
    ev.push([undefined, chunk({}, finish)]);
    const so = body.stream_options as { include_usage?: boolean } | undefined;
    if (so?.include_usage) ev.push([undefined, { id, object: "chat.completion.chunk", created, model, choices: [], usage }]);
    ev.push([undefined, "[DONE]"]);
    return sse(ev, req, rec, [undefined, { error: { message: "fake stream error", type: "server_error", param: null, code: null } }]);
  };

  const responses = (body: Record<string, unknown>, req: Request, rec: RecordedRequest): Response => {
    const input = body.input;
    const items: Msg[] = typeof input === "string" ? [{ role: "user", content: input }] : ((input as Msg[]) ?? []);
    const messages = items.map((m) => (m.type === "function_call_output" ? m : { role: m.role, content: m.content }));
    const format = asObj(asObj(body.text).format);
    const choice = asObj(body.tool_choice);
    const plan =
      structuredPlan(format.type === "json_schema" ? format.schema : undefined, format.type === "json_object", forcedTool(body, choice.type === "function" ? String(choice.name) : undefined)) ??
      planFor(messages, ctl.reply ?? "Hello from the fake OpenAI Responses!", shellTool(body, { name: "exec_command", input: { cmd: "echo hello" } }), body);
    const id = `resp_${nextId()}`;
    const model = String(body.model);
    const usage = { input_tokens: Math.ceil(JSON.stringify(input).length / 40), input_tokens_details: { cached_tokens: 3 }, output_tokens: 11, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 };
    usage.total_tokens = usage.input_tokens + usage.output_tokens;
    const part: Record<string, unknown> = plan.refusal ? { type: "refusal", refusal: plan.refusal } : { type: "output_text", text: plan.text, annotations: [] };
    const msgItem = { type: "message", id: `msg_${nextId()}`, status: "completed", role: "assistant", content: [part] };
    const callItem = plan.tool
      ? { type: "function_call", id: `fc_${nextId()}`, call_id: `call_${nextId()}`, name: plan.tool.name, arguments: JSON.stringify(plan.tool.input), status: "completed" }
      : undefined;
    const said = plan.text || plan.refusal;
    const output = [...(said ? [msgItem] : []), ...(callItem ? [callItem] : [])];
    const done = { id, object: "response", created_at: Math.floor(Date.now() / 1000), status: "completed", model, output, usage, error: null, incomplete_details: null };
    if (!body.stream) return Response.json(done);
    let seq = 0;
    const ev: Array<[string, unknown]> = [];
    const push = (type: string, data: Record<string, unknown>) => ev.push([type, { type, sequence_number: seq++, ...data }]);
    const base = { ...done, status: "in_progress", output: [], usage: null };
    push("response.created", { response: base });
    push("response.in_progress", { response: base });
    if (said) {
      const at = { item_id: msgItem.id, output_index: 0, content_index: 0 };
      push("response.output_item.added", { output_index: 0, item: { ...msgItem, status: "in_progress", content: [] } });
      push("response.content_part.added", { ...at, part: plan.refusal ? { type: "refusal", refusal: "" } : { type: "output_text", text: "", annotations: [] } });
      for (const piece of splitText(said, ctl.chunks)) push(plan.refusal ? "response.refusal.delta" : "response.output_text.delta", { ...at, delta: piece });
      push(plan.refusal ? "response.refusal.done" : "response.output_text.done", { ...at, ...(plan.refusal ? { refusal: said } : { text: said }) });
      push("response.content_part.done", { ...at, part });
      push("response.output_item.done", { output_index: 0, item: msgItem });
    }
    if (callItem) {
      const index = said ? 1 : 0;
      push("response.output_item.added", { output_index: index, item: { ...callItem, arguments: "", status: "in_progress" } });
      push("response.function_call_arguments.delta", { item_id: callItem.id, output_index: index, delta: callItem.arguments });
      push("response.function_call_arguments.done", { item_id: callItem.id, output_index: index, arguments: callItem.arguments });
      push("response.output_item.done", { output_index: index, item: callItem });
    }
    push("response.completed", { response: done });
    return sse(ev, req, rec, ["error", { type: "error", code: "server_error", message: "fake stream error", param: null }]);
  };

  /** OpenAI's moderation shape; "kill" is flagged as violence. The default model is OpenAI's. */
  const moderations = (body: Record<string, unknown>): Response => {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const results = inputs.map((x) => {
      const flagged = /kill/i.test(String(x));
      return { flagged, categories: { violence: flagged }, category_scores: { violence: flagged ? 0.97 : 0.01 } };
    });
    return Response.json({ id: `modr-${crypto.randomUUID()}`, model: body.model ?? "omni-moderation-latest", results });
  };
  const embeddings = (body: Record<string, unknown>): Response => {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return Response.json({
      object: "list",
      model: body.model,
      data: inputs.map((_, index) => ({ object: "embedding", index, embedding: [0.1, 0.2, 0.3, index] })),
      usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
    });
  };

  const server = Bun.serve({
    port: opts.port ?? 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    maxRequestBodySize: 256 * 1024 * 1024,
    // A request the fake cannot handle (a body nested too deeply to walk) is refused as a provider would.
    error: (e) => Response.json({ error: { message: `fake: request not understood: ${e.message}`, type: "invalid_request_error" } }, { status: 400 }),
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname;
      if (path === "/__control" && req.method === "POST") {
        setControl((await req.json()) as FakeControl);
        return Response.json({ ok: true });
      }
      if (path === "/__requests") return Response.json(requests);
      if (path === "/__reset") {
        requests.length = 0;
        setControl({});
        return Response.json({ ok: true });
      }
      if (req.method === "HEAD" || (req.method === "GET" && path === "/")) return new Response(null, { status: 200 });
      if (req.method === "GET" && path.endsWith("/models")) {
        return Response.json({ object: "list", data: [{ id: "fake-model", object: "model", created: 0, owned_by: "fake" }] });
      }
      const text = await req.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return Response.json({ error: { message: "invalid json", type: "invalid_request_error" } }, { status: 400 });
      }
      const rec: RecordedRequest = { method: req.method, path, query: url.search, headers: Object.fromEntries(req.headers), body, at: Date.now() };
      if (ctl.record !== false) requests.push(rec);
      if (ctl.delayMs) await sleep(ctl.delayMs);
      if (ctl.failStatus && failsLeft !== 0) {
        if (failsLeft > 0) failsLeft--;
        const isAnthropic = path.includes("/messages");
        const fb = ctl.failBody ?? (isAnthropic ? { type: "error", error: { type: "api_error", message: `fake failure ${ctl.failStatus}` } } : { error: { message: `fake failure ${ctl.failStatus}`, type: "server_error", code: null } });
        return Response.json(fb, { status: ctl.failStatus, headers: ctl.failHeaders });
      }
      if (ctl.knownModels && typeof body.model === "string" && !ctl.knownModels.includes(body.model)) return unknownModel(path, body.model);
      if (path.endsWith("/messages/count_tokens")) return Response.json({ input_tokens: Math.ceil(text.length / 4) });
      if (path.endsWith("/messages")) return anthropic(body, req, rec);
      if (path.endsWith("/chat/completions")) return chat(body, req, rec);
      if (path.endsWith("/responses")) return responses(body, req, rec);
      if (path.endsWith("/embeddings")) return embeddings(body);
      if (path.endsWith("/moderations")) return moderations(body);
      return Response.json({ error: { message: `fake: no route ${path}` } }, { status: 404 });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port!,
    requests,
    control: setControl,
    reset() {
      requests.length = 0;
      setControl({});
    },
    async stop() {
      await server.stop(true);
    },
  };
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const fake = await startFakeLLM({
    port: Number(arg("--port") ?? 9100),
    control: { chunkDelayMs: Number(arg("--chunk-delay-ms") ?? 0), delayMs: Number(arg("--delay-ms") ?? 0), chunks: arg("--chunks") ? Number(arg("--chunks")) : undefined, record: false },
  });
  console.log(`fake LLM listening on ${fake.url}`);
}
