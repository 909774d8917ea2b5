import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";
import { generateKey, spendConfig } from "../helpers/spend.ts";

/**
 * Issue 14.1: one request carrying a string Postgres cannot store (U+0000, a lone surrogate, an id
 * too large for an index) must not stop spend writing, neither from memory nor from a spill file,
 * nor after a restart.
 */
const MASTER = "sk-master-spend-poison";
let db: TestDb;
let fake: FakeLLM;

const spendFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("spend-"));
const rowsOf = (ids: string[]) =>
  db.sql<Array<{ request_id: string; spend: number; request_tags: string[]; end_user: string | null; metadata: Record<string, unknown> }>>`
    SELECT request_id, spend, request_tags, end_user, metadata FROM "LiteLLM_SpendLogs" WHERE request_id = ANY(${ids})`;
const keySpend = async (token: string) => Number((await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = ${token}`)[0]?.spend ?? NaN);
const sumOf = async (ids: string[]) => Number((await db.sql`SELECT COALESCE(sum(spend), 0) AS s FROM "LiteLLM_SpendLogs" WHERE request_id = ANY(${ids})`)[0]!.s);

const configFor = (spillDir: string) => spendConfig({ fake, dbUrl: db.url, master: MASTER, spillDir, batchS: 0.2 });

/** Random letters that do not compress, so Postgres cannot fit them into a btree entry. */
const incompressible = (n: number) => Array.from({ length: n }, () => String.fromCharCode(0x4e00 + Math.floor(Math.random() * 20000))).join("");

/** A chat call; `extra` is merged into the body, or is the raw body text (to send JSON escapes as they are). */
async function call(gw: GatewayProcess, key: string, extra: Record<string, unknown> | string = {}) {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: typeof extra === "string" ? extra : JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }], ...extra }),
  });
  const body = (await r.json()) as { id: string };
  return { status: r.status, id: body.id };
}

const newKey = (gw: GatewayProcess) => generateKey(gw, MASTER);

/** A spend event as an earlier release spilled it (JSON lines, the row in LiteLLM's columns). */
function spilledEvent(id: string, token: string, row: Record<string, unknown> = {}) {
  const t = new Date().toISOString();
  return {
    row: {
      request_id: id,
      call_type: "acompletion",
      api_key: token,
      spend: 0.01,
      total_tokens: 3,
      prompt_tokens: 1,
      completion_tokens: 2,
      startTime: t,
      endTime: t,
      completionStartTime: t,
      model: "gpt-upstream",
      model_id: "m",
      model_group: "gpt-test",
      custom_llm_provider: "openai",
      api_base: "http://x/v1",
      user: "",
      metadata: { litellm_call_id: id, user_api_key: token },
      cache_hit: "False",
      cache_key: "Cache OFF",
      request_tags: [],
      team_id: null,
      end_user: null,
      requester_ip_address: null,
      messages: {},
      response: {},
      proxy_server_request: {},
      session_id: id,
      status: "success",
      organization_id: null,
      request_duration_ms: 5,
      ...row,
    },
    cacheReadTokens: 0,
    cacheCreationTokens: 0,
    endpoint: "/v1/chat/completions",
  };
}

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);

beforeAll(async () => {
  db = await createTestDb("lr_spend_poison");
  fake = await startFakeLLM();
});

afterAll(async () => {
  await fake?.stop();
  await db?.drop();
});

describe("a poisoned spend row", () => {
  test("a NUL character, a lone surrogate and an oversized end-user id are answered; every later call's row is written, also after a restart", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    const configPath = writeConfig(configFor(spill));
    let gw = await startGateway({ configPath });
    const ids: string[] = [];
    let token = "";
    try {
      const k = await newKey(gw);
      token = k.token;
      const nul = await call(gw, k.key, '{"model":"gpt-test","messages":[{"role":"user","content":"hi\\u0000"}],"metadata":{"tags":["t\\u0000x"]}}');
      expect(nul.status).toBe(200);
      ids.push(nul.id);
      const lone = await call(gw, k.key, '{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"user":"u\\ud800","metadata":{"tags":["s\\udc00"]}}');
      expect(lone.status).toBe(200);
      ids.push(lone.id);
      const big = await call(gw, k.key, { user: incompressible(20_000) });
      expect(big.status).toBe(200);
      ids.push(big.id);
      for (let i = 0; i < 5; i++) {
        const r = await call(gw, k.key);
        expect(r.status).toBe(200);
        ids.push(r.id);
      }
      await waitFor(async () => (await rowsOf(ids)).length === ids.length, 20_000, "every row written");
      const rows = new Map((await rowsOf(ids)).map((r) => [r.request_id, r]));
      expect(rows.get(ids[0]!)!.request_tags).toEqual(["t\uFFFDx"]);
      expect(rows.get(ids[1]!)!.end_user).toBe("u\uFFFD");
      expect(rows.get(ids[1]!)!.request_tags).toEqual(["s\uFFFD"]);
      expect(rows.get(ids[2]!)!.end_user!.length).toBe(512);
      expect(String(rows.get(ids[2]!)!.metadata.spend_log_repaired)).toContain("index row");
      await waitFor(async () => Math.abs((await keySpend(token)) - (await sumOf(ids))) < 1e-9, 10_000, "key spend = sum of its rows");
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metric(metrics, "litellm_rust_spend_rows_repaired_total")).toBe(1);
      expect(metric(metrics, "litellm_rust_spend_rows_quarantined_total")).toBe(0);
      expect(gw.output()).toContain("written repaired");
      expect(await gw.stop()).toBe(0);

      gw = await startGateway({ configPath });
      const again = await call(gw, k.key, { metadata: { tags: ["after\u0000restart"] } });
      expect(again.status).toBe(200);
      ids.push(again.id);
      const last = await call(gw, k.key);
      ids.push(last.id);
      await waitFor(async () => (await rowsOf(ids)).length === ids.length, 20_000, "rows after the restart");
      await waitFor(async () => Math.abs((await keySpend(token)) - (await sumOf(ids))) < 1e-9, 10_000, "key spend after the restart");
      expect(spendFiles(spill)).toEqual([]);
    } finally {
      await gw.stop();
    }
  }, 60_000);

  test("a spill file an earlier release left with a NUL, a lone surrogate, a torn line and an unwritable row drains at start", async () => {
    const spill = mkdtempSync(join(tmpdir(), "lr-spill-"));
    const gw0 = await startGateway({ config: configFor(spill) });
    const k = await newKey(gw0);
    await gw0.stop();
    const ids = ["poison-ok-1", "poison-nul", "poison-lone", "poison-ok-2"];
    const events = [
      spilledEvent(ids[0]!, k.token),
      spilledEvent(ids[1]!, k.token, { request_tags: ["t\u0000x"], metadata: { litellm_call_id: ids[1], "k\u0000": "v\u0000" } }),
      spilledEvent(ids[2]!, k.token, { end_user: "e\ud800" }),
      spilledEvent(ids[3]!, k.token),
    ];
    const unwritable = spilledEvent("ignored", k.token, { request_id: null, metadata: { litellm_call_id: "poison-null-id" } });
    const lines = events.map((e) => JSON.stringify(e));
    lines.splice(2, 0, JSON.stringify(unwritable), '{"row": {"request_id": "torn');
    writeFileSync(join(spill, "spend-000001700000000000-1-0.jsonl"), `${lines.join("\n")}\n`);

    const gw = await startGateway({ config: configFor(spill) });
    try {
      await waitFor(async () => (await rowsOf(ids)).length === ids.length, 20_000, "the spilled rows");
      await waitFor(async () => spendFiles(spill).length === 0, 10_000, "the spill file removed");
      const rows = new Map((await rowsOf(ids)).map((r) => [r.request_id, r]));
      expect(rows.get("poison-nul")!.request_tags).toEqual(["t\uFFFDx"]);
      expect(rows.get("poison-nul")!.metadata["k\uFFFD"]).toBe("v\uFFFD");
      expect(rows.get("poison-lone")!.end_user).toBe("e\uFFFD");
      expect(await keySpend(k.token)).toBeCloseTo(0.04, 9);
      const quarantine = readFileSync(join(spill, "quarantine.jsonl"), "utf8").trim().split("\n");
      expect(quarantine.length).toBe(1);
      const q = JSON.parse(quarantine[0]!) as { error: string; event: { row: { metadata: { litellm_call_id: string } } } };
      expect(q.event.row.metadata.litellm_call_id).toBe("poison-null-id");
      expect(q.error).toContain("null value");
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metric(metrics, "litellm_rust_spend_rows_quarantined_total")).toBe(1);
      expect(gw.output()).toContain("quarantined");
    } finally {
      await gw.stop();
    }
    expect(existsSync(join(spill, "quarantine.jsonl"))).toBe(true);
  }, 60_000);
});
