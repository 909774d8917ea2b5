import type { Database } from "../db/client.ts";
import type { Logger } from "../log.ts";

const REFRESH_MS = 10_000;

/**
 * The proxy-wide spend LiteLLM compares with `litellm_settings.max_budget`: the last 30 days of
 * `LiteLLM_SpendLogs` (LiteLLM's `MonthlyGlobalSpend` view), re-read every 10 s off the hot path,
 * plus what this instance metered since the last read.
 */
export class GlobalSpend {
  private fromDb = 0;
  private sinceRead = 0;
  /** When the last successful read started (ms). */
  readAt?: number;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref?.();
    void this.refresh();
  }

  add(cost: number): void {
    this.sinceRead += cost;
  }

  get value(): number {
    return this.fromDb + this.sinceRead;
  }

  async refresh(): Promise<void> {
    if (!this.db.ready || !this.db.schema.hasTable("LiteLLM_SpendLogs")) return;
    const pending = this.sinceRead;
    const startedAt = Date.now();
    try {
      const rows = await this.db.run((sql) => sql`SELECT COALESCE(SUM(spend), 0) AS s FROM "LiteLLM_SpendLogs" WHERE "startTime" >= now() - interval '30 days'`);
      this.fromDb = Number(rows[0]?.s ?? 0);
      this.sinceRead -= pending;
      this.readAt = startedAt;
    } catch (e) {
      this.log.debug("global spend not refreshed", { error: (e as Error).message });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
