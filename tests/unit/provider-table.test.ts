import { describe, expect, test } from "bun:test";
import type { ModelEntry } from "../../src/config/schema.ts";
import { buildDeployments } from "../../src/router/deployment.ts";
import { costOf } from "../../src/spend/cost.ts";
import { wavSeconds } from "../../src/gateway/multipart.ts";

/**
 * LiteLLM's defaults, copied from its source (`get_llm_provider_logic.py`, the providers' config
 * classes, `llms/openai_like/providers.json`): base URL and the first key env var it reads.
 */
const LITELLM: Record<string, [base: string, keyEnv: string]> = {
  perplexity: ["https://api.perplexity.ai", "PERPLEXITYAI_API_KEY"],
  cerebras: ["https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"],
  sambanova: ["https://api.sambanova.ai/v1", "SAMBANOVA_API_KEY"],
  nvidia_nim: ["https://integrate.api.nvidia.com/v1", "NVIDIA_NIM_API_KEY"],
  deepinfra: ["https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY"],
  hyperbolic: ["https://api.hyperbolic.xyz/v1", "HYPERBOLIC_API_KEY"],
  novita: ["https://api.novita.ai/v3/openai", "NOVITA_API_KEY"],
  nebius: ["https://api.studio.nebius.ai/v1", "NEBIUS_API_KEY"],
  moonshot: ["https://api.moonshot.ai/v1", "MOONSHOT_API_KEY"],
  dashscope: ["https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY"],
  volcengine: ["https://ark.cn-beijing.volces.com/api/v3", "VOLCENGINE_API_KEY"],
  github: ["https://models.inference.ai.azure.com", "GITHUB_API_KEY"],
  xai: ["https://api.x.ai/v1", "XAI_API_KEY"],
  groq: ["https://api.groq.com/openai/v1", "GROQ_API_KEY"],
  together_ai: ["https://api.together.xyz/v1", "TOGETHER_API_KEY"],
  fireworks_ai: ["https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"],
  mistral: ["https://api.mistral.ai/v1", "MISTRAL_API_KEY"],
  codestral: ["https://codestral.mistral.ai/v1", "CODESTRAL_API_KEY"],
  deepseek: ["https://api.deepseek.com/beta", "DEEPSEEK_API_KEY"],
  openrouter: ["https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"],
  meta_llama: ["https://api.llama.com/compat/v1", "LLAMA_API_KEY"],
  zai: ["https://api.z.ai/api/paas/v4", "ZAI_API_KEY"],
  vercel_ai_gateway: ["https://ai-gateway.vercel.sh/v1", "VERCEL_AI_GATEWAY_API_KEY"],
  friendliai: ["https://api.friendli.ai/serverless/v1", "FRIENDLIAI_API_KEY"],
  publicai: ["https://api.publicai.co/v1", "PUBLICAI_API_KEY"],
  nscale: ["https://inference.api.nscale.com/v1", "NSCALE_API_KEY"],
  cohere: ["https://api.cohere.com", "COHERE_API_KEY"],
};

const entry = (model_name: string, litellm_params: Record<string, unknown>) => ({ model_name, litellm_params }) as ModelEntry;

describe("provider defaults as LiteLLM has them", () => {
  test.each(Object.entries(LITELLM))("%s: `<provider>/<model>` with no api_base goes to %s, key from the provider's env var", (name, [base, keyEnv]) => {
    const { deployments, warnings } = buildDeployments([entry("m", { model: `${name}/some-model` })], { [keyEnv]: "the-key" });
    expect(warnings).toEqual([]);
    expect(deployments[0]!.providerName).toBe(name);
    expect(deployments[0]!.target.apiBase).toBe(base);
    expect(deployments[0]!.target.apiKey).toBe("the-key");
  });

  test("api_base and api_key in litellm_params win over env and defaults", () => {
    const { deployments } = buildDeployments([entry("m", { model: "groq/llama", api_base: "https://proxy.example/v1", api_key: "k1" })], { GROQ_API_KEY: "k2", GROQ_API_BASE: "https://env.example" });
    expect(deployments[0]!.target).toMatchObject({ apiBase: "https://proxy.example/v1", apiKey: "k1" });
  });
});

describe("prices of the non-token APIs", () => {
  const deployment = (model: string, extra: Record<string, unknown> = {}) => buildDeployments([entry("m", { model, ...extra })], {}).deployments[0]!;
  const usage = (units: Record<string, unknown>, prompt = 0) => ({ promptTokens: prompt, completionTokens: 0, totalTokens: prompt, cacheReadTokens: 0, cacheCreationTokens: 0, reasoningTokens: 0, units });

  test.each([
    ["DALL·E 3 standard 1024²", "openai/dall-e-3", { images: 1, size: "1024x1024" }, 0.04],
    ["DALL·E 3 hd 1792x1024, two", "openai/dall-e-3", { images: 2, size: "1792x1024", quality: "hd" }, 2 * 1792 * 1024 * 6.539e-8],
    ["DALL·E 2 512²", "openai/dall-e-2", { images: 3, size: "512x512" }, 3 * 512 * 512 * 6.86e-8],
    ["Whisper, 90 s", "openai/whisper-1", { seconds: 90 }, 0.009],
    ["TTS-1 HD, 1000 characters", "openai/tts-1-hd", { characters: 1000 }, 0.03],
    ["Cohere rerank, 3 search units", "cohere/rerank-v3.5", { searchUnits: 3 }, 0.006],
  ])("%s", (_what, model, units, cost) => {
    expect(costOf(deployment(model), deployment(model).upstreamModel, usage(units))).toBeCloseTo(cost, 6);
  });

  test("a deployment's own unit prices win (litellm_params, model_info)", () => {
    expect(costOf(deployment("openai/dall-e-3", { output_cost_per_image: 0.1 }), "dall-e-3", usage({ images: 3 }))).toBeCloseTo(0.3, 9);
    expect(costOf(deployment("openai/tts-1", { input_cost_per_character: "0.001" }), "tts-1", usage({ characters: 10 }))).toBeCloseTo(0.01, 9);
    expect(costOf(deployment("openai/whisper-1", { input_cost_per_second: 0.5 }), "whisper-1", usage({ seconds: 2 }))).toBeCloseTo(1, 9);
  });

  test("Cohere embeddings are priced per token from the supplementary table", () => {
    expect(costOf(deployment("cohere/embed-multilingual-v3.0"), "embed-multilingual-v3.0", usage({}, 1000))).toBeCloseTo(1e-4, 12);
  });

  test("WAV length from its header; other formats are unknown", () => {
    const b = new Uint8Array(44);
    const v = new DataView(b.buffer);
    b.set(new TextEncoder().encode("RIFF"), 0);
    b.set(new TextEncoder().encode("WAVEfmt "), 8);
    v.setUint32(16, 16, true);
    v.setUint32(28, 8000, true);
    b.set(new TextEncoder().encode("data"), 36);
    v.setUint32(40, 24000, true);
    expect(wavSeconds(b)).toBe(3);
    expect(wavSeconds(new TextEncoder().encode("ID3\u0004 mp3 bytes"))).toBeUndefined();
  });
});

describe("docs/providers.md", () => {
  test("lists every provider of the table with its default base and first key env var", async () => {
    const { COMPATIBLE } = await import("../../src/providers/openai-compatible/table.ts");
    const doc = await Bun.file(new URL("../../docs/providers.md", import.meta.url)).text();
    for (const row of COMPATIBLE) {
      const line = doc.split("\n").find((l) => l.startsWith(`| \`${row.name}/\` |`));
      expect(line, row.name).toBeDefined();
      if (row.base) expect(line).toContain(row.base);
      if (row.keyEnv[0]) expect(line).toContain(row.keyEnv[0]);
    }
  });
});
