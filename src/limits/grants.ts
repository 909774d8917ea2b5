import type { BudgetLine } from "./types.ts";

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

  /** Takes `cost` from the grant of every budget when each holds enough; false (and nothing taken) otherwise. */
  take(budgets: BudgetLine[], cost: number, now: number): boolean {
    if (!(cost > 0)) return false;
    for (const b of budgets) {
      const g = this.lines.get(b.id);
      if (!g || g.until <= now || g.free < cost || g.max !== b.max) return false;
    }
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
