import { sseEvent } from "../../gateway/sse.ts";
import { streamException } from "./errors.ts";
import { EventStreamDecoder, type EventMessage } from "./event-stream.ts";

const dec = new TextDecoder();

/** One `chunk` event of invoke-with-response-stream: `{"bytes": base64(<Anthropic event JSON>)}`. */
function anthropicEvent(m: EventMessage): string | undefined {
  const { bytes } = JSON.parse(dec.decode(m.payload)) as { bytes?: string };
  if (!bytes) return undefined;
  const event = JSON.parse(Buffer.from(bytes, "base64").toString("utf8")) as Record<string, unknown>;
  delete event["amazon-bedrock-invocationMetrics"];
  return sseEvent(event, typeof event.type === "string" ? event.type : undefined);
}

/** Bedrock invoke-with-response-stream (AWS event-stream frames) as Anthropic Messages SSE. */
export function invokeStreamToAnthropic(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new EventStreamDecoder();
  const enc = new TextEncoder();
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, out) {
      let text = "";
      for (const m of decoder.push(chunk)) {
        if (m.headers[":message-type"] === "exception" || m.headers[":message-type"] === "error") {
          throw streamException(String(m.headers[":exception-type"] ?? m.headers[":error-code"] ?? "exception"), m.payload);
        }
        if (m.headers[":event-type"] === "chunk") text += anthropicEvent(m) ?? "";
      }
      if (text) out.enqueue(enc.encode(text));
    },
    flush() {
      if (decoder.pending) throw new Error("bedrock event stream ended inside a message");
    },
  });
}
