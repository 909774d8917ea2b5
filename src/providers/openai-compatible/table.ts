import type { Protocol } from "../types.ts";

/**
 * One row per OpenAI-compatible provider LiteLLM routes by prefix (its `openai_compatible_providers`,
 * `_get_openai_compatible_provider_info` and `llms/openai_like/providers.json`): the default base URL,
 * the env vars LiteLLM reads for the key (in its order) and for the base, and the OpenAI APIs the
 * server has beyond chat. `litellm_params.api_base` / `api_key` override them.
 */
export interface CompatibleRow {
  name: string;
  /** Default `api_base`; absent where the server is the user's own (vLLM, LM Studio, ...). */
  base?: string;
  keyEnv: string[];
  /** Env vars for the base; `<NAME>_API_BASE` when absent. */
  baseEnv?: string[];
  /** OpenAI APIs served natively; `chat` + `embeddings` when absent. */
  serves?: Protocol[];
  /** A Mistral-style fill-in-the-middle path (`/fim/completions`) for `/v1/completions` calls. */
  fim?: boolean;
  /** The header the key goes in, when not `Authorization: Bearer`. */
  keyHeader?: string;
  exception?: string;
}

const CHAT: Protocol[] = ["openai-chat", "openai-embeddings"];
const TEXT: Protocol[] = [...CHAT, "openai-completions"];

export const COMPATIBLE: CompatibleRow[] = [
  { name: "openrouter", base: "https://openrouter.ai/api/v1", keyEnv: ["OPENROUTER_API_KEY", "OR_API_KEY"], baseEnv: ["OPENROUTER_API_BASE", "OR_API_BASE"], exception: "OpenrouterException" },
  { name: "groq", base: "https://api.groq.com/openai/v1", keyEnv: ["GROQ_API_KEY"], serves: [...CHAT, "openai-transcriptions", "openai-speech"], exception: "GroqException" },
  { name: "deepseek", base: "https://api.deepseek.com/beta", keyEnv: ["DEEPSEEK_API_KEY"], serves: TEXT, exception: "DeepseekException" },
  { name: "together_ai", base: "https://api.together.xyz/v1", keyEnv: ["TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_TOKEN"], baseEnv: ["TOGETHER_AI_API_BASE", "TOGETHERAI_API_BASE"], serves: [...TEXT, "openai-images", "rerank"], exception: "Together_aiException" },
  { name: "fireworks_ai", base: "https://api.fireworks.ai/inference/v1", keyEnv: ["FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY", "FIREWORKSAI_API_KEY", "FIREWORKS_AI_TOKEN"], baseEnv: ["FIREWORKS_API_BASE", "FIREWORKS_AI_API_BASE"], serves: TEXT, exception: "Fireworks_aiException" },
  { name: "mistral", base: "https://api.mistral.ai/v1", keyEnv: ["MISTRAL_API_KEY"], fim: true, exception: "MistralException" },
  { name: "codestral", base: "https://codestral.mistral.ai/v1", keyEnv: ["CODESTRAL_API_KEY"], fim: true, exception: "CodestralException" },
  { name: "text-completion-codestral", base: "https://codestral.mistral.ai/v1", keyEnv: ["CODESTRAL_API_KEY"], baseEnv: ["CODESTRAL_API_BASE"], fim: true, exception: "CodestralException" },
  { name: "xai", base: "https://api.x.ai/v1", keyEnv: ["XAI_API_KEY"], serves: [...CHAT, "openai-images"], exception: "XaiException" },
  { name: "perplexity", base: "https://api.perplexity.ai", keyEnv: ["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"], exception: "PerplexityException" },
  { name: "deepinfra", base: "https://api.deepinfra.com/v1/openai", keyEnv: ["DEEPINFRA_API_KEY"], serves: TEXT, exception: "DeepInfraException" },
  { name: "cerebras", base: "https://api.cerebras.ai/v1", keyEnv: ["CEREBRAS_API_KEY"], exception: "CerebrasException" },
  { name: "sambanova", base: "https://api.sambanova.ai/v1", keyEnv: ["SAMBANOVA_API_KEY"], exception: "SambanovaException" },
  { name: "nvidia_nim", base: "https://integrate.api.nvidia.com/v1", keyEnv: ["NVIDIA_NIM_API_KEY"], exception: "Nvidia_nimException" },
  { name: "nebius", base: "https://api.studio.nebius.ai/v1", keyEnv: ["NEBIUS_API_KEY"], serves: TEXT, exception: "NebiusException" },
  { name: "github", base: "https://models.inference.ai.azure.com", keyEnv: ["GITHUB_API_KEY"], exception: "GithubException" },
  { name: "novita", base: "https://api.novita.ai/v3/openai", keyEnv: ["NOVITA_API_KEY"] },
  { name: "hyperbolic", base: "https://api.hyperbolic.xyz/v1", keyEnv: ["HYPERBOLIC_API_KEY"], serves: TEXT },
  { name: "moonshot", base: "https://api.moonshot.ai/v1", keyEnv: ["MOONSHOT_API_KEY"], serves: TEXT },
  { name: "dashscope", base: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", keyEnv: ["DASHSCOPE_API_KEY"], serves: TEXT },
  { name: "volcengine", base: "https://ark.cn-beijing.volces.com/api/v3", keyEnv: ["VOLCENGINE_API_KEY"] },
  { name: "meta_llama", base: "https://api.llama.com/compat/v1", keyEnv: ["LLAMA_API_KEY"], baseEnv: ["LLAMA_API_BASE"], serves: TEXT },
  { name: "featherless_ai", base: "https://api.featherless.ai/v1", keyEnv: ["FEATHERLESS_AI_API_KEY", "FEATHERLESS_API_KEY"], baseEnv: ["FEATHERLESS_AI_API_BASE", "FEATHERLESS_API_BASE"], serves: TEXT },
  { name: "nscale", base: "https://inference.api.nscale.com/v1", keyEnv: ["NSCALE_API_KEY"] },
  { name: "anyscale", base: "https://api.endpoints.anyscale.com/v1", keyEnv: ["ANYSCALE_API_KEY"] },
  { name: "empower", base: "https://app.empower.dev/api/v1", keyEnv: ["EMPOWER_API_KEY"] },
  { name: "friendliai", base: "https://api.friendli.ai/serverless/v1", keyEnv: ["FRIENDLIAI_API_KEY", "FRIENDLI_TOKEN"], baseEnv: ["FRIENDLI_API_BASE"] },
  { name: "galadriel", base: "https://api.galadriel.com/v1", keyEnv: ["GALADRIEL_API_KEY"] },
  { name: "ai21_chat", base: "https://api.ai21.com/studio/v1", keyEnv: ["AI21_API_KEY"], baseEnv: ["AI21_API_BASE"] },
  { name: "ai21", base: "https://api.ai21.com/studio/v1", keyEnv: ["AI21_API_KEY"] },
  { name: "zai", base: "https://api.z.ai/api/paas/v4", keyEnv: ["ZAI_API_KEY"] },
  { name: "v0", base: "https://api.v0.dev/v1", keyEnv: ["V0_API_KEY"], serves: TEXT },
  { name: "morph", base: "https://api.morphllm.com/v1", keyEnv: ["MORPH_API_KEY"] },
  { name: "lambda_ai", base: "https://api.lambda.ai/v1", keyEnv: ["LAMBDA_API_KEY"], baseEnv: ["LAMBDA_API_BASE"], serves: TEXT },
  { name: "vercel_ai_gateway", base: "https://ai-gateway.vercel.sh/v1", keyEnv: ["VERCEL_AI_GATEWAY_API_KEY", "VERCEL_OIDC_TOKEN"] },
  { name: "wandb", base: "https://api.inference.wandb.ai/v1", keyEnv: ["WANDB_API_KEY"], serves: TEXT },
  { name: "clarifai", base: "https://api.clarifai.com/v2/ext/openai/v1", keyEnv: ["CLARIFAI_API_KEY", "CLARIFAI_PAT"] },
  { name: "baseten", base: "https://inference.baseten.co/v1", keyEnv: ["BASETEN_API_KEY"] },
  { name: "aiml", base: "https://api.aimlapi.com/v1", keyEnv: ["AIML_API_KEY"] },
  { name: "cometapi", base: "https://api.cometapi.com/v1", keyEnv: ["COMETAPI_KEY", "COMETAPI_API_KEY"] },
  { name: "ovhcloud", base: "https://oai.endpoints.kepler.ai.cloud.ovh.net/v1", keyEnv: ["OVHCLOUD_API_KEY"] },
  { name: "gradient_ai", base: "https://inference.do-ai.run/v1", keyEnv: ["GRADIENT_AI_API_KEY"] },
  { name: "huggingface", base: "https://router.huggingface.co/v1", keyEnv: ["HF_TOKEN", "HUGGINGFACE_API_KEY"], baseEnv: ["HF_API_BASE", "HUGGINGFACE_API_BASE"], exception: "HuggingfaceException" },
  { name: "jina_ai", base: "https://api.jina.ai/v1", keyEnv: ["JINA_AI_API_KEY"], serves: ["openai-embeddings", "rerank"] },
  { name: "voyage", base: "https://api.voyageai.com/v1", keyEnv: ["VOYAGE_API_KEY"], serves: ["openai-embeddings"] },
  { name: "infinity", keyEnv: ["INFINITY_API_KEY"], serves: ["openai-embeddings", "rerank"] },
  // LiteLLM's JSON-configured providers (llms/openai_like/providers.json).
  { name: "publicai", base: "https://api.publicai.co/v1", keyEnv: ["PUBLICAI_API_KEY"], serves: TEXT },
  { name: "helicone", base: "https://ai-gateway.helicone.ai", keyEnv: ["HELICONE_API_KEY"] },
  { name: "veniceai", base: "https://api.venice.ai/api/v1", keyEnv: ["VENICE_AI_API_KEY"] },
  { name: "xiaomi_mimo", base: "https://api.xiaomimimo.com/v1", keyEnv: ["XIAOMI_MIMO_API_KEY"] },
  { name: "scaleway", base: "https://api.scaleway.ai/v1", keyEnv: ["SCW_SECRET_KEY"] },
  { name: "synthetic", base: "https://api.synthetic.new/openai/v1", keyEnv: ["SYNTHETIC_API_KEY"], serves: TEXT },
  { name: "apertis", base: "https://api.stima.tech/v1", keyEnv: ["STIMA_API_KEY"], serves: TEXT },
  { name: "nano-gpt", base: "https://nano-gpt.com/api/v1", keyEnv: ["NANOGPT_API_KEY"], serves: TEXT },
  { name: "poe", base: "https://api.poe.com/v1", keyEnv: ["POE_API_KEY"], serves: TEXT },
  { name: "chutes", base: "https://llm.chutes.ai/v1", keyEnv: ["CHUTES_API_KEY"], serves: TEXT },
  { name: "abliteration", base: "https://api.abliteration.ai/v1", keyEnv: ["ABLITERATION_API_KEY"] },
  { name: "llamagate", base: "https://api.llamagate.dev/v1", keyEnv: ["LLAMAGATE_API_KEY"] },
  { name: "gmi", base: "https://api.gmi-serving.com/v1", keyEnv: ["GMI_API_KEY"] },
  { name: "sarvam", base: "https://api.sarvam.ai/v1", keyEnv: ["SARVAM_API_KEY"], keyHeader: "api-subscription-key" },
  { name: "assemblyai", base: "https://llm-gateway.assemblyai.com/v1", keyEnv: ["ASSEMBLYAI_API_KEY"] },
  { name: "charity_engine", base: "https://api.charityengine.services/remotejobs/v2/inference", keyEnv: ["CHARITY_ENGINE_API_KEY"] },
  { name: "aihubmix", base: "https://aihubmix.com/v1", keyEnv: ["AIHUBMIX_API_KEY"] },
  { name: "crusoe", base: "https://managed-inference-api-proxy.crusoecloud.com/v1", keyEnv: ["CRUSOE_API_KEY"] },
  // Servers the user runs: no default base.
  { name: "hosted_vllm", keyEnv: ["HOSTED_VLLM_API_KEY"], serves: [...TEXT, "openai-transcriptions", "rerank"], exception: "Hosted_vllmException" },
  { name: "vllm", keyEnv: ["VLLM_API_KEY"], serves: [...TEXT, "openai-transcriptions", "rerank"], exception: "VLLMException" },
  { name: "llamafile", base: "http://127.0.0.1:8080/v1", keyEnv: ["LLAMAFILE_API_KEY"], serves: TEXT },
  { name: "ollama_chat", base: "http://localhost:11434/v1", keyEnv: ["OLLAMA_API_KEY"], exception: "Ollama_chatException" },
  { name: "ollama", base: "http://localhost:11434/v1", keyEnv: ["OLLAMA_API_KEY"], serves: TEXT, exception: "OllamaException" },
  { name: "lm_studio", base: "http://localhost:1234/v1", keyEnv: ["LM_STUDIO_API_KEY"], exception: "Lm_studioException" },
  { name: "xinference", base: "http://127.0.0.1:9997/v1", keyEnv: ["XINFERENCE_API_KEY"], serves: [...TEXT, "rerank"] },
  { name: "litellm_proxy", keyEnv: ["LITELLM_PROXY_API_KEY"], serves: ["openai-chat", "openai-responses", "openai-embeddings", "openai-completions", "openai-images", "openai-image-edits", "openai-transcriptions", "openai-speech", "openai-moderations", "rerank"], exception: "Litellm_proxyException" },
  { name: "openai_like", keyEnv: [], serves: TEXT, exception: "OpenAILikeException" },
  { name: "custom_openai", keyEnv: [], serves: TEXT, exception: "OpenAIException" },
  { name: "text-completion-openai", base: "https://api.openai.com/v1", keyEnv: ["OPENAI_API_KEY"], baseEnv: ["OPENAI_BASE_URL", "OPENAI_API_BASE"], serves: TEXT, exception: "OpenAIException" },
];

/** LiteLLM's exception name for a provider without its own: `Together_aiException`. */
export const exceptionFor = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}Exception`;

export const baseEnvFor = (row: CompatibleRow) => row.baseEnv ?? [`${row.name.toUpperCase().replace(/-/g, "_")}_API_BASE`];
