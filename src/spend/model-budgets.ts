import type { Database } from "../db/client.ts";
import type { SpendView } from "../limits/types.ts";
import type { Logger } from "../log.ts";

const RELOAD_MS = 60_000;

interface Cell {
  spend: number;
  /** When the last load started (0: never loaded). */
  loadedAt: number;
  loading?: Promise<void>;
}

/**
 * Spend of one key on one model within a period (LiteLLM's `model_max_budget`, e.g.
 * `{"gpt-4o": {"budget_limit": 0.5, "time_period": "30d"}}`): read from `LiteLLM_SpendLogs` in
 * the background, counted up locally as calls finish, so the check never waits for Postgres.
 */
export class ModelBudgetBook {
  private readonly cells = new Map<string, Cell>();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  spend(keyHash: string, model: string, periodMs: number): number {
    return this.fresh(keyHash, model, periodMs).spend;
  }

  /** The spend as a budget line reads it (with when it was read, for the shared spend in Redis). */
  cell(keyHash: string, model: string, periodMs: number): SpendView {
    const book = this;
    return {
      get value() {
        return book.fresh(keyHash, model, periodMs).spend;
      },
      get readAt() {
        const c = book.fresh(keyHash, model, periodMs);
        return c.loadedAt || undefined;
      },
    };
  }

  private fresh(keyHash: string, model: string, periodMs: number): Cell {
    const id = `${keyHash}\u0000${model}\u0000${periodMs}`;
    let c = this.cells.get(id);
    if (!c) this.cells.set(id, (c = { spend: 0, loadedAt: 0 }));
    if (!c.loading && Date.now() - c.loadedAt > RELOAD_MS) c.loading = this.load(c, keyHash, model, periodMs);
    return c;
  }

  add(keyHash: string, model: string, cost: number): void {
    for (const [id, c] of this.cells) if (id.startsWith(`${keyHash}\u0000${model}\u0000`)) c.spend += cost;
  }

  private async load(c: Cell, keyHash: string, model: string, periodMs: number): Promise<void> {
    const startedAt = Date.now();
    const before = c.spend;
    try {
      if (!this.db.ready || !this.db.schema.hasTable("LiteLLM_SpendLogs")) return;
      const since = new Date(Date.now() - periodMs);
      const rows = await this.db.run(
        (sql) => sql`SELECT COALESCE(SUM(spend), 0) AS s FROM "LiteLLM_SpendLogs" WHERE api_key = ${keyHash} AND (model_group = ${model} OR model = ${model}) AND "startTime" >= ${since}`,
      );
      c.spend = Number(rows[0]?.s ?? 0) + (c.spend - before);
      c.loadedAt = startedAt;
    } catch (e) {
      this.log.debug("model budget spend not loaded", { error: (e as Error).message });
    } finally {
      c.loading = undefined;
    }
  }
}
