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
 * What a budget row (`LiteLLM_BudgetTable`) gates: the spend each linked table resets when the
 * budget's period ends (LiteLLM's budget cascade; keys with a `budget_duration` of their own reset on
 * their own schedule; rows already at 0 are left alone, except memberships and end users, as LiteLLM does).
 */
const LINKED = [
  { table: "LiteLLM_TagTable", ids: `tag_name AS id`, book: (r: Linked) => `tag:${r.id}`, where: "spend > 0" },
  { table: "LiteLLM_EndUserTable", ids: `user_id AS id`, book: (r: Linked) => `end_user:${r.id}`, where: "true" },
  { table: "LiteLLM_TeamMembership", ids: `team_id AS id, user_id AS id2`, book: (r: Linked) => `member:${r.id}:${r.id2}`, where: "true" },
  { table: "LiteLLM_OrganizationTable", ids: `organization_id AS id`, book: (r: Linked) => `org:${r.id}`, where: "spend > 0" },
  { table: "LiteLLM_VerificationToken", ids: `token AS id`, book: (r: Linked) => `key:${r.id}`, where: "spend > 0 AND budget_duration IS NULL" },
] as const;

interface Linked {
  id: string;
  id2?: string;
}

/**
 * Budget rows with a `budget_duration` whose `budget_reset_at` has passed: in one transaction the
 * tags, end users, team memberships, organizations and keys linked to them get `spend = 0`, and the
 * budget its next `budget_reset_at`. Returns the entities reset.
 */
async function resetBudgetRows(db: Database, now: Date): Promise<EntityKey[]> {
  if (!db.schema.has("LiteLLM_BudgetTable", "budget_reset_at") || !db.schema.has("LiteLLM_BudgetTable", "budget_duration")) return [];
  const due = await db.run(
    (sql) => sql<Array<{ id: string; budget_duration: string }>>`
      SELECT budget_id AS id, budget_duration FROM "LiteLLM_BudgetTable" WHERE budget_reset_at < ${now.toISOString()}::timestamp AND budget_duration IS NOT NULL`,
  );
  if (due.length === 0) return [];
  const ids = due.map((b) => b.id);
  const next = due.map((b) => ({ id: b.id, next: nextResetAt(b.budget_duration, now)?.toISOString() ?? null }));
  return db.run((sql) =>
    sql.begin(async (tx) => {
      const reset: EntityKey[] = [];
      for (const l of LINKED) {
        if (!db.schema.has(l.table, "budget_id") || (l.table === "LiteLLM_VerificationToken" && !db.schema.has(l.table, "budget_duration"))) continue;
        const rows = await tx.unsafe<Linked[]>(`UPDATE "${l.table}" SET spend = 0 WHERE budget_id = ANY($1::text[]) AND ${l.where} RETURNING ${l.ids}`, [ids]);
        for (const r of rows) reset.push(l.book(r) as EntityKey);
      }
      await tx.unsafe(
        `UPDATE "LiteLLM_BudgetTable" b SET budget_reset_at = x.next::timestamp, updated_at = CURRENT_TIMESTAMP
         FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, next text) WHERE b.budget_id = x.id`,
        [pgJson(next)],
      );
      return reset;
    }),
  );
}

/**
 * LiteLLM's `ResetBudgetJob`: keys (not expired), users and teams whose `budget_reset_at` has
 * passed get `spend = 0` and their next `budget_reset_at` from `budget_duration`; then the budget
 * rows whose period ended reset what they gate (tags, end users, members, organizations, keys).
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
  const linked = await resetBudgetRows(db, now);
  for (const k of linked) book.reset(k);
  total += linked.length;
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
        if (n) log.info(`budget reset: ${n} keys, users, teams, tags, end users, team members or organizations reset to spend 0`);
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

