import { describe, expect, test } from "bun:test";
import { GRANT_LEASE_MS, Grants, LimitGrants } from "../../src/limits/grants.ts";
import type { BudgetLine, LimitDescriptor } from "../../src/limits/types.ts";

const line = (id: string, max = 100): BudgetLine => ({ id, entity: id, max, spend: { value: 0 }, atMax: true, shared: true });

describe("budget grants of an instance", () => {
  test("a call is taken from every budget's grant only when each holds enough", () => {
    const g = new Grants();
    const key = line("key:k");
    const team = line("team:t");
    expect(g.take([key], 1, 0)).toBe(false);
    g.set(key, 3, 0, g.mark(key.id));
    g.set(team, 1.5, 0, g.mark(team.id));
    expect(g.take([key, team], 1, 10)).toBe(true);
    expect(g.take([key, team], 1, 10)).toBe(false);
    expect(g.take([key], 1, 10)).toBe(true);
  });

  test("a reply counts what was taken after its request was sent", () => {
    const g = new Grants();
    const key = line("key:k");
    g.set(key, 10, 0, g.mark(key.id));
    g.take([key], 4, 1);
    const mark = g.mark(key.id);
    g.take([key], 2, 2);
    g.set(key, 10, 2, mark);
    expect(g.take([key], 8, 3)).toBe(true);
    expect(g.take([key], 0.5, 3)).toBe(false);
  });

  test("a grant is not used near the end of its lease, nor once the budget changed, nor when Redis gave none", () => {
    const g = new Grants();
    g.set(line("key:a"), 10, 0, 0);
    expect(g.take([line("key:a")], 1, GRANT_LEASE_MS - 1000)).toBe(false);
    g.set(line("key:b"), 10, 0, 0);
    expect(g.take([line("key:b", 50)], 1, 1)).toBe(false);
    g.set(line("key:c"), 0, 0, 0);
    expect(g.take([line("key:c")], 1, 1)).toBe(false);
  });

  test("a grant running low or nearing its end is refilled once at a time", () => {
    const g = new Grants();
    const key = line("key:k");
    g.set(key, 10, 0, 0);
    expect(g.due([key], 1)).toEqual([]);
    g.take([key], 6, 1);
    expect(g.due([key], 1)).toEqual([key]);
    expect(g.due([key], 1)).toEqual([]);
    g.set(key, 10, 1, g.mark(key.id));
    expect(g.due([key], GRANT_LEASE_MS / 2 + 2)).toEqual([key]);
  });

  test("a grant is short (its renewal must not wait for the next batch) below a quarter of its size or near the end of its lease", () => {
    const g = new Grants();
    const [key, team] = [line("key:k"), line("team:t")];
    expect(g.short([key], 0)).toBe(false);
    g.set(key, 8, 0, 0);
    g.set(team, 8, 0, 0);
    g.take([key, team], 5, 1);
    expect(g.short([key, team], 1)).toBe(false);
    g.take([key], 2, 1);
    expect(g.short([team], 1)).toBe(false);
    expect(g.short([key, team], 1)).toBe(true);
    expect(g.short([team], GRANT_LEASE_MS - 2_000 - GRANT_LEASE_MS / 4 + 1)).toBe(true);
    g.set(team, 0, 1, g.mark(team.id));
    expect(g.short([team], 2)).toBe(false);
  });
});

describe("rpm and tpm shares of an instance", () => {
  const key: LimitDescriptor = { name: "api_key", value: "k", rpm: 100, tpm: 10_000 };
  const team: LimitDescriptor = { name: "team", value: "t", tpm: 500 };
  const W = 600;
  const reply = (requests: number, tokens: number, requestCount: number, tokenCount: number) => ({ requests, tokens, requestCount, tokenCount });

  test("a call takes a request and its tokens from every limit's share, or nothing at all", () => {
    const g = new LimitGrants();
    expect(g.take([key], 10, W)).toBeUndefined();
    const asks = g.wants([key, team], W);
    expect(asks.map((a) => [a.d.value, a.requests, a.tokens])).toEqual([["k", true, true], ["t", false, true]]);
    g.set(asks[0]!, W, reply(2, 100, 10, 1000));
    g.set(asks[1]!, W, reply(0, 15, 0, 400));
    expect(g.take([key, team], 10, W)).toEqual({ limitRequests: 100, remainingRequests: 91, limitTokens: 500, remainingTokens: 115 });
    // The team's share has 5 tokens left: the next call of 10 takes nothing from the key's share either.
    expect(g.take([key, team], 10, W)).toBeUndefined();
    expect(g.take([key], 10, W)).toMatchObject({ remainingRequests: 90 });
    expect(g.take([key], 10, W)).toBeUndefined();
  });

  test("one top-up at a time, asked again when half the last one is used; a refused share stays refused in its window", () => {
    const g = new LimitGrants();
    const [ask] = g.wants([key], W);
    expect(g.wants([key], W)).toEqual([]);
    g.set(ask!, W, reply(10, 1000, 10, 1000));
    expect(g.wants([key], W)).toEqual([]);
    for (let i = 0; i < 6; i++) g.take([key], 10, W);
    const [again] = g.wants([key], W);
    expect(again).toMatchObject({ requests: true, tokens: false });
    g.set(again!, W, reply(0, 0, 90, 1000));
    expect(g.wants([key], W)).toEqual([]);
    expect(g.take([key], 10, W)).toBeDefined();
  });

  test("a share is short (its top-up must not wait for the next batch) below a quarter of its last top-up, in its own window only", () => {
    const g = new LimitGrants();
    const [ask] = g.wants([key, team], W);
    expect(g.short([key, team], W)).toBe(false);
    g.set(ask!, W, reply(8, 1000, 8, 1000));
    for (let i = 0; i < 6; i++) g.take([key], 10, W);
    expect(g.short([key], W)).toBe(false);
    g.take([key], 10, W);
    expect(g.short([key], W)).toBe(true);
    expect(g.short([team], W)).toBe(false);
    expect(g.short([key], W + 60)).toBe(false);
  });

  test("a share is for its window and its limits: a new window or a changed limit starts empty", () => {
    const g = new LimitGrants();
    const [ask] = g.wants([key], W);
    g.set(ask!, W, reply(10, 1000, 10, 1000));
    expect(g.take([key], 10, W + 60)).toBeUndefined();
    expect(g.take([{ ...key, rpm: 200 }], 10, W)).toBeUndefined();
    expect(g.take([key], 10, W)).toBeDefined();
    // A reply for a window that ended is dropped.
    const [late] = g.wants([key], W + 60);
    g.set(late!, W, reply(10, 1000, 10, 1000));
    expect(g.take([key], 10, W + 60)).toBeUndefined();
  });

  test("a call's tokens beyond (or below) its reservation come out of (or go back to) the share while it holds them, never near the limit", () => {
    const g = new LimitGrants();
    const [ask] = g.wants([key], W);
    g.set(ask!, W, reply(10, 100, 10, 1000));
    expect(g.absorb(key, W, 60)).toBe(true);
    expect(g.absorb(key, W, 60)).toBe(false);
    expect(g.absorb(key, W, -20)).toBe(true);
    expect(g.take([key], 60, W)).toBeDefined();
    expect(g.absorb(key, W + 60, 1)).toBe(false);
    const [edge] = g.wants([team], W);
    g.set(edge!, W, reply(0, 0, 0, 480));
    expect(g.absorb(team, W, -5)).toBe(false);
  });

  test("limits with max_parallel_requests are never granted", () => {
    const g = new LimitGrants();
    expect(g.wants([key, { name: "team", value: "p", maxParallel: 2 }], W)).toEqual([]);
  });
});
