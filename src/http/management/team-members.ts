import type { TransactionSql } from "postgres";
import type { Row } from "../../auth/key-record.ts";
import type { SchemaInfo } from "../../db/introspect.ts";
import { proxyHttpError } from "./litellm-errors.ts";
import type { Member } from "./team-access.ts";

const U = "LiteLLM_UserTable";
const TM = "LiteLLM_TeamMembership";

/** The member's user id: given, or found by email (a new id when nobody has it); LiteLLM's `add_new_member`. */
async function memberUserId(tx: TransactionSql, mem: Member): Promise<string> {
  if (mem.user_id) return mem.user_id;
  if (!mem.user_email) throw proxyHttpError(400, { error: "Either user_id or user_email needs to be passed in for each member" });
  const found = await tx.unsafe<Array<{ user_id: string }>>(`SELECT user_id FROM "${U}" WHERE user_email = $1 LIMIT 2`, [mem.user_email]);
  if (found.length > 1) throw proxyHttpError(400, { error: "Multiple users with this email found in db. Please use 'user_id' instead." });
  return found[0]?.user_id ?? crypto.randomUUID();
}

/**
 * Makes the user a member of the team: its `LiteLLM_UserTable` row is upserted (created as an
 * internal user, or the team appended to `teams` once), so concurrent calls naming the same new user
 * all succeed; then its membership row, with the member budget when there is one.
 */
export async function upsertTeamMember(tx: TransactionSql, s: SchemaInfo, teamId: string, mem: Member, budgetId?: string): Promise<{ user: Row; membership?: Row }> {
  const userId = await memberUserId(tx, mem);
  const [u] = await tx.unsafe<Array<{ r: Row }>>(
    `INSERT INTO "${U}" AS u (user_id, user_email, teams, user_role) VALUES ($1, $2, ARRAY[$3]::text[], 'internal_user')
     ON CONFLICT (user_id) DO UPDATE SET teams = CASE WHEN $3 = ANY(u.teams) THEN u.teams ELSE array_append(u.teams, $3) END
     RETURNING row_to_json(u.*) AS r`,
    [userId, mem.user_email, teamId],
  );
  if (!s.hasTable(TM)) return { user: u!.r };
  const [tm] = await tx.unsafe<Array<{ r: Row }>>(
    `INSERT INTO "${TM}" AS t (user_id, team_id, budget_id) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, team_id) DO UPDATE SET budget_id = COALESCE(excluded.budget_id, t.budget_id) RETURNING row_to_json(t.*) AS r`,
    [userId, teamId, budgetId ?? null],
  );
  return { user: u!.r, membership: tm!.r };
}
