import type { Provider } from "../types.ts";
import { openAIStyle } from "../openai/index.ts";

/**
 * The OpenAI-compatible family LiteLLM routes by prefix. Each speaks OpenAI chat (and embeddings
 * where the server has them) at its own base URL; `api_base` overrides it.
 */
const FAMILY: Array<[name: string, base: string | undefined, keyEnv: string[], exception: string]> = [
  ["hosted_vllm", undefined, ["HOSTED_VLLM_API_KEY"], "Hosted_vllmException"],
  ["vllm", undefined, ["VLLM_API_KEY"], "VLLMException"],
  ["openrouter", "https://openrouter.ai/api/v1", ["OPENROUTER_API_KEY", "OR_API_KEY"], "OpenrouterException"],
  ["groq", "https://api.groq.com/openai/v1", ["GROQ_API_KEY"], "GroqException"],
  ["deepseek", "https://api.deepseek.com/v1", ["DEEPSEEK_API_KEY"], "DeepseekException"],
  ["together_ai", "https://api.together.xyz/v1", ["TOGETHERAI_API_KEY", "TOGETHER_API_KEY"], "Together_aiException"],
  ["fireworks_ai", "https://api.fireworks.ai/inference/v1", ["FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"], "Fireworks_aiException"],
  ["mistral", "https://api.mistral.ai/v1", ["MISTRAL_API_KEY"], "MistralException"],
  ["xai", "https://api.x.ai/v1", ["XAI_API_KEY"], "XaiException"],
  ["ollama_chat", "http://localhost:11434/v1", ["OLLAMA_API_KEY"], "Ollama_chatException"],
  ["ollama", "http://localhost:11434/v1", ["OLLAMA_API_KEY"], "OllamaException"],
  ["lm_studio", "http://localhost:1234/v1", ["LM_STUDIO_API_KEY"], "Lm_studioException"],
  ["perplexity", "https://api.perplexity.ai", ["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"], "PerplexityException"],
  ["deepinfra", "https://api.deepinfra.com/v1/openai", ["DEEPINFRA_API_KEY"], "DeepInfraException"],
  ["cerebras", "https://api.cerebras.ai/v1", ["CEREBRAS_API_KEY"], "CerebrasException"],
  ["sambanova", "https://api.sambanova.ai/v1", ["SAMBANOVA_API_KEY"], "SambanovaException"],
  ["nvidia_nim", "https://integrate.api.nvidia.com/v1", ["NVIDIA_NIM_API_KEY"], "Nvidia_nimException"],
  ["nebius", "https://api.studio.nebius.ai/v1", ["NEBIUS_API_KEY"], "NebiusException"],
  ["github", "https://models.inference.ai.azure.com", ["GITHUB_API_KEY"], "GithubException"],
  ["litellm_proxy", undefined, ["LITELLM_PROXY_API_KEY"], "Litellm_proxyException"],
  ["openai_like", undefined, [], "OpenAILikeException"],
  ["custom_openai", undefined, [], "OpenAIException"],
  ["text-completion-openai", "https://api.openai.com/v1", ["OPENAI_API_KEY"], "OpenAIException"],
];

export const openAICompatible: Provider[] = FAMILY.map(([name, base, keyEnv, exception]) =>
  openAIStyle({
    name,
    defaultApiBase: base,
    apiKeyEnv: keyEnv,
    apiBaseEnv: [`${name.toUpperCase()}_API_BASE`],
    exceptionName: exception,
    protocols: name === "litellm_proxy" ? ["openai-chat", "openai-responses", "openai-embeddings"] : undefined,
  }),
);
