import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/index.ts";
import { GatewayError } from "../../src/errors.ts";
import { buildRouter } from "../../src/router/index.ts";
import { buildDeployments, type Deployment } from "../../src/router/deployment.ts";
import { upstreamModelFor } from "../../src/router/model-groups.ts";
import { RouterState } from "../../src/router/state.ts";
import { writeConfig } from "../helpers/gateway.ts";

type Entry = { model_name: string; litellm_params: Record<string, unknown>; model_info?: Record<string, unknown> };

function router(model_list: Entry[], router_settings: Record<string, unknown> = {}, litellm_settings: Record<string, unknown> = {}) {
  const config = loadConfig(writeConfig({ model_list, router_settings, litellm_settings }), {});
  return buildRouter(config, [], new RouterState()).router;
}

const dep = (name: string, model: string, extra: Record<string, unknown> = {}, id?: string): Entry => ({
  model_name: name,
  litellm_params: { model, api_base: "http://127.0.0.1:1", ...extra },
  ...(id ? { model_info: { id } } : {}),
});

describe("model groups", () => {
  const r = router(
    [
      dep("claude-opus-4-8", "anthropic/claude-opus-4-8", {}, "exact"),
      dep("claude-*", "anthropic/claude-*", {}, "claude-star"),
      dep("claude-opus-*", "anthropic/claude-opus-*", {}, "opus-star"),
      dep("anthropic/*", "anthropic/*", {}, "anthropic-star"),
      dep("*", "openai/*", {}, "catch-all"),
    ],
    { model_group_alias: { fast: "claude-opus-4-8", hidden: { model: "claude-opus-4-8", hidden: true } } },
  );

  test("exact names win over patterns; the most specific pattern wins among patterns", () => {
    expect(r.resolve("claude-opus-4-8")!.deployments[0]!.id).toBe("exact");
    expect(r.resolve("claude-opus-5")!.group).toBe("claude-opus-*");
    expect(r.resolve("claude-sonnet-5")!.group).toBe("claude-*");
    expect(r.resolve("gpt-4o")!.group).toBe("*");
  });

  test("captured parts are substituted into litellm_params.model", () => {
    const res = r.resolve("claude-opus-9")!;
    expect(upstreamModelFor(res.deployments[0]!, res)).toBe("claude-opus-9");
    const a = r.resolve("anthropic/claude-haiku-4-5")!;
    expect(a.group).toBe("anthropic/*");
    expect(upstreamModelFor(a.deployments[0]!, a)).toBe("claude-haiku-4-5");
    const any = r.resolve("gpt-5")!;
    expect(upstreamModelFor(any.deployments[0]!, any)).toBe("gpt-5");
  });

  test("aliases, deployment ids, and hidden aliases", () => {
    expect(r.resolve("fast")!.deployments[0]!.id).toBe("exact");
    expect(r.resolve("catch-all")!.pinned).toBe(true);
    const names = r.groups.publicNames();
    expect(names).toContain("fast");
    expect(names).not.toContain("hidden");
    expect(names).not.toContain("*");
  });

  test("a bare model name is retried with its provider prefix", () => {
    const only = router([dep("anthropic/*", "anthropic/*")]);
    const res = only.resolve("claude-sonnet-5")!;
    expect(res.group).toBe("anthropic/*");
    expect(upstreamModelFor(res.deployments[0]!, res)).toBe("claude-sonnet-5");
    expect(only.resolve("llama-3")).toBeUndefined();
  });
});

describe("team deployments (model_info.team_id)", () => {
  const team = (name: string, id: string, teamId: string, extra: Record<string, unknown> = {}): Entry => ({
    model_name: name,
    litellm_params: { model: "openai/gpt-4o", api_base: "http://127.0.0.1:1" },
    model_info: { id, team_id: teamId, ...extra },
  });
  const r = router([
    dep("gpt-4o", "openai/gpt-4o", {}, "shared"),
    team("gpt-4o", "t1-gpt", "t1"),
    team("model_name_t1_x", "t1-own", "t1", { team_public_model_name: "mine" }),
    team("both", "both-1", "t1"),
    team("both", "both-2", "t2"),
  ]);
  const ids = (m: string, scope: { teamId?: string; admin?: boolean }) => r.resolve(m, scope)?.deployments.map((d) => d.id);

  test("a team's deployment serves that team's requests only; others get the shared ones or nothing", () => {
    expect(ids("gpt-4o", { teamId: "t1" })).toEqual(["shared", "t1-gpt"]);
    expect(ids("gpt-4o", { teamId: "t2" })).toEqual(["shared"]);
    expect(ids("gpt-4o", {})).toEqual(["shared"]);
    expect(ids("model_name_t1_x", { teamId: "t1" })).toEqual(["t1-own"]);
    expect(ids("model_name_t1_x", { teamId: "t2" })).toBeUndefined();
    expect(ids("t1-own", { teamId: "t2" })).toBeUndefined();
    expect(r.resolve("model_name_t1_x")?.group).toBe("model_name_t1_x");
  });

  test("a proxy admin without a team reaches a model only one team serves; two teams are ambiguous", () => {
    expect(ids("model_name_t1_x", { admin: true })).toEqual(["t1-own"]);
    expect(ids("gpt-4o", { admin: true })).toEqual(["shared"]);
    expect(() => r.resolve("both", { admin: true })).toThrow("matches deployments from multiple teams");
    expect(ids("both", { admin: true, teamId: "t2" })).toEqual(["both-2"]);
  });

  test("a model a non-admin wrote (own_credentials_only) takes no credentials from the gateway's environment", () => {
    const env = { AWS_SESSION_TOKEN: "server-session", AWS_ROLE_NAME: "arn:aws:iam::1:role/server", OPENAI_API_KEY: "sk-server-openai" };
    const entry = (own: boolean, model: string) => ({ model_name: "m", litellm_params: { model, api_base: "https://example.com" }, model_info: own ? { own_credentials_only: true } : {} });
    const [server, ownBedrock, ownOpenai, serverOpenai] = buildDeployments(
      [entry(false, "bedrock/anthropic.claude-3-haiku"), entry(true, "bedrock/anthropic.claude-3-haiku"), entry(true, "openai/gpt-4o"), entry(false, "openai/gpt-4o")],
      env,
    ).deployments;
    expect(server!.target.params).toMatchObject({ aws_session_token: "server-session", aws_role_name: "arn:aws:iam::1:role/server" });
    expect(ownBedrock!.target.params.aws_session_token).toBeUndefined();
    expect(ownBedrock!.target.params.aws_role_name).toBeUndefined();
    expect(ownOpenai!.target.apiKey).toBeUndefined();
    expect(serverOpenai!.target.apiKey).toBe("sk-server-openai");
  });

  test("fallbacks reach only deployments the caller's team may use", async () => {
    const seen: string[] = [];
    const call = (teamId: string) =>
      r.execute(r.resolve("gpt-4o", { teamId })!, { clientFallbacks: ["model_name_t1_x"], scope: { teamId }, numRetries: 0 }, async (d) => {
        seen.push(d.id);
        if (d.id === "shared" || d.id === "t1-gpt") throw new GatewayError(500, "down");
        return d.id;
      });
    await expect(call("t2")).rejects.toThrow("down");
    expect(seen).toEqual(["shared"]);
    expect((await call("t1")).result).toBe("t1-own");
  });

  test("groups only teams serve name their teams and the name the team gave them", () => {
    expect([...r.groups.teamsOf("model_name_t1_x")!]).toEqual(["t1"]);
    expect([...r.groups.teamsOf("both")!].sort()).toEqual(["t1", "t2"]);
    expect(r.groups.teamsOf("gpt-4o")).toBeUndefined();
    expect(r.groups.publicName("model_name_t1_x")).toBe("mine");
    expect(r.groups.publicName("both")).toBe("both");
  });
});

describe("routing strategies", () => {
  test("simple-shuffle is weighted by weight, else rpm", async () => {
    const r = router([dep("g", "openai/a", { weight: 3 }, "a"), dep("g", "openai/b", { weight: 1 }, "b")]);
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) {
      const out = await r.execute(r.resolve("g")!, {}, async (d, info) => (info.release(), d.id));
      counts[out.result]!++;
    }
    expect(counts.a! / 4000).toBeGreaterThan(0.7);
    expect(counts.a! / 4000).toBeLessThan(0.8);
  });

  test("order restricts picks to the lowest order that is healthy", async () => {
    const r = router([dep("g", "openai/a", { order: 2 }, "a"), dep("g", "openai/b", { order: 1 }, "b")]);
    for (let i = 0; i < 20; i++) expect((await r.execute(r.resolve("g")!, {}, async (d) => d.id)).result).toBe("b");
    r.state.cooldown("b", 60);
    expect((await r.execute(r.resolve("g")!, {}, async (d) => d.id)).result).toBe("a");
  });

  test("least-busy picks the deployment with fewest requests in flight", async () => {
    const r = router([dep("g", "openai/a", {}, "a"), dep("g", "openai/b", {}, "b")], { routing_strategy: "least-busy" });
    r.state.requestStarted("a");
    r.state.requestStarted("a");
    for (let i = 0; i < 10; i++) expect((await r.execute(r.resolve("g")!, {}, async (d, info) => (info.release(), d.id))).result).toBe("b");
  });

  test("latency-based routing prefers the faster deployment once measured", async () => {
    const r = router([dep("g", "openai/a", {}, "a"), dep("g", "openai/b", {}, "b")], { routing_strategy: "latency-based-routing" });
    r.state.recordSuccess("a", 300);
    r.state.recordSuccess("b", 20);
    for (let i = 0; i < 10; i++) expect((await r.execute(r.resolve("g")!, {}, async (d) => d.id)).result).toBe("b");
  });

  test("usage-based routing prefers lower tpm; per-minute rpm limits are respected", async () => {
    const r = router([dep("g", "openai/a", { rpm: 2 }, "a"), dep("g", "openai/b", { rpm: 100 }, "b")], { routing_strategy: "usage-based-routing-v2" });
    r.state.addTokens("b", 500);
    const picks: string[] = [];
    for (let i = 0; i < 5; i++) picks.push((await r.execute(r.resolve("g")!, {}, async (d, info) => (info.release(), d.id))).result);
    expect(picks.slice(0, 2)).toEqual(["a", "a"]);
    expect(picks.slice(2)).toEqual(["b", "b", "b"]);
  });

  test("cost-based routing picks the cheaper deployment", async () => {
    const r = router([
      dep("g", "openai/a", { input_cost_per_token: 0.00001, output_cost_per_token: 0.00003 }, "a"),
      dep("g", "openai/b", { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }, "b"),
    ], { routing_strategy: "cost-based-routing" });
    for (let i = 0; i < 10; i++) expect((await r.execute(r.resolve("g")!, {}, async (d) => d.id)).result).toBe("b");
  });
});

const fail = (status: number, message = "boom", headers: Record<string, string> = {}) => new GatewayError(status, message, { headers });

describe("retries, fallbacks and cooldowns", () => {
  test("a failing deployment is retried on another one and cooled down after allowed_fails", async () => {
    const r = router([dep("g", "openai/bad", {}, "bad"), dep("g", "openai/good", {}, "good")], { allowed_fails: 1, cooldown_time: 60, num_retries: 2 });
    const calls: string[] = [];
    for (let i = 0; i < 20; i++) {
      const out = await r.execute(r.resolve("g")!, {}, async (d: Deployment) => {
        calls.push(d.id);
        if (d.id === "bad") throw fail(500);
        return "ok";
      });
      expect(out.result).toBe("ok");
    }
    expect(calls.filter((c) => c === "bad").length).toBe(2);
    expect(r.state.isCoolingDown("bad")).toBe(true);
  });

  test("fallbacks are tried in order after retries, on 5xx and 429", async () => {
    const r = router(
      [dep("a", "openai/a", {}, "a"), dep("b", "openai/b", {}, "b"), dep("c", "openai/c", {}, "c")],
      { num_retries: 1, fallbacks: [{ a: ["b", "c"] }], retry_after: 0 },
    );
    const seen: string[] = [];
    const out = await r.execute(r.resolve("a")!, {}, async (d) => {
      seen.push(d.id);
      if (d.id === "a") throw fail(503);
      if (d.id === "b") throw fail(429);
      return d.id;
    });
    expect(out.result).toBe("c");
    expect(out.fallbacks).toBe(2);
    expect(seen.filter((s) => s === "a").length).toBe(2);
  });

  test("context-window errors go straight to context_window_fallbacks without retrying", async () => {
    const r = router([dep("small", "openai/s", {}, "s"), dep("big", "openai/b", {}, "b")], {
      num_retries: 3,
      context_window_fallbacks: [{ small: ["big"] }],
    });
    const seen: string[] = [];
    const out = await r.execute(r.resolve("small")!, {}, async (d) => {
      seen.push(d.id);
      if (d.id === "s") throw new GatewayError(400, "maximum context length exceeded", { kind: "ContextWindowExceededError" });
      return d.id;
    });
    expect(out.result).toBe("b");
    expect(seen).toEqual(["s", "b"]);
  });

  test("client-side fallbacks take precedence; a 400 is not retried; default_fallbacks apply to every group", async () => {
    const r = router([dep("a", "openai/a", {}, "a"), dep("b", "openai/b", {}, "b"), dep("z", "openai/z", {}, "z")], {
      num_retries: 1,
      default_fallbacks: ["z"],
    });
    const seen: string[] = [];
    const out = await r.execute(r.resolve("a")!, { clientFallbacks: ["b"] }, async (d) => {
      seen.push(d.id);
      if (d.id === "a") throw fail(400);
      return d.id;
    });
    expect(out.result).toBe("b");
    expect(seen).toEqual(["a", "b"]);
    const viaDefault = await r.execute(r.resolve("a")!, {}, async (d) => {
      if (d.id === "a") throw fail(500);
      return d.id;
    });
    expect(viaDefault.result).toBe("z");
  });

  test("every deployment cooling down gives LiteLLM's 429 'No deployments available'", async () => {
    const r = router([dep("g", "openai/a", {}, "a"), dep("g", "openai/b", {}, "b")]);
    r.state.cooldown("a", 30);
    r.state.cooldown("b", 30);
    const err = await r.execute(r.resolve("g")!, {}, async () => "never").catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.status).toBe(429);
    expect(err.message).toContain("No deployments available for selected model");
  });

  test("a single deployment is retried with backoff honouring retry-after", async () => {
    const r = router([dep("g", "openai/a", {}, "a")], { num_retries: 1 });
    let n = 0;
    const t0 = Date.now();
    const out = await r.execute(r.resolve("g")!, {}, async () => {
      if (n++ === 0) throw fail(429, "slow down", { "retry-after": "0.3" });
      return "ok";
    });
    expect(out.result).toBe("ok");
    expect(out.retries).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(r.state.isCoolingDown("a")).toBe(false);
  });

  test("404 is never retried; retry_policy sets retries per error type", async () => {
    const r = router([dep("g", "openai/a", {}, "a"), dep("g", "openai/b", {}, "b")], { num_retries: 5, retry_policy: { RateLimitErrorRetries: 0 } });
    let n = 0;
    await r.execute(r.resolve("g")!, {}, async () => (n++, Promise.reject(fail(404)))).catch(() => {});
    expect(n).toBe(1);
    n = 0;
    await r.execute(r.resolve("g")!, {}, async () => (n++, Promise.reject(fail(429)))).catch(() => {});
    expect(n).toBe(1);
  });
});
