import { sseEvent } from "../../gateway/sse.ts";
import { badRequest } from "../../errors.ts";
import type { Conversation, Reply, StreamEvent } from "../ir.ts";
import { num, randomId, str, type Obj } from "../json.ts";
import { StreamEncoderBase, type ContentEvent } from "../stream-encoder.ts";
import type { ClientCodec, TranslateContext } from "../types.ts";
import { stopToChat } from "../chat/response.ts";

/** The one prompt of a `/v1/completions` call: a string, or a list holding one string. */
function promptText(prompt: unknown): string {
  if (typeof prompt === "string") return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string") return prompt[0];
  throw badRequest("`prompt` must be one string when the model is served through a chat API (token arrays and several prompts need a provider with a completions API)", "prompt");
}

/**
 * A completions request as a one-turn conversation, as LiteLLM's `text_completion` does for models
 * without a completions API. Fill-in-the-middle (`suffix`) has no chat counterpart: it is refused.
 */
export function decodeCompletionsRequest(body: Obj): Conversation {
  if (typeof body.suffix === "string" && body.suffix) {
    throw badRequest("`suffix` (fill-in-the-middle) needs a provider with a completions or FIM API; this model is served through a chat API", "suffix");
  }
  const stop = typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === "string") : undefined;
  return {
    system: [],
    turns: [{ role: "user", parts: [{ type: "text", text: promptText(body.prompt) }] }],
    tools: [],
    maxTokens: num(body.max_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    stop,
    user: str(body.user),
    stream: body.stream === true,
  };
}

const created = () => Math.floor(Date.now() / 1000);

export function encodeCompletionsResponse(reply: Reply, ctx: TranslateContext): Obj {
  const text = reply.parts.map((p) => (p.type === "text" ? p.text : "")).join("");
  const u = reply.usage;
  return {
    id: reply.id || randomId("cmpl-"),
    object: "text_completion",
    created: created(),
    model: ctx.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: stopToChat(reply.stop) }],
    usage: { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output },
  };
}

/** Stream events → `text_completion` chunks; usage closes the stream (as `include_usage` does). */
export class CompletionsStreamEncoder extends StreamEncoderBase {
  private readonly created = created();
  private id = "";

  constructor(private readonly ctx: TranslateContext) {
    super();
  }

  protected opening(): string {
    return "";
  }

  protected content(e: ContentEvent): string {
    return e.type === "text" ? this.chunk(e.text, null) : "";
  }

  finish(): string {
    const u = this.usage;
    const usage = { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
    return this.chunk("", stopToChat(this.stop)) + sseEvent({ id: this.chunkId(), object: "text_completion", created: this.created, model: this.ctx.model, choices: [], usage }) + "data: [DONE]\n\n";
  }

  error(e: Extract<StreamEvent, { type: "error" }>): string {
    return sseEvent({ error: { message: e.message, type: e.errorType, param: null, code: String(e.status) } });
  }

  private chunkId(): string {
    this.id ||= this.upstreamId || randomId("cmpl-");
    return this.id;
  }

  private chunk(text: string, finish: string | null): string {
    return sseEvent({ id: this.chunkId(), object: "text_completion", created: this.created, model: this.ctx.model, choices: [{ text, index: 0, logprobs: null, finish_reason: finish }] });
  }
}

/** OpenAI `/v1/completions` as the client's protocol. */
export const completionsClient: ClientCodec = {
  decodeRequest: (body) => decodeCompletionsRequest(body),
  encodeResponse: encodeCompletionsResponse,
  streamEncoder: (ctx) => new CompletionsStreamEncoder(ctx),
};
