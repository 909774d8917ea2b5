import { num, obj, objs, str, type Obj } from "../../translate/json.ts";

/** OpenAI embeddings → Cohere `POST /v2/embed`; v3+ models need an `input_type` (LiteLLM's default). */
export function embeddingsToCohere(b: Obj): Obj {
  const texts = Array.isArray(b.input) ? b.input : [b.input];
  const out: Obj = { model: b.model, texts, input_type: str(b.input_type) ?? "search_document", embedding_types: ["float"] };
  if (num(b.dimensions) !== undefined) out.output_dimension = b.dimensions;
  return out;
}

/** OpenAI's `base64` encoding: the float32 little-endian bytes of the vector. */
const base64Of = (v: number[]) => Buffer.from(new Float32Array(v).buffer).toString("base64");

export function cohereToEmbeddings(body: unknown, model: string, request: Obj): Obj {
  const b = obj(body);
  const e = obj(b.embeddings);
  const vectors = (Array.isArray(e.float) ? e.float : Array.isArray(b.embeddings) ? b.embeddings : []) as number[][];
  const tokens = num(obj(obj(b.meta).billed_units).input_tokens) ?? 0;
  const encode = request.encoding_format === "base64" ? base64Of : (v: number[]) => v;
  return {
    object: "list",
    model,
    data: vectors.map((v, index) => ({ object: "embedding", index, embedding: encode(v) })),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** Documents as strings (Cohere v2 takes text only; Jina-style `{text}` objects are read). */
function documentText(d: unknown): string {
  if (typeof d === "string") return d;
  const o = obj(d);
  return str(o.text) ?? JSON.stringify(o);
}

/** `/v1/rerank` (Cohere or Jina shape) → Cohere `POST /v2/rerank`. */
export function rerankToCohere(b: Obj): Obj {
  const out: Obj = { model: b.model, query: b.query, documents: (Array.isArray(b.documents) ? b.documents : []).map(documentText) };
  if (num(b.top_n) !== undefined) out.top_n = b.top_n;
  if (num(b.max_tokens_per_doc) !== undefined) out.max_tokens_per_doc = b.max_tokens_per_doc;
  return out;
}

/** Cohere v2 returns no documents: they are added back from the request when asked (`return_documents`), as LiteLLM does. */
export function withDocuments(answer: Obj, request: Obj): Obj {
  if (request.return_documents !== true || !Array.isArray(request.documents)) return answer;
  const docs = request.documents;
  return { ...answer, results: objs(answer.results).map((r) => ({ ...r, document: { text: documentText(docs[num(r.index) ?? -1]) } })) };
}
