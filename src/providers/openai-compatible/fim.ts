import { decodeChatResponse } from "../../translate/chat/response.ts";
import { ChatStreamDecoder } from "../../translate/chat/stream-decode.ts";
import { CompletionsStreamEncoder, encodeCompletionsResponse } from "../../translate/completions/index.ts";
import { translateStream } from "../../translate/pipeline.ts";
import { openAIHeaders } from "../openai/index.ts";
import type { BuildContext, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { joinUrl, parseBody } from "../util.ts";

/** The parameters Mistral's fill-in-the-middle API takes; the rest of a completions body is dropped. */
const FIM_FIELDS = ["model", "prompt", "suffix", "temperature", "top_p", "max_tokens", "min_tokens", "stream", "stop", "random_seed"];

/** A completions body as Mistral's `/fim/completions` takes it (LiteLLM's `text-completion-codestral`). */
export function fimBody(body: RequestBytes): string {
  const src = parseBody(body);
  const out: Record<string, unknown> = {};
  for (const k of FIM_FIELDS) if (src[k] !== undefined) out[k] = src[k];
  if (Array.isArray(out.prompt) && out.prompt.length === 1) out.prompt = out.prompt[0];
  if (out.random_seed === undefined && typeof src.seed === "number") out.random_seed = src.seed;
  return JSON.stringify(out);
}

/** FIM answers in chat shape; the client asked `/v1/completions` and gets `text_completion`. */
const fimAnswers: NonNullable<Provider["responseTransform"]> = {
  json: (body, model) => encodeCompletionsResponse(decodeChatResponse(body as Record<string, unknown>), { model }),
  stream: (model) => translateStream(new ChatStreamDecoder(), new CompletionsStreamEncoder({ model })),
};

/** Mistral and Codestral: `/v1/completions` calls go to their fill-in-the-middle API. */
export function withFim(p: Provider): Provider {
  const native = new Set<Protocol>([...p.native, "openai-completions"]);
  return {
    ...p,
    native,
    buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): UpstreamRequest | Promise<UpstreamRequest> {
      if (protocol !== "openai-completions") return p.buildRequest(t, protocol, body, ctx);
      return { url: joinUrl(t.apiBase, "/fim/completions"), method: "POST", headers: openAIHeaders(t, ctx), body: fimBody(body) };
    },
    responseTransformFor: (protocol) => (protocol === "openai-completions" ? fimAnswers : p.responseTransform),
  };
}
