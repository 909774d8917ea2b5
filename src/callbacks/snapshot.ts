import type { KeyRecord } from "../auth/key-record.ts";
import type { AuthContext } from "../auth/types.ts";
import { GatewayError, type ErrorKind } from "../errors.ts";
import type { AttemptRecord, CallObservation, TraceIds } from "../gateway/observe.ts";
import type { CallRecord, LLMRequest } from "../gateway/types.ts";
import { RequestBody } from "../gateway/request-body.ts";
import type { Usage } from "../gateway/usage.ts";
import type { Protocol } from "../providers/types.ts";
import type { Deployment } from "../router/deployment.ts";

type Obj = Record<string, unknown>;

/** What the logs need of a deployment. */
interface DeploymentRef {
  id: string;
  modelName: string;
  litellmModel: string;
  providerName: string;
  apiBase: string;
}

interface ErrorRef {
  status: number;
  kind: ErrorKind;
  type: string;
  message: string;
}

interface TeamRef {
  id: string;
  alias?: string;
  metadata: Obj;
  spend: number;
  maxBudget?: number;
}

/**
 * A finished call as plain data, for the logging worker: the request (headers without
 * credentials), who called (the key, its team and user as far as the logs read them), the
 * attempts and the JSON answer kept for the logs. The raw body and a streamed answer travel beside
 * it (see `Shipped`).
 */
export interface CallSnapshot {
  protocol: Protocol;
  callType: string;
  route: string;
  model: string;
  stream: boolean;
  headers: Array<[string, string]>;
  callId: string;
  startMs: number;
  clientIp?: string;
  auth: Pick<AuthContext, "kind" | "apiKeyHash" | "keyAlias" | "keyName" | "userId" | "teamId" | "teamAlias" | "orgId" | "role" | "metadata" | "endUserId"> & {
    key?: { token: string; keyAlias?: string; metadata: Obj; spend: number; maxBudget?: number; softBudget?: number; team?: TeamRef; user?: { id: string; email?: string; spend: number; maxBudget?: number } };
  };
  observed?: { trace?: TraceIds; attempts: Array<Omit<AttemptRecord, "deployment" | "error"> & { deployment: DeploymentRef; error?: ErrorRef }>; responseText?: string; streamed: boolean; truncated?: boolean };
  deployment?: DeploymentRef;
  modelGroup?: string;
  upstreamModel?: string;
  usage?: Usage;
  responseId?: string;
  status: "success" | "failure";
  error?: ErrorRef;
  endMs: number;
  completionStartMs?: number;
  cost: number;
  retries: number;
  fallbacks: number;
  upstreamMs: number;
}

/** Request headers that carry credentials: never copied for the logs. */
const CREDENTIAL_HEADERS = new Set(["authorization", "x-api-key", "api-key", "x-litellm-api-key", "x-goog-api-key", "cookie", "proxy-authorization", "ocp-apim-subscription-key"]);

const deploymentRef = (d: Deployment): DeploymentRef => ({ id: d.id, modelName: d.modelName, litellmModel: d.litellmModel, providerName: d.providerName, apiBase: d.target.apiBase });
const errorRef = (e: GatewayError): ErrorRef => ({ status: e.status, kind: e.kind, type: e.type, message: e.message });

function keyRef(key: KeyRecord | undefined): CallSnapshot["auth"]["key"] {
  if (!key) return undefined;
  const t = key.team;
  const u = key.user;
  return {
    token: key.token,
    keyAlias: key.keyAlias,
    metadata: key.metadata,
    spend: key.spend.value,
    maxBudget: key.maxBudget,
    softBudget: key.softBudget,
    team: t && { id: t.id, alias: t.alias, metadata: t.metadata, spend: t.spend.value, maxBudget: t.maxBudget },
    user: u && { id: u.id, email: u.email, spend: u.spend.value, maxBudget: u.maxBudget },
  };
}

function observedRef(o: CallObservation | undefined): CallSnapshot["observed"] {
  if (!o) return undefined;
  return {
    trace: o.trace,
    attempts: o.attempts.map((a) => ({ ...a, deployment: deploymentRef(a.deployment), error: a.error && errorRef(a.error) })),
    responseText: o.responseText,
    streamed: !!o.chunks?.length,
    truncated: o.truncated,
  };
}

/**
 * What crosses to the worker for one call: the snapshot as JSON text, the raw body's bytes, and the
 * streamed answer's bytes. Big strings and byte arrays posted beside a JSON string are cheap to
 * send; inside an object graph they are copied slowly (measured: ~200 µs for a 256 KB body).
 */
export interface Shipped {
  meta: string;
  raw: Uint8Array<ArrayBuffer>;
  chunks?: Uint8Array;
}

/**
 * In the logging worker, the body the logs read, taken from the bytes before their place in the
 * ring is given back: parsed whole (the payloads read every field of it), so the bytes need no copy
 * of their own. `Response#json` parses the bytes without first making the whole text a string of
 * its own (measured on a 256 KB prompt: half the CPU and the page faults of decoding, then
 * `JSON.parse`). Bytes that do not parse whole (a member the gateway forwarded unread may be
 * invalid) are copied and read member by member, as on the gateway's side.
 */
export async function bodyOf(bytes: Uint8Array): Promise<RequestBody> {
  try {
    const v = (await new Response(bytes as Uint8Array<ArrayBuffer>).json()) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return RequestBody.parsed(v as Record<string, unknown>, bytes.byteLength);
  } catch {
    /* read member by member below */
  }
  return RequestBody.lenient(bytes.slice() as Uint8Array<ArrayBuffer>);
}

/** On the request thread: a few microseconds; the worker parses and builds everything else. */
export function ship(rec: CallRecord): Shipped {
  const chunks = rec.req.observed?.chunks;
  return {
    meta: JSON.stringify(snapshotOf(rec)),
    raw: rec.req.rawBody.bytes,
    chunks: chunks?.length ? (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)) : undefined,
  };
}

export function snapshotOf(rec: CallRecord): CallSnapshot {
  const { req } = rec;
  const a = req.auth;
  const auth = { kind: a.kind, apiKeyHash: a.apiKeyHash, keyAlias: a.keyAlias, keyName: a.keyName, userId: a.userId, teamId: a.teamId, teamAlias: a.teamAlias, orgId: a.orgId, role: a.role, metadata: a.metadata, endUserId: a.endUserId };
  const headers: Array<[string, string]> = [];
  for (const [k, v] of req.headers) if (!CREDENTIAL_HEADERS.has(k)) headers.push([k, v]);
  return {
    protocol: req.protocol,
    callType: req.callType,
    route: req.route,
    model: req.model,
    stream: req.stream,
    headers,
    callId: req.callId,
    startMs: req.startMs,
    clientIp: req.clientIp,
    auth: { ...auth, key: keyRef(a.key as KeyRecord | undefined) },
    observed: observedRef(req.observed),
    deployment: rec.deployment && deploymentRef(rec.deployment),
    modelGroup: rec.modelGroup,
    upstreamModel: rec.upstreamModel,
    usage: rec.usage,
    responseId: rec.responseId,
    status: rec.status,
    error: rec.error && errorRef(rec.error),
    endMs: rec.endMs,
    completionStartMs: rec.completionStartMs,
    cost: rec.cost,
    retries: rec.retries,
    fallbacks: rec.fallbacks,
    upstreamMs: rec.upstreamMs,
  };
}

function deploymentOf(d: DeploymentRef): Deployment {
  return { id: d.id, modelName: d.modelName, litellmModel: d.litellmModel, providerName: d.providerName, target: { apiBase: d.apiBase, params: {} } } as Deployment;
}

const errorOf = (e: ErrorRef) => new GatewayError(e.status, e.message, { kind: e.kind, type: e.type });

/** In the logging worker: the CallRecord the payload builders read, rebuilt from what was shipped (the body read by `bodyOf`). */
export function restoreRecord(shipped: Omit<Shipped, "raw"> & { body: RequestBody }): CallRecord {
  const s = JSON.parse(shipped.meta) as CallSnapshot;
  const rawBody = shipped.body;
  const k = s.auth.key;
  const key = k && {
    token: k.token,
    keyAlias: k.keyAlias,
    metadata: k.metadata,
    spend: { value: k.spend },
    maxBudget: k.maxBudget,
    softBudget: k.softBudget,
    team: k.team && { ...k.team, spend: { value: k.team.spend } },
    user: k.user && { ...k.user, spend: { value: k.user.spend } },
  };
  const o = s.observed;
  const observed: CallObservation | undefined = o && {
    trace: o.trace,
    attempts: o.attempts.map((a) => ({ ...a, deployment: deploymentOf(a.deployment), error: a.error && errorOf(a.error) })),
    responseText: o.responseText,
    chunks: shipped.chunks ? [shipped.chunks] : [],
    capturedBytes: shipped.chunks?.byteLength ?? 0,
    truncated: o.truncated,
  };
  const req = {
    protocol: s.protocol,
    callType: s.callType,
    route: s.route,
    rawBody,
    model: s.model,
    stream: s.stream,
    headers: new Headers(s.headers),
    query: "",
    signal: AbortSignal.abort(),
    callId: s.callId,
    startMs: s.startMs,
    startPerf: 0,
    auth: { ...s.auth, key } as AuthContext,
    clientIp: s.clientIp,
    observed,
  } as Omit<LLMRequest, "body"> as LLMRequest;
  // Decoded only as far as the sinks read the request (calls a full queue drops are never decoded).
  Object.defineProperty(req, "body", { get: () => rawBody.view, enumerable: true });
  return {
    req,
    deployment: s.deployment && deploymentOf(s.deployment),
    modelGroup: s.modelGroup,
    upstreamModel: s.upstreamModel,
    usage: s.usage,
    responseId: s.responseId,
    status: s.status,
    error: s.error && errorOf(s.error),
    endMs: s.endMs,
    completionStartMs: s.completionStartMs,
    cost: s.cost,
    retries: s.retries,
    fallbacks: s.fallbacks,
    upstreamMs: s.upstreamMs,
  };
}
