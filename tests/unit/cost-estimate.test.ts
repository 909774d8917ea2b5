import { describe, expect, test } from "bun:test";
import type { Usage } from "../../src/gateway/usage.ts";
import { CostEstimator } from "../../src/spend/estimate.ts";

const usage = (prompt: number, completion: number): Usage => ({
  promptTokens: prompt,
  completionTokens: completion,
  totalTokens: prompt + completion,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
  reasoningTokens: 0,
});
const prices = { input: 3e-6, output: 15e-6 };

describe("cost estimates before a call is forwarded", () => {
  test("before any call of the group: 4 characters per input token and 1,000 output tokens at its price", () => {
    const e = new CostEstimator("output");
    const est = e.estimate("claude", 4000, () => prices);
    expect(est.cost).toBeCloseTo(1000 * 3e-6 + 1000 * 15e-6, 12);
    expect(est.tokens).toBe(1000);
  });

  test("what calls of the group usually cost and return, learned from the calls that finished", () => {
    const e = new CostEstimator("output");
    // 80,000 characters → 20,000 input tokens, mostly cache reads: the learned input cost is what was paid.
    e.observe("claude", 80_000, usage(20_000, 300), 0.012 + 300 * 15e-6, 15e-6);
    const est = e.estimate("claude", 80_000, () => prices);
    expect(est.cost).toBeCloseTo(0.012 + 300 * 15e-6, 12);
    expect(est.tokens).toBe(300);
    // A body twice as long is expected to cost twice as much input, the same output.
    expect(e.estimate("claude", 160_000, () => prices).cost).toBeCloseTo(0.024 + 300 * 15e-6, 12);
  });

  test("a running average: one unusual call moves the estimate by a tenth once there is history", () => {
    const e = new CostEstimator("output");
    for (let i = 0; i < 20; i++) e.observe("g", 1000, usage(250, 100), 100 * 1e-5, 1e-5);
    e.observe("g", 1000, usage(250, 1100), 1100 * 1e-5, 1e-5);
    expect(e.estimate("g", 1000, () => prices).tokens).toBe(200);
  });

  test("max_tokens caps the output guess, it is never reserved as such", () => {
    const e = new CostEstimator("output");
    e.observe("g", 1000, usage(250, 400), 400 * 1e-5, 1e-5);
    expect(e.estimate("g", 1000, () => prices, 100).tokens).toBe(100);
    expect(e.estimate("g", 1000, () => prices, 100).cost).toBeCloseTo(100 * 1e-5, 12);
    expect(e.estimate("g", 1000, () => prices, 64_000).tokens).toBe(400);
  });

  test("TPM tokens follow token_rate_limit_type", () => {
    for (const [mode, tokens] of [["input", 250], ["total", 650], ["output", 400]] as const) {
      const e = new CostEstimator(mode);
      e.observe("g", 1000, usage(250, 400), 0.01, 1e-5);
      expect(e.estimate("g", 1000, () => prices).tokens).toBe(tokens);
    }
  });
});
