import { describe, expect, test } from "bun:test";
import { passthroughBody, type BodyPlan } from "../../src/gateway/body.ts";
import { scanObject } from "../../src/gateway/json-scan.ts";
import { RequestBody } from "../../src/gateway/request-body.ts";
import { GatewayError } from "../../src/errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function bodyOf(text: string): RequestBody {
  const bytes = enc.encode(text);
  const scan = scanObject(bytes, 1024);
  if (typeof scan === "string") throw new Error(scan);
  return new RequestBody(bytes, scan);
}

const plan = (p: Partial<BodyPlan> = {}): BodyPlan => ({ upstreamModel: "m", upstreamProtocol: "anthropic-messages", stream: true, dropMetadata: false, ...p });
const out = (text: string, p: Partial<BodyPlan> = {}) => dec.decode(passthroughBody(bodyOf(text), plan(p)));

describe("RequestBody", () => {
  test("fields decode on first read and are cached; the view reads like the parsed object", () => {
    const text = '{"model":"m","messages":[{"role":"user","content":"hi"}],"metadata":{"user_id":"u"},"stream":true}';
    const b = bodyOf(text);
    expect(b.get("metadata")).toBe(b.get("metadata"));
    expect(b.get("absent")).toBeUndefined();
    expect(b.has("stream")).toBe(true);
    const v = b.view;
    expect(v.metadata).toBe(b.get("metadata"));
    expect("messages" in v).toBe(true);
    expect("absent" in v).toBe(false);
    expect(v).toEqual(JSON.parse(text));
    expect(JSON.stringify(v)).toBe(text);
    expect({ ...v }).toEqual(JSON.parse(text));
    expect(b.size).toBe(enc.encode(text).byteLength);
    expect(b.object()).toEqual(JSON.parse(text));
  });

  test("reading one field never decodes another", () => {
    const b = bodyOf('{"model":"m","messages":[1,2,3],"user":"u"}');
    expect(b.view.user).toBe("u");
    expect((b as unknown as { values: Map<string, unknown> }).values.has("messages")).toBe(false);
  });

  test("the view takes writes like a plain object", () => {
    const v = bodyOf('{"model":"m"}').view;
    v.model = "other";
    v.extra = 1;
    expect(v).toEqual({ model: "other", extra: 1 });
  });

  test("duplicate keys: the last wins, as JSON.parse decides", () => {
    const text = '{"model":"a","x":1,"model":"b"}';
    expect(bodyOf(text).view).toEqual(JSON.parse(text));
  });

  test("a value whose bytes are not valid JSON is a 400 with JSON.parse's message when read, undefined through the view", () => {
    const text = '{"model":"raw\nnewline","messages":[]}';
    const b = bodyOf(text);
    let err: unknown;
    try {
      b.get("model");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    expect((err as GatewayError).message).toStartWith("Invalid JSON in request body: ");
    expect(bodyOf(text).view.model).toBeUndefined();
    expect(() => bodyOf(text).checkSmallMembers()).toThrow(GatewayError);
    expect(() => bodyOf('{"a":"x","a":"raw\ttab"}').checkSmallMembers()).toThrow(GatewayError);
  });

  test("fromObject and lenient", () => {
    expect(RequestBody.fromObject({ a: [1] }).view).toEqual({ a: [1] });
    expect(dec.decode(RequestBody.fromObject({ a: [1] }).bytes)).toBe('{"a":[1]}');
    expect(RequestBody.lenient(enc.encode("nope")).view).toEqual({});
    expect(RequestBody.lenient(enc.encode('{"a":1}')).view).toEqual({ a: 1 });
  });
});

describe("passthroughBody: byte splices of a same-protocol body", () => {
  const claude = '{ "model" : "claude-x",\n "messages":[{"role":"user","content":"say \\"model\\":\\"x\\""}],\n "max_tokens":10, "stream":true }';

  test("nothing to change: the very same bytes", () => {
    const b = bodyOf(claude);
    expect(passthroughBody(b, plan({ upstreamModel: "claude-x" }))).toBe(b.bytes);
  });

  test("a rename replaces only the top-level model value, keeping every other byte", () => {
    expect(out(claude, { upstreamModel: "claude-sonnet-4" })).toBe(claude.replace('"claude-x"', '"claude-sonnet-4"'));
    expect(out('{"messages":[{"model":"keep"}],"model":"a"}', { upstreamModel: 'we"ird' })).toBe('{"messages":[{"model":"keep"}],"model":"we\\"ird"}');
  });

  test("a model written with escapes, or not a string, is still replaced", () => {
    expect(JSON.parse(out('{"model":"cl\\u0061ude","x":1}', { upstreamModel: "up" }))).toEqual({ model: "up", x: 1 });
    expect(JSON.parse(out('{"model":12,"x":1}', { upstreamModel: "up" }))).toEqual({ model: "up", x: 1 });
  });

  test("duplicate model keys: the earlier ones go, the last is renamed", () => {
    const o = out('{"model":"a","x":1,"model":"b"}', { upstreamModel: "up" });
    expect(o).toBe('{"x":1,"model":"up"}');
  });

  test("no model in the body: one is added", () => {
    expect(JSON.parse(out('{"input":"hi"}', { upstreamModel: "up" }))).toEqual({ model: "up", input: "hi" });
    expect(out("{}", { upstreamModel: "up" })).toBe('{"model":"up"}');
  });

  test("LiteLLM-only fields are cut wherever they sit, with their commas", () => {
    const cases: Array<[string, string]> = [
      ['{"fallbacks":["x"],"model":"m","a":1}', '{"model":"m","a":1}'],
      ['{"model":"m","num_retries":2}', '{"model":"m"}'],
      ['{"model":"m","caching":true,"a":1}', '{"model":"m","a":1}'],
      ['{"model":"m","timeout":1,"mock_timeout":false,"a":1,"guardrails":[]}', '{"model":"m","a":1}'],
      ['{"timeout":1,"fallbacks":[]}', '{"model":"m"}'],
      ['{ "timeout" : 1 , "model" : "m" }', '{ "model" : "m" }'],
    ];
    for (const [input, want] of cases) {
      const o = out(input);
      expect(JSON.parse(o), input).toEqual(JSON.parse(want));
      expect(o.replace(/\s/g, ""), input).toBe(want.replace(/\s/g, ""));
    }
  });

  test("a cut keeps the layout of the members around it", () => {
    expect(out('{\n  "timeout": 1,\n  "model": "m",\n  "caching": true,\n  "a": [1]\n}')).toBe('{\n  "model": "m",\n  "a": [1]\n}');
    expect(out('{\n  "model": "m",\n  "timeout": 1\n}')).toBe('{\n  "model": "m"\n}');
  });

  test("metadata is dropped for an OpenAI chat upstream only", () => {
    expect(JSON.parse(out('{"model":"m","metadata":{"user_id":"u"},"messages":[]}', { dropMetadata: true, stream: false, upstreamProtocol: "openai-chat" }))).toEqual({ model: "m", messages: [] });
    expect(JSON.parse(out('{"model":"m","metadata":{"user_id":"u"}}'))).toEqual({ model: "m", metadata: { user_id: "u" } });
  });

  test("stream_options is added for a streamed OpenAI upstream unless the client set it", () => {
    expect(JSON.parse(out('{"model":"m","stream":true}', { upstreamProtocol: "openai-chat" }))).toEqual({ stream_options: { include_usage: true }, model: "m", stream: true });
    expect(JSON.parse(out('{"model":"m","stream":true,"stream_options":null}', { upstreamProtocol: "openai-chat" }))).toEqual({ model: "m", stream: true, stream_options: null });
    expect(JSON.parse(out('{"model":"m","stream":false}', { upstreamProtocol: "openai-chat", stream: false }))).toEqual({ model: "m", stream: false });
  });

  test("deployment defaults fill only absent fields", () => {
    const o = JSON.parse(out('{"model":"m","temperature":0.1}', { defaults: { temperature: 1, seed: 7 } }));
    expect(o).toEqual({ seed: 7, model: "m", temperature: 0.1 });
  });

  test("every change at once", () => {
    const o = out('{"fallbacks":["z"],"model":"a","metadata":{},"stream":true,"model":"b","timeout":3}', { upstreamModel: "up", upstreamProtocol: "openai-chat", dropMetadata: true, defaults: { seed: 1 } });
    expect(JSON.parse(o)).toEqual({ stream_options: { include_usage: true }, seed: 1, stream: true, model: "up" });
  });
});
