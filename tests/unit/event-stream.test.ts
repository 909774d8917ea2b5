import { describe, expect, test } from "bun:test";
import { decodeMessage, EventStreamDecoder, EventStreamError } from "../../src/providers/bedrock/event-stream.ts";
import { invokeStreamToAnthropic } from "../../src/providers/bedrock/invoke-stream.ts";
import { GatewayError } from "../../src/errors.ts";
import { encodeEventMessage, eventFrame, exceptionFrame } from "../fakes/aws-event-stream.ts";

const enc = new TextEncoder();

describe("AWS event-stream decoding", () => {
  test("decodes a hand-laid frame: lengths, CRCs, string header, payload", () => {
    // total = 12 prelude + headers (1+2+1+2+1 = 7) + payload 2 + 4 crc = 25
    const frame = new Uint8Array([0, 0, 0, 25, 0, 0, 0, 7, 0, 0, 0, 0, 2, 0x68, 0x69, 7, 0, 1, 0x78, 0x6f, 0x6b, 0, 0, 0, 0]);
    const view = new DataView(frame.buffer);
    view.setUint32(8, Bun.hash.crc32(frame.subarray(0, 8)));
    view.setUint32(21, Bun.hash.crc32(frame.subarray(0, 21)));
    const m = decodeMessage(frame);
    expect(m.headers).toEqual({ hi: "x" });
    expect(new TextDecoder().decode(m.payload)).toBe("ok");
  });

  test("rejects a corrupted payload (message CRC) and a corrupted prelude", () => {
    const good = encodeEventMessage({ ":event-type": "chunk" }, enc.encode('{"a":1}'));
    const badPayload = good.slice();
    badPayload[badPayload.length - 6]! ^= 0xff;
    expect(() => decodeMessage(badPayload)).toThrow(/message CRC/);
    const badPrelude = good.slice();
    badPrelude[9]! ^= 0x01;
    expect(() => decodeMessage(badPrelude)).toThrow(/prelude CRC/);
    const badLength = good.slice();
    badLength[5]! ^= 0x01;
    expect(() => decodeMessage(badLength)).toThrow(EventStreamError);
  });

  test("joins frames split across chunks and splits frames sharing a chunk", () => {
    const a = eventFrame("chunk", { n: 1 });
    const b = eventFrame("chunk", { n: 2 });
    const all = new Uint8Array([...a, ...b]);
    const d = new EventStreamDecoder();
    const out = [...d.push(all.subarray(0, 5)), ...d.push(all.subarray(5, a.length + 3)), ...d.push(all.subarray(a.length + 3))];
    expect(out.map((m) => JSON.parse(new TextDecoder().decode(m.payload)))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(out[0]!.headers[":message-type"]).toBe("event");
    expect(d.pending).toBe(false);
  });
});

async function run(frames: Uint8Array[]): Promise<string> {
  const src = new ReadableStream<Uint8Array>({
    start(c) {
      for (const f of frames) c.enqueue(f);
      c.close();
    },
  });
  return new Response(src.pipeThrough(invokeStreamToAnthropic())).text();
}

describe("invoke-with-response-stream → Anthropic SSE", () => {
  test("chunk events become named SSE events; Bedrock's metrics are dropped", async () => {
    const ev = (o: unknown) => eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(o)).toString("base64") });
    const text = await run([ev({ type: "message_start", message: { id: "msg_1" } }), ev({ type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 1 } })]);
    expect(text).toBe('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1"}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n');
  });

  test("an exception frame fails the stream with the mapped status", async () => {
    const err = await run([exceptionFrame("throttlingException", "slow down")]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(429);
    expect((err as GatewayError).message).toContain("slow down");
  });
});
