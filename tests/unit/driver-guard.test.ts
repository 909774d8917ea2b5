import { expect, test } from "bun:test";
import { isClosedSocketWrite } from "../../src/db/driver-guard.ts";

test("only the driver's write-on-a-closed-socket TypeError is survivable", () => {
  const fromDriver = (() => {
    try {
      const socket: { write(x: string): void } | null = null as { write(x: string): void } | null;
      socket!.write("x");
    } catch (e) {
      return e;
    }
  })();
  expect(isClosedSocketWrite(fromDriver)).toBe(true);
  expect(isClosedSocketWrite(new TypeError("null is not an object (evaluating 'x.write')"))).toBe(true);
  expect(isClosedSocketWrite(new TypeError("null is not an object (evaluating 'x.read')"))).toBe(false);
  expect(isClosedSocketWrite(new Error("null is not an object (evaluating 'x.write')"))).toBe(false);
  expect(isClosedSocketWrite("boom")).toBe(false);
});
