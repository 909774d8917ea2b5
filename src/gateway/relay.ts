import { redactStreamChunk } from "../redaction.ts";
import { directRelay } from "./direct-stream.ts";
import { HeadTail } from "./head-tail.ts";
import { scanFirstId, scanUsageObjects, usageFromObjects, type Usage } from "./usage.ts";

export interface StreamOutcome {
  usage?: Usage;
  responseId?: string;
  /** epoch ms of the first chunk */
  firstChunkMs: number;
  endMs: number;
  /** "client_cancelled" when the client went away, an Error when the upstream broke. */
  error?: "client_cancelled" | Error;
  bytes: number;
}

/**
 * Relays an SSE body to the client byte for byte (the first chunk was read before committing to
 * this deployment) and keeps only a head and tail window, from which usage and the response id
 * are read once the stream ends. No per-chunk parsing.
 */
export function relayStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array | undefined,
  firstChunkMs: number,
  onEnd: (o: StreamOutcome) => void,
  errorEvent: (e: Error) => string,
  /** Sees every chunk relayed (the logging callbacks' copy of the answer). */
  tap?: (chunk: Uint8Array) => void,
): ReadableStream<Uint8Array> {
  const seen = new HeadTail();
  let total = 0;
  let ended = false;

  const observe = (chunk: Uint8Array) => {
    total += chunk.byteLength;
    tap?.(chunk);
    seen.push(chunk);
  };

  const finish = (error?: StreamOutcome["error"]) => {
    if (ended) return;
    ended = true;
    const headText = seen.headText();
    const tailText = seen.tailText();
    const usageObjs = scanUsageObjects(headText);
    if (tailText) usageObjs.push(...scanUsageObjects(tailText));
    onEnd({
      usage: usageFromObjects(usageObjs),
      responseId: scanFirstId(headText),
      firstChunkMs,
      endMs: Date.now(),
      error,
      bytes: total,
    });
  };

  if (first) observe(first);
  return directRelay({
    first: first && redactStreamChunk(first),
    reader,
    chunk(value) {
      observe(value);
      return redactStreamChunk(value);
    },
    end: () => finish(),
    fail(e) {
      finish(e);
      return new TextEncoder().encode(errorEvent(e));
    },
    cancelled: () => finish("client_cancelled"),
  });
}

/** Re-joins a pre-read first chunk with the rest of a reader, as a stream (for transforms). */
export function prepend(first: Uint8Array | undefined, reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let pending = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
