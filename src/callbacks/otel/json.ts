import { JsonText } from "../json-text.ts";
import type { AttrValue, SpanData, TraceBatchInfo } from "./span.ts";

type Obj = Record<string, unknown>;

const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

function anyValue(v: AttrValue): Obj {
  if (typeof v === "string" || v instanceof JsonText) return { stringValue: v.toString() };
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { arrayValue: { values: v.map(anyValue) } };
}

const attributes = (a: Array<[string, AttrValue]>) => a.map(([key, v]) => ({ key, value: anyValue(v) }));

/** OTLP/HTTP JSON (`application/json`): the same request, ids as hex and 64-bit integers as strings. */
export function encodeTraceRequestJson(spans: SpanData[], info: TraceBatchInfo): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: attributes(info.resource) },
        scopeSpans: [
          {
            scope: { name: info.scopeName, version: info.scopeVersion },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              flags: s.flags & 0xff,
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.endMs),
              attributes: attributes(s.attributes),
              events: s.events.map((e) => ({ timeUnixNano: nanos(e.timeMs), name: e.name, attributes: attributes(e.attributes) })),
              status: { code: s.status.code, ...(s.status.message ? { message: s.status.message } : {}) },
            })),
          },
        ],
      },
    ],
  });
}
