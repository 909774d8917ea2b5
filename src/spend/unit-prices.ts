/**
 * Prices of the non-token APIs the embedded token table (`@pydantic/genai-prices`) does not carry,
 * from LiteLLM's `model_prices_and_context_window.json`, in its field names: DALL·E per pixel by
 * quality and size, Whisper per second of audio, TTS per character, Cohere rerank per search unit,
 * moderation free, and the token prices of embedding/rerank models that table lacks.
 */
export interface UnitPrice {
  input_cost_per_pixel?: number;
  output_cost_per_image?: number;
  input_cost_per_second?: number;
  input_cost_per_character?: number;
  input_cost_per_query?: number;
  input_cost_per_token?: number;
}

export const UNIT_PRICES: Readonly<Record<string, UnitPrice>> = {
  "256-x-256/dall-e-2": { input_cost_per_pixel: 2.4414e-7 },
  "512-x-512/dall-e-2": { input_cost_per_pixel: 6.86e-8 },
  "1024-x-1024/dall-e-2": { input_cost_per_pixel: 1.9e-8 },
  "standard/1024-x-1024/dall-e-3": { input_cost_per_pixel: 3.81469e-8 },
  "standard/1024-x-1792/dall-e-3": { input_cost_per_pixel: 4.359e-8 },
  "standard/1792-x-1024/dall-e-3": { input_cost_per_pixel: 4.359e-8 },
  "hd/1024-x-1024/dall-e-3": { input_cost_per_pixel: 7.629e-8 },
  "hd/1024-x-1792/dall-e-3": { input_cost_per_pixel: 6.539e-8 },
  "hd/1792-x-1024/dall-e-3": { input_cost_per_pixel: 6.539e-8 },
  "whisper-1": { input_cost_per_second: 1e-4 },
  "tts-1": { input_cost_per_character: 1.5e-5 },
  "tts-1-hd": { input_cost_per_character: 3e-5 },
  "omni-moderation-latest": { input_cost_per_token: 0 },
  "omni-moderation-2024-09-26": { input_cost_per_token: 0 },
  "text-moderation-latest": { input_cost_per_token: 0 },
  "text-moderation-stable": { input_cost_per_token: 0 },
  "rerank-v3.5": { input_cost_per_query: 0.002 },
  "rerank-english-v3.0": { input_cost_per_query: 0.002 },
  "rerank-multilingual-v3.0": { input_cost_per_query: 0.002 },
  "rerank-english-v2.0": { input_cost_per_query: 0.002 },
  "rerank-multilingual-v2.0": { input_cost_per_query: 0.002 },
  "embed-english-v3.0": { input_cost_per_token: 1e-7 },
  "embed-multilingual-v3.0": { input_cost_per_token: 1e-7 },
  "embed-english-light-v3.0": { input_cost_per_token: 1e-7 },
  "embed-multilingual-light-v3.0": { input_cost_per_token: 1e-7 },
  "embed-v4.0": { input_cost_per_token: 1.2e-7 },
};
