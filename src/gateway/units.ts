import type { Protocol } from "../providers/types.ts";
import type { LLMRequest } from "./types.ts";
import { emptyUsage, usageFromBody, type BillableUnits, type Usage } from "./usage.ts";

type Obj = Record<string, unknown>;
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/** What a non-token API bills, from the request and the answer (undefined for token-billed calls). */
function unitsOf(protocol: Protocol, req: LLMRequest, answer: Obj): BillableUnits | undefined {
  switch (protocol) {
    case "openai-images":
    case "openai-image-edits":
      return { images: Array.isArray(answer.data) ? answer.data.length : num(req.body.n) ?? 1, size: str(req.body.size), quality: str(req.body.quality) };
    case "openai-transcriptions": {
      const u = obj(answer.usage);
      return { seconds: num(answer.duration) ?? (u.type === "duration" ? num(u.seconds) : undefined) ?? req.multipart?.audioSeconds };
    }
    case "openai-speech":
      return { characters: typeof req.body.input === "string" ? req.body.input.length : 0 };
    case "rerank":
      return { searchUnits: num(obj(obj(answer.meta).billed_units).search_units) ?? 1 };
    default:
      return undefined;
  }
}

/** Usage of a whole (non-streamed) answer: its tokens, and for images, audio and rerank the units they are billed by. */
export function answerUsage(req: LLMRequest, answer: Obj | undefined): Usage | undefined {
  const tokens = usageFromBody(answer);
  const units = unitsOf(req.protocol, req, answer ?? {});
  if (!units) return tokens;
  const u = { ...(tokens ?? emptyUsage()), units };
  // Rerankers that bill tokens (Jina, Together) report only a total: it is all input.
  const total = num(obj(answer?.usage).total_tokens);
  if (req.protocol === "rerank" && !u.promptTokens && total) u.promptTokens = u.totalTokens = total;
  return u;
}
