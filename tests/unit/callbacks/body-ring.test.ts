import { expect, test } from "bun:test";
import { BodyRing, ringReader } from "../../../src/callbacks/body-ring.ts";

for (const mapped of [true, false]) {
  test(`${mapped ? "mapped outside the heap (Linux)" : "a SharedArrayBuffer"}: bodies written at their places read back whole from the handle the worker gets, overwritten in place`, () => {
    const ring = new BodyRing(1024 * 1024, mapped);
    if (mapped && process.platform === "linux") expect(ring.handle).not.toBeInstanceOf(SharedArrayBuffer);
    const read = ringReader(structuredClone(ring.handle));
    const body = (c: string, n: number) => new TextEncoder().encode(c.repeat(n));
    ring.write(0, body("a", 300_000));
    ring.write(300_000, body("b", 700_000));
    ring.write(1_000_000, new Uint8Array(0));
    expect(new TextDecoder().decode(read(0, 300_000))).toBe("a".repeat(300_000));
    expect(new TextDecoder().decode(read(300_000, 700_000))).toBe("b".repeat(700_000));
    expect(read(5, 0).byteLength).toBe(0);
    ring.write(0, body("c", 10));
    expect(new TextDecoder().decode(read(0, 12))).toBe("cccccccccca" + "a");
    ring.close();
  });
}
