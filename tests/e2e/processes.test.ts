import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-procs";
let fake: FakeLLM;

const config = () => ({
  model_list: [{ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-up" } }],
  router_settings: { num_retries: 0 },
  general_settings: { master_key: MASTER },
});

/** One HTTP/1.1 request on its own TCP connection (the test process's fetch is itself capped at 256). */
function rawPost(port: number, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let text = "";
    const dec = new TextDecoder();
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(
            `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\n` +
              `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
          );
        },
        data(_s, chunk) {
          text += dec.decode(chunk, { stream: true });
        },
        close() {
          resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text });
        },
        error(_s, e) {
          reject(e);
        },
      },
    }).catch(reject);
  });
}

beforeAll(async () => {
  fake = await startFakeLLM();
});

afterAll(async () => {
  await fake?.stop();
});

describe("outbound concurrency", () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway({ config: config(), env: { BUN_CONFIG_MAX_HTTP_REQUESTS: undefined } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test("more than 256 upstream calls are in flight at once (Bun's default cap is raised by the binary)", async () => {
    const n = 300;
    fake.control({ delayMs: 4000, record: true });
    fake.requests.length = 0;
    let answered = 0;
    const body = JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] });
    const calls = Array.from({ length: n }, () => rawPost(gw.port, "/v1/chat/completions", body).then((r) => (answered++, r)));
    const deadline = Date.now() + 3500;
    while (fake.requests.length < n && Date.now() < deadline) await Bun.sleep(25);
    const inFlight = fake.requests.length;
    const answeredThen = answered;
    const results = await Promise.all(calls);
    fake.reset();
    expect(answeredThen).toBe(0);
    expect(inFlight).toBe(n);
    expect(results.filter((r) => r.status === 200).length).toBe(n);
  }, 20_000);
});

describe("--num_workers", () => {
  test("N processes listen on one port, all serve, and SIGTERM stops them all", async () => {
    const gw = await startGateway({ config: config(), args: ["--num_workers", "2"] });
    try {
      const pids = /pids ([\d ]+)\)/.exec(gw.output())?.[1]?.split(" ").map(Number) ?? [];
      expect(pids.length).toBe(2);
      const ss = Bun.spawnSync(["ss", "-ltnpH", `sport = :${gw.port}`]).stdout.toString();
      for (const pid of pids) expect(ss).toContain(`pid=${pid},`);
      const body = JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] });
      const results = await Promise.all(Array.from({ length: 20 }, () => rawPost(gw.port, "/v1/chat/completions", body)));
      expect(results.every((r) => r.status === 200 && r.text.includes("Hello from the fake OpenAI!"))).toBe(true);
      expect(await gw.stop("SIGTERM")).toBe(0);
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      await gw.stop();
    }
  }, 30_000);

  test("when a worker dies the others are stopped and the supervisor exits non-zero", async () => {
    const gw = await startGateway({ config: config(), args: ["--num_workers", "2"] });
    const pids = /pids ([\d ]+)\)/.exec(gw.output())?.[1]?.split(" ").map(Number) ?? [];
    expect(pids.length).toBe(2);
    process.kill(pids[0]!, "SIGKILL");
    const code = await gw.proc.exited;
    expect(code).not.toBe(0);
    expect(gw.output()).toContain("a worker exited");
    expect(() => process.kill(pids[1]!, 0)).toThrow();
  }, 30_000);
});
