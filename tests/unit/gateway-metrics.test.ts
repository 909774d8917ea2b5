import { describe, expect, test } from "bun:test";
import parse from "parse-prometheus-text-format";
import { GatewayError } from "../../src/errors.ts";
import type { CallRecord } from "../../src/gateway/types.ts";
import { GatewayMetrics } from "../../src/metrics/gateway-metrics.ts";

interface Call {
  model: string;
  group: string;
  deployment: string;
  provider: string;
  route: string;
  key: string;
  team?: string;
  status?: number;
  cost: number;
}

function record(c: Call): CallRecord {
  return {
    req: { callType: "acompletion", model: c.group, route: c.route, startMs: 0, stream: false, auth: { apiKeyHash: c.key, teamId: c.team } },
    deployment: { id: c.deployment, providerName: c.provider },
    modelGroup: c.group,
    upstreamModel: c.model,
    status: c.status ? "failure" : "success",
    error: c.status ? new GatewayError(c.status, "x", { kind: "RateLimitError" }) : undefined,
    endMs: 5,
    cost: c.cost,
    retries: 0,
    fallbacks: 0,
    upstreamMs: 1,
  } as unknown as CallRecord;
}

type Family = { name: string; metrics: Array<{ labels: Record<string, string>; value?: string }> };

function series(m: GatewayMetrics, name: string): Array<[string, number]> {
  const fam = (parse(m.render()) as Family[]).find((f) => f.name === name);
  return (fam?.metrics ?? []).map((s) => [Object.values(s.labels).join("|"), Number(s.value)] as [string, number]).sort();
}

describe("gateway metrics series keys", () => {
  test("calls that differ in any one label land in their own series, however they interleave", () => {
    const m = new GatewayMetrics(() => ({ cooldowns: () => [] }) as never);
    const base: Call = { model: "gpt-x", group: "g", deployment: "d1", provider: "openai", route: "/v1/chat/completions", key: "k1", cost: 1 };
    const calls: Call[] = [
      base,
      { ...base, group: "g2" },
      { ...base, provider: "azure" },
      { ...base, route: "/chat/completions" },
      { ...base, deployment: "d2" },
      { ...base, model: "gpt-y" },
      { ...base, key: "k2" },
      { ...base, team: "t1" },
      { ...base, status: 429 },
    ];
    for (let round = 0; round < 3; round++) for (const c of calls) m.record(record(c));
    expect(series(m, "litellm_proxy_total_requests_metric")).toEqual([
      ["gpt-x|g2|d1|openai|/v1/chat/completions|200", 3],
      ["gpt-x|g|d1|azure|/v1/chat/completions|200", 3],
      ["gpt-x|g|d1|openai|/chat/completions|200", 3],
      ["gpt-x|g|d1|openai|/v1/chat/completions|200", 9],
      ["gpt-x|g|d1|openai|/v1/chat/completions|429", 3],
      ["gpt-x|g|d2|openai|/v1/chat/completions|200", 3],
      ["gpt-y|g|d1|openai|/v1/chat/completions|200", 3],
    ]);
    const spend = series(m, "litellm_spend_metric");
    expect(spend.find(([k]) => k === "gpt-x|g|d1|openai|/v1/chat/completions|k1|")?.[1]).toBe(6);
    expect(spend.find(([k]) => k === "gpt-x|g|d1|openai|/v1/chat/completions|k2|")?.[1]).toBe(3);
    expect(spend.find(([k]) => k === "gpt-x|g|d1|openai|/v1/chat/completions|k1|t1")?.[1]).toBe(3);
    expect(series(m, "litellm_proxy_failed_requests_metric")).toEqual([["gpt-x|g|d1|openai|/v1/chat/completions|RateLimitError|429", 3]]);
  });
});
