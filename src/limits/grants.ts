import { WINDOW_S, type BudgetLine, type LimitDescriptor, type LimitStatus } from "./types.ts";

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

  private of(id: string): Grant {
    let g = this.lines.get(id);
    if (!g) this.lines.set(id, (g = { free: 0, size: 0, until: 0, max: 0, used: 0, refilling: false }));
    return g;
  }

  /** Whether the grant of every budget holds `cost` (true for no budget). */
  fits(budgets: BudgetLine[], cost: number, now: number): boolean {
    if (budgets.length === 0) return true;
    if (!(cost > 0)) return false;
    for (const b of budgets) {
      const g = this.lines.get(b.id);
      if (!g || g.until <= now || g.free < cost || g.max !== b.max) return false;
    }
    return true;
  }

  /** Takes `cost` from the grant of every budget when each holds enough; false (and nothing taken) otherwise. */
  take(budgets: BudgetLine[], cost: number, now: number): boolean {
    if (!this.fits(budgets, cost, now)) return false;
    for (const b of budgets) {
      const g = this.lines.get(b.id)!;
      g.free -= cost;
      g.used += cost;
    }
    return true;
  }

  /** Budgets whose grant runs low or nears its end, not being refilled already; marked as being refilled. */
  due(budgets: BudgetLine[], now: number): BudgetLine[] {
    return budgets.filter((b) => {
      const g = this.of(b.id);
      if (g.refilling || g.size === 0) return false;
      if (g.free >= g.size / 2 && g.until - now >= GRANT_LEASE_MS / 2) return false;
      g.refilling = true;
      return true;
    });
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
const limitKey = (d: LimitDescriptor) => `${d.name}:${d.value}`;

/** What a top-up request asks per limit, and what Redis answered. */
export interface LimitAsk {
  d: LimitDescriptor;
  requests: boolean;
  tokens: boolean;
}

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
  private readonly lines = new Map<string, LimitGrant>();

  private of(d: LimitDescriptor, window: number): LimitGrant {
    const id = limitKey(d);
    let g = this.lines.get(id);
    if (!g || g.window !== window || g.rpm !== d.rpm || g.tpm !== d.tpm) {
      if (g && g.window > window) return g;
      this.lines.set(id, (g = { window, rpm: d.rpm, tpm: d.tpm, requests: share(), tokens: share() }));
    }
    return g;
  }

  /** Takes a request and `tokens` from every limit's shares when each holds enough; the status for headers, or undefined (nothing taken). */
  take(limits: LimitDescriptor[], tokens: number, window: number): LimitStatus | undefined {
    for (const d of limits) {
      if (d.maxParallel !== undefined) return undefined;
      const g = this.lines.get(limitKey(d));
      if (!g || g.window !== window || g.rpm !== d.rpm || g.tpm !== d.tpm) return undefined;
      if (d.rpm !== undefined && g.requests.free < 1) return undefined;
      if (d.tpm !== undefined && !(g.tokens.free >= tokens && g.tokens.free > 0)) return undefined;
    }
    const status: LimitStatus = {};
    for (const d of limits) {
      const g = this.lines.get(limitKey(d))!;
      if (d.rpm !== undefined) {
        const remaining = d.rpm - g.requests.used - 1;
        if (status.remainingRequests === undefined || remaining < status.remainingRequests) Object.assign(status, { remainingRequests: remaining, limitRequests: d.rpm });
        g.requests.free -= 1;
        g.requests.used += 1;
      }
      if (d.tpm !== undefined) {
        const remaining = d.tpm - g.tokens.used;
        if (status.remainingTokens === undefined || remaining < status.remainingTokens) Object.assign(status, { remainingTokens: remaining, limitTokens: d.tpm });
        g.tokens.free -= tokens;
        g.tokens.used += tokens;
      }
    }
    if (status.remainingRequests !== undefined) status.remainingRequests = Math.max(0, status.remainingRequests);
    if (status.remainingTokens !== undefined) status.remainingTokens = Math.max(0, status.remainingTokens);
    return status;
  }

  /**
   * The shares to top up (none held yet, or less than half the last top-up left), marked as asked:
   * one request at a time per share, so a burst of calls decided by Redis does not pile up grants.
   */
  wants(limits: LimitDescriptor[], window: number): LimitAsk[] {
    const out: LimitAsk[] = [];
    for (const d of limits) {
      if (d.maxParallel !== undefined) return [];
      const g = this.of(d, window);
      if (g.window !== window) continue;
      const requests = d.rpm !== undefined && low(g.requests);
      const tokens = d.tpm !== undefined && low(g.tokens);
      if (!requests && !tokens) continue;
      if (requests) g.requests.asking = true;
      if (tokens) g.tokens.asking = true;
      out.push({ d, requests, tokens });
    }
    return out;
  }

  /** Whether one of these limits' shares of `window` is nearly used up (its top-up should not wait). */
  short(limits: LimitDescriptor[], window: number): boolean {
    for (const d of limits) {
      const g = this.lines.get(limitKey(d));
      if (!g || g.window !== window) continue;
      if ((d.rpm !== undefined && nearlyOut(g.requests)) || (d.tpm !== undefined && nearlyOut(g.tokens))) return true;
    }
    return false;
  }

  /** Redis answered a top-up of `window` (amounts added, the window's counters after them). */
  set(ask: LimitAsk, window: number, r: LimitReply): void {
    const g = this.lines.get(limitKey(ask.d));
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
    const g = this.lines.get(limitKey(d));
    if (!g || g.window !== window || g.tpm !== d.tpm || g.tokens.size === 0) return false;
    if (delta > g.tokens.free) return false;
    g.tokens.free -= delta;
    g.tokens.used += delta;
    return true;
  }

  failed(ask: LimitAsk, window: number): void {
    const g = this.lines.get(limitKey(ask.d));
    if (!g || g.window !== window) return;
    if (ask.requests) g.requests.asking = false;
    if (ask.tokens) g.tokens.asking = false;
  }

  /** Drops the shares of windows that ended. */
  sweep(nowMs: number): void {
    const current = Math.floor(nowMs / 1000 / WINDOW_S) * WINDOW_S;
    for (const [id, g] of this.lines) if (g.window < current) this.lines.delete(id);
  }
}

/** Worth asking for more: nothing asked yet, and either never granted or less than half the last grant left (a share Redis refused stays refused in its window). */
const low = (s: Share) => !s.asking && (s.size === 0 ? s.used === 0 && s.free === 0 : s.free < s.size / 2);

const nearlyOut = (s: Share) => s.size > 0 && s.free < s.size / 4;

function topUp(s: Share, amount: number, counter: number): void {
  s.asking = false;
  s.free += amount;
  s.size = amount;
  s.used = counter - s.free;
}
