import type { AuthContext } from "../../../src/auth/types.ts";
import type { CallRecord, LLMRequest } from "../../../src/gateway/types.ts";
import type { Protocol } from "../../../src/providers/types.ts";
import { RequestBody } from "../../../src/gateway/request-body.ts";

/** A finished call as the gateway records it, for the logging callbacks' pure parts. */
export function fakeRequest(protocol: Protocol, body: Record<string, unknown>, headers: Record<string, string> = {}, auth: Partial<AuthContext> = {}): LLMRequest {
  return {
    protocol,
    callType: protocol === "anthropic-messages" ? "anthropic_messages" : protocol === "openai-responses" ? "aresponses" : "acompletion",
    route: protocol === "anthropic-messages" ? "/v1/messages" : protocol === "openai-responses" ? "/v1/responses" : "/v1/chat/completions",
    body,
    rawBody: RequestBody.fromObject(body),
    model: String(body.model ?? "m"),
    stream: body.stream === true,
    headers: new Headers(headers),
    query: "",
    signal: new AbortController().signal,
    callId: "call-1",
    startMs: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    startPerf: 0,
    auth: { kind: "open", role: "internal_user", ...auth },
  };
}

export function fakeRecord(req: LLMRequest, over: Partial<CallRecord> = {}): CallRecord {
  return {
    req,
    status: "success",
    endMs: req.startMs + 1500,
    completionStartMs: req.startMs + 200,
    cost: 0.0125,
    retries: 0,
    fallbacks: 0,
    upstreamMs: 1400,
    upstreamModel: "gpt-4o",
    modelGroup: "m",
    responseId: "chatcmpl-1",
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15, cacheReadTokens: 0, cacheCreationTokens: 0, reasoningTokens: 0 },
    ...over,
  };
}

const enc = new TextEncoder();
/** SSE bytes split at awkward places, as a network delivers them. */
export function sseChunks(events: string[]): Uint8Array[] {
  const text = events.join("");
  const out: Uint8Array[] = [];
  for (let i = 0; i < text.length; i += 17) out.push(enc.encode(text.slice(i, i + 17)));
  return out;
}
