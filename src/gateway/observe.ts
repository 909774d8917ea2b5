import type { GatewayError } from "../errors.ts";
import type { Deployment } from "../router/deployment.ts";
import type { LLMRequest } from "./types.ts";

/** One upstream attempt (a retry or a fallback is another one), as tracing and alerting see it. */
export interface AttemptRecord {
  deployment: Deployment;
  model: string;
  startMs: number;
  /** Response headers (JSON answers: the whole body) arrived. */
  firstByteMs?: number;
  /** The answer ended (streams: the last byte), or the attempt failed. */
  endMs?: number;
  error?: GatewayError;
  /** The span id this attempt is traced under, sent upstream in `traceparent`; set only when tracing. */
  spanId?: string;
}

/** W3C trace context of one call: the client's `traceparent` when it sent a valid one. */
export interface TraceIds {
  traceId: string;
  /** The client's span, parent of the gateway's server span. */
  parentSpanId?: string;
  /** `traceparent` flags: bit 0 = sampled. */
  flags: number;
  /** The gateway's server span ("Received Proxy Server Request") and its `litellm_request` child. */
  serverSpanId: string;
  requestSpanId: string;
}

/** What observers keep about a call while it runs; found on `LLMRequest.observed`. */
export interface CallObservation {
  trace?: TraceIds;
  attempts: AttemptRecord[];
  /** The JSON answer the client got, when content is logged. */
  responseText?: string;
  /** The SSE bytes the client got, when content is logged (bounded by `captureLimit`). */
  chunks?: Uint8Array[];
  capturedBytes: number;
  truncated?: boolean;
}

/** Set at boot by the logging callbacks when something needs per-attempt detail; absent = nothing observes. */
export interface CallObserver {
  /** Trace ids while the call runs (for `traceparent` upstream). */
  readonly tracing: boolean;
  /** `litellm_settings.forward_traceparent_to_llm_provider`: the attempt's span goes upstream in `traceparent`. */
  readonly forwardTraceparent: boolean;
  /** Keep the answer the client got for this call (some sink logs messages). */
  capture(req: LLMRequest): boolean;
  readonly captureLimit: number;
  /** Something needs this call's attempts at all. */
  wants(req: LLMRequest): boolean;
  trace(req: LLMRequest): TraceIds;
  newSpanId(): string;
  /** A call's first attempt started (hanging-request alerts). */
  started?(req: LLMRequest): void;
}

let observer: CallObserver | undefined;

export function setCallObserver(o: CallObserver | undefined): void {
  observer = o;
}

/** Opens the record of one attempt on `req.observed`; undefined (and nothing kept) when nothing observes. */
export function startAttempt(req: LLMRequest, d: Deployment, model: string): { rec: AttemptRecord; obs: CallObservation; observer: CallObserver } | undefined {
  const o = observer;
  if (!o) return undefined;
  let obs = req.observed;
  if (!obs) {
    if (!o.wants(req)) return undefined;
    obs = req.observed = { attempts: [], capturedBytes: 0, trace: o.tracing ? o.trace(req) : undefined };
    if (o.capture(req)) obs.chunks = [];
    o.started?.(req);
  }
  const rec: AttemptRecord = { deployment: d, model, startMs: Date.now(), spanId: obs.trace ? o.newSpanId() : undefined };
  obs.attempts.push(rec);
  return { rec, obs, observer: o };
}

/** Keeps a piece of a streamed answer while the capture limit allows. */
export function captureChunk(obs: CallObservation, limit: number, chunk: Uint8Array): void {
  if (!obs.chunks || obs.truncated) return;
  if (obs.capturedBytes + chunk.byteLength > limit) {
    obs.truncated = true;
    return;
  }
  obs.chunks.push(chunk);
  obs.capturedBytes += chunk.byteLength;
}

/** The W3C `traceparent` header naming `spanId` as the parent of what the upstream does. */
export function traceparentOf(t: TraceIds, spanId: string): string {
  return `00-${t.traceId}-${spanId}-${t.flags.toString(16).padStart(2, "0")}`;
}
