import { GatewayError } from "../errors.ts";
import { redactHeaders, type Logger } from "../log.ts";
import { streamErrorEvent } from "../error-shapes.ts";
import { mockResponse } from "../providers/mock/index.ts";
import type { Protocol, Provider, Target } from "../providers/types.ts";
import type { Deployment } from "../router/deployment.ts";
import { upstreamModelFor, type Resolved } from "../router/model-groups.ts";
import { asGatewayError, type AttemptInfo } from "../router/router.ts";
import { withAnthropicCachePoints } from "../translate/anthropic-cache-points.ts";
import { translator, type TranslateContext, type Translator } from "../translate/index.ts";
import type { CacheInjectionPoint } from "../translate/types.ts";
import { readWithTimeout, sendUpstream } from "../upstream.ts";
import { translatedResponses } from "./responses-memory.ts";
import { passthroughBody, type BodyPlan } from "./body.ts";
import { captureChunk, startAttempt, traceparentOf } from "./observe.ts";
import { multipartBytes } from "./multipart.ts";
import { answerUsage } from "./units.ts";
import { prepend, relayStream, type StreamOutcome } from "./relay.ts";
import { RequestBody } from "./request-body.ts";
import type { LLMRequest } from "./types.ts";
import { rateLimitHeaders, streamOpeningError, upstreamError } from "./upstream-error.ts";
import { scanFirstId, scanUsageObjects, usageFromBody, usageFromObjects, type Usage } from "./usage.ts";

export interface Completion {
  usage?: Usage;
  responseId?: string;
  firstChunkMs?: number;
  endMs: number;
  error?: StreamOutcome["error"];
}

export interface AttemptResult {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;
  upstreamModel: string;
  upstreamMs: number;
  /** Known at once for JSON answers; for streams after the last byte. */
  done: Promise<Completion>;
  usage?: Usage;
}

type ObservedAttempt = NonNullable<ReturnType<typeof startAttempt>>;

export interface Timeouts {
  timeoutMs?: number;
  streamTimeoutMs?: number;
}

const JSON_HEADERS = { "content-type": "application/json" };
const STREAM_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

const targets = new WeakMap<Deployment, Target>();

/** The deployment's target for this upstream model, kept for the model it was last called with (providers do not change it). */
function targetFor(d: Deployment, model: string): Target {
  const last = targets.get(d);
  if (last?.model === model) return last;
  const t = { ...d.target, model };
  targets.set(d, t);
  return t;
}

function upstreamProtocolFor(d: Deployment, provider: Provider, client: Protocol): { protocol: Protocol; tr?: Translator } {
  if (provider.native.has(client)) return { protocol: client };
  const to = provider.preferred;
  const tr = translator(client, to);
  if (!tr) {
    throw new GatewayError(400, `litellm.BadRequestError: ${d.providerName} does not support ${client} requests (model=${d.modelName})`, {
      kind: "BadRequestError",
    });
  }
  return { protocol: to, tr };
}

/** One call to one deployment: build, send, and shape the answer in the client's protocol. */
export async function attempt(
  req: LLMRequest,
  d: Deployment,
  resolved: Resolved,
  info: AttemptInfo,
  timeouts: Timeouts,
  log?: Logger,
): Promise<AttemptResult> {
  const configuredModel = upstreamModelFor(d, resolved);
  const seen = startAttempt(req, d, configuredModel);
  if (!seen) return attemptOnce(req, d, configuredModel, info, timeouts, log);
  try {
    const r = await attemptOnce(req, d, configuredModel, info, timeouts, log, seen);
    seen.rec.firstByteMs = Date.now();
    void r.done.then((c) => {
      seen.rec.endMs = c.endMs;
      if (c.error instanceof Error) seen.rec.error = asGatewayError(c.error);
    });
    return r;
  } catch (e) {
    seen.rec.endMs = Date.now();
    seen.rec.error = asGatewayError(e);
    throw e;
  }
}

async function attemptOnce(
  req: LLMRequest,
  d: Deployment,
  configuredModel: string,
  info: AttemptInfo,
  timeouts: Timeouts,
  log?: Logger,
  seen?: ObservedAttempt,
): Promise<AttemptResult> {
  const mock = req.body.mock_response ?? d.mockResponse;
  if (mock !== undefined) return mockAttempt(req, mock, configuredModel, info, seen);

  const provider = d.provider.forModel?.(configuredModel) ?? d.provider;
  const upstreamModel = provider.wireModel?.(configuredModel) ?? configuredModel;
  const { protocol, tr } = upstreamProtocolFor(d, provider, req.protocol);
  const ctx: TranslateContext = {
    model: req.model,
    upstreamModel,
    responses: translatedResponses,
    defaults: d.defaultBodyParams,
    cachePoints: d.params.cache_control_injection_points ?? undefined,
  };
  // Defaults reach a translated request through the translator, in the upstream's own form; a chat
  // upstream also takes the ones the translator has no field for (seed, penalties) as they are.
  const form = req.multipart ? await multipartBytes(req.multipart, upstreamModel) : undefined;
  const bodyText = form
    ? form.body
    : tr
      ? JSON.stringify({ ...tr.request(req.rawBody.object(), ctx), model: upstreamModel, ...(protocol === "openai-chat" ? defaultsFor(d, req.body) : {}) })
      : sameProtocolBody(req, protocol, ctx.cachePoints, {
          upstreamModel,
          upstreamProtocol: protocol,
          stream: req.stream,
          defaults: d.defaultBodyParams,
          dropMetadata: protocol === "openai-chat",
        });
  const target = targetFor(d, upstreamModel);
  const upstreamReq = await provider.buildRequest(target, protocol, bodyText, {
    stream: req.stream,
    clientHeaders: req.headers,
    query: req.query,
    contentType: form?.contentType,
    send: (aux) => sendUpstream(aux, req.signal, aux.timeoutMs ?? timeouts.timeoutMs),
  });

  if (seen?.observer.forwardTraceparent && seen.rec.spanId) upstreamReq.headers.traceparent = traceparentOf(seen.obs.trace!, seen.rec.spanId);
  const t0 = performance.now();
  if (log?.traceEnabled) {
    log.debug("upstream request", { call_id: req.callId, deployment: d.id, method: upstreamReq.method, url: upstreamReq.url, headers: redactHeaders(upstreamReq.headers), body_bytes: bodyText.length, translated: !!tr });
  }
  const res = await sendUpstream(upstreamReq, req.signal, timeouts.timeoutMs);
  if (log?.traceEnabled) log.debug("upstream response", { call_id: req.callId, status: res.status, ms: Math.round(performance.now() - t0), content_type: res.headers.get("content-type") });
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    throw upstreamError(d, res.status, text, res.headers);
  }
  const headers = rateLimitHeaders(res.headers);
  const rt = provider.responseTransformFor ? provider.responseTransformFor(protocol) : provider.responseTransform;
  const contentType = res.headers.get("content-type") ?? "";
  const isStream = contentType.includes("text/event-stream") || (!!rt?.streamContentType && contentType.includes(rt.streamContentType));

  if (req.stream && isStream && res.body) {
    const upstreamReader = res.body.getReader();
    let source: ReadableStreamDefaultReader<Uint8Array> = upstreamReader as ReadableStreamDefaultReader<Uint8Array>;
    if (rt || tr) {
      let s: ReadableStream<Uint8Array> = prepend(undefined, upstreamReader);
      if (rt) s = s.pipeThrough(rt.stream(upstreamModel));
      if (tr) s = s.pipeThrough(tr.stream(ctx));
      source = s.getReader();
    }
    let first: Awaited<ReturnType<typeof source.read>>;
    try {
      first = await readWithTimeout(source, timeouts.streamTimeoutMs ?? timeouts.timeoutMs);
    } catch (e) {
      source.cancel().catch(() => {});
      if (e instanceof GatewayError) throw e;
      throw new GatewayError(500, `litellm.APIConnectionError: stream failed before the first byte: ${(e as Error).message}`, {
        kind: "APIConnectionError",
      });
    }
    const firstChunkMs = Date.now();
    const upstreamMs = performance.now() - t0;
    if (!first.done && !tr && !rt) {
      const opening = streamOpeningError(d, first.value);
      if (opening) {
        source.cancel().catch(() => {});
        throw opening;
      }
    }
    let resolveDone!: (c: Completion) => void;
    const done = new Promise<Completion>((r) => (resolveDone = r));
    const body = relayStream(
      source,
      first.done ? undefined : first.value,
      firstChunkMs,
      (o) => {
        info.release();
        resolveDone({ usage: o.usage, responseId: o.responseId, firstChunkMs: o.firstChunkMs, endMs: o.endMs, error: o.error });
      },
      (e) => streamErrorEvent(req.protocol, `litellm.APIConnectionError: upstream stream failed: ${e.message}`),
      seen?.obs.chunks && ((c) => captureChunk(seen.obs, seen.observer.captureLimit, c)),
    );
    return {
      status: 200,
      headers: Object.assign(headers, STREAM_HEADERS),
      body,
      upstreamModel,
      upstreamMs,
      done,
    };
  }

  if (!isStream && contentType && !contentType.includes("json")) return rawAnswer(req, res, headers, upstreamModel, t0, info);
  const text = await res.text();
  const upstreamMs = performance.now() - t0;
  info.release();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  let out = text;
  if (parsed && (rt?.json || tr)) {
    let j = parsed;
    if (rt?.json) j = rt.json(j, upstreamModel, req.body) as Record<string, unknown>;
    if (tr) j = tr.response(j, ctx);
    out = JSON.stringify(j);
    parsed = j;
  }
  const usage = answerUsage(req, parsed);
  const responseId = typeof parsed?.id === "string" ? parsed.id : undefined;
  if (seen?.obs.chunks) seen.obs.responseText = out;
  const endMs = Date.now();
  return {
    status: res.status,
    headers: Object.assign(headers, JSON_HEADERS),
    body: out,
    upstreamModel,
    upstreamMs,
    usage,
    done: Promise.resolve({ usage, responseId, endMs, firstChunkMs: endMs }),
  };
}

/** An answer that is not JSON (speech audio, a transcript as text or subtitles): relayed as bytes with its own type. */
async function rawAnswer(req: LLMRequest, res: Response, headers: Record<string, string>, upstreamModel: string, t0: number, info: AttemptInfo): Promise<AttemptResult> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const upstreamMs = performance.now() - t0;
  info.release();
  const usage = answerUsage(req, undefined);
  const endMs = Date.now();
  return {
    status: res.status,
    headers: { ...headers, "content-type": res.headers.get("content-type") ?? "application/octet-stream" },
    body: bytes,
    upstreamModel,
    upstreamMs,
    usage,
    done: Promise.resolve({ usage, endMs, firstChunkMs: endMs }),
  };
}

function defaultsFor(d: Deployment, body: Record<string, unknown>): Record<string, unknown> {
  if (!d.defaultBodyParams) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.defaultBodyParams)) if (body[k] === undefined) out[k] = v;
  return out;
}

async function mockAttempt(req: LLMRequest, mock: unknown, upstreamModel: string, info: AttemptInfo, seen?: ObservedAttempt): Promise<AttemptResult> {
  const res = mockResponse(req.protocol, req.body, mock, req.model || upstreamModel, req.stream);
  const text = await res.text();
  info.release();
  const endMs = Date.now();
  let usage: Usage | undefined;
  let responseId: string | undefined;
  const streamed = res.headers.get("content-type")?.includes("event-stream");
  if (seen?.obs.chunks) {
    if (streamed) captureChunk(seen.obs, seen.observer.captureLimit, new TextEncoder().encode(text));
    else seen.obs.responseText = text;
  }
  if (streamed) {
    usage = usageFromObjects(scanUsageObjects(text));
    responseId = scanFirstId(text);
  } else {
    const j = JSON.parse(text) as Record<string, unknown>;
    usage = usageFromBody(j);
    responseId = typeof j.id === "string" ? j.id : undefined;
  }
  return {
    status: 200,
    headers: Object.fromEntries(res.headers),
    body: text,
    upstreamModel,
    upstreamMs: 0,
    usage,
    done: Promise.resolve({ usage, responseId, endMs, firstChunkMs: endMs }),
  };
}

/**
 * A same-protocol body: the client's bytes as far as possible; an Anthropic upstream with
 * `cache_control_injection_points` gets the breakpoints they name (a re-serialized body).
 */
function sameProtocolBody(req: LLMRequest, protocol: Protocol, points: readonly CacheInjectionPoint[] | undefined, plan: BodyPlan): Uint8Array<ArrayBuffer> {
  const marked = points?.length && protocol === "anthropic-messages" ? withAnthropicCachePoints(req.rawBody.object(), points) : undefined;
  return passthroughBody(marked ? RequestBody.fromObject(marked) : req.rawBody, plan);
}
