import type { Context, Hono } from "hono";
import type { KeyRecord } from "../auth/key-record.ts";
import { aliasedModel, teamScope } from "../auth/model-access.ts";
import { GatewayError } from "../errors.ts";
import { invalidModel, runLLMCall } from "../gateway/call.ts";
import type { LLMRequest } from "../gateway/types.ts";
import type { Protocol } from "../providers/types.ts";
import type { Runtime } from "../runtime.ts";
import { errorResponse, shapeFor } from "./error-response.ts";
import { clientIp, readRequestBody } from "./parse.ts";
import { sessionOfCall } from "../sessions/identity.ts";

export interface Endpoint {
  protocol: Protocol;
  callType: string;
  /** The model a call that names none goes to (auth then checks no model), for endpoints where `model` is optional. */
  unnamedModel?: string;
}

const CHAT: Endpoint = { protocol: "openai-chat", callType: "acompletion" };
const MESSAGES: Endpoint = { protocol: "anthropic-messages", callType: "anthropic_messages" };
const COUNT: Endpoint = { protocol: "anthropic-count-tokens", callType: "acount_tokens" };
const RESPONSES: Endpoint = { protocol: "openai-responses", callType: "aresponses" };
const EMBEDDINGS: Endpoint = { protocol: "openai-embeddings", callType: "aembedding" };

function fallbackModels(body: Record<string, unknown>): string[] | undefined {
  if (!Array.isArray(body.fallbacks)) return undefined;
  return body.fallbacks.map((f) => (typeof f === "string" ? f : (f as { model?: string })?.model ?? "")).filter(Boolean);
}

async function buildRequest(rt: Runtime, c: Context, ep: Endpoint): Promise<LLMRequest> {
  const startPerf = performance.now();
  const startMs = Date.now();
  const early = rt.auth.refuseEarly(c.req.raw.headers);
  if (early) await early;
  const raw = await readRequestBody(c, rt.body);
  const body = raw.view;
  const named = c.req.param("model") ?? body.model;
  const model = (named ?? "") === "" ? ep.unnamedModel : named;
  if (typeof model !== "string" || (!model && ep.unnamedModel === undefined)) {
    throw new GatewayError(400, "litellm.BadRequestError: `model` is required in the request body", {
      type: "invalid_request_error",
      param: "model",
    });
  }
  const headers = c.req.raw.headers;
  const endUser = typeof body.user === "string" ? body.user : undefined;
  const route = c.req.path;
  const auth = await rt.auth.authenticate(headers, {
    route,
    model: model || undefined,
    fallbackModels: fallbackModels(body),
    endUser,
    isLLMRoute: true,
    session: () => sessionOfCall(headers, body),
  });
  const url = c.req.url;
  const q = url.indexOf("?");
  const routed = auth.key ? aliasedModel(auth.key as KeyRecord, model) : model;
  return {
    protocol: ep.protocol,
    callType: ep.callType,
    route,
    body,
    rawBody: raw,
    model: routed,
    stream: body.stream === true && ep.protocol !== "openai-embeddings" && ep.protocol !== "anthropic-count-tokens",
    headers,
    query: q >= 0 ? url.slice(q) : "",
    signal: c.req.raw.signal,
    callId: crypto.randomUUID(),
    clientCallId: headers.get("x-litellm-call-id") ?? undefined,
    startMs,
    startPerf,
    auth,
    clientIp: clientIp(c),
  };
}

export function handler(rt: () => Runtime, ep: Endpoint) {
  return async (c: Context) => {
    const runtime = rt();
    try {
      const req = await buildRequest(runtime, c, ep);
      if (ep === COUNT) return await countTokens(runtime, req);
      return await runLLMCall(runtime, req);
    } catch (e) {
      return errorResponse(e, shapeFor(ep.protocol));
    }
  };
}

/** `/v1/messages/count_tokens`: asked of Anthropic upstreams, estimated locally for the others. */
async function countTokens(rt: Runtime, req: LLMRequest): Promise<Response> {
  const resolved = rt.router.resolve(req.model, teamScope(req.auth));
  if (!resolved) throw invalidModel(req.model);
  const d = resolved.deployments[0]!;
  if (d.provider.native.has("anthropic-count-tokens") && d.mockResponse === undefined) return runLLMCall(rt, req);
  const text = JSON.stringify([req.body.system ?? "", req.body.messages ?? [], req.body.tools ?? []]);
  return Response.json({ input_tokens: Math.max(1, Math.ceil(text.length / 4)) });
}

/** OpenAI, Anthropic and Responses endpoints with LiteLLM's paths and aliases. */
export function registerLLMRoutes(app: Hono, rt: () => Runtime): void {
  for (const p of ["/v1/chat/completions", "/chat/completions", "/engines/:model/chat/completions", "/openai/deployments/:model/chat/completions"]) {
    app.post(p, handler(rt, CHAT));
  }
  app.post("/v1/messages", handler(rt, MESSAGES));
  app.post("/v1/messages/count_tokens", handler(rt, COUNT));
  for (const p of ["/v1/responses", "/responses"]) app.post(p, handler(rt, RESPONSES));
  for (const p of ["/v1/embeddings", "/embeddings", "/engines/:model/embeddings", "/openai/deployments/:model/embeddings"]) {
    app.post(p, handler(rt, EMBEDDINGS));
  }
}
