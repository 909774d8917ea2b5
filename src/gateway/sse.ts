const encoder = new TextEncoder();

/** One server-sent event: `event:` line when named (Anthropic, Responses), then `data:`. */
export function sseEvent(data: unknown, event?: string): string {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  return event ? `event: ${event}\ndata: ${payload}\n\n` : `data: ${payload}\n\n`;
}

export function sseBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A finished SSE body from a list of events. */
export function sseStream(events: string[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < events.length) controller.enqueue(encoder.encode(events[i++]!));
      else controller.close();
    },
  });
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
} as const;
