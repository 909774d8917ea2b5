import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { lastJsonBody, rawConnect, statusOf, type RawConn } from "../helpers/raw-http.ts";

/**
 * Issue 14.4 and 14.5 over real sockets: idle keep-alive connections are closed after
 * `--keepalive_timeout` while streams and slow upstreams are never cut, slow request bodies get a
 * 408, a concurrency cap answers 503 in the client's protocol, a request without a valid key is
 * refused from its headers before its body is read, and bodies received at once are bounded.
 */
const MASTER = "sk-master-connections";
let fake: FakeLLM;
let gw: GatewayProcess;

const models = (f: FakeLLM) => [
  { model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${f.url}/v1`, api_key: "sk-p" } },
  { model_name: "claude-test", litellm_params: { model: "anthropic/claude-upstream", api_base: f.url, api_key: "sk-ant" } },
];

beforeAll(async () => {
  fake = await startFakeLLM();
  gw = await startGateway({
    config: { model_list: models(fake), router_settings: { num_retries: 0 }, general_settings: { master_key: MASTER, request_body_timeout_seconds: 2 } },
    args: ["--keepalive_timeout", "2"],
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
});

beforeEach(() => fake.reset());

const auth = { authorization: `Bearer ${MASTER}`, "content-type": "application/json" };
const chat = (url: string, extra: Record<string, unknown> = {}) =>
  fetch(`${url}/v1/chat/completions`, { method: "POST", headers: auth, body: JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }], ...extra }) });
const messages = (url: string, extra: Record<string, unknown> = {}) =>
  fetch(`${url}/v1/messages`, { method: "POST", headers: auth, body: JSON.stringify({ model: "claude-test", max_tokens: 50, messages: [{ role: "user", content: "hi" }], ...extra }) });

const GET_LIVE = "GET /health/liveliness HTTP/1.1\r\nHost: x\r\n\r\n";

/** `n` keep-alive connections that each got one answer and then sit idle. */
async function idleConnections(port: number, n: number): Promise<RawConn[]> {
  const conns: RawConn[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => rawConnect(port)));
    for (const c of batch) c.write(GET_LIVE);
    await Promise.all(batch.map((c) => c.response()));
    conns.push(...batch);
  }
  return conns;
}

describe("idle keep-alive connections", () => {
  test("a keep-alive connection serves several requests, then is closed by the gateway once idle for --keepalive_timeout", async () => {
    const c = await rawConnect(gw.port);
    c.write(GET_LIVE);
    await c.response();
    c.write(GET_LIVE);
    const all = await c.closed;
    expect(all.match(/HTTP\/1\.1 200/g)?.length).toBe(2);
  }, 30_000);

  test("2,000 idle connections are all closed while a stream longer than the timeout survives, and the gateway keeps answering", async () => {
    fake.control({ chunkDelayMs: 1000, chunks: 10 });
    const stream = chat(gw.url, { stream: true }).then((r) => r.text());
    const conns = await idleConnections(gw.port, 2000);
    const during = await chat(gw.url);
    expect(during.status).toBe(200);
    const closed = await Promise.all(conns.map((c) => c.closed));
    expect(closed.every((r) => r.startsWith("HTTP/1.1 200"))).toBe(true);
    const after = await chat(gw.url);
    expect(after.status).toBe(200);
    expect(await stream).toContain("data: [DONE]");
  }, 60_000);
});

describe("the issue's case at the default keep-alive timeout (60 s)", () => {
  test("2,000 idle connections are closed within the idle timeout while a 3-minute slow stream survives", async () => {
    const slow = await startFakeLLM();
    const g = await startGateway({ config: { model_list: models(slow), general_settings: { master_key: MASTER } } });
    try {
      slow.control({ chunkDelayMs: 1000, chunks: 180, reply: "word ".repeat(180) });
      const started = Date.now();
      let streamEnded = 0;
      const stream = chat(g.url, { stream: true })
        .then((r) => r.text())
        .then((t) => ((streamEnded = Date.now()), t));
      const conns = await idleConnections(g.port, 2000);
      const lastClosed = Math.max(...(await Promise.all(conns.map((c) => c.closed.then(() => Date.now())))));
      expect((await chat(g.url)).status).toBe(200);
      const text = await stream;
      expect(text).toContain("data: [DONE]");
      expect(text.match(/^data: \{/gm)!.length).toBeGreaterThanOrEqual(180);
      expect(streamEnded - started).toBeGreaterThanOrEqual(179_000);
      expect(lastClosed).toBeLessThan(streamEnded);
      expect(lastClosed - started).toBeLessThan(60_000 + 15_000);
    } finally {
      await g.stop();
      await slow.stop();
    }
  }, 240_000);
});

describe("requests in flight are never cut", () => {
  test("streams sending for several times the keep-alive timeout arrive whole (chat and messages)", async () => {
    fake.control({ chunkDelayMs: 1000, chunks: 9 });
    const [a, b] = await Promise.all([chat(gw.url, { stream: true }), messages(gw.url, { stream: true })]);
    const [ta, tb] = await Promise.all([a.text(), b.text()]);
    expect(ta).toContain("data: [DONE]");
    expect(tb).toContain("event: message_stop");
  }, 60_000);

  test("an upstream silent for longer than the keep-alive timeout before its first byte is waited for (plain and streamed)", async () => {
    fake.control({ delayMs: 9000 });
    const [plain, streamed] = await Promise.all([chat(gw.url), messages(gw.url, { stream: true })]);
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { choices: unknown[] }).choices.length).toBe(1);
    expect(await streamed.text()).toContain("event: message_stop");
  }, 60_000);
});

describe("slow clients", () => {
  const slowBody = async (path: string) => {
    const c = await rawConnect(gw.port);
    c.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`);
    const drip = setInterval(() => c.write(" "), 300);
    const raw = await c.closed;
    clearInterval(drip);
    return raw;
  };

  test("a body trickled past request_body_timeout_seconds is cut with a 408 in the client's protocol, and the connection closed", async () => {
    const [openai, anthropic] = await Promise.all([slowBody("/v1/chat/completions"), slowBody("/v1/messages")]);
    expect(statusOf(openai)).toBe(408);
    const oe = lastJsonBody(openai) as { error: { message: string; code: string } };
    expect(oe.error.message).toContain("request_body_timeout_seconds");
    expect(oe.error.code).toBe("408");
    expect(statusOf(anthropic)).toBe(408);
    expect(lastJsonBody(anthropic)).toMatchObject({ type: "error", error: { type: "timeout_error" } });
  }, 30_000);

  test("headers trickled byte by byte are cut by the server without an answer", async () => {
    const c = await rawConnect(gw.port);
    c.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => c.write("X"), 500);
    const raw = await c.closed;
    clearInterval(drip);
    expect(raw).not.toContain("HTTP/1.1 200");
  }, 40_000);
});

describe("refused before the body is read", () => {
  test("no key, a wrong key, or an unknown sk- key: the answer comes from the headers while the announced 60 MB never arrive", async () => {
    const cases = [
      { path: "/v1/messages", headers: "", shape: "anthropic" },
      { path: "/v1/chat/completions", headers: "Authorization: Bearer not-a-virtual-key\r\n", shape: "openai" },
      { path: "/v1/chat/completions", headers: "Authorization: Bearer sk-unknown\r\n", shape: "openai" },
    ];
    for (const k of cases) {
      const c = await rawConnect(gw.port);
      c.write(`POST ${k.path} HTTP/1.1\r\nHost: x\r\n${k.headers}Content-Type: application/json\r\nContent-Length: ${60 * 1024 * 1024}\r\n\r\n{"model":"gpt-test"`);
      const res = await c.response();
      c.destroy();
      expect(res.status === 401 || res.status === 400).toBe(true);
      const body = JSON.parse(res.body);
      if (k.shape === "anthropic") expect(body).toMatchObject({ type: "error", error: { type: "authentication_error" } });
      else expect(body.error.message).toMatch(/Authentication Error|No connected db/);
    }
  });

  test("16 unauthenticated 60 MB posts at once (LLM routes and the login forms) leave the gateway's memory where it was", async () => {
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${gw.proc.pid}/status`, "utf8"))![1]) / 1024;
    const before = rss();
    const big = new Uint8Array(60 * 1024 * 1024).fill(32);
    const targets = [
      ["/v1/chat/completions", "application/json"],
      ["/v1/messages", "application/json"],
      ["/ui/login", "application/x-www-form-urlencoded"],
      ["/login", "application/x-www-form-urlencoded"],
    ];
    const statuses = await Promise.all(
      Array.from({ length: 16 }, (_, i) => {
        const [path, type] = targets[i % targets.length]!;
        return fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": type!, authorization: "Bearer sk-wrong", origin: gw.url }, body: big })
          .then((r) => r.status)
          .catch(() => 0);
      }),
    );
    const after = rss();
    console.log(`gateway RSS before ${before.toFixed(0)} MB, after 16 x 60 MB unauthenticated posts ${after.toFixed(0)} MB; statuses ${statuses.join(",")}`);
    expect(statuses.filter((s) => s !== 0).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 400 || s === 401 || s === 413 || s === 0)).toBe(true);
    expect(after - before).toBeLessThan(100);
  }, 60_000);
});

describe("caps", () => {
  let slowFake: FakeLLM;
  let capped: GatewayProcess;

  beforeAll(async () => {
    slowFake = await startFakeLLM({ control: { delayMs: 2500 } });
    capped = await startGateway({
      config: {
        model_list: models(slowFake),
        router_settings: { num_retries: 0 },
        general_settings: { master_key: MASTER, max_request_body_in_flight_mb: 1, max_request_size_mb: 2 },
      },
      env: { LIMIT_CONCURRENCY: "2" },
    });
  });

  afterAll(async () => {
    await capped?.stop();
    await slowFake?.stop();
  });

  test("beyond --limit_concurrency requests in flight, a 503 in the client's protocol; capacity comes back as they finish", async () => {
    const slow = [chat(capped.url), messages(capped.url)];
    while (slowFake.requests.length < 2) await Bun.sleep(20);
    const [o, a] = [await chat(capped.url), await messages(capped.url)];
    expect(o.status).toBe(503);
    expect(o.headers.get("connection")).toBe("close");
    const oe = (await o.json()) as { error: { message: string; type: string; code: string } };
    expect(oe.error).toMatchObject({ type: "service_unavailable", code: "503" });
    expect(oe.error.message).toContain("limit_concurrency");
    expect(a.status).toBe(503);
    expect(await a.json()).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    expect((await chat(capped.url)).status).toBe(200);
    const metrics = await (await fetch(`${capped.url}/metrics`, { headers: auth })).text();
    expect(metrics).toContain("litellm_rust_requests_shed 2");
    expect(metrics).toMatch(/litellm_rust_requests_in_flight 1\b/);
  }, 30_000);

  test("bodies received at once are bounded by max_request_body_in_flight_mb (503), and max_request_size_mb still answers 413", async () => {
    const size = 900_000;
    const bodyOf = (n: number) => {
      const head = '{"model":"gpt-test","messages":[{"role":"user","content":"';
      const tail = '"}]}';
      return head + "x".repeat(n - head.length - tail.length) + tail;
    };
    const held = bodyOf(size);
    const c = await rawConnect(capped.port);
    c.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n${held.slice(0, 1000)}`);
    await Bun.sleep(200);
    const refused = await fetch(`${capped.url}/v1/chat/completions`, { method: "POST", headers: auth, body: bodyOf(size) });
    expect(refused.status).toBe(503);
    const err = (await refused.json()) as { error: { message: string } };
    expect(err.error.message).toContain("max_request_body_in_flight_mb");
    c.write(held.slice(1000));
    expect((await c.response()).status).toBe(200);
    c.destroy();
    const again = await fetch(`${capped.url}/v1/chat/completions`, { method: "POST", headers: auth, body: bodyOf(size) });
    expect(again.status).toBe(200);

    const tooBig = await rawConnect(capped.port);
    tooBig.write(`POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: ${3 * 1024 * 1024}\r\n\r\n{`);
    const res = await tooBig.response();
    tooBig.destroy();
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ type: "error", error: { type: "request_too_large" } });
  }, 30_000);
});
