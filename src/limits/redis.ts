import type { RedisClient } from "bun";
import { GatewayError } from "../errors.ts";
import { REDIS_PREFIX } from "../redis.ts";
import { GRANT_LEASE_MS, Grants, LimitGrants, type LimitAsk } from "./grants.ts";
import { MemoryAdmission } from "./memory.ts";
import { ADMIT, APPLY, FORGET, REFILL, RENEW, TOPUP, type Script } from "./redis-scripts.ts";
import { evaluate, LEASE_MS, refuseBudget, windowStart, WINDOW_S, type Admission, type BudgetLine, type Counts, type Hold, type LimitDescriptor, type LimitStatus } from "./types.ts";

/** A budget's hash and lease zset stay this long after its last call (then its spend is seeded again). */
const IDLE_MS = 600_000;
/** The shared spend is seeded again from a freshly read database spend this often, to pick up resets made elsewhere. */
const RESEED_MS = 600_000;
/** A local spend read from the database this recently may replace an old shared one. */
const FRESH_MS = 5_000;
/** Settlements and renewals are sent together at most this long after the first of a batch… */
const BATCH_MS = 5;
/**
 * …and calls admitted on grants (running, or ended within the batch) at most this long: until then
 * Redis counts them in the grant, so what other instances judge on is the same.
 */
const GRANT_BATCH_MS = 25;

const limitBase = (d: LimitDescriptor) => `{${REDIS_PREFIX}${d.name}:${d.value}}`;
const budgetHash = (id: string) => `${REDIS_PREFIX}budget:${id}`;
const budgetLeases = (id: string) => `${REDIS_PREFIX}budget:${id}:leases`;
const parallelLeases = (d: LimitDescriptor) => `${limitBase(d)}:parallel`;
const requestsKey = (d: LimitDescriptor, start: number) => `${limitBase(d)}:${start}:requests`;
const tokensKey = (d: LimitDescriptor, start: number) => `${limitBase(d)}:${start}:tokens`;
const grantsKey = (d: LimitDescriptor, start: number) => `${limitBase(d)}:${start}:grants`;

/** Calls with a max_parallel_requests limit take every slot in Redis (no grants for them). */
function anyParallel(limits: LimitDescriptor[]): boolean {
  for (const d of limits) if (d.maxParallel !== undefined) return true;
  return false;
}
const isFresh = (b: BudgetLine, now: number) => b.spend.readAt !== undefined && now - b.spend.readAt < FRESH_MS;

/**
 * Admission shared by every instance on one Redis: one Lua script checks and reserves budgets and
 * rate limits atomically; settling is one more script, off the request path. A call far from the
 * edge of its budgets and rpm/tpm limits (no max_parallel_requests) fits in small shares of them
 * that Redis granted this instance beforehand: it is admitted at once and its budget reservations
 * recorded right after, so it does not wait for Redis. When Redis fails, calls are admitted in
 * this process (and settled where they were admitted).
 */
export class RedisAdmission implements Admission {
  private readonly fallback: MemoryAdmission;
  private readonly grants = new Grants();
  private readonly limitGrants = new LimitGrants();
  private readonly gid = crypto.randomUUID().slice(0, 12);
  /** What waits for the next batch: per budget, per parallel limit's zset, per TPM window counter. */
  private outbox = new Outbox();
  /** The previous batch's outbox, emptied, for the next one. */
  private spare?: Outbox;
  private batch?: { sent: Promise<void>; resolve: () => void; timer: ReturnType<typeof setTimeout>; soon: boolean };
  /** The top-ups a call admitted on shares asks for (reused, copied when queued). */
  private readonly asks: LimitAsk[] = [];

  constructor(
    private readonly redis: RedisClient,
    /** Where Redis failures are reported (one warning per outage, see `RedisHealth`). */
    private readonly health: { failed(op: string, e?: unknown): void },
    private readonly now: () => number = Date.now,
  ) {
    this.fallback = new MemoryAdmission(now);
  }

  private async run(s: Script, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.redis.send("EVALSHA", [s.sha, String(keys.length), ...keys, ...args]);
    } catch (e) {
      if (!String((e as Error).message).includes("NOSCRIPT")) throw e;
      return this.redis.send("EVAL", [s.text, String(keys.length), ...keys, ...args]);
    }
  }

  private failed(e: unknown): void {
    this.health.failed("budgets and rate limits (counted in this instance)", e);
  }

  /** On grants and shares the answer comes at once (no promise); otherwise once Redis answered. */
  admit(hold: Hold): LimitStatus | Promise<LimitStatus> {
    const now = this.now();
    const start = windowStart(now);
    const grantable = !anyParallel(hold.plan.limits);
    return (grantable && this.fromShares(hold, now, start)) || this.admitInRedis(hold, now, start, grantable);
  }

  private async admitInRedis(hold: Hold, now: number, start: number, grantable: boolean): Promise<LimitStatus> {
    const { budgets, limits } = hold.plan;
    const { cost, tokens } = hold.est;
    const grantBudgets = grantable && budgets.length > 0;
    const asks = grantable ? this.limitGrants.wants(limits, start) : [];
    const keys: string[] = [];
    const args = [hold.id, String(now), String(LEASE_MS), String(IDLE_MS), String(RESEED_MS), String(WINDOW_S * 2), String(cost), String(tokens), String(budgets.length)];
    args.push(this.gid, grantBudgets ? String(GRANT_LEASE_MS) : "0");
    // Conversions still queued must reach Redis before a grant is set anew (they count against it).
    if (grantBudgets) this.flush();
    const marks = grantBudgets ? budgets.map((b) => this.grants.mark(b.id)) : [];
    for (const b of budgets) {
      keys.push(budgetHash(b.id), budgetLeases(b.id));
      args.push(String(b.max), String(b.spend.value), b.atMax ? "1" : "0", b.shared ? "1" : "0", isFresh(b, now) ? "1" : "0");
    }
    for (const d of limits) {
      const ask = asks.find((x) => x.d === d);
      keys.push(requestsKey(d, start), tokensKey(d, start), parallelLeases(d), grantsKey(d, start));
      args.push(String(d.rpm ?? -1), String(d.tpm ?? -1), String(d.maxParallel ?? -1), ask?.requests ? "1" : "0", ask?.tokens ? "1" : "0");
    }
    let raw: Array<number | string>;
    try {
      raw = (await this.run(ADMIT, keys, args)) as Array<number | string>;
    } catch (e) {
      this.failed(e);
      for (const x of asks) this.limitGrants.failed(x, start);
      hold.redis = false;
      return this.fallback.admit(hold);
    }
    hold.redis = true;
    hold.window = start;
    const nb = budgets.length;
    if (raw[0] !== 0) {
      for (const x of asks) this.limitGrants.failed(x, start);
      // Refused by what is counted in Redis, this instance's own unused shares included: a share
      // that arrived meanwhile takes the call.
      const late = grantable ? this.fromShares(hold, now, start) : undefined;
      if (late) return late;
    }
    if (raw[0] === 1) {
      const i = Number(raw[1]) - 1;
      throw refuseBudget(budgets[i]!, Number(raw[2 + 2 * i]), Number(raw[3 + 2 * i]), cost);
    }
    const at = 2 + 2 * nb;
    const counts: Counts[] = limits.map((_, j) => ({ requests: Number(raw[at + 3 * j]), tokens: Number(raw[at + 3 * j + 1]), parallel: Number(raw[at + 3 * j + 2]) }));
    const verdict = evaluate(limits, counts, now);
    if (verdict instanceof GatewayError) throw verdict;
    const grantsAt = at + 3 * limits.length;
    if (grantBudgets) budgets.forEach((b, i) => this.grants.set(b, Number(raw[grantsAt + i]), now, marks[i]!));
    const topUpsAt = grantsAt + nb;
    limits.forEach((d, j) => {
      const ask = asks.find((x) => x.d === d);
      if (ask) this.limitGrants.set(ask, start, replyAt(raw, topUpsAt + 4 * j));
    });
    return verdict;
  }

  /**
   * Admits the call on this instance's budget grants and rpm/tpm shares when they hold it (no Redis
   * round trip); grants and shares it leaves low are queued for renewal with the next batch (sent at
   * once when one is nearly used up, so that calls do not run out of it meanwhile).
   */
  private fromShares(hold: Hold, now: number, start: number): LimitStatus | undefined {
    const { budgets, limits } = hold.plan;
    const { cost, tokens } = hold.est;
    if (!this.grants.fits(budgets, cost, now)) return undefined;
    const asks = this.asks;
    asks.length = 0;
    const status = limits.length ? this.limitGrants.take(limits, tokens, start, asks) : {};
    if (!status) return undefined;
    const o = this.outbox;
    this.grants.deduct(budgets, cost, now, o.refills);
    hold.redis = true;
    hold.window = start;
    if (asks.length) {
      const q = o.topUps.get(start);
      if (!q) o.topUps.set(start, { asks: asks.slice(), tokens });
      else {
        q.asks.push(...asks);
        q.tokens = Math.max(q.tokens, tokens);
      }
    }
    for (const b of budgets) o.budget(b.id).convert(hold, cost);
    if (o.refills.size) o.est = cost;
    if (!budgets.length && !o.topUps.size) return status;
    this.schedule(o.refills.size > 0 || o.topUps.size > 0);
    if ((o.refills.size && this.grants.short(budgets, now)) || (o.topUps.size && this.limitGrants.short(limits, start))) this.flush();
    return status;
  }

  /**
   * The batch that will carry what is queued now: sent within `BATCH_MS` once something `soon` is in
   * it (within `GRANT_BATCH_MS` while it holds only calls on grants), or at once by `flush`.
   */
  private schedule(soon = true): Promise<void> {
    const b = this.batch;
    if (b) {
      if (soon && !b.soon) {
        clearTimeout(b.timer);
        b.timer = this.timer(BATCH_MS);
        b.soon = true;
      }
      return b.sent;
    }
    let resolve!: () => void;
    const sent = new Promise<void>((r) => (resolve = r));
    this.batch = { sent, resolve, timer: this.timer(soon ? BATCH_MS : GRANT_BATCH_MS), soon };
    return sent;
  }

  private timer(ms: number): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => this.flush(), ms);
    t.unref?.();
    return t;
  }

  flush(): void {
    const b = this.batch;
    if (!b) return;
    clearTimeout(b.timer);
    this.batch = undefined;
    const o = this.outbox;
    this.outbox = this.spare ?? new Outbox();
    this.spare = undefined;
    const keys: string[] = [];
    const args = [String(this.now()), String(LEASE_MS), String(IDLE_MS), this.gid];
    for (const [id, x] of o.budgets) x.write(budgetHash(id), budgetLeases(id), keys, args);
    for (const [key, ids] of o.parallel) {
      keys.push(key);
      args.push("p", String(ids.length), ...ids);
    }
    for (const [key, delta] of o.tokens) {
      if (delta === 0) continue;
      keys.push(key);
      args.push("t", String(delta), String(WINDOW_S * 2));
    }
    if (!keys.length) b.resolve();
    else {
      this.run(APPLY, keys, args).then(
        () => b.resolve(),
        (e) => {
          this.failed(e);
          b.resolve();
        },
      );
    }
    if (o.refills.size) this.renewGrants(o);
    if (o.topUps.size) this.sendTopUps(o);
    o.clear();
    this.spare = o;
  }

  /** Sends the renewal of the grants queued in `o`, right after the batch that carried their conversions. */
  private renewGrants(o: Outbox): void {
    const due = [...o.refills.values()];
    const now = this.now();
    const marks = due.map((b) => this.grants.mark(b.id));
    const keys: string[] = [];
    const args = [String(now), String(IDLE_MS), String(RESEED_MS), this.gid, String(GRANT_LEASE_MS), String(o.est)];
    for (const b of due) {
      keys.push(budgetHash(b.id), budgetLeases(b.id));
      args.push(String(b.max), String(b.spend.value), b.shared ? "1" : "0", isFresh(b, now) ? "1" : "0");
    }
    this.run(REFILL, keys, args)
      .then((raw) => due.forEach((b, i) => this.grants.set(b, Number((raw as string[])[i]), now, marks[i]!)))
      .catch((e) => {
        for (const b of due) this.grants.failed(b.id);
        this.failed(e);
      });
  }

  /** Sends the top-ups queued in `o`, one script per window. */
  private sendTopUps(o: Outbox): void {
    this.limitGrants.sweep(this.now());
    for (const [start, { asks, tokens }] of o.topUps) {
      const keys: string[] = [];
      const args = [this.gid, String(WINDOW_S * 2), String(tokens)];
      for (const x of asks) {
        keys.push(requestsKey(x.d, start), tokensKey(x.d, start), grantsKey(x.d, start));
        args.push(String(x.d.rpm ?? -1), String(x.d.tpm ?? -1), x.requests ? "1" : "0", x.tokens ? "1" : "0");
      }
      this.run(TOPUP, keys, args)
        .then((raw) => asks.forEach((x, j) => this.limitGrants.set(x, start, replyAt(raw as Array<number | string>, 4 * j))))
        .catch((e) => {
          for (const x of asks) this.limitGrants.failed(x, start);
          this.failed(e);
        });
    }
  }

  settle(hold: Hold, cost: number, tokens: number): Promise<void> | void {
    if (!hold.redis) return this.fallback.settle(hold, cost, tokens);
    const { budgets, limits } = hold.plan;
    const start = windowStart(this.now());
    const o = this.outbox;
    let queued = false;
    let soon = false;
    for (const b of budgets) {
      if (!o.budget(b.id).settle(hold, b.shared && cost > 0 ? cost : 0)) soon = true;
      queued = true;
    }
    for (const d of limits) {
      if (d.maxParallel === undefined) continue;
      const key = parallelLeases(d);
      const ids = o.parallel.get(key);
      if (ids) ids.push(hold.id);
      else o.parallel.set(key, [hold.id]);
      queued = soon = true;
    }
    const same = hold.window === start;
    const delta = same ? tokens - hold.est.tokens : tokens;
    if (delta !== 0) {
      for (const d of limits) {
        if (d.tpm === undefined || (same && this.limitGrants.absorb(d, start, delta))) continue;
        const k = tokensKey(d, start);
        o.tokens.set(k, (o.tokens.get(k) ?? 0) + delta);
        queued = soon = true;
      }
    }
    return queued ? this.schedule(soon) : undefined;
  }

  renew(holds: Hold[]): void {
    const mine = holds.filter((h) => h.redis);
    const local = holds.filter((h) => !h.redis);
    if (local.length) this.fallback.renew(local);
    if (!mine.length) return;
    const zsets: string[] = [];
    const ids: string[] = [];
    const hashes = new Set<string>();
    for (const h of mine) {
      for (const b of h.plan.budgets) {
        zsets.push(budgetLeases(b.id));
        ids.push(h.id);
        hashes.add(budgetHash(b.id));
      }
      for (const d of h.plan.limits) {
        if (d.maxParallel === undefined) continue;
        zsets.push(parallelLeases(d));
        ids.push(h.id);
      }
    }
    if (!zsets.length) return;
    this.run(RENEW, [...zsets, ...hashes], [String(this.now() + LEASE_MS), String(IDLE_MS), String(zsets.length), ...ids]).catch((e) => this.failed(e));
  }

  forget(id: string, spend?: number): void {
    this.run(FORGET, [budgetHash(id)], [spend === undefined ? "" : String(spend), String(this.now())]).catch((e) => this.failed(e));
  }
}

/** Top-ups in a script's reply from `i`: requests and tokens added, then the window's counters. */
const replyAt = (raw: Array<number | string>, i: number) => ({
  requests: Number(raw[i]),
  tokens: Number(raw[i + 1]),
  requestCount: Number(raw[i + 2]),
  tokenCount: Number(raw[i + 3]),
});

/** What the calls of one batch did to one budget (see APPLY). */
class BudgetBatch {
  private taken = 0;
  private gone = 0;
  private spend = 0;
  /** Calls admitted on the grant, still running: their cost. */
  private readonly running = new Map<Hold, number>();
  /** Calls that ended holding a reservation of their own. */
  private readonly ended: string[] = [];

  convert(hold: Hold, cost: number): void {
    this.taken += cost;
    this.running.set(hold, cost);
  }

  /** True for a call admitted on the grant within this batch (no reservation of its own to release). */
  settle(hold: Hold, spend: number): boolean {
    this.spend += spend;
    const cost = this.running.get(hold);
    if (cost === undefined) {
      this.ended.push(hold.id);
      return false;
    }
    this.running.delete(hold);
    this.gone += cost;
    return true;
  }

  write(hash: string, leases: string, keys: string[], args: string[]): void {
    keys.push(hash, leases);
    args.push("b", String(this.taken), String(this.gone), String(this.spend), String(this.running.size));
    for (const [hold, cost] of this.running) args.push(hold.id, String(cost));
    args.push(String(this.ended.length), ...this.ended);
  }
}

class Outbox {
  readonly budgets = new Map<string, BudgetBatch>();
  readonly parallel = new Map<string, string[]>();
  readonly tokens = new Map<string, number>();
  /** Budgets whose grant is to be renewed, and the cost of a call to size it. */
  readonly refills = new Map<string, BudgetLine>();
  est = 0;
  /** Per window, the shares to top up, and the tokens of a call to size them. */
  readonly topUps = new Map<number, { asks: LimitAsk[]; tokens: number }>();

  clear(): void {
    this.budgets.clear();
    this.parallel.clear();
    this.tokens.clear();
    this.refills.clear();
    this.topUps.clear();
    this.est = 0;
  }

  budget(id: string): BudgetBatch {
    let b = this.budgets.get(id);
    if (!b) this.budgets.set(id, (b = new BudgetBatch()));
    return b;
  }
}
