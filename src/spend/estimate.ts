import type { Usage } from "../gateway/usage.ts";
import type { Estimate } from "../limits/types.ts";

/** Which tokens count toward TPM limits (`general_settings.token_rate_limit_type`). */
export type TpmTokens = "output" | "input" | "total";

/** Output tokens assumed for a model group none of whose calls has finished yet. */
const COLD_OUTPUT_TOKENS = 1000;
/** Request-body characters per input token assumed before a group's first call finished. */
const COLD_CHARS_PER_TOKEN = 4;
/** Weight of a new call in the running averages once a group has history (about the last 10 calls). */
const MIN_WEIGHT = 0.1;

interface Averages {
  n: number;
  inputCostPerChar: number;
  outputCost: number;
  inputTokensPerChar: number;
  outputTokens: number;
}

export function tpmTokensOf(u: Usage | undefined, mode: TpmTokens): number {
  if (!u) return 0;
  return mode === "input" ? u.promptTokens : mode === "total" ? u.totalTokens : u.completionTokens;
}

/**
 * What a call will probably cost, before it is sent: per model group, running averages of the
 * input cost and tokens per character of request body (the body's length is known without
 * parsing it; cache discounts are learned with it) and of the output cost and tokens per call
 * (what the model usually returns, never a worst case such as `max_tokens`, which only caps it).
 */
export class CostEstimator {
  private readonly groups = new Map<string, Averages>();

  constructor(private readonly tpm: TpmTokens) {}

  estimate(group: string, chars: number, coldPrices: () => { input: number; output: number }, maxTokens?: number): Estimate {
    let a = this.groups.get(group);
    if (!a) {
      const p = coldPrices();
      a = { n: 0, inputCostPerChar: p.input / COLD_CHARS_PER_TOKEN, outputCost: COLD_OUTPUT_TOKENS * p.output, inputTokensPerChar: 1 / COLD_CHARS_PER_TOKEN, outputTokens: COLD_OUTPUT_TOKENS };
    }
    let { outputCost, outputTokens } = a;
    if (maxTokens !== undefined && maxTokens >= 0 && maxTokens < outputTokens) {
      outputCost = outputTokens > 0 ? (outputCost * maxTokens) / outputTokens : 0;
      outputTokens = maxTokens;
    }
    const inputTokens = a.inputTokensPerChar * chars;
    const tokens = this.tpm === "output" ? outputTokens : this.tpm === "input" ? inputTokens : inputTokens + outputTokens;
    // At least one token, so that every call takes something from an instance's share of a TPM window.
    return { cost: a.inputCostPerChar * chars + outputCost, tokens: Math.max(1, Math.ceil(tokens)) };
  }

  /** A finished call teaches its group's averages; `outputPrice` splits its cost into input and output. */
  observe(group: string, chars: number, u: Usage, cost: number, outputPrice: number): void {
    if (chars <= 0 || !Number.isFinite(cost)) return;
    let a = this.groups.get(group);
    if (!a) this.groups.set(group, (a = { n: 0, inputCostPerChar: 0, outputCost: 0, inputTokensPerChar: 0, outputTokens: 0 }));
    const outputCost = Math.min(cost, u.completionTokens * outputPrice);
    a.n++;
    const w = Math.max(1 / a.n, MIN_WEIGHT);
    a.inputCostPerChar += w * ((cost - outputCost) / chars - a.inputCostPerChar);
    a.outputCost += w * (outputCost - a.outputCost);
    a.inputTokensPerChar += w * (u.promptTokens / chars - a.inputTokensPerChar);
    a.outputTokens += w * (u.completionTokens - a.outputTokens);
  }
}
