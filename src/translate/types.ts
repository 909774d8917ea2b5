import type { ClientTool, Conversation, Reply, StreamEvent } from "./ir.ts";
import type { Obj } from "./json.ts";
import type { SseMessage } from "./sse.ts";

export interface TranslateContext {
  /** The model name the client asked for; translated responses report it back. */
  model: string;
  /** The model name sent upstream, when known: some parameters depend on it (OpenAI reasoning models, Claude output caps). */
  upstreamModel?: string;
  /**
   * Set by `request()` and read by `response()`/`stream()` of the same call (the gateway passes one
   * context object to all three): client tools whose upstream name differs from the client's.
   */
  tools?: Map<string, ClientTool>;
  /** Responses API state the gateway keeps for translated calls, so `previous_response_id` works. */
  responses?: ResponsesMemory;
  /** Set by `request()` of a Responses client: what `response()`/`stream()` remember under the new response id. */
  remember?: { previous?: string; input: Obj[] };
  /** The deployment's default request parameters (OpenAI chat names), for what the client left unset. */
  defaults?: Readonly<Record<string, unknown>>;
  /** The deployment's `cache_control_injection_points` (LiteLLM), applied when the upstream is Anthropic. */
  cachePoints?: readonly CacheInjectionPoint[];
  /** Set by `request()`: the upstream was asked for structured output through a forced tool, whose call is the answer. */
  jsonTool?: string;
  /** Set by `request()`: the gateway's estimate of the prompt's tokens, for stream openings that report usage first. */
  inputTokens?: number;
}

/** One LiteLLM `cache_control_injection_points` entry: mark the message at `index`, or every message of `role`. */
export interface CacheInjectionPoint {
  location: string;
  role?: string | null;
  index?: number | string | null;
  control?: Record<string, unknown> | null;
}

/** Earlier Responses turns of translated calls: each response's input items and output items. */
export interface ResponsesMemory {
  /** The whole conversation up to and including response `id` (inputs and outputs, oldest first), or undefined. */
  items(id: string): Obj[] | undefined;
  /** One stored input or output item by its own id (what an `item_reference` names), or undefined. */
  item(id: string): Obj | undefined;
  remember(id: string, turn: { previous?: string; input: Obj[]; output: Obj[] }): void;
}

/**
 * Converts one client protocol to one upstream protocol and back. `request` and `response` are
 * functions of their input (and the call's context); the stream is a TransformStream over SSE bytes.
 * `request` throws a 400 GatewayError for what the upstream cannot do.
 */
export interface Translator {
  request(body: Record<string, unknown>, ctx: TranslateContext): Record<string, unknown>;
  response(body: Record<string, unknown>, ctx: TranslateContext): Record<string, unknown>;
  stream(ctx: TranslateContext): TransformStream<Uint8Array, Uint8Array>;
}

/** The client's side of a translation: read its request, write answers in its protocol. */
export interface ClientCodec {
  decodeRequest(body: Obj, ctx: TranslateContext): Conversation;
  encodeResponse(reply: Reply, ctx: TranslateContext): Obj;
  streamEncoder(ctx: TranslateContext): StreamEncoder;
}

/** The upstream's side: write the request in its protocol, read its answers. */
export interface UpstreamCodec {
  encodeRequest(conv: Conversation, ctx: TranslateContext): Obj;
  decodeResponse(body: Obj, ctx: TranslateContext): Reply;
  streamDecoder(ctx: TranslateContext): StreamDecoder;
}

export interface StreamDecoder {
  push(msg: SseMessage): StreamEvent[];
}

/** Returns SSE text in the client's protocol; "" when there is nothing to send yet. */
export interface StreamEncoder {
  push(ev: Exclude<StreamEvent, { type: "error" } | { type: "end" }>): string;
  /** The closing events, once the upstream is done. */
  finish(): string;
  /** The client protocol's error event, for an upstream error after output has started. */
  error(ev: Extract<StreamEvent, { type: "error" }>): string;
}
