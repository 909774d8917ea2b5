import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { GatewayError } from "../../src/errors.ts";
import { RedisAdmission } from "../../src/limits/redis.ts";
import { LEASE_MS, type BudgetLine, type Hold, type LimitDescriptor } from "../../src/limits/types.ts";
import { Logger } from "../../src/log.ts";

/** The shared admission scripts against the real Redis (127.0.0.1:6379), with a clock the test moves. */
const quiet = new Logger(false, false, () => {});
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
const hold = (budgets: BudgetLine[], cost: number, limits: LimitDescriptor[] = []): Hold => ({
  id: `${run}:${seq++}`,
  plan: { budgets, limits },
  est: { cost, tokens: 0 },
  window: 0,
  redis: false,
  renewedAt: t,
  settled: false,
});
const refused = (p: Promise<unknown>) => p.then(() => false, (e: unknown) => e instanceof GatewayError);

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
});
