/**
 * The instant upstream of the coding-agent shapes: reads the request body and answers at once with
 * a short canned SSE stream in the protocol of the path (Anthropic `/messages`, OpenAI `/responses`),
 * usage included, without parsing the body, so a 2 MB request costs the upstream no more than
 * receiving its bytes. Run: `bun scripts/bench/agent-upstream.ts --port PORT`.
 */

const sse = (events: Array<[string, object]>) => events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join("");
const WORDS = ["I'll ", "read ", "the ", "file ", "next."];

function anthropic(inputTokens: number): string {
  const message = { id: "msg_bench", type: "message", role: "assistant", model: "claude-opus-4-8", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } };
  return sse([
    ["message_start", { type: "message_start", message }],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
    ...WORDS.map((text): [string, object] => ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }]),
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: WORDS.length } }],
    ["message_stop", { type: "message_stop" }],
  ]);
}

function responses(inputTokens: number): string {
  const text = WORDS.join("");
  const item = { type: "message", id: "msg_bench", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] };
  const usage = { input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: WORDS.length, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inputTokens + WORDS.length };
  const response = { id: "resp_bench", object: "response", created_at: 1795564404, status: "completed", model: "gpt-fake", output: [item], usage, error: null, incomplete_details: null };
  const started = { ...response, status: "in_progress", output: [], usage: null };
  const at = { item_id: item.id, output_index: 0, content_index: 0 };
  let seq = 0;
  const ev = (type: string, data: object): [string, object] => [type, { type, sequence_number: seq++, ...data }];
  return sse([
    ev("response.created", { response: started }),
    ev("response.in_progress", { response: started }),
    ev("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } }),
    ev("response.content_part.added", { ...at, part: { type: "output_text", text: "", annotations: [] } }),
    ...WORDS.map((delta) => ev("response.output_text.delta", { ...at, delta })),
    ev("response.output_text.done", { ...at, text }),
    ev("response.content_part.done", { ...at, part: item.content[0]! }),
    ev("response.output_item.done", { output_index: 0, item }),
    ev("response.completed", { response }),
  ]);
}

const HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };
const enc = new TextEncoder();

/** A streamed (chunked) answer, as the real APIs send SSE, with every event in its first chunk. */
function stream(text: string): Response {
  const bytes = enc.encode(text);
  return new Response(
    new ReadableStream({
      start(c) {
        c.enqueue(bytes);
        c.close();
      },
    }),
    { headers: HEADERS },
  );
}

const portArg = process.argv.indexOf("--port");
const upstream = Bun.serve({
  port: portArg > 0 ? Number(process.argv[portArg + 1]) : 0,
  hostname: "127.0.0.1",
  idleTimeout: 0,
  maxRequestBodySize: 256 * 1024 * 1024,
  async fetch(req) {
    if (req.method !== "POST") return new Response(null, { status: 200 });
    const bytes = (await req.arrayBuffer()).byteLength;
    const tokens = Math.ceil(bytes / 4);
    const path = new URL(req.url).pathname;
    if (path.endsWith("/messages")) return stream(anthropic(tokens));
    if (path.endsWith("/responses")) return stream(responses(tokens));
    return Response.json({ error: { message: `agent upstream: no route ${path}` } }, { status: 404 });
  },
});
console.log(`agent upstream listening on ${upstream.url}`);
