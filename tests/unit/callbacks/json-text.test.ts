import { describe, expect, test } from "bun:test";
import { bodyBytes } from "../../../src/callbacks/body.ts";
import { JsonText, LargeStrings } from "../../../src/callbacks/json-text.ts";
import { LoggedCall } from "../../../src/callbacks/logged-call.ts";
import { encodeTraceRequest, encodeTraceRequestBody } from "../../../src/callbacks/otel/protobuf.ts";
import { SecretScrubber } from "../../../src/callbacks/redact.ts";
import { bodyOf } from "../../../src/callbacks/snapshot.ts";
import { decodeTraceRequest } from "../../fakes/otlp.ts";
import { fakeRecord, fakeRequest } from "./helpers.ts";

const long = (c: string) => `${c.repeat(3000)} "quoted" \\ back\u2028slash 🙂 é \u0001 ${c.repeat(3000)}`;
/** A prompt with every kind of character JSON escapes or encodes in several bytes, twice the same string. */
const prompt = long("x");
const value = {
  model: "m",
  messages: [
    { role: "system", content: "short \" \\ 🙂" },
    { role: "user", content: prompt },
    { role: "user", content: [{ type: "text", text: prompt }, { type: "text", text: long("日本") }] },
  ],
  lone: "\uD800 lone surrogate",
};

describe("JsonText: a payload's long strings serialized once and shared", () => {
  test("read as a string or as a body's bytes it is JSON.stringify of the value; each long string is one fragment, shared", () => {
    const large = new LargeStrings();
    const t = large.stringify(value);
    const whole = JSON.stringify(value);
    expect(t.toString()).toBe(whole);
    expect(t.length).toBe(whole.length);
    expect(t.byteLength).toBe(Buffer.byteLength(whole));
    expect(bodyBytes(t).equals(Buffer.from(whole))).toBe(true);
    const fragments = t.pieces.filter((p) => typeof p !== "string");
    expect(fragments).toHaveLength(3);
    expect(fragments[0]).toBe(fragments[1]!);
    // The same string in another value reuses the fragment already made.
    const again = large.stringify([{ parts: [{ type: "text", content: prompt }] }]);
    expect(again.pieces.find((p) => typeof p !== "string")).toBe(fragments[0]!);
    expect(again.toString()).toBe(JSON.stringify([{ parts: [{ type: "text", content: prompt }] }]));
  });

  test("head is the text's first characters (across fragments); list and splice join texts as strings would", () => {
    const t = new LargeStrings().stringify(value);
    const whole = JSON.stringify(value);
    for (const n of [0, 5, whole.indexOf(prompt) + 10, whole.length - 3, whole.length, whole.length + 100]) expect(t.head(n)).toBe(whole.slice(0, n));
    expect(JsonText.list([t, JsonText.of("1")]).toString()).toBe(`[${JSON.stringify(value)},1]`);
    expect(JsonText.list([t, t], "", "\n", "").toString()).toBe(`${JSON.stringify(value)}\n${JSON.stringify(value)}`);
    expect(JsonText.splice(`{"a":"M","b":["M"]}`, `"M"`, t).toString()).toBe(`{"a":${JSON.stringify(value)},"b":[${JSON.stringify(value)}]}`);
  });

  test("scrubText masks a secret wherever it is (inside a fragment, across a fragment's quote) exactly as scrub of the whole text", () => {
    const secret = "sk-provider-key-0123456789";
    const inPrompt = new LargeStrings().stringify({ a: "x", m: `${"y".repeat(5000)} ${secret} ${"y".repeat(10)}` });
    const s = new SecretScrubber();
    s.use([secret]);
    expect(s.scrubText(inPrompt).toString()).toBe(s.scrub(inPrompt.toString()));
    expect(s.scrubText(inPrompt).toString()).toContain("sk-***");
    const across = new LargeStrings().stringify({ a: "z".repeat(5000), b: 1 });
    s.use([`zz","b`]);
    expect(s.scrubText(across).toString()).toBe(s.scrub(across.toString()));
    expect(s.scrubText(across).toString()).not.toBe(across.toString());
    const clean = new LargeStrings().stringify(value);
    s.use([secret]);
    expect(s.scrubText(clean)).toBe(clean);
  });

  test("the call's payload JSON is JSON.stringify of its payload, scrubbed; its spans carry the prompt as the same bytes", () => {
    const scrubber = new SecretScrubber();
    scrubber.use(["sk-provider-key-0123456789"]);
    const call = new LoggedCall(fakeRecord(fakeRequest("openai-chat", value)), undefined, { contentOff: false, redactKeyInfo: false, userAgentTags: true, scrubber });
    expect(call.payloadText().toString()).toBe(JSON.stringify(call.payload()));
    expect(bodyBytes(call.payloadText()).toString()).toBe(JSON.stringify(call.payload()));
    const span = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", flags: 1, name: "s", kind: 1, startMs: 1, endMs: 2, events: [], status: { code: 1 } };
    const spans = [{ ...span, attributes: [["gen_ai.input.messages", call.json(value.messages)]] as Array<[string, JsonText]> }];
    const info = { resource: [], scopeName: "litellm", scopeVersion: "1" };
    const proto = encodeTraceRequest(spans, info);
    expect(bodyBytes(encodeTraceRequestBody(spans, info)).equals(Buffer.from(proto))).toBe(true);
    expect(decodeTraceRequest(proto)[0]!.attributes["gen_ai.input.messages"]).toBe(JSON.stringify(value.messages));
  });

  test("bodyOf: a body parsed whole reads as the gateway's lazy view; one that does not parse whole still reads member by member", async () => {
    const bytes = Buffer.from(JSON.stringify(value));
    const body = await bodyOf(bytes);
    expect(body.view).toEqual(value);
    expect(body.size).toBe(bytes.byteLength);
    const broken = Buffer.from(`{"model":"m","messages":[{"role":"user","content":"\\q"}],"user":"u"}`);
    const partial = await bodyOf(broken);
    expect(partial.view.model).toBe("m");
    expect(partial.view.user).toBe("u");
    expect(partial.view.messages).toBeUndefined();
    expect(partial.size).toBe(broken.byteLength);
  });

  test("bodyOf reads bytes as TextDecoder and JSON.parse do: a byte-order mark, invalid UTF-8, escaped lone surrogates, duplicate keys, __proto__, big numbers, deep nesting", async () => {
    const texts = [
      `\uFEFF{"a":"b"}`,
      `{"s":"\\ud800 and \\udfff","n":12345678901234567890,"f":1e400,"a":1,"a":2,"__proto__":{"x":1}}`,
      `{"deep":${"[".repeat(500)}${"]".repeat(500)}}`,
    ];
    const bodies = [...texts.map((t) => Buffer.from(t)), Buffer.concat([Buffer.from(`{"bad":"`), Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from(`"}`)])];
    for (const bytes of bodies) {
      const expected = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
      const got = (await bodyOf(bytes)).view;
      expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
      expect(Object.keys(got)).toEqual(Object.keys(expected as object));
    }
  });
});
