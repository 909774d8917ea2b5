import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../src/errors.ts";
import { MemoryAdmission } from "../../src/limits/memory.ts";
import { LEASE_MS, type BudgetLine, type Estimate, type Hold, type LimitDescriptor } from "../../src/limits/types.ts";
import { SpendBook } from "../../src/spend/book.ts";
import { durationMs, nextResetAt } from "../../src/spend/duration.ts";

describe("budget durations (LiteLLM's standardized reset times, UTC)", () => {
  const now = new Date("2026-03-18T14:25:30.000Z"); // a Wednesday
  test.each([
    ["1d", "2026-03-19T00:00:00.000Z"],
    ["7d", "2026-03-23T00:00:00.000Z"],
    ["1w", "2026-03-23T00:00:00.000Z"],
    ["30d", "2026-04-01T00:00:00.000Z"],
    ["1mo", "2026-04-01T00:00:00.000Z"],
    ["3d", "2026-03-21T00:00:00.000Z"],
    ["1h", "2026-03-18T15:00:00.000Z"],
    ["6h", "2026-03-18T18:00:00.000Z"],
    ["15m", "2026-03-18T14:30:00.000Z"],
    ["30s", "2026-03-18T14:26:00.000Z"],
  ])("%s → %s", (d, expected) => {
    expect(nextResetAt(d, now)!.toISOString()).toBe(expected);
  });
  test("bad durations", () => {
    expect(nextResetAt("soon", now)).toBeUndefined();
    expect(durationMs("2h")).toBe(7200_000);
    expect(durationMs("x")).toBeUndefined();
  });
});

let seq = 0;
const hold = (limits: LimitDescriptor[], budgets: BudgetLine[] = [], est: Estimate = { cost: 0, tokens: 0 }): Hold => ({
  id: `h${seq++}`,
  plan: { limits, budgets },
  est,
  window: 0,
  redis: false,
  renewedAt: 0,
  settled: false,
});

describe("memory admission: rate limits (fixed 60 s windows)", () => {
  let t = Date.UTC(2026, 0, 1, 0, 0, 5);
  const lim = new MemoryAdmission(() => t);
  const key: LimitDescriptor = { name: "api_key", value: "h1", rpm: 2, maxParallel: 2 };
  const team: LimitDescriptor = { name: "team", value: "t1", rpm: 3 };
  const first = hold([key, team]);
  const second = hold([key, team]);

  test("requests are counted on every descriptor; the tightest one decides", async () => {
    const s1 = await lim.admit(first);
    expect(s1).toEqual({ limitRequests: 2, remainingRequests: 1 });
    await lim.admit(second);
    const err = await lim.admit(hold([key, team])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(429);
    expect((err as GatewayError).message).toContain("Rate limit exceeded for api_key: h1. Limit type: requests. Current limit: 2, Remaining: 0");
    expect((err as GatewayError).headers["retry-after"]).toBe("60");
  });

  test("a refused request counts on no descriptor; a new window starts fresh", async () => {
    await lim.admit(hold([team]));
    expect((await lim.admit(hold([team])).catch((e: unknown) => e)) instanceof GatewayError).toBe(true);
    t += 60_000;
    lim.settle(first, 0, 0);
    lim.settle(second, 0, 0);
    expect((await lim.admit(hold([key, team]))).remainingRequests).toBe(1);
  });

  test("parallel slots are held until settled; a slot whose lease ran out is freed", async () => {
    const d: LimitDescriptor = { name: "user", value: "p", maxParallel: 1 };
    const h = hold([d]);
    await lim.admit(h);
    expect(((await lim.admit(hold([d])).catch((e: unknown) => e)) as GatewayError).message).toContain("max_parallel_requests");
    lim.settle(h, 0, 0);
    const h2 = hold([d]);
    await lim.admit(h2);
    t += LEASE_MS + 1;
    await lim.admit(hold([d]));
  });

  test("tpm counts the tokens reserved by calls in flight, then their real tokens", async () => {
    const d: LimitDescriptor = { name: "user", value: "u", tpm: 100 };
    const a = hold([d], [], { cost: 0, tokens: 60 });
    await lim.admit(a);
    const b = hold([d], [], { cost: 0, tokens: 60 });
    expect((await lim.admit(b)).remainingTokens).toBe(40);
    const err = (await lim.admit(hold([d], [], { cost: 0, tokens: 60 })).catch((e: unknown) => e)) as GatewayError;
    expect(err.message).toContain("Limit type: tokens");
    lim.settle(a, 0, 10);
    lim.settle(b, 0, 10);
    expect((await lim.admit(hold([d], [], { cost: 0, tokens: 60 }))).remainingTokens).toBe(80);
  });
});

describe("memory admission: budgets with calls in flight", () => {
  let t = Date.UTC(2026, 0, 1);
  const adm = new MemoryAdmission(() => t);
  const spend = { value: 0.995 };
  const line: BudgetLine = { id: "key:k", entity: "Key=k", max: 1, spend, atMax: true, shared: true };
  const est = { cost: 0.011, tokens: 0 };

  test("a call is admitted while the budget minus what is in flight is not used up, then the budget is held", async () => {
    const first = hold([], [line], est);
    await adm.admit(first);
    const err = (await adm.admit(hold([], [line], est)).catch((e: unknown) => e)) as GatewayError;
    expect(err.status).toBe(400);
    expect(err.type).toBe("budget_exceeded");
    expect(err.message).toBe("Budget has been exceeded! Key=k Current cost: 1.017, Max budget: 1");
    adm.settle(first, 0, 0);
    await adm.admit(hold([], [line], est));
  });

  test("calls that fit side by side are all admitted", async () => {
    const wide: BudgetLine = { ...line, id: "key:wide", spend: { value: 0 } };
    for (let i = 0; i < 8; i++) await adm.admit(hold([], [wide], { cost: 0.125, tokens: 0 }));
    expect((await adm.admit(hold([], [wide], { cost: 0.125, tokens: 0 })).catch((e: unknown) => e)) instanceof GatewayError).toBe(true);
  });

  test("a reservation whose lease ran out no longer counts; a renewed one does", async () => {
    const l2: BudgetLine = { ...line, id: "key:lease", spend: { value: 0 } };
    const a = hold([], [l2], { cost: 1, tokens: 0 });
    await adm.admit(a);
    t += LEASE_MS - 1000;
    adm.renew([a]);
    t += 2000;
    expect((await adm.admit(hold([], [l2], est)).catch((e: unknown) => e)) instanceof GatewayError).toBe(true);
    t += LEASE_MS;
    await adm.admit(hold([], [l2], est));
  });
});

describe("spend book", () => {
  test("pending spend survives a refresh from the database until it is written", () => {
    const b = new SpendBook();
    const cell = b.fromDb("key:k", 1);
    b.add("key:k", 0.5);
    expect(cell.value).toBe(1.5);
    b.fromDb("key:k", 1);
    expect(cell.value).toBe(1.5);
    b.written("key:k", 0.5);
    b.fromDb("key:k", 1.5);
    expect(cell.value).toBe(1.5);
    b.reset("key:k");
    expect(cell.value).toBe(0);
  });
});
