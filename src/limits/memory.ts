import { GatewayError } from "../errors.ts";
import { evaluate, LEASE_MS, overBudget, refuseBudget, windowStart, type Admission, type Counts, type Hold, type LimitDescriptor, type LimitStatus } from "./types.ts";

interface Window {
  start: number;
  requests: number;
  tokens: number;
}

/** Calls holding a share of something (budget dollars or a parallel slot), each until its lease ends. */
class Leases {
  sum = 0;
  private readonly held = new Map<string, { amount: number; until: number }>();
  private nextExpiry = Infinity;

  get size(): number {
    return this.held.size;
  }

  add(id: string, amount: number, until: number): void {
    this.held.set(id, { amount, until });
    this.sum += amount;
    if (until < this.nextExpiry) this.nextExpiry = until;
  }

  remove(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    this.sum = this.held.size ? this.sum - h.amount : 0;
  }

  renew(id: string, until: number): void {
    const h = this.held.get(id);
    if (h) h.until = until;
  }

  /** Drops leases that ran out (their call's instance state was lost). */
  purge(now: number): void {
    if (now < this.nextExpiry) return;
    this.nextExpiry = Infinity;
    for (const [id, h] of this.held) {
      if (h.until <= now) this.remove(id);
      else if (h.until < this.nextExpiry) this.nextExpiry = h.until;
    }
  }
}

const limitId = (d: LimitDescriptor) => `${d.name}:${d.value}`;

/**
 * Admission in this process (no Redis configured, or Redis failing): fixed 60 s rpm/tpm windows
 * whose token counts include the reservations of calls in flight, parallel slots, and the budget
 * dollars held by calls in flight. The spend itself is the caller's (`BudgetLine.spend`).
 */
export class MemoryAdmission implements Admission {
  private readonly windows = new Map<string, Window>();
  private readonly parallel = new Map<string, Leases>();
  private readonly budgets = new Map<string, Leases>();
  private sweepAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private window(key: string, start: number): Window {
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, requests: 0, tokens: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  private leases(map: Map<string, Leases>, id: string, now: number): Leases {
    let l = map.get(id);
    if (!l) map.set(id, (l = new Leases()));
    l.purge(now);
    return l;
  }

  async admit(hold: Hold): Promise<LimitStatus> {
    const now = this.now();
    const start = windowStart(now);
    this.sweep(start);
    const { budgets, limits } = hold.plan;
    const inflight = budgets.map((b) => this.leases(this.budgets, b.id, now));
    for (let i = 0; i < budgets.length; i++) {
      const b = budgets[i]!;
      const committed = b.spend.value + inflight[i]!.sum;
      if (overBudget(b, committed)) throw refuseBudget(b, b.spend.value, inflight[i]!.sum, hold.est.cost);
    }
    const windows = limits.map((d) => this.window(limitId(d), start));
    const slots = limits.map((d) => (d.maxParallel === undefined ? undefined : this.leases(this.parallel, limitId(d), now)));
    const counts: Counts[] = windows.map((w, i) => ({ requests: w.requests, tokens: w.tokens, parallel: slots[i]?.size ?? 0 }));
    const verdict = evaluate(limits, counts, now);
    if (verdict instanceof GatewayError) throw verdict;

    const until = now + LEASE_MS;
    for (const l of inflight) l.add(hold.id, hold.est.cost, until);
    windows.forEach((w, i) => {
      w.requests++;
      if (limits[i]!.tpm !== undefined) w.tokens += hold.est.tokens;
      slots[i]?.add(hold.id, 1, until);
    });
    hold.window = start;
    return verdict;
  }

  settle(hold: Hold, _cost: number, tokens: number): void {
    for (const b of hold.plan.budgets) this.budgets.get(b.id)?.remove(hold.id);
    const start = windowStart(this.now());
    for (const d of hold.plan.limits) {
      const id = limitId(d);
      this.parallel.get(id)?.remove(hold.id);
      if (d.tpm === undefined) continue;
      const w = this.windows.get(id);
      if (hold.window === start && w?.start === start) w.tokens = Math.max(0, w.tokens + tokens - hold.est.tokens);
      else if (tokens > 0) this.window(id, start).tokens += tokens;
    }
  }

  renew(holds: Hold[]): void {
    const until = this.now() + LEASE_MS;
    for (const h of holds) {
      for (const b of h.plan.budgets) this.budgets.get(b.id)?.renew(h.id, until);
      for (const d of h.plan.limits) this.parallel.get(limitId(d))?.renew(h.id, until);
    }
  }

  forget(): void {}

  private sweep(start: number): void {
    if (start === this.sweepAt) return;
    this.sweepAt = start;
    for (const [k, w] of this.windows) if (w.start < start) this.windows.delete(k);
    for (const map of [this.budgets, this.parallel]) for (const [k, l] of map) if (l.size === 0) map.delete(k);
  }
}
