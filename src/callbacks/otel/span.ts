import type { JsonText } from "../json-text.ts";

/** A finished span, ready for an OTLP encoder. Ids are lowercase hex; times are epoch milliseconds. A JsonText is a string value. */
export type AttrValue = string | number | boolean | string[] | JsonText;

export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface SpanEvent {
  name: string;
  timeMs: number;
  attributes: Array<[string, AttrValue]>;
}

export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  flags: number;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Array<[string, AttrValue]>;
  events: SpanEvent[];
  status: { code: number; message?: string };
}

/** What every span batch is sent with: the resource (service) and the instrumentation scope. */
export interface TraceBatchInfo {
  resource: Array<[string, AttrValue]>;
  scopeName: string;
  scopeVersion: string;
}
