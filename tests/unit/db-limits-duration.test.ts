import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../src/errors.ts";
import { MemoryRateLimiter } from "../../src/limits/memory.ts";
import type { LimitDescriptor } from "../../src/limits/types.ts";
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

describe("memory rate limiter (fixed 60 s windows)", () => {
  let t = Date.UTC(2026, 0, 1, 0, 0, 5);
  const lim = new MemoryRateLimiter(() => t);
  const key: LimitDescriptor = { name: "api_key", value: "h1", rpm: 2, maxParallel: 2 };
  const team: LimitDescriptor = { name: "team", value: "t1", rpm: 3 };

  test("requests are counted on every descriptor; the tightest one decides", async () => {
    const s1 = await lim.acquire([key, team]);
    expect(s1).toEqual({ limitRequests: 2, remainingRequests: 1 });
    await lim.acquire([key, team]);
    const err = await lim.acquire([key, team]).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(429);
    expect((err as GatewayError).message).toContain("Rate limit exceeded for api_key: h1. Limit type: requests. Current limit: 2, Remaining: 0");
    expect((err as GatewayError).headers["retry-after"]).toBe("60");
  });

  test("a refused request counts on no descriptor; a new window starts fresh", async () => {
    await lim.acquire([team]);
    expect((await lim.acquire([team]).catch((e) => e)) instanceof GatewayError).toBe(true);
    t += 60_000;
    lim.release([key, key]);
    expect((await lim.acquire([key, team])).remainingRequests).toBe(1);
  });

  test("tokens and parallel slots", async () => {
    const d: LimitDescriptor = { name: "user", value: "u", tpm: 10, maxParallel: 1 };
    await lim.acquire([d]);
    expect(((await lim.acquire([d]).catch((e) => e)) as GatewayError).message).toContain("max_parallel_requests");
    lim.release([d]);
    lim.addTokens([d], 10);
    expect(((await lim.acquire([d]).catch((e) => e)) as GatewayError).message).toContain("Limit type: tokens");
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
