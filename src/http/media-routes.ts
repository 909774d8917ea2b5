import type { Context, Hono } from "hono";
import type { KeyRecord } from "../auth/key-record.ts";
import { aliasedModel } from "../auth/model-access.ts";
import { badRequest } from "../errors.ts";
import { formOf, readBodyBytes } from "./body-reader.ts";
import { runLLMCall } from "../gateway/call.ts";
import { wavSeconds } from "../gateway/multipart.ts";
import { EMPTY_BODY } from "../gateway/request-body.ts";
import type { LLMRequest } from "../gateway/types.ts";
import type { Runtime } from "../runtime.ts";
import { UNNAMED_MODERATION } from "../router/index.ts";
import { errorResponse } from "./error-response.ts";
import { handler, type Endpoint } from "./llm-routes.ts";
import { clientIp } from "./parse.ts";

const COMPLETIONS: Endpoint = { protocol: "openai-completions", callType: "atext_completion" };
const IMAGES: Endpoint = { protocol: "openai-images", callType: "aimage_generation" };
const IMAGE_EDITS: Endpoint = { protocol: "openai-image-edits", callType: "aimage_edit" };
const TRANSCRIPTIONS: Endpoint = { protocol: "openai-transcriptions", callType: "atranscription" };
const SPEECH: Endpoint = { protocol: "openai-speech", callType: "aspeech" };
const MODERATIONS: Endpoint = { protocol: "openai-moderations", callType: "amoderation", unnamedModel: UNNAMED_MODERATION };
const RERANK: Endpoint = { protocol: "rerank", callType: "arerank" };

/** LiteLLM's paths for each OpenAI API: `/v1/x`, `/x`, and Azure's deployment form (model in the path). */
const paths = (api: string) => [`/v1/${api}`, `/${api}`, `/openai/deployments/:model/${api}`];

/** The bytes of a WAV header are enough to know its length. */
const HEADER_BYTES = 64 * 1024;

/** A multipart call (transcription, image edit): fields as the body, the form kept for the upstream. */
async function multipartRequest(rt: Runtime, c: Context, ep: Endpoint): Promise<LLMRequest> {
  const startPerf = performance.now();
  const startMs = Date.now();
  await rt.auth.refuseEarly(c.req.raw.headers);
  const bytes = await readBodyBytes(c.req.raw, rt.body);
  let form: FormData;
  try {
    form = await formOf(bytes, c.req.header("content-type"));
  } catch (e) {
    throw badRequest(`Expected a multipart/form-data body: ${(e as Error).message}`);
  }
  const fields: Record<string, unknown> = {};
  for (const [k, v] of form) if (typeof v === "string") fields[k] = v;
  const model = c.req.param("model") ?? fields.model;
  if (typeof model !== "string" || !model) throw badRequest("litellm.BadRequestError: `model` is required in the form", "model");
  const headers = c.req.raw.headers;
  const route = c.req.path;
  const auth = await rt.auth.authenticate(headers, { route, model, endUser: typeof fields.user === "string" ? fields.user : undefined, isLLMRoute: true });
  const file = form.get("file");
  const audioSeconds = ep === TRANSCRIPTIONS && file instanceof Blob ? wavSeconds(new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer())) : undefined;
  const q = c.req.url.indexOf("?");
  return {
    protocol: ep.protocol,
    callType: ep.callType,
    route,
    body: fields,
    rawBody: EMPTY_BODY,
    multipart: { form, audioSeconds },
    model: auth.key ? aliasedModel(auth.key as KeyRecord, model) : model,
    stream: fields.stream === "true",
    headers,
    query: q >= 0 ? c.req.url.slice(q) : "",
    signal: c.req.raw.signal,
    callId: crypto.randomUUID(),
    clientCallId: headers.get("x-litellm-call-id") ?? undefined,
    startMs,
    startPerf,
    auth,
    clientIp: clientIp(c),
  };
}

function multipartHandler(rt: () => Runtime, ep: Endpoint) {
  return async (c: Context) => {
    const runtime = rt();
    try {
      return await runLLMCall(runtime, await multipartRequest(runtime, c, ep));
    } catch (e) {
      return errorResponse(e, "openai");
    }
  };
}

/**
 * The OpenAI APIs beyond chat, with LiteLLM's paths, auth, routing and spend: completions (and
 * `/engines/{model}/completions`), image generation and edits, transcription and speech,
 * moderations, and rerank (Cohere and Jina request shapes; `/v1/rerank`, `/rerank`, `/v2/rerank`).
 */
export function registerMediaRoutes(app: Hono, rt: () => Runtime): void {
  for (const p of [...paths("completions"), "/engines/:model/completions"]) app.post(p, handler(rt, COMPLETIONS));
  for (const p of paths("images/generations")) app.post(p, handler(rt, IMAGES));
  for (const p of paths("images/edits")) app.post(p, multipartHandler(rt, IMAGE_EDITS));
  for (const p of paths("audio/transcriptions")) app.post(p, multipartHandler(rt, TRANSCRIPTIONS));
  for (const p of paths("audio/speech")) app.post(p, handler(rt, SPEECH));
  for (const p of paths("moderations")) app.post(p, handler(rt, MODERATIONS));
  for (const p of ["/v1/rerank", "/rerank", "/v2/rerank"]) app.post(p, handler(rt, RERANK));
}
