/**
 * Scripted answers in Gemini's generateContent wire format, for the fake Google server.
 *   last turn holds a functionResponse → "Tool output was: <content>"
 *   last user text has USE_BASH       → a functionCall to the first declared function (with a thoughtSignature)
 *   otherwise                         → "Hello from the fake Gemini!"
 * Like Gemini 3, it rejects a history whose functionCall lost the thoughtSignature it was issued with.
 */
type Json = Record<string, unknown>;
interface Part {
  text?: string;
  functionCall?: { name: string; args?: Json };
  functionResponse?: { name: string; response: Json };
  thoughtSignature?: string;
}
interface Content {
  role: string;
  parts: Part[];
}

export const THOUGHT_SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1mYWtl";

export class GeminiRequestError extends Error {}

function validate(body: Json): Content[] {
  const contents = body.contents as Content[] | undefined;
  if (!Array.isArray(contents) || !contents.length) throw new GeminiRequestError("contents is required");
  for (const c of contents) {
    if (c.role !== "user" && c.role !== "model") throw new GeminiRequestError(`invalid role ${c.role}`);
    if (!Array.isArray(c.parts) || !c.parts.length) throw new GeminiRequestError("each content needs parts");
    for (const p of c.parts) {
      if (p.functionCall && p.thoughtSignature !== THOUGHT_SIGNATURE) throw new GeminiRequestError("Function call is missing a thought_signature");
    }
  }
  if ("model" in body || "messages" in body) throw new GeminiRequestError('Invalid JSON payload received. Unknown name "messages"');
  for (const t of (body.tools as Array<{ functionDeclarations?: Json[] }>) ?? []) {
    for (const f of t.functionDeclarations ?? []) if ("parameters" in f && "parametersJsonSchema" in f) throw new GeminiRequestError("parameters and parametersJsonSchema are exclusive");
  }
  return contents;
}

function plan(body: Json): Part[] {
  const contents = validate(body);
  const last = contents[contents.length - 1]!;
  const fr = last.parts.find((p) => p.functionResponse)?.functionResponse;
  if (fr) {
    const out = String(fr.response.content ?? JSON.stringify(fr.response));
    return [{ text: `Tool output was: ${/hello/.test(out) ? "hello" : out.trim().slice(0, 200)}` }];
  }
  const text = last.parts.map((p) => p.text ?? "").join(" ");
  if (text.includes("USE_BASH")) {
    const decls = (body.tools as Array<{ functionDeclarations?: Array<{ name: string }> }>)?.[0]?.functionDeclarations;
    const name = decls?.[0]?.name ?? "Bash";
    return [{ text: "Running the command." }, { functionCall: { name, args: { command: "echo hello" } }, thoughtSignature: THOUGHT_SIGNATURE }];
  }
  return [{ text: "Hello from the fake Gemini!" }];
}

function usage(body: Json) {
  const prompt = Math.ceil(JSON.stringify(body.contents).length / 40);
  return { promptTokenCount: prompt, candidatesTokenCount: 9, thoughtsTokenCount: 3, cachedContentTokenCount: 2, totalTokenCount: prompt + 12 };
}

export function geminiJson(body: Json, model: string): Json {
  return {
    candidates: [{ content: { role: "model", parts: plan(body) }, finishReason: "STOP", index: 0 }],
    usageMetadata: usage(body),
    modelVersion: model,
    responseId: `resp-${Date.now().toString(36)}`,
  };
}

/** Stream chunks: one per word of text, function calls whole, the last with finishReason and usage. */
export function geminiChunks(body: Json, model: string): Json[] {
  const responseId = `resp-${Date.now().toString(36)}`;
  const parts = plan(body);
  const chunks: Json[] = [];
  for (const p of parts) {
    const pieces = p.text !== undefined ? (p.text.match(/\S+\s*/g) ?? [p.text]).map((t) => ({ text: t })) : [p];
    for (const piece of pieces) chunks.push({ candidates: [{ content: { role: "model", parts: [piece] }, index: 0 }], modelVersion: model, responseId });
  }
  const u = usage(body);
  chunks.push({ candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP", index: 0 }], usageMetadata: u, modelVersion: model, responseId });
  return chunks;
}
