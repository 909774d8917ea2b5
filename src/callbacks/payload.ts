import type { KeyRecord } from "../auth/key-record.ts";
import type { CallRecord } from "../gateway/types.ts";
import { answerOf, type Answer } from "./answer.ts";
import { endUserOf, modelParameters, requestMessages, requestMetadata, requestTags, sessionIdOf } from "./request-meta.ts";

type Obj = Record<string, unknown>;

/** LiteLLM's `StandardLoggingMetadata` (`litellm/types/utils.py`). */
export interface StandardLoggingMetadata {
  user_api_key_hash: string | null;
  user_api_key_alias: string | null;
  user_api_key_spend: number | null;
  user_api_key_max_budget: number | null;
  user_api_key_budget_reset_at: string | null;
  user_api_key_team_id: string | null;
  user_api_key_org_id: string | null;
  user_api_key_project_id: string | null;
  user_api_key_user_id: string | null;
  user_api_key_team_alias: string | null;
  user_api_key_user_email: string | null;
  user_api_key_end_user_id: string | null;
  user_api_key_request_route: string | null;
  user_api_key_auth_metadata: Obj | null;
  spend_logs_metadata: Obj | null;
  requester_ip_address: string | null;
  user_agent: string | null;
  requester_metadata: Obj | null;
  prompt_management_metadata: null;
  applied_guardrails: string[] | null;
  mcp_tool_call_metadata: null;
  vector_store_request_metadata: null;
  usage_object: Obj | null;
  requester_custom_headers: Record<string, string> | null;
  cold_storage_object_key: null;
  team_alias: string | null;
  team_id: string | null;
  [k: string]: unknown;
}

/** LiteLLM's `StandardLoggingPayload`: what S3, GCS, Datadog and generic API callbacks receive. */
export interface StandardLoggingPayload {
  id: string;
  trace_id: string;
  call_id: string;
  call_type: string;
  stream: boolean | null;
  response_cost: number;
  cost_breakdown: null;
  response_cost_failure_debug_info: null;
  status: "success" | "failure";
  status_fields: { llm_api_status: "success" | "failure"; guardrail_status: "not_run" };
  custom_llm_provider: string | null;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  startTime: number;
  endTime: number;
  completionStartTime: number;
  response_time: number;
  model_map_information: { model_map_key: string; model_map_value: null };
  model: string;
  model_id: string | null;
  model_group: string | null;
  api_base: string;
  metadata: StandardLoggingMetadata;
  cache_hit: boolean;
  cache_key: string | null;
  saved_cache_cost: number;
  request_tags: string[];
  end_user: string;
  requester_ip_address: string | null;
  user_agent: string | null;
  messages: unknown;
  response: unknown;
  error_str: string | null;
  error_information: { error_code: string; error_class: string; llm_provider: string; traceback: string; error_message: string } | null;
  model_parameters: Obj;
  hidden_params: {
    model_id: string | null;
    cache_key: string | null;
    api_base: string | null;
    response_cost: number | null;
    litellm_overhead_time_ms: number | null;
    additional_headers: null;
    batch_models: null;
    litellm_model_name: string | null;
    usage_object: Obj | null;
  };
  guardrail_information: null;
  standard_built_in_tools_params: { web_search_options: null; file_search: null };
}

export interface PayloadOptions {
  userAgentTags: boolean;
  /** Omit the prompt and the answer (they are then `null`, and rebuilt nowhere). */
  withContent: boolean;
}

const s = (ms: number) => ms / 1000;
const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** LiteLLM's `get_logging_id`: `time-HH-MM-SS-ffffff_<id>` (UTC), used in S3 keys and Langfuse generation ids. */
export function loggingId(startMs: number, id: string): string {
  const d = new Date(startMs);
  return `time-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${pad(d.getUTCMilliseconds() * 1000, 6)}_${id}`;
}

function usageObject(rec: CallRecord): Obj | null {
  const u = rec.usage;
  if (!u) return null;
  const o: Obj = { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.totalTokens };
  if (u.cacheReadTokens) o.cache_read_input_tokens = u.cacheReadTokens;
  if (u.cacheCreationTokens) o.cache_creation_input_tokens = u.cacheCreationTokens;
  o.prompt_tokens_details = { cached_tokens: u.cacheReadTokens };
  o.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return o;
}

function spendLogsMetadata(rec: CallRecord, meta: Obj): Obj | null {
  const h = rec.req.headers.get("x-litellm-spend-logs-metadata");
  if (h) {
    try {
      const v = JSON.parse(h) as unknown;
      return v && typeof v === "object" ? (v as Obj) : null;
    } catch {
      return null;
    }
  }
  const v = meta.spend_logs_metadata;
  return v && typeof v === "object" ? (v as Obj) : null;
}

function metadataOf(rec: CallRecord, meta: Obj, usage: Obj | null): StandardLoggingMetadata {
  const a = rec.req.auth;
  const key = a.key as KeyRecord | undefined;
  const keyMeta = key?.metadata ? { ...key.metadata } : null;
  if (keyMeta && "logging" in keyMeta) keyMeta.logging = "scrubbed_by_litellm_for_sensitive_keys";
  return {
    user_api_key_hash: a.apiKeyHash ?? null,
    user_api_key_alias: a.keyAlias ?? null,
    user_api_key_spend: key ? key.spend.value : null,
    user_api_key_max_budget: key?.maxBudget ?? null,
    user_api_key_budget_reset_at: null,
    user_api_key_team_id: a.teamId ?? null,
    user_api_key_org_id: a.orgId ?? null,
    user_api_key_project_id: null,
    user_api_key_user_id: a.userId ?? null,
    user_api_key_team_alias: a.teamAlias ?? null,
    user_api_key_user_email: key?.user?.email ?? null,
    user_api_key_end_user_id: a.endUserId ?? null,
    user_api_key_request_route: rec.req.route,
    user_api_key_auth_metadata: keyMeta,
    spend_logs_metadata: spendLogsMetadata(rec, meta),
    requester_ip_address: rec.req.clientIp ?? null,
    user_agent: rec.req.headers.get("user-agent"),
    requester_metadata: Object.keys(meta).length ? meta : null,
    prompt_management_metadata: null,
    applied_guardrails: [],
    mcp_tool_call_metadata: null,
    vector_store_request_metadata: null,
    usage_object: usage,
    requester_custom_headers: null,
    cold_storage_object_key: null,
    team_alias: a.teamAlias ?? null,
    team_id: a.teamId ?? null,
  };
}

/**
 * The StandardLoggingPayload of one finished call, as LiteLLM's `get_standard_logging_object_payload`
 * builds it. Built off the request path; with `withContent` the prompt and the answer are included.
 */
export function standardLoggingPayload(rec: CallRecord, opts: PayloadOptions, answer?: Answer): StandardLoggingPayload {
  const { req } = rec;
  const meta = requestMetadata(req);
  const usage = usageObject(rec);
  const id = rec.responseId ?? req.callId;
  const start = s(req.startMs);
  const end = s(rec.endMs);
  const firstByte = s(rec.completionStartMs ?? rec.endMs);
  const apiBase = rec.deployment?.target.apiBase.split("?")[0]?.replace(/\/+$/, "") ?? "";
  const err = rec.error;
  const provider = rec.deployment?.providerName ?? null;
  const content = opts.withContent ? (answer ?? answerOf(req)) : undefined;
  return {
    id,
    trace_id: sessionIdOf(req, meta) ?? req.callId,
    call_id: req.callId,
    call_type: req.callType,
    stream: req.stream ? true : null,
    response_cost: rec.cost,
    cost_breakdown: null,
    response_cost_failure_debug_info: null,
    status: rec.status,
    status_fields: { llm_api_status: rec.status, guardrail_status: "not_run" },
    custom_llm_provider: provider,
    total_tokens: rec.usage?.totalTokens ?? 0,
    prompt_tokens: rec.usage?.promptTokens ?? 0,
    completion_tokens: rec.usage?.completionTokens ?? 0,
    startTime: start,
    endTime: end,
    completionStartTime: firstByte,
    response_time: req.stream ? firstByte - start : end - start,
    model_map_information: { model_map_key: rec.upstreamModel ?? req.model, model_map_value: null },
    model: rec.upstreamModel ?? req.model,
    model_id: rec.deployment?.id ?? null,
    model_group: rec.modelGroup ?? null,
    api_base: apiBase,
    metadata: metadataOf(rec, meta, usage),
    cache_hit: false,
    cache_key: null,
    saved_cache_cost: 0,
    request_tags: requestTags(req, meta, opts.userAgentTags),
    end_user: endUserOf(req) ?? "",
    requester_ip_address: req.clientIp ?? null,
    user_agent: req.headers.get("user-agent"),
    messages: opts.withContent ? requestMessages(req) : null,
    response: content ? content.body : opts.withContent && rec.status === "success" ? {} : null,
    error_str: err ? err.message : null,
    error_information: err
      ? { error_code: String(err.status), error_class: err.kind, llm_provider: provider ?? "", traceback: "", error_message: err.message }
      : null,
    model_parameters: modelParameters(req),
    hidden_params: {
      model_id: rec.deployment?.id ?? null,
      cache_key: null,
      api_base: apiBase || null,
      response_cost: rec.cost,
      litellm_overhead_time_ms: rec.upstreamMs ? Math.max(0, (req.stream ? firstByte - start : end - start) * 1000 - rec.upstreamMs) : null,
      additional_headers: null,
      batch_models: null,
      litellm_model_name: rec.upstreamModel ?? null,
      usage_object: usage,
    },
    guardrail_information: null,
    standard_built_in_tools_params: { web_search_options: null, file_search: null },
  };
}
