import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { chat } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";
import { TcpProxy } from "../helpers/tcp-proxy.ts";

/** Two gateway instances on one database and one Redis (127.0.0.1:6379, through a relay the test can cut). */
const MASTER = "sk-master-db-redis";
let db: TestDb;
let fake: FakeLLM;
let a: GatewayProcess;
let b: GatewayProcess;
let relay: TcpProxy;

beforeAll(async () => {
  db = await createTestDb("lr_db_redis");
  fake = await startFakeLLM();
  relay = new TcpProxy("127.0.0.1", 6379).start();
  const configPath = writeConfig({
    model_list: [{ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } }],
    router_settings: { num_retries: 0, redis_host: "127.0.0.1", redis_port: relay.port },
    general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
  });
  a = await startGateway({ configPath });
  b = await startGateway({ configPath });
}, 60_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await fake?.stop();
  relay?.stop();
  await db?.drop();
});

const admin = async (gw: GatewayProcess, path: string, body: unknown) =>
  (await (await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify(body) })).json()) as Record<string, unknown>;

describe("across instances through Redis", () => {
  const blockedElsewhere = async () => {
    const key = String((await admin(a, "/key/generate", {})).key);
    expect((await chat(a.url, key, { model: "gpt-test" })).status).toBe(200);
    expect((await chat(b.url, key, { model: "gpt-test" })).status).toBe(200);
    await admin(a, "/key/block", { key });
    const deadline = Date.now() + 2000;
    let status = 200;
    while (Date.now() < deadline && status === 200) {
      status = (await chat(b.url, key, { model: "gpt-test" })).status;
      if (status === 200) await Bun.sleep(20);
    }
    expect(status).toBe(401);
  };

  test("a key blocked on one instance is refused at once by the other (cache invalidated by pub/sub)", blockedElsewhere);

  test("rpm limits are counted once for both instances", async () => {
    const key = String((await admin(a, "/key/generate", { rpm_limit: 2 })).key);
    expect((await chat(a.url, key, { model: "gpt-test" })).status).toBe(200);
    expect((await chat(b.url, key, { model: "gpt-test" })).status).toBe(200);
    const third = await chat(a.url, key, { model: "gpt-test" });
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("60");
  });

  test("a Redis outage: every call is still answered, each instance logs it down once and back up once, and pub/sub works again after", async () => {
    const key = String((await admin(a, "/key/generate", { rpm_limit: 100_000 })).key);
    expect((await chat(a.url, key, { model: "gpt-test" })).status).toBe(200);
    const mark = [a.output().length, b.output().length];
    const since = (g: GatewayProcess, i: number) => g.output().slice(mark[i]);
    const redisLines = (g: GatewayProcess, i: number) => since(g, i).split("\n").filter((l) => /redis/i.test(l));
    relay.cut();
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await chat(i % 2 ? b.url : a.url, key, { model: "gpt-test" })).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    for (const [g, i] of [[a, 0], [b, 1]] as const) {
      const lines = redisLines(g, i);
      expect(lines.length).toBe(1);
      expect(lines[0]).toMatch(/WARN: redis at redis:\/\/127\.0\.0\.1:\d+ is down; falling back to local state/);
    }
    relay.restore();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(/is back up/.test(since(a, 0)) && /is back up/.test(since(b, 1)))) await Bun.sleep(100);
    for (const [g, i] of [[a, 0], [b, 1]] as const) {
      const lines = redisLines(g, i);
      expect(lines.length).toBe(2);
      const fellBack = Number(/is back up after \d+s; (\d+) operations fell back meanwhile/.exec(lines[1]!)?.[1]);
      // Not one per call: calls that fit in the instance's share of the rpm window need no Redis.
      expect(fellBack).toBeGreaterThanOrEqual(1);
    }
    await blockedElsewhere();
  }, 40_000);
});
