import type { CallRecord } from "../gateway/types.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import { strs } from "../auth/key-record.ts";
import { publicApiBase } from "../redaction.ts";
import { clientOf, sessionIdOf, type ClientInfo } from "../sessions/identity.ts";

/** One `LiteLLM_SpendLogs` row, with LiteLLM's column names (times as ISO UTC strings). */
export interface SpendLogRow {
  request_id: string;
  call_type: string;
  api_key: string;
  spend: number;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  startTime: string;
  endTime: string;
  completionStartTime: string;
  model: string;
  model_id: string;
  model_group: string;
  custom_llm_provider: string;
  api_base: string;
  user: string;
  metadata: Record<string, unknown>;
  cache_hit: string;
  cache_key: string;
  request_tags: string[];
  team_id: string | null;
  end_user: string | null;
  requester_ip_address: string | null;
  messages: unknown;
  response: unknown;
  proxy_server_request: unknown;
  session_id: string;
  status: "success" | "failure";
  organization_id: string | null;
  request_duration_ms: number;
}

/** One `LiteLLM_ErrorLogs` row, as LiteLLM's failure handler writes it for a failed call. */
export interface ErrorLogRow {
  request_id: string;
  startTime: string;
  endTime: string;
  api_base: string;
  model_group: string;
  litellm_model_name: string;
  model_id: string;
  request_kwargs: Record<string, unknown>;
  exception_type: string;
  exception_string: string;
  status_code: string;
}

/** What the batch writer needs of one finished call: the row plus the usage the row has no column for. */
export interface SpendEvent {
  row: SpendLogRow;
  /** Failed calls: the error row. */
  error?: ErrorLogRow;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  /** The route, written to the daily tables' `endpoint`. */
  endpoint: string;
  /** The coding session the call belongs to (an explicit session id), for the sessions rollup. */
  session?: { id: string; client: ClientInfo };
}

const MAX_PROMPT_CHARS = 1000;
/** Client JSON kept in a row is cut below this nesting (the journal, jsonb and every walk stay safe). */
const MAX_STORED_DEPTH = 64;
const TOO_DEEP = "[nested too deeply]";

/** Client JSON as stored: nesting cut at `MAX_STORED_DEPTH`; with `cut`, long strings as LiteLLM keeps them. */
function stored(v: unknown, cut: boolean, depth = 0): unknown {
  if (typeof v === "string") return cut ? truncate(v) : v;
  if (!v || typeof v !== "object") return v;
  if (depth >= MAX_STORED_DEPTH) return TOO_DEEP;
  if (Array.isArray(v)) return v.map((x) => stored(x, cut, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stored(x, cut, depth + 1)]));
}

/** LiteLLM keeps 35% of the head and 65% of the tail of long strings it stores. */
function truncate(v: string): string {
  if (v.length <= MAX_PROMPT_CHARS) return v;
  const head = Math.floor(MAX_PROMPT_CHARS * 0.35);
  const tail = MAX_PROMPT_CHARS - head;
  return `${v.slice(0, head)}...${v.slice(-tail)}`;
}

/** The tags a call is charged to (`request_tags`): the key's, the body's `metadata.tags` and `x-litellm-tags`. */
export function tagsOf(rec: Pick<CallRecord, "req">): string[] {
  const key = rec.req.auth.key as KeyRecord | undefined;
  const bodyMeta = rec.req.body.metadata as Record<string, unknown> | undefined;
  const header = rec.req.headers.get("x-litellm-tags");
  if (!header && !Array.isArray(key?.metadata.tags) && !Array.isArray(bodyMeta?.tags)) return [];
  const tags = [...strs(key?.metadata.tags), ...strs(bodyMeta?.tags), ...(header ? header.split(",").map((t) => t.trim()).filter(Boolean) : [])];
  return [...new Set(tags)];
}

function spendLogsMetadata(rec: CallRecord): unknown {
  const h = rec.req.headers.get("x-litellm-spend-logs-metadata");
  if (h) {
    try {
      return stored(JSON.parse(h), false);
    } catch {
      return null;
    }
  }
  const meta = rec.req.body.metadata as Record<string, unknown> | undefined;
  return stored(meta?.spend_logs_metadata ?? null, false);
}

/** The call's optional parameters (temperature, max_tokens, stream, …): scalars only, never content. */
function requestKwargs(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "number" || typeof v === "boolean") out[k] = v;
  return out;
}

function errorLogFor(rec: CallRecord, row: SpendLogRow): ErrorLogRow | undefined {
  if (rec.status !== "failure" || !rec.error) return undefined;
  return {
    request_id: rec.req.callId,
    startTime: row.startTime,
    endTime: row.endTime,
    api_base: row.api_base,
    model_group: row.model_group,
    litellm_model_name: row.model,
    model_id: row.model_id,
    request_kwargs: requestKwargs(rec.req.body),
    exception_type: rec.error.kind,
    exception_string: rec.error.message,
    status_code: String(rec.error.status),
  };
}

export function spendEventFor(rec: CallRecord, opts: { storePrompts: boolean }): SpendEvent {
  const { req } = rec;
  const auth = req.auth;
  const u = rec.usage;
  const iso = (ms: number) => new Date(ms).toISOString();
  const apiKey = auth.apiKeyHash ?? "";
  const client = clientOf(req.headers);
  const sessionId = sessionIdOf(req.headers, req.body);
  const additional: Record<string, unknown> = {};
  if (u?.cacheReadTokens) additional.cache_read_input_tokens = u.cacheReadTokens;
  if (u?.cacheCreationTokens) additional.cache_creation_input_tokens = u.cacheCreationTokens;
  if (u?.reasoningTokens) additional.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  const metadata: Record<string, unknown> = {
    user_api_key: apiKey,
    user_api_key_alias: auth.keyAlias ?? null,
    user_api_key_team_id: auth.teamId ?? null,
    user_api_key_org_id: auth.orgId ?? null,
    user_api_key_user_id: auth.userId ?? null,
    user_api_key_team_alias: auth.teamAlias ?? null,
    user_api_key_end_user_id: auth.endUserId ?? null,
    spend_logs_metadata: spendLogsMetadata(rec),
    requester_ip_address: req.clientIp ?? null,
    status: rec.status,
    additional_usage_values: additional,
    attempted_retries: rec.retries,
    attempted_fallbacks: rec.fallbacks,
    litellm_call_id: req.callId,
    client,
  };
  if (req.clientCallId !== undefined) metadata.client_call_id = req.clientCallId;
  if (rec.error) {
    metadata.error_information = {
      error_code: String(rec.error.status),
      error_class: rec.error.kind,
      error_message: rec.error.message,
      llm_provider: rec.deployment?.providerName ?? "",
    };
  }
  const endUser = auth.endUserId ?? (typeof req.body.user === "string" ? req.body.user : undefined);
  const endTime = iso(rec.endMs);
  const row: SpendLogRow = {
      request_id: rec.responseId ?? req.callId,
      call_type: req.callType,
      api_key: apiKey,
      spend: rec.cost,
      total_tokens: u?.totalTokens ?? 0,
      prompt_tokens: u?.promptTokens ?? 0,
      completion_tokens: u?.completionTokens ?? 0,
      startTime: iso(req.startMs),
      endTime,
      completionStartTime: rec.completionStartMs === undefined || rec.completionStartMs === rec.endMs ? endTime : iso(rec.completionStartMs),
      model: rec.upstreamModel ?? req.model,
      model_id: rec.deployment?.id ?? "",
      model_group: rec.modelGroup ?? req.model,
      custom_llm_provider: rec.deployment?.providerName ?? "",
      api_base: rec.deployment ? publicApiBase(rec.deployment.target.apiBase) : "",
      user: auth.userId ?? "",
      metadata,
      cache_hit: "False",
      cache_key: "Cache OFF",
      request_tags: tagsOf(rec),
      team_id: auth.teamId ?? null,
      end_user: endUser ?? null,
      requester_ip_address: req.clientIp ?? null,
      messages: opts.storePrompts ? stored(req.body.messages ?? req.body.input ?? {}, true) : {},
      response: {},
      proxy_server_request: opts.storePrompts ? stored(req.body, true) : {},
      session_id: sessionId ?? req.callId,
      status: rec.status,
      organization_id: auth.orgId ?? null,
      request_duration_ms: Math.max(0, Math.round(rec.endMs - req.startMs)),
  };
  return {
    row,
    error: errorLogFor(rec, row),
    cacheReadTokens: u?.cacheReadTokens ?? 0,
    cacheCreationTokens: u?.cacheCreationTokens ?? 0,
    endpoint: req.route,
    session: sessionId ? { id: sessionId, client } : undefined,
  };
}
