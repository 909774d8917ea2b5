import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../src/errors.ts";
import { readBodyBytes, readBodyText } from "../../src/http/body-reader.ts";
import { BodyBudget } from "../../src/limits/body-budget.ts";

const enc = new TextEncoder();

/** A request whose body arrives in `parts`, the next one only once `release` is called (or at once). */
function trickled(parts: string[], opts: { length?: number; hold?: boolean } = {}) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (i === 1 && opts.hold) await gate;
      if (i >= parts.length) return c.close();
      c.enqueue(enc.encode(parts[i++]!));
    },
  });
  const headers: Record<string, string> = opts.length === undefined ? {} : { "content-length": String(opts.length) };
  return { req: new Request("http://x/", { method: "POST", body, headers, duplex: "half" } as RequestInit), release };
}

const statusOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as GatewayError).status;
  }
};

describe("readBodyBytes", () => {
  test("joins the chunks of a body", async () => {
    const { req } = trickled(["ab", "cd", "é"], { length: 6 });
    expect(await readBodyText(req, { maxBytes: 100, timeoutMs: 0 })).toBe("abcdé");
  });

  test("a declared length over max_request_size_mb is refused before a byte is read; a chunked body is cut when it passes it", async () => {
    const declared = trickled(["x"], { length: 101 });
    const e = (await readBodyBytes(declared.req, { maxBytes: 100, timeoutMs: 0 }).catch((x) => x)) as GatewayError;
    expect(e.status).toBe(413);
    expect(e.message).toContain("max_request_size_mb");
    expect(declared.req.bodyUsed).toBe(false);
    expect(await statusOf(readBodyBytes(trickled(["x".repeat(60), "x".repeat(60)]).req, { maxBytes: 100, timeoutMs: 0 }))).toBe(413);
  });

  test("a body not received within the timeout is a 408 that closes the connection", async () => {
    const { req } = trickled(["{", "}"], { hold: true });
    const e = (await readBodyBytes(req, { maxBytes: 100, timeoutMs: 50 }).catch((x) => x)) as GatewayError;
    expect(e.status).toBe(408);
    expect(e.headers.connection).toBe("close");
    expect(e.message).toContain("request_body_timeout_seconds");
  });

  test("bytes in flight: a body that would pass the budget is a 503 while another is being received; the budget is given back after", async () => {
    const budget = new BodyBudget(100);
    const first = trickled(["x".repeat(30), "x".repeat(50)], { length: 80, hold: true });
    const reading = readBodyBytes(first.req, { maxBytes: 1000, timeoutMs: 0, budget });
    await Bun.sleep(5);
    expect(budget.inUse).toBe(80);
    const second = (await readBodyBytes(trickled(["y".repeat(40)], { length: 40 }).req, { maxBytes: 1000, timeoutMs: 0, budget }).catch((x) => x)) as GatewayError;
    expect(second.status).toBe(503);
    expect(second.message).toContain("max_request_body_in_flight_mb");
    expect(await statusOf(readBodyBytes(trickled(["z".repeat(20)], { length: 20 }).req, { maxBytes: 1000, timeoutMs: 0, budget }))).toBe(200);
    first.release();
    expect((await reading).byteLength).toBe(80);
    expect(budget.inUse).toBe(0);
    expect(await statusOf(readBodyBytes(trickled(["y".repeat(40)], { length: 40 }).req, { maxBytes: 1000, timeoutMs: 0, budget }))).toBe(200);
  });

  test("a body larger than the whole budget is received when it is alone; a chunked body reserves as it arrives", async () => {
    const budget = new BodyBudget(10);
    expect(await statusOf(readBodyBytes(trickled(["x".repeat(50)], { length: 50 }).req, { maxBytes: 1000, timeoutMs: 0, budget }))).toBe(200);
    const chunked = trickled(["x".repeat(8), "x".repeat(8)], { hold: true });
    const reading = readBodyBytes(chunked.req, { maxBytes: 1000, timeoutMs: 0, budget });
    await Bun.sleep(5);
    expect(budget.inUse).toBe(8);
    chunked.release();
    expect(await statusOf(reading)).toBe(503);
    expect(budget.inUse).toBe(0);
  });
});
