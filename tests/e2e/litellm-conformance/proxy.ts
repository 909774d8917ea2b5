import { startFakeLLM, type FakeLLM } from "../../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../../helpers/gateway.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../../helpers/pg.ts";

export const MASTER_KEY = "sk-1234";

const UNREACHABLE = "http://127.0.0.1:9/";

const REAL_MODELS = [
  "gpt-3.5-turbo",
  "gpt-3.5-turbo-0125",
  "gpt-3.5-turbo-1106",
  "gpt-3.5-turbo-instruct",
  "gpt-4.1-mini",
  "gpt-4.1-nano",
  "gpt-4o",
  "text-embedding-ada-002",
  "dall-e-3",
  "claude-3-5-haiku-20241022",
  "claude-3-opus-20240229",
  "claude-sonnet-4-5-20250929",
  "llama-3.1-8b-instant",
  "mistral-embed",
  "omni-moderation-latest",
];

function proxyServerConfig(exampleEndpoint: string, databaseUrl: string) {
  const railway = `${exampleEndpoint}/`;
  return {
    model_list: [
      { model_name: "gpt-3.5-turbo-end-user-test", litellm_params: { model: "gpt-3.5-turbo", region_name: "eu" }, model_info: { id: "1" } },
      { model_name: "gpt-3.5-turbo-end-user-test", litellm_params: { model: "openai/gpt-4.1-mini", api_key: "os.environ/OPENAI_API_KEY" } },
      { model_name: "gpt-3.5-turbo", litellm_params: { model: "openai/gpt-4.1-mini", api_key: "os.environ/OPENAI_API_KEY" } },
      { model_name: "gpt-3.5-turbo-large", litellm_params: { model: "gpt-3.5-turbo-1106", api_key: "os.environ/OPENAI_API_KEY", rpm: 480, timeout: 300, stream_timeout: 60 } },
      { model_name: "gpt-4", litellm_params: { model: "openai/gpt-4.1-mini", api_key: "os.environ/OPENAI_API_KEY", rpm: 480, timeout: 300, stream_timeout: 60 } },
      { model_name: "sagemaker-completion-model", litellm_params: { model: "sagemaker/berri-benchmarking-Llama-2-70b-chat-hf-4", input_cost_per_second: 0.00042 } },
      {
        model_name: "text-embedding-ada-002",
        litellm_params: { model: "openai/text-embedding-ada-002", api_key: "os.environ/OPENAI_API_KEY" },
        model_info: { mode: "embedding", base_model: "text-embedding-ada-002" },
      },
      { model_name: "dall-e-2", litellm_params: { model: "openai/dall-e-3" } },
      { model_name: "openai-dall-e-3", litellm_params: { model: "dall-e-3" } },
      { model_name: "fake-openai-endpoint", litellm_params: { model: "openai/gpt-3.5-turbo-0301", api_key: "fake-key", api_base: railway } },
      { model_name: "fake-openai-endpoint-2", litellm_params: { model: "openai/my-fake-model", api_key: "my-fake-key", api_base: railway, stream_timeout: 0.001, rpm: 1 } },
      { model_name: "fake-openai-endpoint-3", litellm_params: { model: "openai/my-fake-model", api_key: "my-fake-key", api_base: railway, stream_timeout: 0.001, rpm: 1000 } },
      { model_name: "fake-openai-endpoint-4", litellm_params: { model: "openai/my-fake-model", api_key: "my-fake-key", api_base: railway, num_retries: 50 } },
      { model_name: "fake-openai-endpoint-3", litellm_params: { model: "openai/my-fake-model-2", api_key: "my-fake-key", api_base: railway, stream_timeout: 0.001, rpm: 1000 } },
      {
        model_name: "bad-model",
        litellm_params: { model: "openai/bad-model", api_key: "os.environ/OPENAI_API_KEY", api_base: railway, mock_timeout: true, timeout: 60, rpm: 1000 },
        model_info: { health_check_timeout: 1 },
      },
      {
        model_name: "good-model",
        litellm_params: { model: "openai/bad-model", api_key: "os.environ/OPENAI_API_KEY", api_base: railway, rpm: 1000 },
        model_info: { health_check_timeout: 1 },
      },
      { model_name: "*", litellm_params: { model: "openai/*", api_key: "os.environ/OPENAI_API_KEY" } },
      { model_name: "realtime-v1", litellm_params: { model: "azure/gpt-realtime-20250828-standard", api_version: "2025-08-28", realtime_protocol: "GA" } },
      { model_name: "realtime-beta", litellm_params: { model: "azure/gpt-realtime-20250828-standard", api_version: "2025-04-01-preview" } },
      { model_name: "anthropic/*", litellm_params: { model: "anthropic/*", api_key: "os.environ/ANTHROPIC_API_KEY" } },
      { model_name: "bedrock/*", litellm_params: { model: "bedrock/*" } },
      { model_name: "groq/*", litellm_params: { model: "groq/*", api_key: "os.environ/GROQ_API_KEY" } },
      { model_name: "mistral-embed", litellm_params: { model: "mistral/mistral-embed" } },
      { model_name: "gpt-instruct", litellm_params: { model: "text-completion-openai/gpt-3.5-turbo-instruct" } },
      { model_name: "fake-openai-endpoint-5", litellm_params: { model: "openai/my-fake-model", api_key: "my-fake-key", api_base: railway, timeout: 1 } },
      { model_name: "badly-configured-openai-endpoint", litellm_params: { model: "openai/my-fake-model", api_key: "my-fake-key", api_base: UNREACHABLE } },
      { model_name: "gemini-1.5-flash", litellm_params: { model: "gemini/gemini-1.5-flash", api_key: "os.environ/GOOGLE_API_KEY" } },
      { model_name: "gpt-4o", litellm_params: { model: "gpt-4o", api_key: "os.environ/OPENAI_API_KEY" } },
    ],
    litellm_settings: {
      drop_params: true,
      success_callback: ["prometheus"],
      num_retries: 5,
      request_timeout: 600,
      telemetry: false,
      context_window_fallbacks: [{ "gpt-3.5-turbo": ["gpt-3.5-turbo-large"] }],
      default_team_settings: [
        {
          team_id: "team-1",
          success_callback: ["langfuse"],
          failure_callback: ["langfuse"],
          langfuse_public_key: "os.environ/LANGFUSE_PROJECT1_PUBLIC",
          langfuse_secret: "os.environ/LANGFUSE_PROJECT1_SECRET",
        },
        {
          team_id: "team-2",
          success_callback: ["langfuse"],
          failure_callback: ["langfuse"],
          langfuse_public_key: "os.environ/LANGFUSE_PROJECT2_PUBLIC",
          langfuse_secret: "os.environ/LANGFUSE_PROJECT2_SECRET",
          langfuse_host: "https://us.cloud.langfuse.com",
        },
      ],
    },
    router_settings: {
      routing_strategy: "usage-based-routing-v2",
      redis_host: "os.environ/REDIS_HOST",
      redis_password: "os.environ/REDIS_PASSWORD",
      redis_port: "os.environ/REDIS_PORT",
      enable_pre_call_checks: true,
      model_group_alias: { "my-special-fake-model-alias-name": "fake-openai-endpoint-3" },
    },
    general_settings: {
      master_key: MASTER_KEY,
      database_url: databaseUrl,
      store_model_in_db: true,
      proxy_budget_rescheduler_min_time: 60,
      proxy_budget_rescheduler_max_time: 64,
      proxy_batch_write_at: 1,
      database_connection_pool_limit: 10,
      // LiteLLM (since 1.96) refuses mock_testing_* and mock_timeout unless an admin opts in; its tests send them.
      dangerously_allow_mock_testing_request_params: true,
    },
  };
}

function providerEnv(fake: string): Record<string, string> {
  return {
    OPENAI_API_KEY: "sk-fake-openai",
    OPENAI_API_BASE: `${fake}/v1`,
    ANTHROPIC_API_KEY: "sk-ant-fake",
    ANTHROPIC_API_BASE: fake,
    GROQ_API_KEY: "gsk-fake",
    GROQ_API_BASE: `${fake}/v1`,
    MISTRAL_API_KEY: "mistral-fake",
    MISTRAL_API_BASE: `${fake}/v1`,
    GOOGLE_API_KEY: "google-fake",
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: "6379",
    LANGFUSE_PROJECT1_PUBLIC: "pk-lf-1",
    LANGFUSE_PROJECT1_SECRET: "sk-lf-1",
    LANGFUSE_PROJECT2_PUBLIC: "pk-lf-2",
    LANGFUSE_PROJECT2_SECRET: "sk-lf-2",
  };
}

export interface LiteLLMProxy {
  url: string;
  db: TestDb;
  providers: FakeLLM;
  exampleEndpoint: FakeLLM;
  gw: GatewayProcess;
  stop(): Promise<void>;
}

export async function startLiteLLMProxy(name: string, env: Record<string, string> = {}): Promise<LiteLLMProxy> {
  const db = await createTestDb(`lr_conf_${name}`);
  await loadLiteLLMSchema(db.sql);
  const providers = await startFakeLLM({ control: { knownModels: REAL_MODELS } });
  const exampleEndpoint = await startFakeLLM();
  const gw = await startGateway({ config: proxyServerConfig(exampleEndpoint.url, db.url), env: { ...providerEnv(providers.url), ...env }, timeoutMs: 30_000 });
  return {
    url: gw.url,
    db,
    providers,
    exampleEndpoint,
    gw,
    async stop() {
      await gw.stop();
      await providers.stop();
      await exampleEndpoint.stop();
      await db.drop();
    },
  };
}
