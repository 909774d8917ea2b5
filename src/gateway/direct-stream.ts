export interface DirectRelay {
  /** A chunk read before the relay started (the first one, read to commit to a deployment). */
  first?: Uint8Array;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Sees each chunk read (not `first`) and returns the bytes to send for it. */
  chunk(value: Uint8Array): Uint8Array;
  /** The upstream ended. */
  end(): void;
  /** The upstream failed: returns the bytes to send before closing, or nothing to abort the answer. */
  fail(e: Error): Uint8Array | undefined;
  /** The client went away. */
  cancelled(reason: unknown): void;
}

/**
 * Relays a reader as one of Bun's direct streams: the server writes each chunk straight to the
 * socket (measured at 50 concurrent small streams: about half the CPU per request of a pull stream,
 * which queues each chunk and settles a promise per read).
 */
export function directRelay(r: DirectRelay): ReadableStream<Uint8Array> {
  let settled = false;
  const once = (f: () => void) => {
    if (settled) return;
    settled = true;
    f();
  };
  const cancel = (reason: unknown) =>
    once(() => {
      r.reader.cancel(reason).catch(() => {});
      r.cancelled(reason);
    });
  const source: Bun.DirectUnderlyingSource<Uint8Array> = {
    type: "direct",
    async pull(controller) {
      let out = r.first;
      for (;;) {
        if (out) {
          try {
            const w = controller.write(out);
            if (w instanceof Promise) await w;
          } catch (e) {
            cancel(e);
            return;
          }
        }
        let next: Awaited<ReturnType<typeof r.reader.read>>;
        try {
          next = await r.reader.read();
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          if (settled) return;
          settled = true;
          const last = r.fail(err);
          try {
            if (last) controller.write(last);
            controller.close(last ? undefined : err);
          } catch {
            /* client already gone */
          }
          return;
        }
        if (settled) return;
        if (next.done) {
          try {
            controller.close();
          } catch {
            /* client already gone */
          }
          once(() => r.end());
          return;
        }
        out = r.chunk(next.value);
      }
    },
    cancel,
  };
  // The DOM lib's constructor overloads hide Bun's direct-source one.
  return new ReadableStream<Uint8Array>(source as unknown as UnderlyingDefaultSource<Uint8Array>);
}
