/** Reading helpers for OpenAI chat bodies, shared by providers that convert them (Gemini, Converse). */
export type Json = Record<string, unknown>;

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }>;
  tool_call_id?: string;
  name?: string;
}

export const asObject = (v: unknown): Json | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);

/** The text of a message content: the string itself, or its text parts joined. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (typeof asObject(p)?.text === "string" ? (asObject(p)!.text as string) : "")).join("");
}

/** The URL of an `image_url` part (given as a string or `{url}`). */
export function imageUrlOf(part: Json): string | undefined {
  const iu = part.image_url;
  return typeof iu === "string" ? iu : (asObject(iu)?.url as string | undefined);
}

/** Tool-call arguments as an object; non-object JSON is wrapped, unparsable text kept raw. */
export function parseArguments(text: string | undefined): Json {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return asObject(v) ?? { value: v };
  } catch {
    return { raw: text };
  }
}

export function chatMessages(body: Json): ChatMessage[] {
  return (Array.isArray(body.messages) ? body.messages : []) as ChatMessage[];
}
