import { describe, expect, test } from "bun:test";
import { GRANT_LEASE_MS, Grants } from "../../src/limits/grants.ts";
import type { BudgetLine } from "../../src/limits/types.ts";

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
});
