import type { ClientCodec, UpstreamCodec } from "../types.ts";
import { decodeAnthropicRequest } from "./request-decode.ts";
import { encodeAnthropicRequest } from "./request-encode.ts";
import { decodeAnthropicResponse, encodeAnthropicResponse } from "./response.ts";
import { AnthropicStreamDecoder } from "./stream-decode.ts";
import { AnthropicStreamEncoder } from "./stream-encode.ts";

/** Anthropic Messages as the client's protocol. */
export const anthropicClient: ClientCodec = {
  decodeRequest: (body) => decodeAnthropicRequest(body),
  encodeResponse: encodeAnthropicResponse,
  streamEncoder: (ctx) => new AnthropicStreamEncoder(ctx),
};

/** Anthropic Messages as the upstream's protocol. */
export const anthropicUpstream: UpstreamCodec = {
  encodeRequest: encodeAnthropicRequest,
  decodeResponse: decodeAnthropicResponse,
  streamDecoder: (ctx) => new AnthropicStreamDecoder(ctx),
};
