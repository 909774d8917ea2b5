import { EventStreamDecoder } from "../providers/bedrock/event-stream.ts";
import { scanUsageObjects, usageFromObjects, type Usage } from "./usage.ts";
import { directRelay } from "./direct-stream.ts";
import { HeadTail } from "./head-tail.ts";

type Obj = Record<string, unknown>;
const dec = new TextDecoder();

/** Gemini's `usageMetadata` as the usage fields the gateway reads. */
function fromGemini(m: Obj): Obj {
  const n = (v: unknown) => (typeof v === "number" ? v : 0);
  return { prompt_tokens: n(m.promptTokenCount), completion_tokens: n(m.candidatesTokenCount) + n(m.thoughtsTokenCount), prompt_tokens_details: { cached_tokens: n(m.cachedContentTokenCount) } };
}

/** Every `"usageMetadata":{…}` object whole inside `text` (Gemini, Vertex Gemini). */
function geminiUsage(text: string): Obj[] {
  return scanUsageObjects(text.replaceAll('"usageMetadata"', '"usage"')).filter((u) => "promptTokenCount" in u || "candidatesTokenCount" in u).map(fromGemini);
}

/** Usage objects in the text of an answer: OpenAI/Anthropic `usage`, Gemini `usageMetadata`. */
export function usageObjectsIn(text: string): Obj[] {
  const direct = scanUsageObjects(text).filter((u) => !("promptTokenCount" in u));
  return direct.length ? direct : geminiUsage(text);
}

/** Anthropic events inside Bedrock's event-stream chunks, and Converse `metadata` events: their usage. */
function bedrockUsage(payload: Uint8Array, eventType: unknown): Obj[] {
  const o = JSON.parse(dec.decode(payload)) as Obj;
  if (eventType === "metadata") {
    const u = (o.usage ?? {}) as Obj;
    return [{ input_tokens: u.inputTokens, output_tokens: u.outputTokens, cache_read_input_tokens: u.cacheReadInputTokens ?? 0, cache_creation_input_tokens: u.cacheWriteInputTokens ?? 0 }];
  }
  if (typeof o.bytes !== "string") return [];
  return scanUsageObjects(Buffer.from(o.bytes, "base64").toString("utf8"));
}

/**
 * Relays an answer's bytes unchanged and reads its usage at the end: from head and tail windows of
 * text (JSON, SSE), or by decoding AWS event-stream frames (Bedrock streams). `onEnd` runs once,
 * when the body ends, fails, or the client goes away.
 */
export function tappedBody(
  body: ReadableStream<Uint8Array>,
  eventStream: boolean,
  onEnd: (usage: Usage | undefined, error: Error | undefined, headText: string) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const objs: Obj[] = [];
  const frames = eventStream ? new EventStreamDecoder() : undefined;
  const seen = new HeadTail();
  let ended = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    const headText = frames ? "" : seen.headText();
    if (!frames) {
      objs.push(...usageObjectsIn(headText));
      const tailText = seen.tailText();
      if (tailText) objs.push(...usageObjectsIn(tailText));
    }
    onEnd(usageFromObjects(objs), error, headText);
  };
  const observe = (chunk: Uint8Array) => {
    if (frames) {
      try {
        for (const m of frames.push(chunk)) if (m.headers[":message-type"] === "event") objs.push(...bedrockUsage(m.payload, m.headers[":event-type"]));
      } catch {
        /* not event-stream after all: usage stays unknown */
      }
    } else seen.push(chunk);
  };
  return directRelay({
    reader,
    chunk(value) {
      observe(value);
      return value;
    },
    end: () => end(),
    fail(e) {
      end(e);
      return undefined;
    },
    cancelled: (reason) => end(new Error(String(reason ?? "client cancelled"))),
  });
}
