import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { GatewayError } from "../../src/errors.ts";
import { RedisAdmission } from "../../src/limits/redis.ts";
import { ADMIT, APPLY, TOPUP } from "../../src/limits/redis-scripts.ts";
import { LEASE_MS, windowStart, type BudgetLine, type Hold, type LimitDescriptor } from "../../src/limits/types.ts";

/** The shared admission scripts against the real Redis (127.0.0.1:6379), with a clock the test moves. */
const quiet = { failed() {} };
const run = crypto.randomUUID().slice(0, 8);
let client: RedisClient;
let t = Date.now();
let seq = 0;

beforeAll(async () => {
  client = new RedisClient("redis://127.0.0.1:6379");
  await client.connect();
});

afterAll(() => client?.close());

const instance = () => new RedisAdmission(client, quiet, () => t);

/** Scripts run, by sha, through a client that counts them. */
const runs = new Map<string, number>();
const counting = () =>
  new Proxy(client, {
    get(target, p) {
      if (p === "send") {
        return (cmd: string, args: string[]) => {
          if (cmd === "EVALSHA") runs.set(args[0]!, (runs.get(args[0]!) ?? 0) + 1);
          return target.send(cmd, args);
        };
      }
      const v = Reflect.get(target, p) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
const hold = (budgets: BudgetLine[], cost: number, limits: LimitDescriptor[] = [], tokens = 1): Hold => ({
  id: `${run}:${seq++}`,
  plan: { budgets, limits },
  est: { cost, tokens },
  window: 0,
  redis: false,
  renewedAt: t,
  settled: false,
});
/** `admit` answers at once on grants and shares, and throws only from a promise (Redis decided). */
const refused = (p: unknown) => Promise.resolve(p).then(() => false, (e: unknown) => e instanceof GatewayError);

/** Two instances admit calls in turn (none settles) until both have refused twice in a row; how many were admitted. */
async function drawUntilRefused(next: () => Hold): Promise<number> {
  const pair = [instance(), instance()];
  let admitted = 0;
  let refusedInARow = 0;
  for (let i = 0; refusedInARow < 4 && i < 1000; i++) {
    if (await refused(pair[i % 2]!.admit(next()))) refusedInARow++;
    else {
      admitted++;
      refusedInARow = 0;
    }
    if (i % 7 === 0) await Bun.sleep(1);
  }
  return admitted;
}

describe("reservations in Redis", () => {
  test("the reservations of an instance that died stop counting when their lease ends; renewed ones do not", async () => {
    const line: BudgetLine = { id: `key:crash-${run}`, entity: "Key=crash", max: 1, spend: { value: 0.5 }, atMax: true, shared: true };
    const dead = instance();
    const alive = instance();
    const renewed = hold([line], 0.3);
    await dead.admit(hold([line], 0.3));
    await alive.admit(renewed);
    expect(await refused(alive.admit(hold([line], 0.1)))).toBe(true);
    t += LEASE_MS - 1000;
    alive.renew([renewed]);
    await Bun.sleep(50);
    t += 2000;
    // The dead instance's 0.3 is gone; the renewed 0.3 still holds: 0.5 + 0.3 < 1.
    const next = hold([line], 0.3);
    await alive.admit(next);
    expect(await refused(alive.admit(hold([line], 0.1)))).toBe(true);
    alive.settle(next, 0, 0);
    alive.settle(renewed, 0, 0);
    await Bun.sleep(50);
    expect(Number(await client.hget(`litellm-rust:budget:${line.id}`, "inflight"))).toBe(0);
  });

  test("parallel slots of a dead instance are freed when their lease ends", async () => {
    const d: LimitDescriptor = { name: "api_key", value: `par-${run}`, maxParallel: 1 };
    await instance().admit(hold([], 0, [d]));
    expect(await refused(instance().admit(hold([], 0, [d])))).toBe(true);
    t += LEASE_MS + 1;
    await instance().admit(hold([], 0, [d]));
  });

  test("settled spend is shared; a budget reset sets it back for every instance", async () => {
    const local = { value: 0 };
    const line: BudgetLine = { id: `team:reset-${run}`, entity: "Team=r", max: 1, spend: local, atMax: false, shared: true };
    const x = instance();
    const h = hold([line], 0.6);
    await x.admit(h);
    x.settle(h, 0.6, 0);
    await Bun.sleep(50);
    // Another instance, whose own spend knows nothing of that call, sees it through Redis.
    const y = instance();
    await y.admit(hold([line], 0.6));
    expect(await refused(y.admit(hold([line], 0.1)))).toBe(true);
    t += LEASE_MS + 1;
    x.forget(line.id, 0);
    await Bun.sleep(50);
    await y.admit(hold([line], 0.6));
  });

  test("an old shared spend is replaced by a spend just read from the database, not by a stale one", async () => {
    const cell: { value: number; readAt?: number } = { value: 0.9 };
    const line: BudgetLine = { id: `key:reseed-${run}`, entity: "Key=reseed", max: 1, spend: cell, atMax: true, shared: true };
    const x = instance();
    const h = hold([line], 0.1);
    await x.admit(h);
    x.settle(h, 0.1, 0);
    await Bun.sleep(50);
    // Someone reset the spend in the database; this instance's cached value says 0 but was read long ago.
    cell.value = 0;
    t += 11 * 60_000;
    expect(await refused(x.admit(hold([line], 0.1)))).toBe(true);
    cell.readAt = t;
    await x.admit(hold([line], 0.1));
  });

  test("far from its edge a budget admits calls on this instance's grant without waiting for Redis; each is still recorded there", async () => {
    runs.clear();
    const x = new RedisAdmission(counting(), quiet, () => t);
    const line: BudgetLine = { id: `key:grant-${run}`, entity: "Key=grant", max: 1000, spend: { value: 0 }, atMax: true, shared: true };
    const holds: Hold[] = [];
    for (let i = 0; i < 40; i++) {
      const h = hold([line], 1);
      await x.admit(h);
      holds.push(h);
      await Bun.sleep(2);
    }
    expect(runs.get(ADMIT.sha) ?? 0).toBeLessThanOrEqual(3);
    await Bun.sleep(50);
    const hash = `litellm-rust:budget:${line.id}`;
    const fields = (await client.send("HGETALL", [hash])) as Record<string, string>;
    const calls = Object.keys(fields).filter((f) => f.startsWith("r:") && !f.startsWith("r:g:"));
    expect(calls.length).toBe(40);
    for (const h of holds) x.settle(h, 1, 0);
    await Bun.sleep(50);
    expect(Number(await client.hget(hash, "spend"))).toBe(40);
  });

  test("one batch script settles a budget's calls: those admitted on the grant and ended release what they took, a running one keeps its reservation, the spend adds up", async () => {
    runs.clear();
    const x = new RedisAdmission(counting(), quiet, () => t);
    const line: BudgetLine = { id: `key:batch-${run}`, entity: "Key=batch", max: 1000, spend: { value: 0 }, atMax: true, shared: true };
    const first = hold([line], 1);
    await x.admit(first);
    const hash = `litellm-rust:budget:${line.id}`;
    const grantOf = (fields: Record<string, string>) => Number(Object.entries(fields).find(([f]) => f.startsWith("r:g:"))![1]);
    const size = grantOf((await client.send("HGETALL", [hash])) as Record<string, string>);
    expect(size).toBeGreaterThanOrEqual(12);
    const holds = Array.from({ length: 10 }, () => hold([line], 1));
    for (const h of holds) await x.admit(h);
    expect(runs.get(ADMIT.sha)).toBe(1);
    const running = hold([line], 1);
    await x.admit(running);
    await Promise.all([first, ...holds].map((h) => x.settle(h, 0.5, 0)));
    expect(runs.get(APPLY.sha)).toBe(1);
    const fields = (await client.send("HGETALL", [hash])) as Record<string, string>;
    // The first call's own reservation is released; the grant gave 11 calls; one call still runs.
    expect(Object.keys(fields).filter((f) => f.startsWith("r:") && !f.startsWith("r:g:"))).toEqual([`r:${running.id}`]);
    expect(grantOf(fields)).toBe(size - 11);
    expect(Number(fields.inflight)).toBe(size - 11 + 1);
    expect(Number(fields.spend)).toBe(5.5);
    expect(await client.send("ZRANGE", [`${hash}:leases`, "0", "-1"])).toEqual(expect.arrayContaining([running.id]));
    x.settle(running, 1, 0);
    x.flush();
    await running.released;
    await Bun.sleep(20);
    expect(Number(await client.hget(hash, "inflight"))).toBe(size - 11);
    expect(Number(await client.hget(hash, "spend"))).toBe(6.5);
  });

  test("two instances drawing on one budget until both are refused never pass it", async () => {
    const line: BudgetLine = { id: `key:race-${run}`, entity: "Key=race", max: 200, spend: { value: 0 }, atMax: true, shared: true };
    const admitted = await drawUntilRefused(() => hold([line], 1));
    expect(admitted).toBeLessThanOrEqual(201);
    // Grant fragments smaller than a call may still be held by the other instance for a few seconds.
    expect(admitted).toBeGreaterThanOrEqual(198);
    await Bun.sleep(50);
    const inflight = Number(await client.hget(`litellm-rust:budget:${line.id}`, "inflight"));
    expect(inflight).toBeGreaterThanOrEqual(admitted);
    expect(inflight).toBeLessThanOrEqual(admitted + 2);
  });
});

describe("rpm and tpm shares of an instance", () => {
  const counter = async (d: LimitDescriptor, what: "requests" | "tokens") => Number((await client.get(`{litellm-rust:${d.name}:${d.value}}:${windowStart(t)}:${what}`)) ?? 0);

  test("far from its limits a key admits calls on this instance's shares without waiting for Redis; the window's counters hold them", async () => {
    runs.clear();
    const x = new RedisAdmission(counting(), quiet, () => t);
    const d: LimitDescriptor = { name: "api_key", value: `share-${run}`, rpm: 10_000, tpm: 1_000_000 };
    const line: BudgetLine = { id: `key:share-${run}`, entity: "Key=share", max: 1000, spend: { value: 0 }, atMax: true, shared: true };
    const holds: Hold[] = [];
    const statuses = [];
    for (let i = 0; i < 40; i++) {
      const h = hold([line], 1, [d], 100);
      statuses.push(await x.admit(h));
      holds.push(h);
      await Bun.sleep(2);
    }
    expect(runs.get(ADMIT.sha) ?? 0).toBeLessThanOrEqual(3);
    expect(runs.get(TOPUP.sha) ?? 0).toBeGreaterThanOrEqual(1);
    // Headers still say what is left, as far as this instance knows.
    const last = statuses.at(-1)!;
    expect(last.limitRequests).toBe(10_000);
    expect(last.remainingRequests).toBeLessThanOrEqual(10_000 - 40);
    expect(last.limitTokens).toBe(1_000_000);
    expect(last.remainingTokens).toBeLessThanOrEqual(1_000_000 - 39 * 100);
    // The counters hold every call (and the shares not yet used), never less.
    expect(await counter(d, "requests")).toBeGreaterThanOrEqual(40);
    expect(await counter(d, "tokens")).toBeGreaterThanOrEqual(40 * 100);
    // Each call used 150 tokens, not the 100 it reserved: the difference comes out of the share
    // (already in the counter), or goes to Redis when the share cannot hold it.
    for (const h of holds) x.settle(h, 1, 150);
    await Bun.sleep(50);
    expect(await counter(d, "tokens")).toBeGreaterThanOrEqual(40 * 150);
  });

  test("near a tpm limit (no share) what calls used beyond their reservation reaches the window's counter, in one batch", async () => {
    runs.clear();
    const x = new RedisAdmission(counting(), quiet, () => t);
    const d: LimitDescriptor = { name: "api_key", value: `delta-${run}`, tpm: 1000 };
    const holds: Hold[] = [];
    for (let i = 0; i < 5; i++) {
      const h = hold([], 0, [d], 100);
      await x.admit(h);
      holds.push(h);
    }
    expect(runs.get(ADMIT.sha)).toBe(5);
    expect(await counter(d, "tokens")).toBe(500);
    for (const h of holds) x.settle(h, 0, 150);
    await Bun.sleep(50);
    expect(await counter(d, "tokens")).toBe(750);
    expect(runs.get(APPLY.sha)).toBe(1);
  });

  test("two instances drawing on one rpm window until both are refused admit exactly the limit", async () => {
    const d: LimitDescriptor = { name: "api_key", value: `rpm-race-${run}`, rpm: 300 };
    const admitted = await drawUntilRefused(() => hold([], 0, [d]));
    expect(admitted).toBe(300);
    expect(await counter(d, "requests")).toBe(300);
  });

  test("two instances drawing on one tpm window pass it by at most one call each", async () => {
    const d: LimitDescriptor = { name: "api_key", value: `tpm-race-${run}`, tpm: 3000 };
    const admitted = await drawUntilRefused(() => hold([], 0, [d], 7));
    expect(admitted * 7).toBeLessThanOrEqual(3000 + 2 * 7);
    // Shares are whole calls' worth except the last few tokens of each.
    expect(admitted * 7).toBeGreaterThanOrEqual(3000 - 2 * 7);
  });

  test("a share belongs to its window: the next window's first call is decided by Redis", async () => {
    runs.clear();
    const x = new RedisAdmission(counting(), quiet, () => t);
    const d: LimitDescriptor = { name: "api_key", value: `window-${run}`, tpm: 1_000_000 };
    for (let i = 0; i < 5; i++) {
      await x.admit(hold([], 0, [d], 10));
      await Bun.sleep(2);
    }
    expect(runs.get(ADMIT.sha)).toBe(1);
    t = (windowStart(t) + 60) * 1000 + 1;
    await x.admit(hold([], 0, [d], 10));
    expect(runs.get(ADMIT.sha)).toBe(2);
  });

  test("near the limit no share is given: every call is decided by Redis", async () => {
    runs.clear();
    const x = new RedisAdmission(counting(), quiet, () => t);
    const d: LimitDescriptor = { name: "api_key", value: `edge-${run}`, rpm: 10 };
    for (let i = 0; i < 10; i++) await x.admit(hold([], 0, [d]));
    expect(runs.get(ADMIT.sha)).toBe(10);
    expect(await refused(x.admit(hold([], 0, [d])))).toBe(true);
  });

  test("max_parallel_requests is never granted: each call takes a slot in Redis", async () => {
    runs.clear();
    const x = new RedisAdmission(counting(), quiet, () => t);
    const d: LimitDescriptor = { name: "api_key", value: `par-share-${run}`, rpm: 100_000, maxParallel: 100 };
    for (let i = 0; i < 5; i++) await x.admit(hold([], 0, [d]));
    expect(runs.get(ADMIT.sha)).toBe(5);
  });
});
