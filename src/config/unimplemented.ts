/**
 * Config keys this gateway acts on. Anything else in a section is kept and listed once at start-up
 * as "accepted, not implemented yet", never fatal. Keep these lists honest: add a key only with the feature.
 */
const IMPLEMENTED: Record<string, ReadonlySet<string>> = {
  "": new Set([
    "model_list",
    "litellm_settings",
    "router_settings",
    "general_settings",
    "environment_variables",
    "credential_list",
    "agents",
    "callback_settings",
    "default_vertex_config",
    "files_settings",
  ]),
  model_list: new Set(["model_name", "litellm_params", "model_info"]),
  litellm_params: new Set([
    "model", "custom_llm_provider", "api_key", "api_base", "api_version", "organization", "timeout",
    "stream_timeout", "max_retries", "num_retries", "rpm", "tpm", "weight", "order", "max_parallel_requests",
    "cooldown_time", "extra_headers", "mock_response", "input_cost_per_token", "output_cost_per_token",
    "cache_read_input_token_cost", "cache_creation_input_token_cost", "drop_params", "litellm_credential_name",
    "input_cost_per_second", "output_cost_per_second", "input_cost_per_pixel", "output_cost_per_image", "input_cost_per_character",
    "input_cost_per_query", "input_cost_per_token_batches", "output_cost_per_token_batches",
    "tags", "use_in_pass_through", "region_name", "mock_timeout",
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_region_name",
    "aws_bedrock_runtime_endpoint", "aws_profile_name", "aws_role_name", "aws_session_name",
    "aws_web_identity_token", "aws_sts_endpoint", "aws_external_id", "vertex_project", "vertex_location", "vertex_credentials", "model_id",
    // request parameters LiteLLM forwards into the call
    "temperature", "max_tokens", "max_completion_tokens", "top_p", "stop", "seed", "frequency_penalty",
    "presence_penalty", "reasoning_effort", "response_format", "extra_body", "user",
  ]),
  model_info: new Set([
    "id", "mode", "base_model", "access_groups", "max_tokens", "max_input_tokens", "max_output_tokens",
    "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
    "cache_creation_input_token_cost", "db_model", "description", "team_id",
    "input_cost_per_pixel", "output_cost_per_image", "input_cost_per_character", "input_cost_per_query",
    "input_cost_per_token_batches", "output_cost_per_token_batches",
  ]),
  router_settings: new Set([
    "routing_strategy", "num_retries", "max_fallbacks", "timeout", "stream_timeout", "retry_after",
    "allowed_fails", "cooldown_time", "disable_cooldowns", "retry_policy", "allowed_fails_policy", "fallbacks",
    "context_window_fallbacks", "content_policy_fallbacks", "default_fallbacks", "model_group_alias",
    "enable_pre_call_checks", "routing_strategy_args", "redis_host", "redis_port", "redis_password", "redis_url",
  ]),
  litellm_settings: new Set([
    "num_retries", "request_timeout", "fallbacks", "context_window_fallbacks", "content_policy_fallbacks",
    "default_fallbacks", "allowed_fails", "drop_params", "json_logs", "set_verbose", "max_budget",
    "budget_duration", "model_alias_map", "success_callback", "failure_callback", "callbacks",
    "upperbound_key_generate_params", "default_key_generate_params",
    "require_auth_for_metrics_endpoint",
    "service_callback", "turn_off_message_logging", "redact_user_api_key_info", "forward_traceparent_to_llm_provider",
    "disable_add_user_agent_to_request_tags", "langfuse_default_tags", "s3_callback_params", "generic_logger_headers",
    "default_team_settings",
  ]),
  general_settings: new Set([
    "master_key", "dangerously_allow_mock_testing_request_params", "allow_public_health_readiness_details", "pass_through_endpoints", "database_url", "database_connection_pool_limit", "database_connection_timeout",
    "allow_requests_on_db_unavailable", "store_model_in_db", "db_model_poll_interval_seconds", "proxy_batch_write_at", "disable_spend_logs", "disable_error_logs",
    "disable_spend_updates", "disable_reset_budget", "max_request_size_mb", "litellm_key_header_name",
    "max_request_body_in_flight_mb", "request_body_timeout_seconds", "keepalive_timeout", "limit_concurrency",
    "user_api_key_cache_ttl", "forward_openai_org_id", "forward_client_headers_to_llm_api",
    "token_rate_limit_type", "global_max_parallel_requests", "enforce_user_param", "max_parallel_requests", "store_prompts_in_spend_logs",
    "spend_spill_dir", "sandbox_choice", "e2b_sandbox_params", "daytona_sandbox_params", "gateway_public_url",
    "agent_claude_path", "agent_heartbeat_seconds",
    "max_concurrent_runs", "artifact_dir", "graceful_shutdown_seconds",
    "artifact_s3_params", "artifact_inline_max_bytes", "artifact_max_bytes", "artifact_retention_days",
    "artifact_retention_runs", "agent_memory_max_bytes", "agent_memory_versions",
    "alerting", "alerting_threshold", "alert_types", "alert_to_webhook_url", "alerting_args",
  ]),
};

function keysNotIn(section: string, obj: unknown, prefix: string, out: string[]): void {
  const known = IMPLEMENTED[section];
  if (!known || typeof obj !== "object" || obj === null) return;
  for (const k of Object.keys(obj)) if (!known.has(k)) out.push(prefix ? `${prefix}.${k}` : k);
}

/** Lists `section.key` names present in the config that this build does not act on. */
export function unimplementedKeys(raw: Record<string, unknown>): string[] {
  const out: string[] = [];
  keysNotIn("", raw, "", out);
  for (const s of ["router_settings", "litellm_settings", "general_settings"]) keysNotIn(s, raw[s], s, out);
  const list = Array.isArray(raw.model_list) ? raw.model_list : [];
  const seen = new Set<string>();
  list.forEach((m: unknown) => {
    const entry = m as Record<string, unknown>;
    const local: string[] = [];
    keysNotIn("model_list", entry, "model_list[]", local);
    keysNotIn("litellm_params", entry?.litellm_params, "model_list[].litellm_params", local);
    keysNotIn("model_info", entry?.model_info, "model_list[].model_info", local);
    for (const k of local) if (!seen.has(k)) seen.add(k), out.push(k);
  });
  return out;
}
