import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, insertKey, waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";
import { TcpProxy } from "../helpers/tcp-proxy.ts";

/**
 * Postgres going away and coming back, simulated by a TCP relay between the gateway and the
 * machine's Postgres (which other tests share and must keep running).
 */
const MASTER = "sk-master-db-outage";
let db: TestDb;
let fake: FakeLLM;
let proxy: TcpProxy;

const spillFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".jsonl"));
const rowCount = async (ids: string[]) => Number((await db.sql`SELECT count(*)::int AS n FROM "LiteLLM_SpendLogs" WHERE request_id = ANY(${ids})`)[0]!.n);
const keySpend = async (raw: string) => {
  const r = await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE key_name = ${`sk-...${raw.slice(-4)}`}`;
  return Number(r[0]?.spend ?? NaN);
};

function configFor(spillDir: string, extra: Record<string, unknown> = {}) {
  const u = new URL(db.url);
  u.port = String(proxy.port);
  return {
    model_list: [
      {
        model_name: "gpt-test",
        litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p", input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
      },
    ],
    router_settings: { num_retries: 0 },
    general_settings: { master_key: MASTER, database_url: u.toString(), proxy_batch_write_at: 0.2, spend_spill_dir: spillDir, database_connection_timeout: 2, ...extra },
  };
}

beforeAll(async () => {
  db = await createTestDb("lr_db_outage");
  fake = await startFakeLLM();
  proxy = new TcpProxy("127.0.0.1", 5432).start();
});

afterAll(async () => {
  proxy?.stop();
  await fake?.stop();
  await db?.drop();
});

async function newKey(gw: GatewayProcess): Promise<string> {
  const r = await fetch(`${gw.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: "{}" });
  return String(((await r.json()) as { key: string }).key);
}

describe("database outage", () => {
  test("a Postgres stop and start in the middle of traffic loses no spend row", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    const gw = await startGateway({ config: configFor(spill) });
    try {
      const key = await newKey(gw);
      const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const ids: string[] = [];
      let failures = 0;
      let stop = false;
      const traffic = (async () => {
        while (!stop) {
          try {
            const r = await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "during the outage" }] });
            ids.push(r.id);
          } catch {
            failures++;
          }
          await Bun.sleep(10);
        }
      })();
      await waitFor(async () => ids.length >= 5, 10_000, "traffic before the outage");
      proxy.cut();
      const before = ids.length;
      await waitFor(async () => ids.length >= before + 20 && spillFiles(spill).length > 0, 45_000, "traffic and a spill file during the outage");
      const ready = await fetch(`${gw.url}/health/readiness`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { db: string }).db).toBe("disconnected");
      const unknown = await chat(gw.url, "sk-unknown-while-down-1", { model: "gpt-test" });
      expect(unknown.status).toBe(401);
      proxy.restore();
      await waitFor(async () => ids.length >= before + 40, 20_000, "traffic after the outage");
      stop = true;
      await traffic;
      expect(failures).toBe(0);
      await waitFor(async () => (await rowCount(ids)) === ids.length, 20_000, "every spend row");
      const cost = (await db.sql`SELECT sum(spend) AS s FROM "LiteLLM_SpendLogs" WHERE request_id = ANY(${ids})`)[0]!.s;
      await waitFor(async () => Math.abs((await keySpend(key)) - Number(cost)) < 1e-9, 10_000, "key spend = sum of its rows");
      expect(spillFiles(spill)).toEqual([]);
      expect((await fetch(`${gw.url}/health/readiness`)).status).toBe(200);
    } finally {
      proxy.restore();
      await gw.stop();
    }
  }, 150_000);

  test("spend spilled to disk survives a crash and is written by the next start", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    const configPath = writeConfig(configFor(spill));
    const gw = await startGateway({ configPath });
    const ids: string[] = [];
    let key = "";
    try {
      key = await newKey(gw);
      const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      ids.push((await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "warm" }] })).id);
      proxy.cut();
      for (let i = 0; i < 10; i++) ids.push((await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "x" }] })).id);
      await waitFor(async () => spillFiles(spill).length > 0, 10_000, "a spill file");
      await Bun.sleep(500);
    } finally {
      await gw.stop("SIGKILL");
    }
    proxy.restore();
    expect(await rowCount(ids.slice(1))).toBe(0);
    const next = await startGateway({ configPath });
    try {
      await waitFor(async () => (await rowCount(ids)) === ids.length, 20_000, "rows from the spill file");
      const cost = (await db.sql`SELECT sum(spend) AS s FROM "LiteLLM_SpendLogs" WHERE request_id = ANY(${ids})`)[0]!.s;
      await waitFor(async () => Math.abs((await keySpend(key)) - Number(cost)) < 1e-9, 10_000, "key spend after replay");
      expect(spillFiles(spill)).toEqual([]);
    } finally {
      await next.stop();
    }
  }, 60_000);

  test("a clean shutdown while Postgres is down leaves the spend on disk; nothing is counted twice on replay", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    const configPath = writeConfig(configFor(spill, { proxy_batch_write_at: 3600 }));
    const gw = await startGateway({ configPath });
    const key = await newKey(gw);
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    ids.push((await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "a" }] })).id);
    proxy.cut();
    ids.push((await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "b" }] })).id);
    expect(await gw.stop("SIGTERM")).toBe(0);
    expect(spillFiles(spill).length).toBe(1);
    proxy.restore();
    const next = await startGateway({ configPath });
    try {
      await waitFor(async () => (await rowCount(ids)) === 2, 20_000, "both rows");
      const cost = (await db.sql`SELECT sum(spend) AS s FROM "LiteLLM_SpendLogs" WHERE request_id = ANY(${ids})`)[0]!.s;
      await waitFor(async () => Math.abs((await keySpend(key)) - Number(cost)) < 1e-9, 10_000, "key spend");
    } finally {
      await next.stop();
    }
  }, 60_000);

  test("allow_requests_on_db_unavailable lets unknown keys through while Postgres is down", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    await insertKey(db.sql, "sk-not-cached-0001");
    const gw = await startGateway({ config: configFor(spill, { allow_requests_on_db_unavailable: true }) });
    try {
      proxy.cut();
      const r = await chat(gw.url, "sk-not-cached-0001", { model: "gpt-test" });
      expect(r.status).toBe(200);
    } finally {
      proxy.restore();
      await gw.stop();
    }
  }, 30_000);
});
