import { WINDOW_S, type BudgetLine, type LimitDescriptor, type LimitStatus } from "./types.ts";

/** Shared, never stored nor changed. */
const NONE: BudgetLine[] = [];

/** Runs low or nears its end, and is not being refilled already. */
const isDue = (g: Grant, now: number) => !g.refilling && g.size !== 0 && (g.free < g.size / 2 || g.until - now < GRANT_LEASE_MS / 2);

/** How long Redis keeps a grant unless it is refilled… */
export const GRANT_LEASE_MS = 10_000;
/** …and how long before that this instance stops using it (requests in the pipe, clock of the reply). */
const GRANT_MARGIN_MS = 2_000;

interface Grant {
  /** Budget dollars this instance may still reserve without asking Redis. */
  free: number;
  /** Size of the last grant, to know when it runs low. */
  size: number;
  until: number;
  /** The budget it was granted from: a changed budget is asked of Redis again. */
  max: number;
  /** Dollars taken from this budget's grants so far (monotonic), to reconcile replies. */
  used: number;
  refilling: boolean;
}

/**
 * The budget headroom Redis granted this instance (`redis-scripts.ts`): calls that fit in it are
 * admitted without waiting for Redis, and their reservations are recorded there right after.
 * Grants are small shares of what is free and are only given far from a budget's edge, so near the
 * edge every call is decided by Redis.
 */
export class Grants {
  private readonly lines = new Map<string, Grant>();
  /** The grants `fits` found, in the order of its budgets, for the `deduct` that follows it. */
  private readonly found: Grant[] = [];

  private of(id: string): Grant {
    let g = this.lines.get(id);
    if (!g) this.lines.set(id, (g = { free: 0, size: 0, until: 0, max: 0, used: 0, refilling: false }));
    return g;
  }

  /** Whether the grant of every budget holds `cost` (true for no budget). */
  fits(budgets: BudgetLine[], cost: number, now: number): boolean {
    if (budgets.length === 0) return true;
    if (!(cost > 0)) return false;
    const found = this.found;
    found.length = 0;
    for (const b of budgets) {
      const g = this.lines.get(b.id);
      if (!g || g.until <= now || g.free < cost || g.max !== b.max) return false;
      found.push(g);
    }
    return true;
  }

  /** Takes `cost` from the grant of every budget when each holds enough; false (and nothing taken) otherwise. */
  take(budgets: BudgetLine[], cost: number, now: number): boolean {
    if (!this.fits(budgets, cost, now)) return false;
    this.deduct(budgets, cost, now);
    return true;
  }

  /**
   * Takes `cost` from grants that `fits` just found holding it; the budgets whose grant that leaves
   * due for renewal (see `due`) are marked and added to `due`.
   */
  deduct(budgets: BudgetLine[], cost: number, now: number, due?: Map<string, BudgetLine>): void {
    for (let i = 0; i < budgets.length; i++) {
      const b = budgets[i]!;
      const g = this.found[i]!;
      g.free -= cost;
      g.used += cost;
      if (due && isDue(g, now)) {
        g.refilling = true;
        due.set(b.id, b);
      }
    }
  }

  /** Budgets whose grant runs low or nears its end, not being refilled already; marked as being refilled. */
  due(budgets: BudgetLine[], now: number): BudgetLine[] {
    let out: BudgetLine[] | undefined;
    for (const b of budgets) {
      const g = this.lines.get(b.id);
      if (!g || !isDue(g, now)) continue;
      g.refilling = true;
      (out ??= []).push(b);
    }
    return out ?? NONE;
  }

  /** Whether the grant of one of these budgets is nearly used up or near its end (its renewal should not wait). */
  short(budgets: BudgetLine[], now: number): boolean {
    for (const b of budgets) {
      const g = this.lines.get(b.id);
      if (g && g.size > 0 && (g.free < g.size / 4 || g.until - now < GRANT_LEASE_MS / 4)) return true;
    }
    return false;
  }

  /** A mark to reconcile the reply of a grant request sent now. */
  mark(id: string): number {
    return this.of(id).used;
  }

  /** Redis answered a grant request for `b` sent at `sentAt` (mark taken then) with `amount`. */
  set(b: BudgetLine, amount: number, sentAt: number, mark: number): void {
    const g = this.of(b.id);
    g.max = b.max;
    g.refilling = false;
    g.size = amount;
    g.free = amount > 0 ? Math.max(0, amount - (g.used - mark)) : 0;
    g.until = amount > 0 ? sentAt + GRANT_LEASE_MS - GRANT_MARGIN_MS : 0;
  }

  failed(id: string): void {
    this.of(id).refilling = false;
  }
}

/** One rate-limit window's requests or tokens granted to this instance. */
interface Share {
  /** Still to use here (already counted in the window's counter in Redis). */
  free: number;
  /** Size of the last top-up (0: Redis gave none, near the limit). */
  size: number;
  /** Used in the window by everyone as far as this instance knows: the counter at the last reply less what it holds unused. */
  used: number;
  /** A top-up was asked and not answered yet. */
  asking: boolean;
}

interface LimitGrant {
  /** The window (start, s) the shares were counted in. */
  window: number;
  rpm?: number;
  tpm?: number;
  requests: Share;
  tokens: Share;
}

const share = (): Share => ({ free: 0, size: 0, used: 0, asking: false });

/** What a top-up request asks per limit, and what Redis answered. */
export interface LimitAsk {
  d: LimitDescriptor;
  requests: boolean;
  tokens: boolean;
}

/** Shared, never stored nor changed. */
const NO_ASKS: LimitAsk[] = [];

export interface LimitReply {
  requests: number;
  tokens: number;
  requestCount: number;
  tokenCount: number;
}

/**
 * Requests and TPM tokens of a rate-limit window that Redis counted for this instance in advance
 * (`redis-scripts.ts`): a call that fits in them is admitted without waiting for Redis. Unlike
 * budget grants they are not handed back: they belong to their window's counter and end with it.
 * They are small shares of what is free (at most `GRANT_CALLS` calls' worth) and only given far
 * from the limit, so near it every call is decided by Redis.
 */
export class LimitGrants {
  /** Per descriptor name, per value: looked up by the descriptor's own strings (no key built per call). */
  private readonly lines = new Map<LimitDescriptor["name"], Map<string, LimitGrant>>();
  /** The grants `take` found in its first pass, for its second. */
  private readonly found: LimitGrant[] = [];

  private get(d: LimitDescriptor): LimitGrant | undefined {
    return this.lines.get(d.name)?.get(d.value);
  }

  private of(d: LimitDescriptor, window: number): LimitGrant {
    let byValue = this.lines.get(d.name);
    if (!byValue) this.lines.set(d.name, (byValue = new Map()));
    let g = byValue.get(d.value);
    if (!g || g.window !== window || g.rpm !== d.rpm || g.tpm !== d.tpm) {
      if (g && g.window > window) return g;
      byValue.set(d.value, (g = { window, rpm: d.rpm, tpm: d.tpm, requests: share(), tokens: share() }));
    }
    return g;
  }

  /**
   * Takes a request and `tokens` from every limit's shares when each holds enough; the status for
   * headers, or undefined (nothing taken). With `asks`, the shares that leaves low are marked and
   * added there (see `wants`).
   */
  take(limits: LimitDescriptor[], tokens: number, window: number, asks?: LimitAsk[]): LimitStatus | undefined {
    const found = this.found;
    found.length = 0;
    for (const d of limits) {
      if (d.maxParallel !== undefined) return undefined;
      const g = this.get(d);
      if (!g || g.window !== window || g.rpm !== d.rpm || g.tpm !== d.tpm) return undefined;
      if (d.rpm !== undefined && g.requests.free < 1) return undefined;
      if (d.tpm !== undefined && !(g.tokens.free >= tokens && g.tokens.free > 0)) return undefined;
      found.push(g);
    }
    let limitRequests: number | undefined;
    let remainingRequests = Infinity;
    let limitTokens: number | undefined;
    let remainingTokens = Infinity;
    for (let i = 0; i < limits.length; i++) {
      const d = limits[i]!;
      const g = found[i]!;
      if (d.rpm !== undefined) {
        const remaining = d.rpm - g.requests.used - 1;
        if (limitRequests === undefined || remaining < remainingRequests) {
          remainingRequests = remaining;
          limitRequests = d.rpm;
        }
        g.requests.free -= 1;
        g.requests.used += 1;
      }
      if (d.tpm !== undefined) {
        const remaining = d.tpm - g.tokens.used;
        if (limitTokens === undefined || remaining < remainingTokens) {
          remainingTokens = remaining;
          limitTokens = d.tpm;
        }
        g.tokens.free -= tokens;
        g.tokens.used += tokens;
      }
      const ask = asks && askOf(d, g);
      if (ask) asks.push(ask);
    }
    const status: LimitStatus = {};
    if (limitRequests !== undefined) {
      status.limitRequests = limitRequests;
      status.remainingRequests = Math.max(0, remainingRequests);
    }
    if (limitTokens !== undefined) {
      status.limitTokens = limitTokens;
      status.remainingTokens = Math.max(0, remainingTokens);
    }
    return status;
  }

  /**
   * The shares to top up (none held yet, or less than half the last top-up left), marked as asked:
   * one request at a time per share, so a burst of calls decided by Redis does not pile up grants.
   */
  wants(limits: LimitDescriptor[], window: number): LimitAsk[] {
    let out: LimitAsk[] | undefined;
    for (const d of limits) {
      if (d.maxParallel !== undefined) return NO_ASKS;
      const g = this.of(d, window);
      if (g.window !== window) continue;
      const ask = askOf(d, g);
      if (ask) (out ??= []).push(ask);
    }
    return out ?? NO_ASKS;
  }

  /** Whether one of these limits' shares of `window` is nearly used up (its top-up should not wait). */
  short(limits: LimitDescriptor[], window: number): boolean {
    for (const d of limits) {
      const g = this.get(d);
      if (!g || g.window !== window) continue;
      if ((d.rpm !== undefined && nearlyOut(g.requests)) || (d.tpm !== undefined && nearlyOut(g.tokens))) return true;
    }
    return false;
  }

  /** Redis answered a top-up of `window` (amounts added, the window's counters after them). */
  set(ask: LimitAsk, window: number, r: LimitReply): void {
    const g = this.get(ask.d);
    if (!g || g.window !== window) return;
    if (ask.requests) topUp(g.requests, r.requests, r.requestCount);
    if (ask.tokens) topUp(g.tokens, r.tokens, r.tokenCount);
  }

  /**
   * A call of `window` used `delta` tokens more (or, negative, fewer) than it reserved: taken from
   * (or given back to) this instance's share instead of sent to Redis, whose counter already holds
   * the share. False when it does not fit, or near the limit (no share), where the counter must know.
   */
  absorb(d: LimitDescriptor, window: number, delta: number): boolean {
    const g = this.get(d);
    if (!g || g.window !== window || g.tpm !== d.tpm || g.tokens.size === 0) return false;
    if (delta > g.tokens.free) return false;
    g.tokens.free -= delta;
    g.tokens.used += delta;
    return true;
  }

  failed(ask: LimitAsk, window: number): void {
    const g = this.get(ask.d);
    if (!g || g.window !== window) return;
    if (ask.requests) g.requests.asking = false;
    if (ask.tokens) g.tokens.asking = false;
  }

  /** Drops the shares of windows that ended. */
  sweep(nowMs: number): void {
    const current = Math.floor(nowMs / 1000 / WINDOW_S) * WINDOW_S;
    for (const byValue of this.lines.values()) for (const [value, g] of byValue) if (g.window < current) byValue.delete(value);
  }
}

/** Worth asking for more: nothing asked yet, and either never granted or less than half the last grant left (a share Redis refused stays refused in its window). */
const low = (s: Share) => !s.asking && (s.size === 0 ? s.used === 0 && s.free === 0 : s.free < s.size / 2);

/** What to top up of `g`'s shares, marked as asked; undefined when none is low. */
function askOf(d: LimitDescriptor, g: LimitGrant): LimitAsk | undefined {
  const requests = d.rpm !== undefined && low(g.requests);
  const tokens = d.tpm !== undefined && low(g.tokens);
  if (!requests && !tokens) return undefined;
  if (requests) g.requests.asking = true;
  if (tokens) g.tokens.asking = true;
  return { d, requests, tokens };
}

const nearlyOut = (s: Share) => s.size > 0 && s.free < s.size / 4;

function topUp(s: Share, amount: number, counter: number): void {
  s.asking = false;
  s.free += amount;
  s.size = amount;
  s.used = counter - s.free;
}
