/**
 * Gemini returns a `thoughtSignature` with function calls and wants it back on the next turn.
 * OpenAI chat has no field for it, so it travels inside the tool call id.
 */
const MARK = "__thought__";

export function toolCallId(signature?: string): string {
  const id = `call_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
  return signature ? `${id}${MARK}${signature}` : id;
}

export function signatureFromId(id: string | undefined): string | undefined {
  const at = id?.indexOf(MARK) ?? -1;
  return at >= 0 ? id!.slice(at + MARK.length) : undefined;
}

/** The id without the carried signature, so a tool result matches its call either way. */
export const baseId = (id: string | undefined) => (id ?? "").split(MARK)[0]!;
