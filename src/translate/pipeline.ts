import { GatewayError, kindForStatus } from "../errors.ts";
import { applyDefaults } from "./defaults.ts";
import { estimateInputTokens } from "./estimate.ts";
import type { StreamEvent } from "./ir.ts";
import { SseParser, type SseMessage } from "./sse.ts";
import type { ClientCodec, StreamDecoder, StreamEncoder, Translator, UpstreamCodec } from "./types.ts";

const encoder = new TextEncoder();

/** A translator from a client codec and an upstream codec. */
export function pair(client: ClientCodec, upstream: UpstreamCodec): Translator {
  return {
    request: (body, ctx) => {
      const conv = client.decodeRequest(body, ctx);
      if (ctx.defaults) applyDefaults(conv, ctx.defaults);
      if (conv.stream) ctx.inputTokens = estimateInputTokens(conv);
      return upstream.encodeRequest(conv, ctx);
    },
    response: (body, ctx) => client.encodeResponse(upstream.decodeResponse(body, ctx), ctx),
    stream: (ctx) => translateStream(upstream.streamDecoder(ctx), client.streamEncoder(ctx)),
  };
}

function errorBeforeOutput(ev: Extract<StreamEvent, { type: "error" }>): GatewayError {
  const kind = kindForStatus(ev.status);
  return new GatewayError(ev.status, `litellm.${kind}: upstream stream error (${ev.errorType}): ${ev.message}`, { kind });
}

/**
 * SSE bytes in the upstream protocol → SSE bytes in the client's. The client's opening event goes
 * out as soon as the upstream's stream starts (time to first byte follows the upstream's). An
 * upstream error before anything reached the client (including one in the same read as the
 * upstream's start) fails the stream with a GatewayError, so the router can still retry or fall
 * back; after that it becomes the client protocol's error event and the stream ends.
 */
export function translateStream(dec: StreamDecoder, enc: StreamEncoder): TransformStream<Uint8Array, Uint8Array> {
  const parser = new SseParser();
  let sentAny = false;
  let done = false;
  let failed = false;

  const handle = (msgs: SseMessage[], c: TransformStreamDefaultController<Uint8Array>, atEnd: boolean) => {
    let out = "";
    let content = false;
    outer: for (const m of msgs) {
      for (const ev of dec.push(m)) {
        if (ev.type === "error") {
          if (!sentAny && !content) {
            done = failed = true;
            c.error(errorBeforeOutput(ev));
            return;
          }
          out += enc.error(ev);
          done = true;
          break outer;
        }
        if (ev.type === "end") {
          out += enc.finish();
          done = true;
          break outer;
        }
        const piece = enc.push(ev);
        if (piece && ev.type !== "start") content = true;
        out += piece;
      }
    }
    if (!done && atEnd) {
      out += enc.finish();
      done = true;
    }
    if (out) {
      c.enqueue(encoder.encode(out));
      sentAny = true;
    }
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      if (done) return;
      handle(parser.push(chunk), c, false);
      // Nothing useful follows the end or an error: stop reading the upstream.
      if (done && !failed) c.terminate();
    },
    flush(c) {
      if (!done) handle(parser.end(), c, true);
    },
  });
}
