import type { calcPrice as CalcPrice } from "@pydantic/genai-prices";
import type { Deployment } from "../router/deployment.ts";
import type { BillableUnits, Usage } from "../gateway/usage.ts";
import { UNIT_PRICES, type UnitPrice } from "./unit-prices.ts";

/**
 * Prices come from the price data embedded in the binary (`@pydantic/genai-prices`, a maintained
 * public price table; see docs/config.md), overridden per deployment by LiteLLM's
 * `input_cost_per_token` / `output_cost_per_token` / cache costs in `litellm_params` or `model_info`.
 */
type Tiered = number | { base: number; tiers: Array<{ start: number; price: number }> } | undefined;

interface Rates {
  input?: Tiered;
  output?: Tiered;
  cacheRead?: Tiered;
  cacheWrite?: Tiered;
}

export const PROVIDER_IDS: Record<string, string> = {
  anthropic: "anthropic",
  openai: "openai",
  "text-completion-openai": "openai",
  azure: "azure",
  azure_ai: "azure",
  gemini: "google",
  vertex_ai: "google",
  bedrock: "aws",
  groq: "groq",
  deepseek: "deepseek",
  mistral: "mistral",
  xai: "x-ai",
  together_ai: "together",
  fireworks_ai: "fireworks",
  openrouter: "openrouter",
  perplexity: "perplexity",
  cerebras: "cerebras",
};

const cache = new Map<string, Rates | null>();

// The price table is about 16 MB of resident memory: loaded on the first price lookup, not at start.
let calcPriceFn: typeof CalcPrice | undefined;
const calcPrice: typeof CalcPrice = (...args) => {
  calcPriceFn ??= (require("@pydantic/genai-prices") as { calcPrice: typeof CalcPrice }).calcPrice;
  return calcPriceFn(...args);
};

function ratesFor(provider: string, model: string): Rates | null {
  const key = `${provider}\u0000${model}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const probe = { input_tokens: 1, output_tokens: 1 };
  const pid = PROVIDER_IDS[provider];
  let r = pid ? calcPrice(probe, model, { providerId: pid }) : null;
  if (!r) {
    const slash = model.lastIndexOf("/");
    const bare = slash >= 0 ? model.slice(slash + 1) : model;
    r = calcPrice(probe, bare);
  }
  const mp = r?.model_price as Record<string, Tiered> | undefined;
  const rates: Rates | null = mp
    ? { input: mp.input_mtok, output: mp.output_mtok, cacheRead: mp.cache_read_mtok, cacheWrite: mp.cache_write_mtok }
    : null;
  cache.set(key, rates);
  return rates;
}

function perToken(p: Tiered, promptTokens: number): number | undefined {
  if (p === undefined) return undefined;
  if (typeof p === "number") return p / 1e6;
  let price = p.base;
  for (const t of p.tiers) if (promptTokens > t.start) price = t.price;
  return price / 1e6;
}

export interface UnitPrices {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  known: boolean;
}

const lastRates = new WeakMap<Deployment, { model: string; rates: Rates | null }>();

/** The rates of the model a deployment called last, kept on the deployment (no key string per call). */
function deploymentRates(d: Deployment, model: string): Rates | null {
  const last = lastRates.get(d);
  if (last?.model === model) return last.rates;
  const rates = ratesFor(d.providerName, model);
  lastRates.set(d, { model, rates });
  return rates;
}

/** Per-token prices for a deployment's model: config overrides first, then the embedded map. */
export function unitPrices(d: Deployment, upstreamModel: string, promptTokens = 0): UnitPrices {
  const base = d.info.base_model ?? upstreamModel;
  const rates = deploymentRates(d, base);
  const p = d.pricing;
  const input = p.input ?? perToken(rates?.input, promptTokens) ?? UNIT_PRICES[bareModel(base)]?.input_cost_per_token;
  const output = p.output ?? perToken(rates?.output, promptTokens);
  return {
    input: input ?? 0,
    output: output ?? 0,
    cacheRead: p.cacheRead ?? perToken(rates?.cacheRead, promptTokens) ?? input ?? 0,
    cacheWrite: p.cacheCreation ?? perToken(rates?.cacheWrite, promptTokens) ?? input ?? 0,
    known: input !== undefined || output !== undefined,
  };
}

const bareModel = (model: string) => model.slice(model.lastIndexOf("/") + 1);

const priceNum = (v: unknown): number | undefined => {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};

/** A unit price set on the deployment (`litellm_params`, then `model_info`), as LiteLLM lets a config override its map. */
function configured(d: Deployment, field: keyof UnitPrice | "input_cost_per_token_batches" | "output_cost_per_token_batches"): number | undefined {
  return priceNum((d.params as Record<string, unknown>)[field]) ?? priceNum((d.info as Record<string, unknown>)[field]);
}

/** `1024x1024` → `1024-x-1024`, LiteLLM's key form; DALL·E 3 defaults to standard quality. */
function imagePriceKey(model: string, units: BillableUnits): string[] {
  const size = (units.size ?? "1024x1024").replace("x", "-x-");
  const quality = units.quality === "hd" || units.quality === "high" ? "hd" : "standard";
  return [`${quality}/${size}/${model}`, `${size}/${model}`, model];
}

/**
 * LiteLLM's cost of an image, audio or rerank call: images × pixels × price per pixel (or price
 * per image), seconds × price per second, characters × price per character, search units × price
 * per query. Undefined when the model has no such price (its tokens are priced instead).
 */
function unitCost(d: Deployment, upstreamModel: string, units: BillableUnits): number | undefined {
  const model = bareModel(d.info.base_model ?? upstreamModel);
  const table = (key: string) => UNIT_PRICES[key];
  if (units.images !== undefined) {
    const perImage = configured(d, "output_cost_per_image");
    if (perImage !== undefined) return perImage * units.images;
    const [w, h] = (units.size ?? "1024x1024").split("x").map(Number);
    const perPixel = configured(d, "input_cost_per_pixel") ?? imagePriceKey(model, units).map(table).find((p) => p?.input_cost_per_pixel !== undefined)?.input_cost_per_pixel;
    return perPixel !== undefined && w && h ? perPixel * w * h * units.images : undefined;
  }
  if (units.seconds !== undefined) {
    const perSecond = d.pricing.inputPerSecond ?? table(model)?.input_cost_per_second;
    return perSecond !== undefined ? perSecond * units.seconds : undefined;
  }
  if (units.characters !== undefined) {
    const perChar = configured(d, "input_cost_per_character") ?? table(model)?.input_cost_per_character;
    return perChar !== undefined ? perChar * units.characters : undefined;
  }
  if (units.searchUnits !== undefined) {
    const perQuery = configured(d, "input_cost_per_query") ?? table(model)?.input_cost_per_query;
    return perQuery !== undefined ? perQuery * units.searchUnits : undefined;
  }
  return undefined;
}

/** LiteLLM's `generic_cost_per_token`: uncached prompt + cache read + cache creation + completion. */
export function costOf(d: Deployment, upstreamModel: string, u: Usage | undefined, durationMs = 0): number {
  if (!u) return 0;
  const units = u.units && unitCost(d, upstreamModel, u.units);
  if (units !== undefined) return units;
  if (d.pricing.inputPerSecond !== undefined || d.pricing.outputPerSecond !== undefined) {
    const s = durationMs / 1000;
    return (d.pricing.inputPerSecond ?? 0) * s + (d.pricing.outputPerSecond ?? 0) * s;
  }
  const pr = unitPrices(d, upstreamModel, u.promptTokens);
  const uncached = Math.max(0, u.promptTokens - u.cacheReadTokens - u.cacheCreationTokens);
  return uncached * pr.input + u.cacheReadTokens * pr.cacheRead + u.cacheCreationTokens * pr.cacheWrite + u.completionTokens * pr.output;
}

/** Both prices explicitly set to 0: LiteLLM skips budget checks for such models. */
export function isZeroCost(d: Deployment): boolean {
  return d.pricing.input === 0 && d.pricing.output === 0;
}

/**
 * LiteLLM's `batch_cost_calculator`: a finished batch's tokens at the deployment's
 * `input_cost_per_token_batches` / `output_cost_per_token_batches`, else half the regular prices.
 */
export function batchCostOf(d: Deployment, model: string, u: Usage): number {
  const regular = unitPrices(d, model, u.promptTokens);
  const input = configured(d, "input_cost_per_token_batches") ?? regular.input / 2;
  const output = configured(d, "output_cost_per_token_batches") ?? regular.output / 2;
  return u.promptTokens * input + u.completionTokens * output;
}
