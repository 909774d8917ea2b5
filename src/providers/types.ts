/** Wire protocols a client can speak to the gateway, and a provider can speak upstream. */
export type Protocol =
  | "openai-chat"
  | "openai-responses"
  | "openai-embeddings"
  | "anthropic-messages"
  | "anthropic-count-tokens"
  | "gemini-generate"
  | "openai-completions"
  | "openai-images"
  | "openai-image-edits"
  | "openai-transcriptions"
  | "openai-speech"
  | "openai-moderations"
  | "rerank";

/** Everything a provider needs to address one upstream deployment; fixed at boot. */
export interface Target {
  /** Upstream model name without the provider prefix (after wildcard substitution). */
  model: string;
  apiBase: string;
  apiKey?: string;
  apiVersion?: string;
  organization?: string;
  extraHeaders?: Record<string, string>;
  /** Provider-specific settings (aws_*, vertex_*, ...), as configured. */
  params: Readonly<Record<string, unknown>>;
}

/** A JSON request body as the gateway hands it to a provider: the client's bytes, or built text. */
export type RequestBytes = string | Uint8Array<ArrayBuffer>;

export interface UpstreamRequest {
  url: string;
  method: "POST" | "GET" | "PUT" | "DELETE" | "PATCH";
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** A shorter wait than the deployment's timeout (cloud metadata endpoints that may not exist). */
  timeoutMs?: number;
}

/** A client's request to a provider pass-through route (`/anthropic/*`, `/bedrock/*`, ...) as received. */
export interface PassthroughCall {
  method: string;
  /** The path after the route's prefix, with its leading slash: `/v1/messages`. */
  path: string;
  /** The query string with its `?`, or "". */
  query: string;
  headers: Headers;
  body?: Uint8Array<ArrayBuffer>;
}

export interface BuildContext {
  stream: boolean;
  /** Incoming request headers (the provider picks the ones its API needs, e.g. anthropic-beta). */
  clientHeaders: Headers;
  /** Query string of the incoming request, including the leading `?`, or "". */
  query: string;
  /** The body's content type when it is not JSON (a multipart upload with its boundary). */
  contentType?: string;
  /**
   * Sends an auxiliary request (an OAuth token exchange) through `src/upstream.ts`, bound to the
   * client's abort signal and the deployment's timeout. Providers never call fetch themselves.
   */
  send(req: UpstreamRequest): Promise<Response>;
}

/**
 * A provider is a descriptor: it says which protocols it speaks and how to address them.
 * It never does networking; `src/upstream.ts` sends what `buildRequest` returns.
 */
export interface Provider {
  /** LiteLLM's `custom_llm_provider` name, e.g. "openai", "anthropic", "groq". */
  readonly name: string;
  readonly defaultApiBase?: string;
  /** Env var names LiteLLM reads for the key and base when `litellm_params` leave them unset. */
  readonly env?: {
    apiKey?: string[];
    apiBase?: string[];
    apiVersion?: string[];
    /** Provider settings (`aws_region_name`, `vertex_project`, ...) read from env when unset. */
    params?: Record<string, string[]>;
  };
  /** A default base derived from provider settings (region, location), when `api_base` is unset. */
  apiBaseFor?(params: Readonly<Record<string, unknown>>): string | undefined;
  /**
   * The descriptor serving one upstream model, when a provider hosts several API families
   * (Vertex: Gemini and Claude; Bedrock: Anthropic invoke and Converse). Called per attempt.
   */
  forModel?(model: string): Provider;
  /** The model name the upstream knows, when the configured one carries a routing prefix (`responses/gpt-5`). */
  wireModel?(model: string): string;
  /** Protocols the upstream speaks natively: a client speaking one of them is passed through. */
  readonly native: ReadonlySet<Protocol>;
  /** The protocol to translate into when the client speaks one this provider lacks. */
  readonly preferred: Protocol;
  /** Some providers need the body rewritten or signed (Gemini, Bedrock); most pass it through. */
  buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): UpstreamRequest | Promise<UpstreamRequest>;
  /**
   * The provider's own API reached through LiteLLM's pass-through route: the client's path and body
   * sent to the provider's base with the gateway's credentials (a key header, SigV4, an OAuth token).
   */
  passthrough?(t: Target, call: PassthroughCall, ctx: BuildContext): UpstreamRequest | Promise<UpstreamRequest>;
  /** Turns a non-2xx upstream body into a readable message. */
  errorMessage?(status: number, body: string): string;
  /** Optional: convert a provider-native response/stream to `preferred` (Gemini, Bedrock). */
  readonly responseTransform?: {
    /** Absent when JSON answers are already in the protocol (Bedrock invoke returns Anthropic JSON). */
    json?(body: unknown, model: string, request: Record<string, unknown>): unknown;
    stream(model: string): TransformStream<Uint8Array, Uint8Array>;
    /** A non-SSE streaming content type this transform decodes (AWS event-stream). */
    streamContentType?: string;
  };
  /** The transform for one upstream protocol, when it differs from `responseTransform` (Mistral FIM answers completions in chat shape). */
  responseTransformFor?(protocol: Protocol): Provider["responseTransform"];
  /** Display name in LiteLLM error messages, e.g. "AnthropicException". */
  readonly exceptionName?: string;
}
