import { describe, expect, test } from "bun:test";
import { scanObject, type ScannedObject } from "../../src/gateway/json-scan.ts";
import { traceBodies } from "./translate/helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);

function scanned(text: string, maxDepth = 1024): ScannedObject {
  const r = scanObject(bytes(text), maxDepth);
  if (typeof r === "string") throw new Error(`scan said ${r} for ${text.slice(0, 80)}`);
  return r;
}

/** Each key's value as JSON.parse of its bytes, last occurrence winning. */
function decoded(text: string): Record<string, unknown> {
  const b = bytes(text);
  const s = scanned(text);
  const out: Record<string, unknown> = {};
  for (const [k, at] of s.index) {
    const m = s.members[at]!;
    out[k] = JSON.parse(dec.decode(b.subarray(m.valueStart, m.valueEnd)));
  }
  return out;
}

/** The scanner agrees with JSON.parse: same keys in the same order and the same values. */
function expectAgrees(text: string): void {
  expect(Object.entries(decoded(text))).toEqual(Object.entries(JSON.parse(text)));
}

describe("top-level JSON field scanner", () => {
  test("locates each member's value bytes", () => {
    const text = '{"model":"claude-x","stream":true,"max_tokens":1024,"messages":[{"role":"user","content":"hi"}]}';
    const s = scanned(text);
    expect(s.members.map((m) => m.key)).toEqual(["model", "stream", "max_tokens", "messages"]);
    const m = s.members[0]!;
    expect(text.slice(m.valueStart, m.valueEnd)).toBe('"claude-x"');
    expect(text.slice(m.keyStart, m.valueStart)).toBe('"model":');
    expect(s.open).toBe(0);
    expect(s.close).toBe(text.length - 1);
    expectAgrees(text);
  });

  test("escaped quotes and backslash runs inside strings", () => {
    for (const text of [
      String.raw`{"a":"x\"y","model":"m"}`,
      String.raw`{"a":"x\\","model":"m"}`,
      String.raw`{"a":"x\\\"","model":"m"}`,
      String.raw`{"a":"\\\\\\\\","model":"m"}`,
      String.raw`{"a":"\"","b":"\\\"\\","model":"m"}`,
      String.raw`{"a\"b":1,"model":"m"}`,
      String.raw`{"a":["\"]}",{"b":"\\"}],"model":"m"}`,
    ]) {
      expectAgrees(text);
      expect(decoded(text).model).toBe("m");
    }
  });

  test("escaped quotes and backslash runs at every offset of short and long strings", () => {
    for (let len = 0; len <= 40; len++) {
      for (const piece of ['"', "\\", '\\"', '\\\\"', '"\\']) {
        for (let at = 0; at <= len; at++) {
          const value = "x".repeat(at) + piece + "y".repeat(len - at);
          const text = JSON.stringify({ [value]: value, a: [value, { k: value }], model: "m" });
          expectAgrees(text);
          expect(decoded(text).model).toBe("m");
        }
      }
    }
  });

  test("a string left open after escapes is refused at every length", () => {
    for (let len = 0; len <= 40; len++) {
      for (const tail of ["\\", '\\"', "x"]) {
        const text = `{"model":"m","a":"${"x".repeat(len)}${tail}`;
        expect(scanObject(bytes(text), 1024), text).toBe("invalid");
        expect(scanObject(bytes(`${text}}`), 1024), text).toBe("invalid");
      }
    }
  });

  test('"model" inside strings and nested objects is not the top-level model', () => {
    const text = JSON.stringify({
      messages: [{ role: "user", content: 'set "model":"evil" please', model: "nested" }],
      system: '{"model":"in-a-string"}',
      tools: [{ input_schema: { properties: { model: { type: "string" } } } }],
      model: "real",
      metadata: { model: "meta" },
    });
    const s = scanned(text);
    expect(s.members.filter((m) => m.key === "model").length).toBe(1);
    expect(decoded(text).model).toBe("real");
    expectAgrees(text);
  });

  test("unicode escapes, raw UTF-8 and escaped keys", () => {
    for (const text of [
      String.raw`{"a":"\u0022","model":"m\u00e9"}`,
      String.raw`{"\u006dodel":"escaped-key"}`,
      '{"a":"héllo wörld 🎉","model":"日本"}',
      String.raw`{"a":"\ud83c\udf89","b":"\u005c","model":"m"}`,
      '{"ключ":{"значение":["🎉"]},"model":"m"}',
    ]) expectAgrees(text);
    expect(decoded(String.raw`{"\u006dodel":"escaped-key"}`).model).toBe("escaped-key");
  });

  test("whitespace everywhere", () => {
    const text = ' \n\t{ \r\n "model" \t:\n "m" , "n" : [ 1 , { "x" : null } , [ ] , { } ] ,"e":{ } , "f" : -0.5e+3 ,"t":true,"z":false }\n \t';
    expectAgrees(text);
    const s = scanned(text);
    const n = s.members[1]!;
    expect(text.slice(n.valueStart, n.valueEnd)).toBe('[ 1 , { "x" : null } , [ ] , { } ]');
  });

  test("an empty object and scalars of every kind", () => {
    expect(scanned("{}").members).toEqual([]);
    expect(scanned(" { } ").members).toEqual([]);
    expectAgrees('{"a":0,"b":-1,"c":1.25,"d":1e9,"e":1E-9,"f":-0.0e0,"g":null,"h":true,"i":false,"j":"","k":[],"l":{}}');
    expectAgrees('{"max_tokens":1e999}');
  });

  test("duplicate top-level keys: the last wins, at the first one's place in key order", () => {
    const text = '{"model":"first","x":1,"model":"second","y":2,"model":"third"}';
    const s = scanned(text);
    expect(s.members.length).toBe(5);
    expect([...s.index.keys()]).toEqual(Object.keys(JSON.parse(text)));
    expect(decoded(text).model).toBe(JSON.parse(text).model);
    expectAgrees(text);
  });

  test("invalid structure is refused", () => {
    for (const text of [
      "",
      " ",
      "{not json",
      "{",
      "}",
      '{"a"}',
      '{"a":}',
      '{"a" 1}',
      '{"a":1,}',
      '{,"a":1}',
      '{"a":1 "b":2}',
      '{"a":1}{"b":2}',
      '{"a":1} x',
      "{'a':1}",
      "{a:1}",
      '{"a":[1,]}',
      '{"a":[,1]}',
      '{"a":[1 2]}',
      '{"a":[}',
      '{"a":{]}',
      '{"a":{"b":1]}',
      '{"a":[1}]',
      '{"a":{"b"}}',
      '{"a":{"b":1,}}',
      '{"a":{1:2}}',
      '{"a":tru}',
      '{"a":nul}',
      '{"a":truex}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":-}',
      '{"a":1e}',
      '{"a":+1}',
      '{"a":0x10}',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":"unterminated}',
      '{"a":"x\\"}',
      '{"a\\":1}',
      '{"a":1}}',
      '{"a":[1]]}',
      '{"a":undefined}',
    ]) {
      expect(scanObject(bytes(text), 1024), text).toBe("invalid");
      expect(() => JSON.parse(text), text).toThrow();
    }
  });

  test("JSON that is not an object is refused", () => {
    for (const text of ["null", "12", '"str"', "[]", '[{"model":"m"}]', "true"]) expect(scanObject(bytes(text), 1024), text).toBe("invalid");
  });

  test("every truncation of a valid body is refused", () => {
    const text = JSON.stringify({ model: "m", messages: [{ role: "user", content: 'a "q" \\ b' }], n: -1.5e3, t: true, z: null, o: {} });
    for (let i = 0; i < text.length; i++) expect(scanObject(bytes(text.slice(0, i)), 1024), text.slice(0, i)).toBe("invalid");
  });

  test("nesting deeper than the limit is refused, the outer object counting as one level", () => {
    const nest = (n: number) => `${'{"a":'.repeat(n - 1)}{}${"}".repeat(n - 1)}`;
    expect(typeof scanObject(bytes(nest(1024)), 1024)).toBe("object");
    expect(scanObject(bytes(nest(1025)), 1024)).toBe("too-deep");
    expect(scanObject(bytes(`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`), 1024)).toBe("too-deep");
    expect(scanObject(bytes(`{"a":${"[".repeat(100_000)}`), 1024)).toBe("too-deep");
    expect(typeof scanObject(bytes(`{"a":${"[".repeat(5000)}${"]".repeat(5000)}}`), 10_000)).toBe("object");
  });

  test("string contents are not validated: the scanner's documented blind spot", () => {
    // JSON.parse refuses these; the scanner does not look inside strings, and a decode of the value does refuse them.
    for (const text of ['{"a":"raw\nnewline"}', '{"a":"bad \\x escape"}']) {
      const s = scanned(text);
      const m = s.members[0]!;
      expect(() => JSON.parse(text.slice(m.valueStart, m.valueEnd))).toThrow();
    }
  });

  test("Claude Code's recorded bodies scan to the same fields as JSON.parse", () => {
    const bodies = traceBodies("claude-code-requests.jsonl", "/v1/messages");
    expect(bodies.length).toBeGreaterThan(0);
    for (const { body } of bodies) {
      expectAgrees(JSON.stringify(body));
      expectAgrees(JSON.stringify(body, null, 2));
    }
  });
});
