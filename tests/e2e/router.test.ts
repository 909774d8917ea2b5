import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const KEY = "sk-router-master";
const fakes: FakeLLM[] = [];
const gateways: GatewayProcess[] = [];

async function fake(): Promise<FakeLLM> {
  const f = await startFakeLLM();
  fakes.push(f);
  return f;
}

async function gateway(config: object, general: object = {}): Promise<GatewayProcess> {
  const g = await startGateway({ config: { ...config, general_settings: { master_key: KEY, ...general } } });
  gateways.push(g);
  return g;
}

const chat = (f: FakeLLM, name: string, extra: Record<string, unknown> = {}, id?: string) => ({
  model_name: name,
  litellm_params: { model: "openai/up", api_base: `${f.url}/v1`, api_key: "sk-up", ...extra },
  ...(id ? { model_info: { id } } : {}),
});

function post(g: GatewayProcess, model: string, stream = false, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }], ...extra }),
  });
}

const llmCalls = (f: FakeLLM) => f.requests.filter((r) => r.path.endsWith("/chat/completions")).length;

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await Promise.all(fakes.map((f) => f.stop()));
});

describe("load balancing", () => {
  test("simple-shuffle spreads calls by weight (4:1) within tolerance", async () => {
    const [a, b] = [await fake(), await fake()];
    const g = await gateway({ model_list: [chat(a, "lb", { weight: 4 }), chat(b, "lb", { weight: 1 })] });
    const client = new OpenAI({ apiKey: KEY, baseURL: `${g.url}/v1`, maxRetries: 0 });
    const N = 300;
    for (let i = 0; i < N; i += 30) {
      await Promise.all(Array.from({ length: 30 }, () => client.chat.completions.create({ model: "lb", messages: [{ role: "user", content: "x" }] })));
    }
    const share = llmCalls(a) / N;
    expect(llmCalls(a) + llmCalls(b)).toBe(N);
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.88);
  }, 60_000);
});

describe("retries, cooldowns and fallbacks over real sockets", () => {
  let bad: FakeLLM;
  let good: FakeLLM;
  let ctxSmall: FakeLLM;
  let breaker: FakeLLM;
  let g: GatewayProcess;

  beforeAll(async () => {
    [bad, good, ctxSmall, breaker] = [await fake(), await fake(), await fake(), await fake()];
    g = await gateway({
      model_list: [
        chat(bad, "pair", { order: 1 }, "pair-bad"),
        chat(good, "pair", { order: 2 }, "pair-good"),
        chat(bad, "primary", {}, "primary-bad"),
        chat(good, "secondary", {}, "secondary-good"),
        chat(ctxSmall, "small-ctx", {}, "small"),
        chat(good, "big-ctx", {}, "big"),
        chat(breaker, "breaks-mid-stream", {}, "breaker"),
      ],
      router_settings: {
        num_retries: 1,
        allowed_fails: 0,
        cooldown_time: 60,
        retry_after: 0,
        fallbacks: [{ primary: ["secondary"] }, { "breaks-mid-stream": ["secondary"] }],
        context_window_fallbacks: [{ "small-ctx": ["big-ctx"] }],
      },
    });
  });

  test("a failing deployment is retried on the healthy one, then cooled down and skipped", async () => {
    bad.control({ failStatus: 500 });
    const first = await post(g, "pair");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(first.headers.get("x-litellm-model-id")).toBe("pair-good");
    const badBefore = llmCalls(bad);
    for (let i = 0; i < 5; i++) {
      const r = await post(g, "pair");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-attempted-retries")).toBe("0");
    }
    expect(llmCalls(bad)).toBe(badBefore);
  });

  test("a fallback chain is reached on 5xx and on 429", async () => {
    for (const status of [503, 429]) {
      bad.control({ failStatus: status });
      const r = await post(g, "primary");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
      expect(r.headers.get("x-litellm-model-group")).toBe("secondary");
    }
  });

  test("a context-window error goes to context_window_fallbacks", async () => {
    ctxSmall.control({ failStatus: 400, failBody: { error: { message: "This model's maximum context length is 8192 tokens", type: "invalid_request_error", code: "context_length_exceeded" } } });
    const before = llmCalls(ctxSmall);
    const r = await post(g, "small-ctx");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("big");
    expect(llmCalls(ctxSmall) - before).toBe(1);
  });

  test("a stream falls back before its first byte, never after", async () => {
    bad.control({ failStatus: 503 });
    const r = await post(g, "primary", true);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("secondary");
    expect(await r.text()).toContain('"finish_reason":"stop"');

    breaker.control({ breakAfterChunks: 3, chunkDelayMs: 50 });
    const broken = await post(g, "breaks-mid-stream", true);
    expect(broken.status).toBe(200);
    expect(broken.headers.get("x-litellm-model-group")).toBe("breaks-mid-stream");
    const text = await broken.text();
    expect(text).toContain('"error"');
    expect(text).not.toContain('"finish_reason":"stop"');
  });

  test("all errors exhausted: the client gets the last error with the attempt headers", async () => {
    bad.control({ failStatus: 500 });
    good.control({ failStatus: 500 });
    const r = await post(g, "primary");
    expect(r.status).toBe(500);
    expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    good.reset();
  });
});

describe("mock_timeout: LiteLLM's simulated timeout, through the router's retries and fallbacks", () => {
  let up: FakeLLM;
  let g: GatewayProcess;
  const held = (extra: Record<string, unknown> = {}) => ({ mock_timeout: true, timeout: 0.05, ...extra });

  beforeAll(async () => {
    up = await fake();
    g = await gateway(
      {
        model_list: [
          chat(up, "plain", {}, "plain"),
          chat(up, "half-held", held({ weight: 1 }), "half-held-mock"),
          chat(up, "half-held", { weight: 0 }, "half-held-real"),
          chat(up, "all-held", held(), "all-held"),
          chat(up, "backup", {}, "backup"),
        ],
        router_settings: { num_retries: 1, retry_after: 0, fallbacks: [{ "all-held": ["backup"] }] },
      },
      { dangerously_allow_mock_testing_request_params: true },
    );
  });

  test("a request's mock_timeout holds the call for its timeout and fails with LiteLLM's Timeout (408); nothing reaches the provider", async () => {
    up.reset();
    const r = await post(g, "plain", false, { mock_timeout: true, num_retries: 0 }, { "x-litellm-timeout": "0.05" });
    expect(r.status).toBe(408);
    expect(((await r.json()) as { error: { message: string; code: string } }).error).toMatchObject({ message: "litellm.Timeout: This is a mock timeout error", code: "408" });
    expect(r.headers.get("x-litellm-timeout")).toBe("0.05");
    expect(llmCalls(up)).toBe(0);
  });

  test("a deployment's litellm_params.mock_timeout times out every attempt on it: the retry goes to the group's other deployment", async () => {
    up.reset();
    const r = await post(g, "half-held");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("half-held-real");
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(llmCalls(up)).toBe(1);
  });

  test("a group whose every attempt times out falls back; mock_timeout: false in the request overrides the deployment's", async () => {
    up.reset();
    const fellBack = await post(g, "all-held");
    expect(fellBack.status).toBe(200);
    expect(fellBack.headers.get("x-litellm-model-group")).toBe("backup");
    expect(fellBack.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    const direct = await post(g, "all-held", false, { mock_timeout: false });
    expect(direct.status).toBe(200);
    expect(direct.headers.get("x-litellm-model-group")).toBe("all-held");
  });

  test("without general_settings.dangerously_allow_mock_testing_request_params, naming a mock param is LiteLLM's 400", async () => {
    const strict = await gateway({ model_list: [chat(up, "plain", {}, "plain")] });
    up.reset();
    for (const field of ["mock_timeout", "mock_testing_rate_limit_error", "mock_testing_fallbacks"]) {
      const r = await post(strict, "plain", false, { [field]: false });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toBe(
        `Mock testing request params are disabled on this proxy: ${field}. An admin can enable them by setting \`general_settings.dangerously_allow_mock_testing_request_params: true\` in config.yaml. This setting cannot be changed from the Admin UI or the API.`,
      );
    }
    expect(llmCalls(up)).toBe(0);
    expect((await post(strict, "plain")).status).toBe(200);
  });
});

describe("two gateway instances sharing Redis", () => {
  const redis = { redis_host: "127.0.0.1", redis_port: 6379 };

  test("a deployment's rpm limit holds across both instances", async () => {
    const second = new Date().getSeconds();
    if (second > 45) await Bun.sleep((61 - second) * 1000);
    const up = await fake();
    const id = `rpm-${crypto.randomUUID()}`;
    const config = { model_list: [chat(up, "limited", { rpm: 3 }, id)], router_settings: { ...redis, num_retries: 0 } };
    const [g1, g2] = [await gateway(config), await gateway(config)];
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(i % 2 ? g2 : g1, "limited")).status);
    expect(statuses.filter((s) => s === 200).length).toBe(3);
    expect(statuses.filter((s) => s === 429).length).toBe(3);
    expect(llmCalls(up)).toBe(3);
  }, 90_000);

  test("a cooldown set by one instance is honoured by the other", async () => {
    const [bad, good] = [await fake(), await fake()];
    const suffix = crypto.randomUUID();
    const config = {
      model_list: [chat(bad, "shared", { order: 1 }, `bad-${suffix}`), chat(good, "shared", { order: 2 }, `good-${suffix}`)],
      router_settings: { ...redis, num_retries: 1, allowed_fails: 0, cooldown_time: 60 },
    };
    const [g1, g2] = [await gateway(config), await gateway(config)];
    bad.control({ failStatus: 500 });
    const r1 = await post(g1, "shared");
    expect(r1.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(llmCalls(bad)).toBe(1);
    await Bun.sleep(200);
    for (let i = 0; i < 4; i++) {
      const r = await post(g2, "shared");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-id")).toBe(`good-${suffix}`);
    }
    expect(llmCalls(bad)).toBe(1);
  }, 60_000);
});
