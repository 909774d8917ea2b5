import type { ClientCodec } from "../types.ts";
import { decodeResponsesRequest } from "./request-decode.ts";
import { encodeResponsesResponse } from "./response.ts";
import { ResponsesStreamEncoder } from "./stream-encode.ts";

/** OpenAI Responses as the client's protocol (Codex). Never an upstream here: OpenAI serves it natively. */
export const responsesClient: ClientCodec = {
  decodeRequest: decodeResponsesRequest,
  encodeResponse: encodeResponsesResponse,
  streamEncoder: (ctx) => new ResponsesStreamEncoder(ctx),
};
