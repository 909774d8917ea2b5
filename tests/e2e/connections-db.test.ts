import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";
import { rawConnect, type RawConn } from "../helpers/raw-http.ts";
import { generateKey, spendConfig } from "../helpers/spend.ts";

/**
 * Issue 14.4 and 14.5 with a database: a flood of idle connections past the process's file
 * descriptor limit is shed, and the spend writer and the Postgres pool keep working; a virtual key
 * that is unknown or blocked is refused from the headers before the body is read.
 */
const MASTER = "sk-master-connections-db";
const FD_LIMIT = 400;
let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;

beforeAll(async () => {
  db = await createTestDb("lr_conn");
  fake = await startFakeLLM();
  const spillDir = mkdtempSync(join(tmpdir(), "lr-conn-spill-"));
  gw = await startGateway({
    config: spendConfig({ fake, dbUrl: db.url, master: MASTER, spillDir, batchS: 0.2 }),
    args: ["--keepalive_timeout", "2"],
    under: ["prlimit", `--nofile=${FD_LIMIT}:${FD_LIMIT}`, "--"],
    timeoutMs: 60_000,
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

async function call(key: string, body = JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] })) {
  const r = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body });
  return { status: r.status, body: (await r.json()) as { id?: string; error?: { message: string; type: string } } };
}

const rowsOf = async (token: string) => Number((await db.sql`SELECT count(*)::int AS n FROM "LiteLLM_SpendLogs" WHERE api_key = ${token}`)[0]!.n);

test("twice the file descriptor limit in idle connections is shed; calls and their spend rows go on during and after", async () => {
  const { key, token } = await generateKey(gw, MASTER);
  expect((await call(key)).status).toBe(200);
  await waitFor(async () => (await rowsOf(token)) === 1, 10_000, "the first spend row");

  const conns: RawConn[] = [];
  // The peak while the flood is served: the gateway accepts it over time, and on a loaded machine the
  // first connections may already be closed as idle before the last are accepted.
  let openFds = 0;
  for (let i = 0; i < FD_LIMIT * 2; i += 100) {
    const batch = await Promise.all(Array.from({ length: 100 }, () => rawConnect(gw.port)));
    for (const c of batch) c.write("GET /health/liveliness HTTP/1.1\r\nHost: x\r\n\r\n");
    conns.push(...batch);
  }
  const during = call(key);
  const allClosed = Promise.all(conns.map((c) => c.closed));
  let settled = false;
  void allClosed.then(() => (settled = true));
  while (!settled && openFds <= FD_LIMIT - 20) {
    openFds = Math.max(openFds, readdirSync(`/proc/${gw.proc.pid}/fd`).length);
    await Bun.sleep(5);
  }
  const answered = await allClosed;
  expect(openFds).toBeGreaterThan(FD_LIMIT - 20);
  expect(answered.filter((r) => r.startsWith("HTTP/1.1 200")).length).toBe(conns.length);

  expect((await during).status).toBe(200);
  for (let i = 0; i < 5; i++) expect((await call(key)).status).toBe(200);
  await waitFor(async () => (await rowsOf(token)) === 7, 20_000, "seven spend rows");
  expect(gw.proc.exitCode).toBeNull();
}, 120_000);

test("an unknown or blocked virtual key is refused before its body is read", async () => {
  const { key, token } = await generateKey(gw, MASTER);
  await fetch(`${gw.url}/key/block`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify({ key: token }) });
  for (const [k, message] of [
    ["sk-never-issued", "Unable to find token"],
    [key, "Key is blocked"],
  ] as const) {
    const c = await rawConnect(gw.port);
    c.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${k}\r\nContent-Type: application/json\r\nContent-Length: ${60 * 1024 * 1024}\r\n\r\n{"model":`);
    const res = await c.response();
    c.destroy();
    expect(res.status).toBe(401);
    expect((JSON.parse(res.body) as { error: { message: string } }).error.message).toContain(message);
  }
});
