import * as v from "valibot";

const isNumeric = (x: unknown) =>
  (typeof x === "number" && Number.isFinite(x)) ||
  (typeof x === "string" && x.trim() !== "" && Number.isFinite(Number(x)));

/** A number, also written as a string (values that came through `os.environ/`). */
const num = v.pipe(
  v.custom<number | string>(isNumeric, "a number"),
  v.transform((x) => Number(x)),
);
const int = v.pipe(
  v.custom<number | string>((x) => isNumeric(x) && Number.isInteger(Number(x)), "an integer"),
  v.transform((x) => Number(x)),
);
const bool = v.pipe(
  v.custom<boolean | string>(
    (x) => typeof x === "boolean" || (typeof x === "string" && /^(true|false)$/i.test(x)),
    "true or false",
  ),
  v.transform((x) => (typeof x === "string" ? x.toLowerCase() === "true" : x)),
);
const str = v.pipe(
  v.custom<string | number>((x) => typeof x === "string" || typeof x === "number", "a string"),
  v.transform((x) => String(x)),
);
const o = <T extends v.GenericSchema>(s: T) => v.optional(v.nullish(s));
const strList = v.array(str);
const headerMap = v.record(v.string(), str);

export const LitellmParamsSchema = v.looseObject({
  model: str,
  custom_llm_provider: o(str),
  api_key: o(str),
  api_base: o(str),
  api_version: o(str),
  organization: o(str),
  timeout: o(num),
  stream_timeout: o(num),
  max_retries: o(int),
  num_retries: o(int),
  rpm: o(num),
  tpm: o(num),
  weight: o(num),
  order: o(int),
  max_parallel_requests: o(int),
  cooldown_time: o(num),
  extra_headers: o(headerMap),
  mock_response: o(v.unknown()),
  input_cost_per_token: o(num),
  output_cost_per_token: o(num),
  cache_read_input_token_cost: o(num),
  cache_creation_input_token_cost: o(num),
  input_cost_per_second: o(num),
  output_cost_per_second: o(num),
  tags: o(strList),
  drop_params: o(bool),
  litellm_credential_name: o(str),
  aws_access_key_id: o(str),
  aws_secret_access_key: o(str),
  aws_session_token: o(str),
  aws_region_name: o(str),
  region_name: o(str),
  aws_bedrock_runtime_endpoint: o(str),
  aws_profile_name: o(str),
  aws_role_name: o(str),
  aws_session_name: o(str),
  aws_web_identity_token: o(str),
  aws_sts_endpoint: o(str),
  aws_external_id: o(str),
  vertex_project: o(str),
  vertex_location: o(str),
  vertex_credentials: o(v.unknown()),
  use_in_pass_through: o(bool),
  cache_control_injection_points: o(
    v.array(
      v.looseObject({
        location: v.picklist(["message", "system", "tools", "tool_config"]),
        role: o(v.picklist(["system", "user", "assistant", "tool"])),
        index: o(v.union([v.number(), v.string()])),
        control: o(v.record(v.string(), v.unknown())),
      }),
    ),
  ),
});

export const ModelInfoSchema = v.looseObject({
  id: o(str),
  mode: o(str),
  base_model: o(str),
  access_groups: o(strList),
  max_tokens: o(num),
  max_input_tokens: o(num),
  max_output_tokens: o(num),
  input_cost_per_token: o(num),
  output_cost_per_token: o(num),
  cache_read_input_token_cost: o(num),
  cache_creation_input_token_cost: o(num),
  db_model: o(bool),
  /** Only the credentials in `litellm_params`: no provider env vars (set on models a non-admin wrote). */
  own_credentials_only: o(bool),
});

export const ModelEntrySchema = v.looseObject({
  model_name: str,
  litellm_params: LitellmParamsSchema,
  model_info: o(ModelInfoSchema),
});

const fallbackList = v.array(v.record(v.string(), v.union([strList, str])));
const aliasMap = v.record(v.string(), v.union([str, v.looseObject({ model: str, hidden: o(bool) })]));

const redisFields = {
  redis_host: o(str),
  redis_port: o(int),
  redis_password: o(str),
  redis_url: o(str),
};

export const RouterSettingsSchema = v.looseObject({
  routing_strategy: o(
    v.picklist([
      "simple-shuffle",
      "least-busy",
      "usage-based-routing",
      "usage-based-routing-v2",
      "latency-based-routing",
      "cost-based-routing",
    ]),
  ),
  num_retries: o(int),
  max_fallbacks: o(int),
  timeout: o(num),
  stream_timeout: o(num),
  retry_after: o(num),
  allowed_fails: o(int),
  cooldown_time: o(num),
  disable_cooldowns: o(bool),
  retry_policy: o(v.record(v.string(), int)),
  allowed_fails_policy: o(v.record(v.string(), int)),
  fallbacks: o(fallbackList),
  context_window_fallbacks: o(fallbackList),
  content_policy_fallbacks: o(fallbackList),
  default_fallbacks: o(strList),
  model_group_alias: o(aliasMap),
  enable_pre_call_checks: o(bool),
  routing_strategy_args: o(v.record(v.string(), v.unknown())),
  ...redisFields,
});

export const LitellmSettingsSchema = v.looseObject({
  num_retries: o(int),
  request_timeout: o(num),
  fallbacks: o(fallbackList),
  context_window_fallbacks: o(fallbackList),
  content_policy_fallbacks: o(fallbackList),
  default_fallbacks: o(strList),
  allowed_fails: o(int),
  drop_params: o(bool),
  json_logs: o(bool),
  set_verbose: o(bool),
  callbacks: o(v.union([strList, str])),
  success_callback: o(v.union([strList, str])),
  failure_callback: o(v.union([strList, str])),
  max_budget: o(num),
  budget_duration: o(str),
  model_alias_map: o(v.record(v.string(), str)),
  cache: o(bool),
  cache_params: o(v.record(v.string(), v.unknown())),
  upperbound_key_generate_params: o(v.record(v.string(), v.unknown())),
  default_key_generate_params: o(v.record(v.string(), v.unknown())),
  require_auth_for_metrics_endpoint: o(bool),
  service_callback: o(v.union([strList, str])),
  turn_off_message_logging: o(bool),
  redact_user_api_key_info: o(bool),
  forward_traceparent_to_llm_provider: o(bool),
  disable_add_user_agent_to_request_tags: o(bool),
  langfuse_default_tags: o(strList),
  s3_callback_params: o(v.record(v.string(), v.unknown())),
  generic_logger_headers: o(headerMap),
  default_team_settings: o(v.array(v.looseObject({ team_id: str }))),
});

const agentFileSchema = v.looseObject({ path: str, content: str });

export const AgentSchema = v.looseObject({
  name: str,
  id: o(str),
  description: o(str),
  model: o(str),
  system: o(str),
  prompt: o(str),
  sandbox: o(v.picklist(["e2b", "daytona"])),
  schedule: o(v.union([str, v.looseObject({ cron: str, timezone: o(str) })])),
  timezone: o(str),
  webhook: o(v.looseObject({ secret: str, timestamp_tolerance: o(v.pipe(num, v.minValue(1))), replay_window: o(v.pipe(num, v.minValue(0))) })),
  timeout: o(num),
  max_turns: o(int),
  max_budget: o(num),
  max_concurrency: o(int),
  envs: o(headerMap),
  repo: o(v.union([str, v.looseObject({ url: str, ref: o(str) })])),
  files: o(v.array(agentFileSchema)),
  secrets: o(strList),
  artifacts: o(strList),
  memory_file: o(str),
});

/** LiteLLM's `general_settings.pass_through_endpoints` entry: a route of this gateway forwarded to `target`. */
export const PassThroughEndpointSchema = v.looseObject({
  path: str,
  target: str,
  headers: o(headerMap),
  forward_headers: o(bool),
  include_subpath: o(bool),
  auth: o(bool),
  cost_per_request: o(num),
});

export const GeneralSettingsSchema = v.looseObject({
  master_key: o(str),
  dangerously_allow_mock_testing_request_params: o(bool),
  allow_public_health_readiness_details: o(bool),
  pass_through_endpoints: o(v.array(PassThroughEndpointSchema)),
  database_url: o(str),
  database_connection_pool_limit: o(int),
  database_connection_timeout: o(num),
  allow_requests_on_db_unavailable: o(bool),
  store_model_in_db: o(bool),
  db_model_poll_interval_seconds: o(num),
  proxy_batch_write_at: o(num),
  disable_spend_logs: o(bool),
  disable_error_logs: o(bool),
  disable_spend_updates: o(bool),
  disable_reset_budget: o(bool),
  max_request_size_mb: o(num),
  litellm_key_header_name: o(str),
  user_api_key_cache_ttl: o(num),
  forward_openai_org_id: o(bool),
  forward_client_headers_to_llm_api: o(bool),
  token_rate_limit_type: o(v.picklist(["output", "input", "total"])),
  global_max_parallel_requests: o(int),
  enforce_user_param: o(bool),
  max_parallel_requests: o(int),
  store_prompts_in_spend_logs: o(bool),
  spend_spill_dir: o(str),
  sandbox_choice: o(v.picklist(["e2b", "daytona"])),
  e2b_sandbox_params: o(
    v.looseObject({
      e2b_api_key: o(str),
      e2b_api_url: o(str),
      e2b_domain: o(str),
      e2b_sandbox_url: o(str),
      e2b_template: o(str),
      envs: o(headerMap),
      timeout: o(num),
    }),
  ),
  daytona_sandbox_params: o(
    v.looseObject({
      daytona_api_key: o(str),
      daytona_api_url: o(str),
      daytona_target: o(str),
      snapshot: o(str),
      envs: o(headerMap),
      use_polling: o(bool),
    }),
  ),
  gateway_public_url: o(str),
  agent_claude_path: o(str),
  agent_heartbeat_seconds: o(num),
  max_concurrent_runs: o(int),
  graceful_shutdown_seconds: o(num),
  artifact_dir: o(str),
  artifact_s3_params: o(
    v.looseObject({
      bucket: str,
      endpoint: o(str),
      region: o(str),
      access_key_id: o(str),
      secret_access_key: o(str),
      session_token: o(str),
      prefix: o(str),
      virtual_hosted_style: o(bool),
    }),
  ),
  artifact_inline_max_bytes: o(int),
  artifact_max_bytes: o(int),
  artifact_retention_days: o(num),
  artifact_retention_runs: o(int),
  agent_memory_max_bytes: o(int),
  agent_memory_versions: o(int),
  alerting: o(strList),
  alerting_threshold: o(num),
  alert_types: o(strList),
  alert_to_webhook_url: o(v.record(v.string(), v.union([str, strList]))),
  alerting_args: o(v.record(v.string(), v.unknown())),
});

export const ConfigSchema = v.looseObject({
  default_vertex_config: o(v.record(v.string(), v.unknown())),
  files_settings: o(v.array(v.record(v.string(), v.unknown()))),
  model_list: o(v.array(ModelEntrySchema)),
  litellm_settings: o(LitellmSettingsSchema),
  router_settings: o(RouterSettingsSchema),
  general_settings: o(GeneralSettingsSchema),
  environment_variables: o(v.record(v.string(), v.unknown())),
  credential_list: o(
    v.array(v.looseObject({ credential_name: str, credential_values: v.record(v.string(), v.unknown()), credential_info: o(v.unknown()) })),
  ),
  agents: o(v.array(AgentSchema)),
  callback_settings: o(
    v.record(
      v.string(),
      v.looseObject({
        callback_type: o(str),
        endpoint: o(str),
        headers: o(headerMap),
        event_types: o(strList),
        log_format: o(v.picklist(["json_array", "ndjson", "single"])),
      }),
    ),
  ),
});

export type ConfigInput = v.InferOutput<typeof ConfigSchema>;
export type ModelEntry = v.InferOutput<typeof ModelEntrySchema>;
export type LitellmParams = v.InferOutput<typeof LitellmParamsSchema>;
export type ModelInfo = v.InferOutput<typeof ModelInfoSchema>;
export type RouterSettings = v.InferOutput<typeof RouterSettingsSchema>;
export type LitellmSettings = v.InferOutput<typeof LitellmSettingsSchema>;
export type GeneralSettings = v.InferOutput<typeof GeneralSettingsSchema>;
export type AgentEntry = v.InferOutput<typeof AgentSchema>;
export type CallbackSettingsInput = NonNullable<v.InferOutput<typeof ConfigSchema>["callback_settings"]>;

/** Formats a valibot issue path as LiteLLM users read it: `model_list[2].litellm_params.model`. */
export function formatIssuePath(path: v.BaseIssue<unknown>["path"]): string {
  let out = "";
  for (const item of path ?? []) {
    const key = (item as { key: unknown }).key;
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

export function describeIssue(issue: v.BaseIssue<unknown>): { expected: string; received: string } {
  if (issue.type === "custom") return { expected: issue.message, received: issue.received };
  if (issue.type === "picklist") return { expected: `one of ${issue.expected}`, received: issue.received };
  return { expected: issue.expected ?? issue.message, received: issue.received };
}
