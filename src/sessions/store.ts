import type { TransactionSql } from "postgres";
import type { Database } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { SpendEvent } from "../spend/spend-log.ts";
import type { StoredSession } from "./budget.ts";
import { createSessionTables, SESSIONS_TABLE, upsertSessionRollup } from "./rollup.ts";

/** The coding-sessions table: created once the database is reachable, then kept by the spend writer. */
export class CodingSessionStore {
  private ensured?: Promise<boolean>;

  constructor(
    readonly db: Database,
    private readonly log: Logger,
  ) {}

  /** Creates the table when missing; false (and retried on the next call) when that failed. */
  ensure(): Promise<boolean> {
    this.ensured ??= this.db
      .run((sql) => createSessionTables(sql))
      .then(() => true)
      .catch((e: Error) => {
        this.log.warn(`${SESSIONS_TABLE} not created yet; coding sessions are summed once it is`, { error: e.message });
        this.ensured = undefined;
        return false;
      });
    return this.ensured;
  }

  /** The writer's step: the batch's new events added to their sessions, in its transaction. */
  async rollup(tx: TransactionSql, fresh: SpendEvent[]): Promise<void> {
    if (!fresh.some((e) => e.session)) return;
    if (!(await this.ensure())) return;
    await upsertSessionRollup(tx, fresh);
  }

  /** Spend and start of one session of one key, for session budgets. */
  async stored(sessionId: string, apiKey: string): Promise<StoredSession | undefined> {
    if (!(await this.ensure())) return undefined;
    const [r] = await this.db.run(
      (sql) => sql<Array<{ spend: number; first_ms: number }>>`
        SELECT spend, (extract(epoch FROM first_call) * 1000)::float8 AS first_ms FROM litellm_rust_coding_sessions
        WHERE session_id = ${sessionId} AND api_key = ${apiKey}`,
    );
    return r ? { spend: r.spend, firstMs: r.first_ms } : undefined;
  }
}
