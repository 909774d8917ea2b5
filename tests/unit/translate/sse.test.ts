import { describe, expect, test } from "bun:test";
import { SseParser, type SseMessage } from "../../../src/translate/sse.ts";
import { chunked } from "./helpers.ts";

function parse(chunks: Uint8Array[]): SseMessage[] {
  const p = new SseParser();
  return [...chunks.flatMap((c) => p.push(c)), ...p.end()];
}

const STREAM =
  ": keep-alive comment\n\n" +
  'event: message_start\ndata: {"type":"message_start","text":"héllo ✓ 😀"}\n\n' +
  'data: {"a":1}\r\n\r\n' +
  "data: line one\ndata: line two\n\n" +
  "event: ping\rdata: {}\r\r" +
  "data:no-space\n\n" +
  "data: [DONE]\n\n";

const EXPECTED: SseMessage[] = [
  { event: "message_start", data: '{"type":"message_start","text":"héllo ✓ 😀"}' },
  { data: '{"a":1}' },
  { data: "line one\nline two" },
  { event: "ping", data: "{}" },
  { data: "no-space" },
  { data: "[DONE]" },
];

describe("SseParser", () => {
  test("whole body, every single byte, and random cuts all give the same events", () => {
    for (const how of ["whole", "bytes", "random"] as const) {
      for (const seed of [1, 2, 3]) expect(parse(chunked(STREAM, how, seed))).toEqual(EXPECTED);
    }
  });

  test("a cut between \\r and \\n does not produce an extra empty line", () => {
    const text = 'data: {"x":1}\r\n\r\ndata: {"y":2}\r\n\r\n';
    const i = text.indexOf("\r") + 1;
    const bytes = new TextEncoder().encode(text);
    expect(parse([bytes.slice(0, i), bytes.slice(i)])).toEqual([{ data: '{"x":1}' }, { data: '{"y":2}' }]);
  });

  test("several events in one chunk, and a last event without its blank line", () => {
    expect(parse(chunked('data: 1\n\ndata: 2\n\ndata: 3', "whole"))).toEqual([{ data: "1" }, { data: "2" }, { data: "3" }]);
  });
});
