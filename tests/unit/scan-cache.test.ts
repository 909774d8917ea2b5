import { describe, expect, test } from "bun:test";
import { scanObject, type ScanResult } from "../../src/gateway/json-scan.ts";
import { ScanCache } from "../../src/gateway/scan-cache.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

/** A scan result compared as data (members, index in order, marks) or the refusal. */
const shape = (r: ScanResult) => (typeof r === "string" ? r : { open: r.open, close: r.close, members: r.members, index: [...r.index], marks: r.marks });

/** A Claude Code-like body of `turns` tool rounds, with a late `stream` and a field after `messages`. */
function session(turns: number, extra = ""): string {
  const messages: unknown[] = [{ role: "user", content: [{ type: "text", text: "read the files" }] }];
  for (let t = 0; t < turns; t++) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `toolu_${t}`, name: "Read", input: { file_path: `/src/f${t}.ts` } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${t}`, content: `export const x${t} = "a \\"quoted\\" \\\\ line";\n`.repeat(20) }] });
  }
  return `{"model":"claude-opus-4-8","messages":${JSON.stringify(messages)},"system":[{"type":"text","text":"sys"}],"tools":[{"name":"Read"}],"max_tokens":32000${extra},"stream":true}`;
}

/** Scans `next` after `prev` through a cache and checks it against a fresh scan of `next`. */
function expectResumeAgrees(prev: string, next: string): ScanCache {
  const cache = new ScanCache(1, 1 << 30);
  expect(shape(cache.scan("k", bytes(prev), 64))).toEqual(shape(scanObject(bytes(prev), 64, true)));
  expect(shape(cache.scan("k", bytes(next), 64))).toEqual(shape(scanObject(bytes(next), 64, true)));
  return cache;
}

describe("scans resumed from a client's last body", () => {
  test("a session's next turn scans to what a fresh scan finds, reading only what changed", () => {
    const prev = session(30);
    const cache = expectResumeAgrees(prev, session(31));
    expect(cache.skipped).toBeGreaterThan(prev.indexOf(',"system"') - 2000);
  });

  test("the same body again, bodies that part anywhere, shrink, or turn invalid after the shared part", () => {
    const base = session(12);
    const cuts = [1, 2, 17, 100, 1000, base.indexOf('"messages"') + 11, base.indexOf('"system"'), base.length - 30, base.length - 12, base.length - 1];
    const nexts = [base, session(12, ',"user":"u1"'), session(11), session(13), base.slice(0, -1), `${base} `, `${base}x`];
    for (const at of cuts) {
      nexts.push(base.slice(0, at) + "]" + base.slice(at + 1), base.slice(0, at) + " " + base.slice(at), base.slice(0, at) + "}", base.slice(0, at));
    }
    for (const next of nexts) expectResumeAgrees(base, next);
  });

  test("a number the next body lengthens right after a mark is read whole", () => {
    expectResumeAgrees('{"a":[1,12],"b":3}', '{"a":[1,123],"b":3}');
    expectResumeAgrees('{"a":[1,12],"b":3}', '{"a":[1,12e],"b":3}');
    expectResumeAgrees('{"a":1,"b":3}', '{"a":12,"b":3}');
  });

  test("duplicate keys and nesting past the limit after the shared part", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    expectResumeAgrees('{"m":"a","x":[1,2],"m":"b"}', '{"m":"a","x":[1,2,3],"m":"c","x":0}');
    expectResumeAgrees('{"x":[1,2],"y":1}', `{"x":[1,2,${deep(70)}],"y":1}`);
    expectResumeAgrees(`{"x":[1,2],"y":1}`, `{"x":[1,2],"y":${deep(70)}}`);
  });

  test("a resumed scan takes the earlier scan's members up to the mark and reads on from it", () => {
    const item = `"${"x".repeat(600)}"`;
    const text = (items: string[], rest: string) => `{"a":[${items.join(",")}],"b":true${rest}}`;
    const prev = scanObject(bytes(text([item, item, item], "")), 64, true);
    if (typeof prev === "string") throw new Error(prev);
    const ends = [1, 2, 3].map((n) => 6 + n * 603 - 1);
    expect(prev.marks!.at).toEqual([...ends, ends[2]! + 1, ends[2]! + 10]);
    expect(prev.marks!.member).toEqual([0, 0, 0, -1, -2]);
    const next = text([item, item, item, "4"], ',"c":null');
    expect(shape(scanObject(bytes(next), 64, true, { prev, mark: 1 }))).toEqual(shape(scanObject(bytes(next), 64, true)));
    // the bytes before the mark are not read again: the caller vouches they are the earlier ones
    const garbled = text(["x".repeat(602), item, item], "");
    expect(scanObject(bytes(garbled), 64)).toBe("invalid");
    expect(shape(scanObject(bytes(garbled), 64, true, { prev, mark: 1 }))).toEqual(shape(scanObject(bytes(text([item, item, item], "")), 64, true)));
  });

  test("an array of many small items gets a mark per 512 bytes, not one per item", () => {
    const r = scanObject(bytes(`{"input":[${Array.from({ length: 10_000 }, (_, k) => k).join(",")}]}`), 64, true);
    if (typeof r === "string") throw new Error(r);
    expect(r.marks!.at.length).toBeLessThan(100);
    expect(r.marks!.at.length).toBeGreaterThan(80);
    expect(scanObject(bytes('{"a":[1,2]}'), 64)).not.toHaveProperty("marks");
  });

  test("another credential's body is never compared", () => {
    const cache = new ScanCache(1, 1 << 30);
    cache.scan("alice", bytes(session(5)), 64);
    expect(shape(cache.scan("bob", bytes(session(5)), 64))).toEqual(shape(scanObject(bytes(session(5)), 64, true)));
    expect(cache.skipped).toBe(0);
    cache.scan("bob", bytes(session(6)), 64);
    expect(cache.skipped).toBeGreaterThan(0);
  });

  test("small bodies, anonymous calls and invalid bodies are not kept; the bytes held stay bounded", () => {
    const body = bytes(session(5));
    const cache = new ScanCache(body.byteLength, body.byteLength * 2);
    cache.scan("a", bytes('{"model":"m"}'), 64);
    cache.scan(undefined, body, 64);
    cache.scan("a", bytes(`${session(5)}x`), 64);
    expect(cache.heldBytes).toBe(0);
    for (const owner of ["a", "b", "c", "d"]) cache.scan(owner, body, 64);
    expect(cache.heldBytes).toBe(body.byteLength * 2);
    cache.scan("c", body, 64);
    expect(cache.skipped).toBeGreaterThan(0);
    const skipped = cache.skipped;
    cache.scan("a", body, 64);
    expect(cache.skipped).toBe(skipped);
  });

  test("a body is freed once its call is done and no entry keeps it, and never while its call runs", () => {
    const cache = new ScanCache(1, 1 << 30);
    const first = bytes(session(5));
    cache.scan("k", first, 64);
    cache.done("k", first);
    expect(first.buffer.detached).toBe(false);
    const second = bytes(session(6));
    expect(shape(cache.scan("k", second, 64))).toEqual(shape(scanObject(bytes(session(6)), 64, true)));
    expect(cache.skipped).toBeGreaterThan(0);
    expect(first.buffer.detached).toBe(true);
    const third = bytes(session(7));
    cache.scan("k", third, 64);
    expect(second.buffer.detached).toBe(false);
    cache.done("k", second);
    expect(second.buffer.detached).toBe(true);
    const other = bytes(session(2));
    cache.scan(undefined, other, 64);
    cache.done(undefined, other);
    expect(other.buffer.detached).toBe(true);
    const view = bytes(session(3)).subarray(1);
    cache.done(undefined, view);
    expect(view.buffer.detached).toBe(false);
  });
});
