import { expect, test } from "bun:test";
import { MemoryResponses } from "../../src/gateway/responses-memory.ts";

const msg = (text: string) => ({ type: "message", role: "user", content: text });

test("a chain of turns is replayed oldest first; a missing link makes the id unknown", () => {
  const m = new MemoryResponses();
  m.remember("r1", { input: [msg("a")], output: [msg("A")] });
  m.remember("r2", { previous: "r1", input: [msg("b")], output: [msg("B")] });
  expect(m.items("r2")).toEqual([msg("a"), msg("A"), msg("b"), msg("B")]);
  expect(m.items("r3")).toBeUndefined();
  m.remember("r4", { previous: "gone", input: [msg("c")], output: [] });
  expect(m.items("r4")).toBeUndefined();
});

test("past its byte budget the least recently used turns are dropped", () => {
  const big = "x".repeat(400);
  const m = new MemoryResponses(2000);
  for (const id of ["a", "b", "c"]) m.remember(id, { input: [msg(big)], output: [] });
  expect(m.items("a")).toBeDefined();
  m.remember("d", { input: [msg(big)], output: [] });
  m.remember("e", { input: [msg(big)], output: [] });
  expect(m.items("b")).toBeUndefined();
  expect(m.items("a")).toBeDefined();
  expect(m.items("e")).toBeDefined();
});
