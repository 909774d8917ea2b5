import type { CallObserver, TraceIds } from "../gateway/observe.ts";
import type { LLMRequest } from "../gateway/types.ts";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
/** Random bytes come from a pool refilled 4 KB at a time (one crypto call per 256 span ids). */
let pool = new Uint8Array(0);
let at = 0;
const hex = (bytes: number): string => {
  if (at + bytes > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(4096));
    at = 0;
  }
  let s = "";
  for (let i = 0; i < bytes; i++) s += HEX[pool[at++]!];
  return s;
};

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** A valid W3C `traceparent` (version 00 or later, non-zero ids), or undefined. */
export function parseTraceparent(v: string | null): { traceId: string; spanId: string; flags: number } | undefined {
  const m = v ? TRACEPARENT.exec(v.trim().toLowerCase()) : null;
  if (!m || m[1] === "ff" || (m[1] === "00" && m[5])) return undefined;
  if (/^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, flags: parseInt(m[4]!, 16) };
}

export const newTraceId = () => hex(16);
export const newSpanId = () => hex(8);

/** Trace ids of a call: the client's trace (and its span as our parent) when it sent `traceparent`, else a new trace. */
export function traceIdsFor(req: LLMRequest): TraceIds {
  const parent = parseTraceparent(req.headers.get("traceparent"));
  return {
    traceId: parent?.traceId ?? newTraceId(),
    parentSpanId: parent?.spanId,
    flags: parent ? parent.flags : 1,
    serverSpanId: newSpanId(),
    requestSpanId: newSpanId(),
  };
}

export interface ObserverOptions {
  /** Every call is observed (tracing, alerting, a global content sink); else only `captureFor` calls. */
  all: boolean;
  /** Trace ids are needed while the call runs: its attempts send `traceparent` upstream (else the logging worker makes them). */
  forwardTraceparent: boolean;
  /** Keep answers of every call (a global sink logs content). */
  captureAll: boolean;
  /** Keep answers of calls whose key or team has its own logging. */
  captureFor(req: LLMRequest): boolean;
  captureLimit: number;
  started?(req: LLMRequest): void;
}

/** The per-attempt hook the logging callbacks install in the gateway core (`src/gateway/observe.ts`). */
export function callObserver(o: ObserverOptions): CallObserver {
  return {
    tracing: o.forwardTraceparent,
    forwardTraceparent: o.forwardTraceparent,
    captureLimit: o.captureLimit,
    capture: (req) => o.captureAll || o.captureFor(req),
    wants: (req) => o.all || o.captureFor(req),
    trace: traceIdsFor,
    newSpanId,
    started: o.started,
  };
}
