import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { chat } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/** Two gateway instances on one database and one Redis (127.0.0.1:6379). */
const MASTER = "sk-master-db-redis";
let db: TestDb;
let fake: FakeLLM;
let a: GatewayProcess;
let b: GatewayProcess;

beforeAll(async () => {
  db = await createTestDb("lr_db_redis");
  fake = await startFakeLLM();
  const configPath = writeConfig({
    model_list: [{ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } }],
    router_settings: { num_retries: 0, redis_host: "127.0.0.1", redis_port: 6379 },
    general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
  });
  a = await startGateway({ configPath });
  b = await startGateway({ configPath });
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await fake?.stop();
  await db?.drop();
});

const admin = async (gw: GatewayProcess, path: string, body: unknown) =>
  (await (await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify(body) })).json()) as Record<string, unknown>;

describe("across instances through Redis", () => {
  test("a key blocked on one instance is refused at once by the other (cache invalidated by pub/sub)", async () => {
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
  });

  test("rpm limits are counted once for both instances", async () => {
    const key = String((await admin(a, "/key/generate", { rpm_limit: 2 })).key);
    expect((await chat(a.url, key, { model: "gpt-test" })).status).toBe(200);
    expect((await chat(b.url, key, { model: "gpt-test" })).status).toBe(200);
    const third = await chat(a.url, key, { model: "gpt-test" });
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("60");
  });
});
