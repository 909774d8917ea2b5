import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { REDIS_PREFIX } from "../../src/redis.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/**
 * UI sessions end on the server: a copy of the session cookie taken before logout (or before its key
 * was blocked or deleted, or its user's role changed) stops working at once, on every instance.
 */
const MASTER = "sk-ui-sessions-master-0001";

let db: TestDb;
let a: GatewayProcess;
let b: GatewayProcess;
let redisA: GatewayProcess;
let redisB: GatewayProcess;
let alone: GatewayProcess;

const REDIS_PREFIX_FOR_TEST = `${REDIS_PREFIX}ui-session:`;

beforeAll(async () => {
  db = await createTestDb("lr_ui_sessions");
  const withDb = { general_settings: { master_key: MASTER, database_url: db.url } };
  a = await startGateway({ config: withDb });
  b = await startGateway({ config: withDb });
  const withRedis = { general_settings: { master_key: MASTER }, router_settings: { redis_host: "127.0.0.1", redis_port: 6379 } };
  [redisA, redisB, alone] = await Promise.all([startGateway({ config: withRedis }), startGateway({ config: withRedis }), startGateway({ config: { general_settings: { master_key: MASTER } } })]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b, redisA, redisB, alone].map((g) => g?.stop()));
  await db?.drop();
});

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
const cookieValue = (res: Response, name: string) => res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))?.split(";")[0];

/** Logs in through the form as a browser would; returns the session cookie (`name=value`). */
async function login(g: GatewayProcess, key: string): Promise<string> {
  const form = await fetch(`${g.url}/ui/login`);
  const nonce = cookieValue(form, "litellm_ui_login")!;
  const res = await fetch(`${g.url}/ui/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: nonce, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrfIn(await form.text()), key, next: "/ui/keys" }),
  });
  expect(res.status).toBe(303);
  return cookieValue(res, "litellm_ui_session")!;
}

/** GET a page with the cookie: 200 while the session lives, else a redirect to the login page. */
async function page(g: GatewayProcess, cookie: string, path = "/ui/keys"): Promise<{ status: number; location: string | null; html: string }> {
  const res = await fetch(`${g.url}${path}`, { redirect: "manual", headers: { cookie } });
  return { status: res.status, location: res.headers.get("location"), html: await res.text() };
}

async function logout(g: GatewayProcess, cookie: string): Promise<void> {
  const { html } = await page(g, cookie);
  const res = await fetch(`${g.url}/ui/logout`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrfIn(html) }),
  });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/ui/login");
}

async function expectEnded(g: GatewayProcess, cookie: string, reason?: RegExp): Promise<void> {
  const p = await page(g, cookie);
  expect(p.status).toBe(303);
  expect(p.location).toStartWith("/ui/login?next=");
  if (reason) expect(decodeURIComponent(p.location!.replace(/\+/g, " "))).toMatch(reason);
  const post = await fetch(`${g.url}/ui/keys/new`, { method: "POST", redirect: "manual", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: "_csrf=x" });
  expect(post.status).toBe(401);
}

async function admin(g: GatewayProcess, path: string, body: unknown) {
  const r = await fetch(`${g.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

async function userKey(role: string): Promise<{ key: string; userId: string }> {
  const userId = `ui-user-${crypto.randomUUID().slice(0, 8)}`;
  await admin(a, "/user/new", { user_id: userId, user_role: role });
  const key = String((await admin(a, "/key/generate", { user_id: userId })).key);
  return { key, userId };
}

describe("UI sessions across instances sharing Postgres", () => {
  test("logout on one instance ends a copied cookie on both at once", async () => {
    const cookie = await login(a, MASTER);
    expect((await page(a, cookie)).status).toBe(200);
    expect((await page(b, cookie)).status).toBe(200);
    const copy = cookie;
    await logout(a, cookie);
    await expectEnded(a, copy);
    await expectEnded(b, copy);
    const rows = await db.sql`SELECT count(*)::int AS n FROM litellm_rust_ui_sessions WHERE key_hash IS NULL`;
    expect(rows[0]!.n).toBe(0);
  });

  test("blocking the key on the other instance ends the session at once, and unblocking it does not revive it", async () => {
    const { key } = await userKey("internal_user");
    const cookie = await login(a, key);
    const second = await login(a, key);
    expect((await page(b, cookie)).status).toBe(200);
    await admin(b, "/key/block", { key });
    await expectEnded(a, cookie, /Your session has ended|blocked/);
    await admin(b, "/key/unblock", { key });
    await expectEnded(a, second);
    expect((await page(a, await login(a, key))).status).toBe(200);
  });

  test("deleting the key ends its session", async () => {
    const { key } = await userKey("internal_user");
    const cookie = await login(b, key);
    expect((await page(a, cookie)).status).toBe(200);
    await admin(a, "/key/delete", { keys: [key] });
    await expectEnded(b, cookie);
  });

  test("a change of the user's role ends the session on every instance", async () => {
    const { key, userId } = await userKey("internal_user");
    const cookie = await login(a, key);
    const other = await login(b, key);
    expect((await page(b, cookie)).status).toBe(200);
    await admin(b, "/user/update", { user_id: userId, user_role: "internal_user_viewer" });
    await expectEnded(a, cookie);
    await expectEnded(a, other);
    const again = await login(a, key);
    expect((await page(b, again)).status).toBe(200);
  });

  test("a key blocked in the database by another program (no invalidation sent) ends the session at its next page", async () => {
    const { key } = await userKey("internal_user");
    const cookie = await login(a, key);
    expect((await page(b, cookie)).status).toBe(200);
    await db.sql`UPDATE "LiteLLM_VerificationToken" SET blocked = true WHERE token = encode(sha256(${key}::bytea), 'hex')`;
    await expectEnded(b, cookie, /Your key was blocked/);
  });

  test("the cookie holds no session the server did not record: a session row deleted by hand ends it", async () => {
    const cookie = await login(b, MASTER);
    expect((await page(a, cookie)).status).toBe(200);
    await db.sql`DELETE FROM litellm_rust_ui_sessions`;
    await expectEnded(a, cookie);
  });
});

describe("UI sessions without a database", () => {
  test("through Redis: logout on one instance ends the copied cookie on the other", async () => {
    const cookie = await login(redisA, MASTER);
    expect((await page(redisB, cookie)).status).toBe(200);
    await logout(redisB, cookie);
    await expectEnded(redisA, cookie);
    await expectEnded(redisB, cookie);
  });

  test("in memory (one instance): logout ends the copied cookie", async () => {
    const cookie = await login(alone, MASTER);
    expect((await page(alone, cookie)).status).toBe(200);
    await logout(alone, cookie);
    await expectEnded(alone, cookie);
  });

  test("Redis holds only a digest of the session id, expiring with the session", async () => {
    const earlier = new Set(await Bun.redis.keys(`${REDIS_PREFIX_FOR_TEST}*`));
    const before = Date.now();
    await login(redisA, MASTER);
    const keys = (await Bun.redis.keys(`${REDIS_PREFIX_FOR_TEST}*`)).filter((k) => !earlier.has(k));
    expect(keys.length).toBe(1);
    expect(keys[0]!.slice(REDIS_PREFIX_FOR_TEST.length)).toMatch(/^[0-9a-f]{64}$/);
    const ttl = await Bun.redis.send("PTTL", [keys[0]!]);
    expect(Number(ttl)).toBeGreaterThan(11 * 3600 * 1000 - (Date.now() - before));
  });
});
