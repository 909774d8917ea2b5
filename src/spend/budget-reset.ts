import type { Invalidation } from "../auth/key-cache.ts";
import type { Database } from "../db/client.ts";
import { pgJson } from "../db/pg-safe.ts";
import type { Logger } from "../log.ts";
import type { EntityKey, SpendBook } from "./book.ts";
import { nextResetAt } from "./duration.ts";

const TARGETS = [
  { table: "LiteLLM_VerificationToken", pk: "token", book: "key", notExpired: true },
  { table: "LiteLLM_UserTable", pk: "user_id", book: "user", notExpired: false },
  { table: "LiteLLM_TeamTable", pk: "team_id", book: "team", notExpired: false },
] as const;

/**
 * LiteLLM's `ResetBudgetJob`: keys (not expired), users and teams whose `budget_reset_at` has
 * passed get `spend = 0` and their next `budget_reset_at` from `budget_duration`.
 */
export async function resetBudgets(db: Database, book: SpendBook, invalidate: (i: Invalidation) => void, now = new Date()): Promise<number> {
  let total = 0;
  for (const t of TARGETS) {
    if (!db.schema.has(t.table, "budget_reset_at") || !db.schema.has(t.table, "budget_duration")) continue;
    const due = await db.run(
      (sql) => sql.unsafe<Array<{ id: string; budget_duration: string | null }>>(
        `SELECT "${t.pk}" AS id, budget_duration FROM "${t.table}" WHERE budget_reset_at < $1::timestamp
         ${t.notExpired ? "AND (expires IS NULL OR expires > $1::timestamp)" : ""}`,
        [now.toISOString()],
      ),
    );
    if (due.length === 0) continue;
    const rows = due.map((r) => ({ id: r.id, next: r.budget_duration ? nextResetAt(r.budget_duration, now)?.toISOString() ?? null : null }));
    await db.run((sql) =>
      sql.unsafe(
        `UPDATE "${t.table}" t SET spend = 0, budget_reset_at = x.next::timestamp, updated_at = CURRENT_TIMESTAMP
         FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, next text) WHERE t."${t.pk}" = x.id`,
        [pgJson(rows)],
      ),
    );
    for (const r of rows) book.reset(`${t.book}:${r.id}` as EntityKey);
    total += rows.length;
  }
  if (total) invalidate({ kind: "all" });
  return total;
}

/** Runs the reset job now and then every `proxy_budget_rescheduler_*` seconds (597–605 s by default). */
export function startBudgetResetJob(db: Database, book: SpendBook, invalidate: (i: Invalidation) => void, log: Logger, minS = 597, maxS = 605): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const run = async () => {
    try {
      if (db.ready) {
        const n = await resetBudgets(db, book, invalidate);
        if (n) log.info(`budget reset: ${n} keys, users or teams reset to spend 0`);
      }
    } catch (e) {
      log.warn("budget reset job failed", { error: (e as Error).message });
    }
    if (stopped) return;
    timer = setTimeout(run, (minS + Math.random() * Math.max(0, maxS - minS)) * 1000);
    timer.unref?.();
  };
  void run();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

