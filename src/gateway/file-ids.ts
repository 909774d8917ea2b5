/**
 * LiteLLM's model-routed file and batch ids: `<prefix><base64url("litellm:<provider id>;model,<model>")>`,
 * keeping OpenAI's `file-` / `batch_` prefix, so later calls on the id reach the same deployment.
 */
const PREFIXES = ["file-", "batch_"];

export function encodeId(id: string, model: string): string {
  const prefix = PREFIXES.find((p) => id.startsWith(p)) ?? (id.startsWith("batch") ? "batch_" : "file-");
  return prefix + Buffer.from(`litellm:${id};model,${model}`).toString("base64url");
}

/** The provider's id and the model inside an encoded id, or undefined for a plain provider id. */
export function decodeId(id: string): { id: string; model: string } | undefined {
  const prefix = PREFIXES.find((p) => id.startsWith(p));
  if (!prefix) return undefined;
  let text: string;
  try {
    text = Buffer.from(id.slice(prefix.length), "base64url").toString("utf8");
  } catch {
    return undefined;
  }
  const m = /^litellm:(.+);model,(.+)$/.exec(text);
  return m ? { id: m[1]!, model: m[2]! } : undefined;
}
