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

async function gateway(config: object): Promise<GatewayProcess> {
  const g = await startGateway({ config: { ...config, general_settings: { master_key: KEY } } });
  gateways.push(g);
  return g;
}

const chat = (f: FakeLLM, name: string, extra: Record<string, unknown> = {}, id?: string) => ({
  model_name: name,
  litellm_params: { model: "openai/up", api_base: `${f.url}/v1`, api_key: "sk-up", ...extra },
  ...(id ? { model_info: { id } } : {}),
});

function post(g: GatewayProcess, model: string, stream = false) {
  return fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
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
