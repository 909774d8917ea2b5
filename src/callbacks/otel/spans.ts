import type { AttemptRecord, TraceIds } from "../../gateway/observe.ts";
import { JsonText } from "../json-text.ts";
import type { LoggedCall } from "../logged-call.ts";
import { newSpanId, traceIdsFor } from "../observer.ts";
import { requestMetadata, requestTools } from "../request-meta.ts";
import { SpanKind, StatusCode, type AttrValue, type SpanData } from "./span.ts";

type Obj = Record<string, unknown>;
type Attrs = Array<[string, AttrValue]>;

/** LiteLLM's span names (`litellm/integrations/opentelemetry.py`). */
export const SERVER_SPAN = "Received Proxy Server Request";
export const REQUEST_SPAN = "litellm_request";
export const ATTEMPT_SPAN = "raw_gen_ai_request";

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** LiteLLM's `safe_set_attribute`: primitives as they are, everything else as JSON; unset values left out. */
function set(a: Attrs, key: string, v: unknown, limit: number): void {
  if (v === null || v === undefined) return;
  const strings = Array.isArray(v) && v.every((x) => typeof x === "string");
  let value: AttrValue = typeof v === "string" || typeof v === "number" || typeof v === "boolean" || strings || v instanceof JsonText ? (v as AttrValue) : JSON.stringify(v);
  if ((typeof value === "string" || value instanceof JsonText) && value.length > limit) value = value.toString().slice(0, limit);
  a.push([key, value]);
}

function textOf(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  return content.map((b) => (isObj(b) && typeof b.text === "string" ? b.text : "")).join("");
}

/** A message in the GenAI semantic conventions' shape: `{role, parts: [{type, ...}]}`. */
function semconvMessage(m: unknown): Obj {
  if (!isObj(m)) return { role: "user", parts: [{ type: "text", content: String(m) }] };
  const parts: Obj[] = [];
  const c = m.content;
  if (typeof c === "string") parts.push({ type: "text", content: c });
  else if (Array.isArray(c)) {
    for (const b of c) {
      if (!isObj(b)) continue;
      if (typeof b.text === "string") parts.push({ type: "text", content: b.text });
      else if (b.type === "tool_use") parts.push({ type: "tool_call", id: b.id, name: b.name, arguments: b.input });
      else if (b.type === "tool_result") parts.push({ type: "tool_call_response", id: b.tool_use_id, response: textOf(b.content) ?? b.content });
      else parts.push({ type: String(b.type ?? "unknown") });
    }
  }
  if (Array.isArray(m.tool_calls)) {
    for (const t of m.tool_calls) {
      if (isObj(t) && isObj(t.function)) parts.push({ type: "tool_call", id: t.id, name: t.function.name, arguments: t.function.arguments });
    }
  }
  if (m.role === "tool") return { role: "tool", parts: [{ type: "tool_call_response", id: m.tool_call_id, response: textOf(c) ?? c }] };
  return { role: typeof m.role === "string" ? m.role : (m.type as string) ?? "user", parts };
}

function toolAttributes(a: Attrs, tools: unknown[], limit: number): void {
  tools.forEach((t, i) => {
    if (!isObj(t)) return;
    const f = isObj(t.function) ? t.function : t;
    set(a, `llm.request.functions.${i}.name`, f.name, limit);
    set(a, `llm.request.functions.${i}.description`, f.description, limit);
    set(a, `llm.request.functions.${i}.parameters`, JSON.stringify(f.parameters ?? f.input_schema ?? null), limit);
  });
}

function errorAttributes(a: Attrs, call: LoggedCall, limit: number): void {
  const info = call.payload().error_information;
  if (!info) return;
  set(a, "error.code", info.error_code, limit);
  set(a, "error.type", info.error_class, limit);
  set(a, "error.message", call.scrub(info.error_message), limit);
  if (info.llm_provider) set(a, "error.llm_provider", info.llm_provider, limit);
}

/** The attributes LiteLLM's `set_attributes` puts on `litellm_request`, plus GenAI semantic-convention ones. */
function requestAttributes(call: LoggedCall, limit: number, withContent: boolean): Attrs {
  const a: Attrs = [];
  const p = call.payload();
  const { req } = call.rec;
  for (const [k, v] of Object.entries(p.metadata)) set(a, `metadata.${k}`, v, limit);
  set(a, "hidden_params", JSON.stringify(p.hidden_params), limit);
  if (p.response_cost) set(a, "gen_ai.cost.total_cost", p.response_cost, limit);
  set(a, "gen_ai.operation.name", req.protocol === "openai-embeddings" ? "embeddings" : "chat", limit);
  set(a, "gen_ai.request.model", p.model, limit);
  set(a, "llm.request.type", p.call_type, limit);
  set(a, "gen_ai.system", p.custom_llm_provider ?? "Unknown", limit);
  const b = req.body;
  set(a, "gen_ai.request.max_tokens", b.max_tokens ?? b.max_completion_tokens ?? b.max_output_tokens, limit);
  if (b.temperature) set(a, "gen_ai.request.temperature", b.temperature, limit);
  if (b.top_p) set(a, "gen_ai.request.top_p", b.top_p, limit);
  set(a, "llm.is_streaming", req.stream ? "True" : "False", limit);
  if (typeof b.user === "string") set(a, "llm.user", b.user, limit);
  set(a, "gen_ai.response.id", p.id, limit);
  const answer = call.answer();
  set(a, "gen_ai.response.model", (answer?.body.model as string | undefined) ?? call.rec.upstreamModel, limit);
  if (answer?.finishReason) set(a, "gen_ai.response.finish_reasons", [answer.finishReason], limit);
  const u = call.rec.usage;
  if (u) {
    set(a, "gen_ai.usage.total_tokens", u.totalTokens, limit);
    set(a, "gen_ai.usage.output_tokens", u.completionTokens, limit);
    set(a, "gen_ai.usage.input_tokens", u.promptTokens, limit);
    if (u.cacheReadTokens) set(a, "gen_ai.usage.cache_read_input_tokens", u.cacheReadTokens, limit);
    if (u.cacheCreationTokens) set(a, "gen_ai.usage.cache_creation_input_tokens", u.cacheCreationTokens, limit);
  }
  if (!withContent || call.contentOff) return a;
  const tools = requestTools(req);
  if (tools) toolAttributes(a, tools, limit);
  if (Array.isArray(p.messages)) set(a, "gen_ai.input.messages", call.scrubText(call.json(p.messages.map(semconvMessage))), limit);
  if (answer) {
    const out = { ...semconvMessage(answer.message), ...(answer.finishReason ? { finish_reason: answer.finishReason } : {}) };
    set(a, "gen_ai.output.messages", call.scrub(JSON.stringify([out])), limit);
  }
  return a;
}

function attemptSpan(call: LoggedCall, t: TraceIds, at: AttemptRecord, i: number, limit: number): SpanData {
  const a: Attrs = [];
  const d = at.deployment;
  set(a, "gen_ai.system", d.providerName, limit);
  set(a, "gen_ai.request.model", at.model, limit);
  set(a, "litellm.model_id", d.id, limit);
  set(a, "litellm.model_group", d.modelName, limit);
  set(a, "litellm.attempt", i + 1, limit);
  const base = d.target.apiBase.split("?")[0] ?? "";
  try {
    if (base) set(a, "server.address", new URL(base).host, limit);
  } catch {
    /* not a URL (mock deployments) */
  }
  if (at.error) {
    set(a, "http.response.status_code", at.error.status, limit);
    set(a, "error.type", at.error.kind, limit);
    set(a, "error.message", call.scrub(at.error.message), limit);
  }
  return {
    traceId: t.traceId,
    spanId: at.spanId ?? newSpanId(),
    parentSpanId: t.requestSpanId,
    flags: t.flags,
    name: ATTEMPT_SPAN,
    kind: SpanKind.CLIENT,
    startMs: at.startMs,
    endMs: at.endMs ?? call.rec.endMs,
    attributes: a,
    events: [],
    status: at.error ? { code: StatusCode.ERROR, message: call.scrub(at.error.message) } : { code: StatusCode.OK },
  };
}

/**
 * The spans of one call: the server span (child of the client's `traceparent` span), LiteLLM's
 * `litellm_request` span (or the call's `generation_name`) with its attributes, and one
 * `raw_gen_ai_request` client span per upstream attempt (retries and fallbacks each get one; the
 * span id each sent upstream in `traceparent`). Empty when the client's trace is not sampled.
 */
export function spansOf(call: LoggedCall, opts: { attributeLimit: number; withContent: boolean }): SpanData[] {
  const { rec } = call;
  const t = rec.req.observed?.trace ?? traceIdsFor(rec.req);
  if (!(t.flags & 1)) return [];
  const limit = opts.attributeLimit;
  const failed = rec.status === "failure";
  const status = failed ? { code: StatusCode.ERROR, message: call.scrub(rec.error?.message ?? "") } : { code: StatusCode.OK };
  const server: Attrs = [];
  set(server, "http.request.method", "POST", limit);
  set(server, "url.path", rec.req.route, limit);
  set(server, "http.response.status_code", rec.error?.status ?? 200, limit);
  const request = requestAttributes(call, limit, opts.withContent);
  if (failed) errorAttributes(request, call, limit);
  const meta = requestMetadata(rec.req);
  const common = { traceId: t.traceId, flags: t.flags, startMs: rec.req.startMs, endMs: rec.endMs, status };
  const spans: SpanData[] = [
    { ...common, spanId: t.serverSpanId, parentSpanId: t.parentSpanId, name: SERVER_SPAN, kind: SpanKind.SERVER, attributes: server, events: [] },
    {
      ...common,
      spanId: t.requestSpanId,
      parentSpanId: t.serverSpanId,
      name: typeof meta.generation_name === "string" && meta.generation_name ? meta.generation_name : REQUEST_SPAN,
      kind: SpanKind.INTERNAL,
      attributes: request,
      events: failed
        ? [{ name: "exception", timeMs: rec.endMs, attributes: [["exception.type", rec.error?.kind ?? "Error"], ["exception.message", call.scrub(rec.error?.message ?? "")]] }]
        : [],
    },
  ];
  (rec.req.observed?.attempts ?? []).forEach((at, i) => spans.push(attemptSpan(call, t, at, i, limit)));
  return spans;
}
