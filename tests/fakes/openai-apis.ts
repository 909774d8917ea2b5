/**
 * A fake of the OpenAI APIs beyond chat, and of the APIs that answer in their own shapes, on one
 * port, speaking their real wire formats:
 *   POST {base}/completions                 text_completion (JSON or SSE), echoes `suffix` for FIM checks
 *   POST {base}/fim/completions             Mistral FIM: chat.completion shape (JSON or SSE)
 *   POST {base}/images/generations          {created, data:[{url|b64_json}]}, `n` images
 *   POST {base}/images/edits                multipart (image, prompt, model) → {created, data}
 *   POST {base}/audio/transcriptions        multipart (file, model, response_format) → json | verbose_json | text
 *   POST {base}/audio/speech                binary audio/mpeg (the input's bytes, so a test can check them)
 *   POST {base}/moderations                 {id, model, results}
 *   POST {base}/rerank                      Jina/Together shape {model, results, usage}
 *   POST /v2/chat, /v2/embed, /v2/rerank    Cohere v2 (JSON; chat also as Cohere's SSE events)
 *   files and batches                       an in-memory OpenAI (also under Azure's `/openai/...?api-version=`)
 * Every request is recorded with its path, headers, JSON body or form fields.
 */

export interface ApiRecord {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
  form?: Record<string, string>;
  files?: Record<string, { name: string; size: number; type: string }>;
}

export interface FakeApis {
  url: string;
  requests: ApiRecord[];
  stop(): Promise<void>;
}

type Obj = Record<string, unknown>;
const sse = (events: string[]) => new Response(events.join(""), { headers: { "content-type": "text/event-stream" } });
const data = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
let seq = 0;
const id = (prefix: string) => `${prefix}${Date.now().toString(36)}${(seq++).toString(36)}`;

function completions(body: Obj): Response {
  const text = typeof body.suffix === "string" ? `middle-for:${body.suffix}` : " and the fake completes it.";
  const usage = { prompt_tokens: words(String(body.prompt)) || 1, completion_tokens: 6, total_tokens: (words(String(body.prompt)) || 1) + 6 };
  const base = { id: id("cmpl-"), object: "text_completion", created: 1, model: body.model };
  if (body.stream !== true) return Response.json({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: "stop" }], usage });
  const chunks = [" and the fake", " completes it."].map((t) => data({ ...base, choices: [{ text: t, index: 0, logprobs: null, finish_reason: null }] }));
  chunks.push(data({ ...base, choices: [{ text: "", index: 0, logprobs: null, finish_reason: "stop" }] }));
  if ((body.stream_options as Obj | undefined)?.include_usage) chunks.push(data({ ...base, choices: [], usage }));
  return sse([...chunks, "data: [DONE]\n\n"]);
}

function fim(body: Obj): Response {
  const text = `fim(${String(body.prompt)}|${String(body.suffix ?? "")})`;
  const usage = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };
  const base = { id: id("fim-"), object: "chat.completion", created: 1, model: body.model };
  if (body.stream !== true) return Response.json({ ...base, choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }], usage });
  const chunk = (delta: Obj, finish: string | null, extra: Obj = {}) => data({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
  return sse([chunk({ role: "assistant", content: "" }, null), chunk({ content: text }, null), chunk({}, "stop", { usage }), "data: [DONE]\n\n"]);
}

function images(body: Obj | Record<string, string>): Response {
  const n = Number(body.n ?? 1);
  const b64 = body.response_format === "b64_json";
  return Response.json({ created: 1, data: Array.from({ length: n }, (_, i) => (b64 ? { b64_json: Buffer.from(`image-${i}`).toString("base64") } : { url: `https://fake.images/${i}.png`, revised_prompt: String(body.prompt) })) });
}

function transcription(form: Record<string, string>, fileSize: number): Response {
  const text = `transcribed ${fileSize} bytes`;
  if (form.response_format === "text") return new Response(text, { headers: { "content-type": "text/plain; charset=utf-8" } });
  if (form.response_format === "verbose_json") return Response.json({ task: "transcribe", language: "english", duration: 2.5, text, segments: [] });
  return Response.json({ text, usage: { type: "duration", seconds: 3 } });
}

function rerank(body: Obj): Response {
  const docs = (Array.isArray(body.documents) ? body.documents : []) as unknown[];
  const results = docs.map((d, index) => ({ index, relevance_score: 1 / (index + 1), document: { text: typeof d === "string" ? d : String((d as Obj).text) } }));
  return Response.json({ model: body.model, usage: { total_tokens: 12 }, results: results.slice(0, Number(body.top_n ?? docs.length)) });
}

function cohereChat(body: Obj): Response {
  const msgs = (body.messages ?? []) as Obj[];
  const last = msgs[msgs.length - 1] ?? {};
  const wantsTool = Array.isArray(body.tools) && String(last.content ?? "").includes("USE_TOOL");
  const text = wantsTool ? "" : `Cohere heard: ${String(typeof last.content === "string" ? last.content : JSON.stringify(last.content))}`;
  const call = { id: "call_cohere_1", type: "function", function: { name: ((body.tools as Obj[])?.[0]?.function as Obj | undefined)?.name ?? "f", arguments: '{"city":"Paris"}' } };
  const usage = { billed_units: { input_tokens: 11, output_tokens: 4 }, tokens: { input_tokens: 200, output_tokens: 4 } };
  const finish = wantsTool ? "TOOL_CALL" : "COMPLETE";
  if (body.stream !== true) {
    const message = wantsTool ? { role: "assistant", tool_plan: "I will call it.", tool_calls: [call] } : { role: "assistant", content: [{ type: "text", text }] };
    return Response.json({ id: id("co-"), finish_reason: finish, message, usage });
  }
  const ev = (type: string, o: Obj) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`;
  const out = [ev("message-start", { id: id("co-"), delta: { message: { role: "assistant", content: [], tool_plan: "", tool_calls: [], citations: [] } } })];
  if (wantsTool) {
    out.push(ev("tool-plan-delta", { delta: { message: { tool_plan: "I will call it." } } }));
    out.push(ev("tool-call-start", { index: 0, delta: { message: { tool_calls: { ...call, function: { name: call.function.name, arguments: "" } } } } }));
    out.push(ev("tool-call-delta", { index: 0, delta: { message: { tool_calls: { function: { arguments: call.function.arguments } } } } }));
    out.push(ev("tool-call-end", { index: 0 }));
  } else {
    out.push(ev("content-start", { index: 0, delta: { message: { content: { type: "text", text: "" } } } }));
    for (const piece of text.match(/.{1,8}/g) ?? []) out.push(ev("content-delta", { index: 0, delta: { message: { content: { text: piece } } } }));
    out.push(ev("content-end", { index: 0 }));
  }
  out.push(ev("message-end", { delta: { finish_reason: finish, usage } }));
  return sse(out);
}

function cohereEmbed(body: Obj): Response {
  const texts = (body.texts ?? []) as string[];
  if (!body.input_type) return Response.json({ message: "invalid request: input_type is required for embed-v3 models" }, { status: 400 });
  return Response.json({ id: id("emb-"), embeddings: { float: texts.map((_, i) => [0.5, i]) }, texts, meta: { billed_units: { input_tokens: texts.length * 2 } } });
}

function cohereRerank(body: Obj): Response {
  const docs = (body.documents ?? []) as unknown[];
  if (docs.some((d) => typeof d !== "string")) return Response.json({ message: "documents must be strings in v2" }, { status: 400 });
  const results = docs.map((_, index) => ({ index, relevance_score: 0.9 - index / 10 }));
  return Response.json({ id: id("rr-"), results: results.slice(0, Number(body.top_n ?? docs.length)), meta: { api_version: { version: "2" }, billed_units: { search_units: 1 } } });
}

interface StoredFile {
  meta: Obj;
  bytes: Uint8Array<ArrayBuffer>;
}

/** An in-memory OpenAI Files + Batches API: a batch completes when it is first retrieved, with usage per line. */
function filesAndBatches() {
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, Obj>();
  const addFile = (bytes: Uint8Array<ArrayBuffer>, filename: string, purpose: string): Obj => {
    const meta = { id: id("file-"), object: "file", bytes: bytes.length, created_at: 1, filename, purpose, status: "processed" };
    files.set(meta.id, { meta, bytes });
    return meta;
  };
  const complete = (b: Obj) => {
    const input = files.get(String(b.input_file_id));
    const lines = input ? new TextDecoder().decode(input.bytes).split("\n").filter((l) => l.trim()) : [];
    const out = lines.map((l) => {
      const req = JSON.parse(l) as Obj;
      const body = req.body as Obj;
      return JSON.stringify({ id: id("batch_req_"), custom_id: req.custom_id, response: { status_code: 200, request_id: id("req_"), body: { id: id("chatcmpl-"), object: "chat.completion", model: body.model, choices: [{ index: 0, message: { role: "assistant", content: "batched" }, finish_reason: "stop" }], usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } } }, error: null });
    });
    const output = addFile(new TextEncoder().encode(out.join("\n") + "\n"), "batch_output.jsonl", "batch_output");
    Object.assign(b, { status: "completed", output_file_id: output.id, completed_at: 2, request_counts: { total: lines.length, completed: lines.length, failed: 0 } });
  };
  return async (req: Request, path: string): Promise<Response | undefined> => {
    const m = /^(?:\/v1|\/openai)?\/(files|batches)(?:\/([^/]+))?(?:\/(content|cancel))?$/.exec(path);
    if (!m) return undefined;
    const [, kind, itemId, action] = m;
    if (kind === "files") {
      if (req.method === "POST" && !itemId) {
        const form = await req.formData();
        const file = form.get("file") as File;
        return Response.json(addFile(new Uint8Array(await file.arrayBuffer()), file.name, String(form.get("purpose"))));
      }
      if (req.method === "GET" && !itemId) return Response.json({ object: "list", data: [...files.values()].map((f) => f.meta), has_more: false });
      const f = files.get(itemId!);
      if (!f) return Response.json({ error: { message: `No such File object: ${itemId}`, type: "invalid_request_error" } }, { status: 404 });
      if (req.method === "DELETE") return files.delete(itemId!), Response.json({ id: itemId, object: "file", deleted: true });
      if (action === "content") return new Response(f.bytes, { headers: { "content-type": "application/octet-stream" } });
      return Response.json(f.meta);
    }
    if (req.method === "POST" && !itemId) {
      const body = (await req.json()) as Obj;
      if (!files.has(String(body.input_file_id))) return Response.json({ error: { message: "input file not found", type: "invalid_request_error" } }, { status: 400 });
      const b = { id: id("batch_"), object: "batch", endpoint: body.endpoint, input_file_id: body.input_file_id, completion_window: body.completion_window, status: "validating", created_at: 1, metadata: body.metadata ?? null, request_counts: { total: 0, completed: 0, failed: 0 } };
      batches.set(b.id, b);
      return Response.json(b);
    }
    if (req.method === "GET" && !itemId) return Response.json({ object: "list", data: [...batches.values()], has_more: false });
    const b = batches.get(itemId!);
    if (!b) return Response.json({ error: { message: `No such batch: ${itemId}`, type: "invalid_request_error" } }, { status: 404 });
    if (action === "cancel") return Object.assign(b, { status: "cancelled" }), Response.json(b);
    if (b.status === "validating") complete(b);
    return Response.json(b);
  };
}

export async function startFakeApis(): Promise<FakeApis> {
  const requests: ApiRecord[] = [];
  const store = filesAndBatches();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname;
      const rec: ApiRecord = { method: req.method, path, query: url.search, headers: Object.fromEntries(req.headers) };
      requests.push(rec);
      if ((req.headers.get("content-type") ?? "").includes("json")) rec.body = (await req.clone().json().catch(() => undefined)) as Obj | undefined;
      const stored = await store(req.clone() as Request, path);
      if (stored) return stored;
      if ((req.headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
        const form = await req.formData();
        rec.form = {};
        rec.files = {};
        for (const [k, v] of form) {
          if (typeof v === "string") rec.form[k] = v;
          else rec.files[k] = { name: v.name, size: v.size, type: v.type };
        }
        const fileSize = Object.values(rec.files)[0]?.size ?? 0;
        if (path.endsWith("/audio/transcriptions")) return transcription(rec.form, fileSize);
        if (path.endsWith("/images/edits")) return images(rec.form);
        return Response.json({ error: { message: `fake: no multipart route ${path}` } }, { status: 404 });
      }
      const body = (await req.json().catch(() => ({}))) as Obj;
      rec.body = body;
      if (path.endsWith("/fim/completions")) return fim(body);
      if (path.endsWith("/completions") && !path.endsWith("/chat/completions")) return completions(body);
      if (path.endsWith("/images/generations")) return images(body);
      if (path.endsWith("/audio/speech")) return new Response(new TextEncoder().encode(`ID3 fake mp3 of: ${String(body.input)}`), { headers: { "content-type": "audio/mpeg" } });
      if (path.endsWith("/moderations")) {
        const flagged = String(body.input).includes("FLAG_ME");
        return Response.json({ id: id("modr-"), model: body.model, results: [{ flagged, categories: { violence: flagged }, category_scores: { violence: flagged ? 0.99 : 0.01 } }] });
      }
      if (path === "/v2/chat") return cohereChat(body);
      if (path === "/v2/embed") return cohereEmbed(body);
      if (path === "/v2/rerank") return cohereRerank(body);
      if (path.endsWith("/rerank")) return rerank(body);
      return Response.json({ error: { message: `fake: no route ${path}` } }, { status: 404 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    async stop() {
      await server.stop(true);
    },
  };
}
