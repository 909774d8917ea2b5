import type { ClientCodec, UpstreamCodec } from "../types.ts";
import { decodeResponsesRequest } from "./request-decode.ts";
import { encodeResponsesRequest } from "./request-encode.ts";
import { encodeResponsesResponse } from "./response.ts";
import { ResponsesStreamDecoder } from "./stream-decode.ts";
import { ResponsesStreamEncoder } from "./stream-encode.ts";
import { decodeResponsesResponse } from "./upstream-response.ts";

/** OpenAI Responses as the client's protocol (Codex). */
export const responsesClient: ClientCodec = {
  decodeRequest: decodeResponsesRequest,
  encodeResponse: encodeResponsesResponse,
  streamEncoder: (ctx) => new ResponsesStreamEncoder(ctx),
};

/** OpenAI Responses as the upstream's protocol (`openai/responses/<model>` deployments). */
export const responsesUpstream: UpstreamCodec = {
  encodeRequest: encodeResponsesRequest,
  decodeResponse: (body) => decodeResponsesResponse(body),
  streamDecoder: () => new ResponsesStreamDecoder(),
};
