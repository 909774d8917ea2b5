import type { KeyQueries } from "../db/key-queries.ts";
import type { LLMRequest } from "../gateway/types.ts";
import type { BudgetLine } from "../limits/types.ts";
import type { Logger } from "../log.ts";
import type { SpendBook } from "./book.ts";
import { tagsOf } from "./spend-log.ts";

/**
 * LiteLLM's tag budgets: tags of `LiteLLM_TagTable` linked to a budget, read every `refreshMs` off
 * the request path (their spend joins this instance's unwritten spend in the book). A call is
 * charged to the tags its spend row carries; with no budgeted tag the check costs nothing.
 */
export class TagBudgets {
  private lines = new Map<string, BudgetLine>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly queries: KeyQueries,
    private readonly book: SpendBook,
    private readonly log: Logger,
    refreshMs: number,
  ) {
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref?.();
  }

  get any(): boolean {
    return this.lines.size > 0;
  }

  async refresh(): Promise<void> {
    try {
      const rows = await this.queries.budgetedTags();
      const lines = new Map<string, BudgetLine>();
      for (const r of rows) {
        const spend = this.book.fromDb(`tag:${r.tag_name}`, Number(r.spend) || 0);
        lines.set(r.tag_name, { id: `tag:${r.tag_name}`, entity: `Tag=${r.tag_name}`, max: Number(r.max_budget), spend, atMax: false, shared: true });
      }
      this.lines = lines;
    } catch (e) {
      this.log.debug("tag budgets not read", { error: (e as Error).message });
    }
  }

  /** The budgets of the call's tags. */
  of(req: LLMRequest): BudgetLine[] {
    if (this.lines.size === 0) return [];
    const out: BudgetLine[] = [];
    for (const t of tagsOf({ req })) {
      const line = this.lines.get(t);
      if (line) out.push(line);
    }
    return out;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
