import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";
import { generateKey, spendConfig } from "../helpers/spend.ts";

/**
 * Issue 14.7: a `kill -9` between two spend batches loses at most the journal's last group commit
 * (about 100 ms of calls); a journal a dead process left is replayed once at the next start.
 */
const MASTER = "sk-master-spend-journal";
let db: TestDb;
let fake: FakeLLM;

const diskFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("spend-") || f.startsWith("journal-"));
const presentIds = async (ids: string[]) =>
  new Set((await db.sql<Array<{ request_id: string }>>`SELECT request_id FROM "LiteLLM_SpendLogs" WHERE request_id = ANY(${ids})`).map((r) => r.request_id));
const keySpend = async (token: string) => Number((await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = ${token}`)[0]?.spend ?? NaN);
const keyRowsSum = async (token: string) => Number((await db.sql`SELECT COALESCE(sum(spend), 0) AS s FROM "LiteLLM_SpendLogs" WHERE api_key = ${token}`)[0]!.s);

// The default batch interval: without the journal a kill -9 loses up to 10 s of calls.
const configFor = (spillDir: string, batchS = 10) => spendConfig({ fake, dbUrl: db.url, master: MASTER, spillDir, batchS });

const newKey = (gw: GatewayProcess) => generateKey(gw, MASTER);

async function call(gw: GatewayProcess, key: string): Promise<string | undefined> {
  try {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] }),
    });
    if (r.status !== 200) return undefined;
    return ((await r.json()) as { id: string }).id;
  } catch {
    return undefined;
  }
}

/** A pid no process has now (a child that has exited). */
async function deadPid(): Promise<number> {
  const p = Bun.spawn(["true"]);
  await p.exited;
  return p.pid;
}

beforeAll(async () => {
  db = await createTestDb("lr_spend_journal");
  fake = await startFakeLLM();
});

afterAll(async () => {
  await fake?.stop();
  await db?.drop();
});

describe("the spend journal", () => {
  test("kill -9 under load: every answered call older than the last group commit has its row after the restart, counted once", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    const configPath = writeConfig(configFor(spill));
    let gw = await startGateway({ configPath });
    const answered: Array<{ id: string; at: number }> = [];
    const k = await newKey(gw);
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const id = await call(gw, k.key);
        if (id && !stop) answered.push({ id, at: performance.now() });
      }
    };
    const started = performance.now();
    const workers = Array.from({ length: 8 }, worker);
    await waitFor(async () => answered.length >= 200 && performance.now() - started >= 2000, 30_000, "two seconds of load");
    const killedAt = performance.now();
    gw.proc.kill("SIGKILL");
    stop = true;
    await gw.proc.exited;
    await Promise.all(workers);
    const calls = answered.filter((a) => a.at <= killedAt);
    const ids = calls.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);

    gw = await startGateway({ configPath });
    try {
      await waitFor(async () => diskFiles(spill).length === 0, 20_000, "the journal replayed and removed");
      const present = await presentIds(ids);
      const missing = calls.filter((a) => !present.has(a.id));
      const window = missing.length ? killedAt - Math.min(...missing.map((m) => m.at)) : 0;
      const lastSecond = calls.filter((a) => killedAt - a.at <= 1000).length;
      console.log(`kill -9 after ${calls.length} answered calls: ${missing.length} without a row, all answered within the last ${window.toFixed(0)} ms before the kill (${lastSecond} calls were answered in the last second)`);
      for (const m of missing) expect(killedAt - m.at).toBeLessThan(1000);
      expect(missing.length).toBeLessThan(calls.length / 4);
      await waitFor(async () => Math.abs((await keySpend(k.token)) - (await keyRowsSum(k.token))) < 1e-9, 10_000, "key spend = sum of its rows");
    } finally {
      expect(await gw.stop()).toBe(0);
    }
    expect(diskFiles(spill)).toEqual([]);
  }, 90_000);

  test("an instance sharing the directory writes the journal of one killed with -9, never a live one's", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    const a = await startGateway({ configPath: writeConfig(configFor(spill)) });
    const b = await startGateway({ configPath: writeConfig(configFor(spill, 0.2)) });
    try {
      const k = await newKey(a);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await call(a, k.key))!);
      await waitFor(async () => readdirSync(spill).some((f) => f.startsWith("journal-")), 5_000, "a's journal");
      await Bun.sleep(1000);
      expect(readdirSync(spill).filter((f) => f.startsWith("journal-")).length).toBe(1);
      expect((await presentIds(ids)).size).toBe(0);
      a.proc.kill("SIGKILL");
      await a.proc.exited;
      await waitFor(async () => (await presentIds(ids)).size === ids.length, 10_000, "b writes a's journal");
      await waitFor(async () => diskFiles(spill).length === 0, 5_000, "the journal removed");
      expect(await keySpend(k.token)).toBeCloseTo(await keyRowsSum(k.token), 9);
      expect(b.output()).toContain("spend journal files of a process that ended");
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 60_000);

  test("a journal a dead process left is written at the next start, rows already in Postgres counted once", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    const configPath = writeConfig(configFor(spill));
    let gw = await startGateway({ configPath });
    const k = await newKey(gw);
    const ids = [await call(gw, k.key), await call(gw, k.key)] as string[];
    expect(await gw.stop()).toBe(0);
    expect(diskFiles(spill)).toEqual([]);
    expect((await presentIds(ids)).size).toBe(2);
    const before = await keySpend(k.token);
    expect(before).toBeGreaterThan(0);

    const rows = await db.sql<Array<{ r: Record<string, unknown> }>>`SELECT row_to_json(s.*) AS r FROM "LiteLLM_SpendLogs" s WHERE request_id = ANY(${ids}) ORDER BY request_id`;
    const events = rows.map(({ r }) => ({ row: r, cacheReadTokens: 0, cacheCreationTokens: 0, endpoint: "/v1/chat/completions" }));
    const fresh = { ...events[0]!, row: { ...events[0]!.row, request_id: "journal-only-1", metadata: { litellm_call_id: "journal-only-1" } } };
    const freshSpend = Number(events[0]!.row.spend);
    const name = `journal-${encodeURIComponent(hostname())}-${await deadPid()}-${Date.now().toString(36)}-0.journal`;
    writeFileSync(join(spill, name), `${[...events, fresh].map((e) => JSON.stringify(e)).join("\n")}\n{"row":{"request_id":"to`);

    gw = await startGateway({ configPath });
    try {
      await waitFor(async () => (await presentIds(["journal-only-1"])).size === 1, 20_000, "the journal's new row");
      await waitFor(async () => diskFiles(spill).length === 0, 10_000, "the journal removed");
      expect(await keySpend(k.token)).toBeCloseTo(before + freshSpend, 9);
      expect(await keyRowsSum(k.token)).toBeCloseTo(before + freshSpend, 9);
      expect(gw.output()).toContain("spend journal files of a process that ended");
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
