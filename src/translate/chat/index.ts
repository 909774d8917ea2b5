import type { ClientCodec, UpstreamCodec } from "../types.ts";
import { decodeChatRequest } from "./request-decode.ts";
import { encodeChatRequest } from "./request-encode.ts";
import { decodeChatResponse, encodeChatResponse } from "./response.ts";
import { ChatStreamDecoder } from "./stream-decode.ts";
import { ChatStreamEncoder } from "./stream-encode.ts";

/** OpenAI chat completions as the client's protocol. */
export const chatClient: ClientCodec = {
  decodeRequest: (body) => decodeChatRequest(body),
  encodeResponse: encodeChatResponse,
  streamEncoder: (ctx) => new ChatStreamEncoder(ctx),
};

/** OpenAI chat completions as the upstream's protocol (OpenAI and every OpenAI-compatible server). */
export const chatUpstream: UpstreamCodec = {
  encodeRequest: encodeChatRequest,
  decodeResponse: (body) => decodeChatResponse(body),
  streamDecoder: () => new ChatStreamDecoder(),
};
