import { S3Client } from "bun";
import { afterAll, describe, expect, test } from "bun:test";
import { bodyBytes } from "../../../src/callbacks/body.ts";

const received: Uint8Array[] = [];
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    received.push(new Uint8Array(await req.arrayBuffer()));
    return new Response(null, { headers: { etag: '"0"' } });
  },
});
afterAll(() => server.stop(true));

describe("bodyBytes: every delivery's body written into one reused buffer", () => {
  test("strings as UTF-8 (a lone surrogate as U+FFFD, as fetch sends it) and bytes, one after another; the next body reuses the memory", () => {
    const parts = ['{"a":"é 🙂 日本 \uD800"', new Uint8Array([44, 34, 98, 34]), ":1}"];
    const first = bodyBytes({ parts });
    expect(first.toString()).toBe('{"a":"é 🙂 日本 \uFFFD","b":1}');
    expect(first.equals(Buffer.from(parts.map((p) => (typeof p === "string" ? p : Buffer.from(p).toString())).join("")))).toBe(true);
    const second = bodyBytes({ parts: ["x".repeat(10)] });
    expect(second.toString()).toBe("x".repeat(10));
    expect(second.buffer).toBe(first.buffer);
    expect(bodyBytes({ parts: [] }).length).toBe(0);
  });

  test("a body past the shared buffer's bound gets memory of its own", () => {
    const small = bodyBytes({ parts: ["small"] });
    const big = new Uint8Array(33 * 1024 * 1024).fill(7);
    const out = bodyBytes({ parts: ["[", big, "]"] });
    expect(out.length).toBe(big.length + 2);
    expect([out[0], out[1], out[out.length - 2], out[out.length - 1]]).toEqual([91, 7, 7, 93]);
    expect(out.buffer).not.toBe(small.buffer);
  });

  test("Bun's fetch and S3Client.write copy a byte-array body when called (the buffer is then free for the next body)", async () => {
    received.length = 0;
    const url = `http://127.0.0.1:${server.port}`;
    const body = bodyBytes({ parts: ["a".repeat(300_000)] });
    const sent = fetch(`${url}/x`, { method: "POST", body });
    bodyBytes({ parts: ["b".repeat(300_000)] });
    await (await sent).arrayBuffer();
    const s3 = new S3Client({ bucket: "b", region: "us-east-1", endpoint: url, accessKeyId: "a", secretAccessKey: "s" });
    const put = s3.write("k", bodyBytes({ parts: ["c".repeat(300_000)] }), { type: "application/json" });
    bodyBytes({ parts: ["d".repeat(300_000)] });
    await put;
    expect(received.map((b) => [b.length, String.fromCharCode(b[0]!), String.fromCharCode(b[b.length - 1]!)])).toEqual([
      [300_000, "a", "a"],
      [300_000, "c", "c"],
    ]);
  });
});
