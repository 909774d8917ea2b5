import { describe, expect, test } from "bun:test";
import { signatureFromId } from "../../src/providers/gemini/ids.ts";
import { chatToGemini } from "../../src/providers/gemini/request.ts";
import { geminiToChat } from "../../src/providers/gemini/response.ts";
import { geminiStreamToChat } from "../../src/providers/gemini/stream.ts";

describe("OpenAI chat → Gemini request", () => {
  test("system, multimodal user, assistant tool call, tool result (merged), tools and config", () => {
    const g = chatToGemini({
      messages: [
        { role: "system", content: "sys A" },
        { role: "developer", content: [{ type: "text", text: "sys B" }] },
        { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }, { type: "image_url", image_url: { url: "https://x.test/a.jpg" } }] },
        { role: "assistant", content: "calling", tool_calls: [{ id: "call_1__thought__SIG", type: "function", function: { name: "f", arguments: '{"a":1}' } }, { id: "call_2", type: "function", function: { name: "g", arguments: "" } }] },
        { role: "tool", tool_call_id: "call_1", content: '{"ok":true}' },
        { role: "tool", tool_call_id: "call_2", content: "plain" },
      ],
      tools: [{ type: "function", function: { name: "f", description: "d", parameters: { $schema: "x", type: "object", properties: { a: { type: "integer" } } } } }],
      tool_choice: { type: "function", function: { name: "f" } },
      max_completion_tokens: 10,
      stop: "END",
      response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "object" } } },
      reasoning_effort: "low",
    });
    expect(g.systemInstruction).toEqual({ parts: [{ text: "sys A" }, { text: "sys B" }] });
    expect(g.contents).toEqual([
      { role: "user", parts: [{ text: "look" }, { inlineData: { mimeType: "image/png", data: "AAAA" } }, { fileData: { fileUri: "https://x.test/a.jpg", mimeType: "image/jpeg" } }] },
      { role: "model", parts: [{ text: "calling" }, { functionCall: { name: "f", args: { a: 1 } }, thoughtSignature: "SIG" }, { functionCall: { name: "g", args: {} } }] },
      { role: "user", parts: [{ functionResponse: { name: "f", response: { ok: true } } }, { functionResponse: { name: "g", response: { content: "plain" } } }] },
    ]);
    expect(g.tools).toEqual([{ functionDeclarations: [{ name: "f", description: "d", parametersJsonSchema: { type: "object", properties: { a: { type: "integer" } } } }] }]);
    expect(g.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] } });
    expect(g.generationConfig).toEqual({
      maxOutputTokens: 10,
      stopSequences: ["END"],
      responseMimeType: "application/json",
      responseJsonSchema: { type: "object" },
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
    });
  });
});

describe("Gemini response → OpenAI chat completion", () => {
  test("text, thoughts, function call with signature, finish reason and usage", () => {
    const r = geminiToChat(
      {
        responseId: "r1",
        modelVersion: "gemini-2.5-pro",
        candidates: [{ index: 0, finishReason: "STOP", content: { role: "model", parts: [{ text: "think", thought: true }, { text: "Hi" }, { functionCall: { name: "f", args: { a: 1 } }, thoughtSignature: "SIG" }] } }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 2, cachedContentTokenCount: 4, totalTokenCount: 17 },
      },
      "m",
    ) as { id: string; model: string; choices: Array<{ message: Record<string, unknown>; finish_reason: string }>; usage: Record<string, unknown> };
    expect(r.id).toBe("chatcmpl-r1");
    expect(r.model).toBe("gemini-2.5-pro");
    const c = r.choices[0]!;
    expect(c.finish_reason).toBe("tool_calls");
    expect(c.message.content).toBe("Hi");
    expect(c.message.reasoning_content).toBe("think");
    const tc = (c.message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>)[0]!;
    expect(tc.function).toEqual({ name: "f", arguments: '{"a":1}' });
    expect(signatureFromId(tc.id)).toBe("SIG");
    expect(r.usage).toEqual({ prompt_tokens: 10, completion_tokens: 7, total_tokens: 17, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 2 } });
  });

  test("MAX_TOKENS is length; SAFETY is content_filter", () => {
    const fr = (reason: string) => (geminiToChat({ candidates: [{ finishReason: reason, content: { parts: [{ text: "x" }] } }] }, "m") as { choices: Array<{ finish_reason: string }> }).choices[0]!.finish_reason;
    expect(fr("MAX_TOKENS")).toBe("length");
    expect(fr("SAFETY")).toBe("content_filter");
  });
});

async function streamOf(events: string): Promise<Array<Record<string, unknown>>> {
  const bytes = new TextEncoder().encode(events);
  const src = new ReadableStream<Uint8Array>({
    start(c) {
      // split mid-event so the parser has to buffer
      c.enqueue(bytes.subarray(0, 17));
      c.enqueue(bytes.subarray(17));
      c.close();
    },
  });
  const text = await new Response(src.pipeThrough(geminiStreamToChat("m"))).text();
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  return text
    .split("\n\n")
    .filter((l) => l.startsWith("data: {"))
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

describe("Gemini SSE → OpenAI chat chunks", () => {
  test("role chunk, text deltas, tool call delta, finish, then a usage chunk", async () => {
    const ev = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`;
    const chunks = await streamOf(
      ev({ responseId: "s1", candidates: [{ content: { parts: [{ text: "Hel" }] } }] }) +
        ev({ responseId: "s1", candidates: [{ content: { parts: [{ text: "lo" }, { functionCall: { name: "f", args: {} } }] } }] }) +
        ev({ responseId: "s1", candidates: [{ content: { parts: [{ text: "" }] }, finishReason: "STOP" }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 } }),
    );
    const deltas = chunks.map((c) => (c.choices as Array<{ delta: Record<string, unknown>; finish_reason: string | null }>)[0]);
    expect(deltas[0]!.delta).toEqual({ role: "assistant", content: "" });
    expect(deltas.map((d) => d?.delta.content ?? "").join("")).toBe("Hello");
    const tool = deltas.find((d) => d?.delta.tool_calls)!.delta.tool_calls as Array<Record<string, unknown>>;
    expect(tool[0]).toMatchObject({ index: 0, type: "function", function: { name: "f", arguments: "{}" } });
    expect(deltas.at(-2)!.finish_reason).toBe("tool_calls");
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["chatcmpl-s1"]));
  });
});
