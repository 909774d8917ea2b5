import type { AuthContext } from "../auth/types.ts";
import type { GatewayError } from "../errors.ts";
import type { Protocol } from "../providers/types.ts";
import type { Deployment } from "../router/deployment.ts";
import type { CallObservation } from "./observe.ts";
import type { MultipartBody } from "./multipart.ts";
import type { Usage } from "./usage.ts";
import type { RequestBody } from "./request-body.ts";

/** One LLM call as the endpoint parsed it. */
export interface LLMRequest {
  protocol: Protocol;
  /** LiteLLM's `call_type`: acompletion, anthropic_messages, aresponses, aembedding, ... */
  callType: string;
  route: string;
  /** The body's top-level fields, each decoded when first read (`rawBody.view` for a JSON body). */
  body: Record<string, unknown>;
  rawBody: RequestBody;
  /** A multipart upload (`/v1/audio/transcriptions`, `/v1/images/edits`): its form, re-encoded upstream with the model renamed. */
  multipart?: MultipartBody;
  model: string;
  stream: boolean;
  headers: Headers;
  query: string;
  signal: AbortSignal;
  /** The gateway's own id of this call: the spend row's key, never chosen by the client. */
  callId: string;
  /** The client's `x-litellm-call-id`, kept in the spend row's metadata only. */
  clientCallId?: string;
  startMs: number;
  startPerf: number;
  auth: AuthContext;
  clientIp?: string;
  /** Per-attempt timing, trace ids and the answer, kept only while logging callbacks need them. */
  observed?: CallObservation;
}

/** What happened to a call: fed to spend tracking, logs and metrics once the response is complete. */
export interface CallRecord {
  req: LLMRequest;
  deployment?: Deployment;
  modelGroup?: string;
  upstreamModel?: string;
  usage?: Usage;
  responseId?: string;
  status: "success" | "failure";
  error?: GatewayError;
  endMs: number;
  completionStartMs?: number;
  cost: number;
  retries: number;
  fallbacks: number;
  upstreamMs: number;
}

export interface CallSink {
  record(rec: CallRecord): void;
}
