import type { Row } from "../auth/key-record.ts";
import type { CombinedRow } from "../auth/key-record.ts";
import type { Database } from "./client.ts";
import type { SchemaInfo } from "./introspect.ts";

/**
 * LiteLLM's combined auth read (key + team + membership + budgets + user + org + team aliases) as
 * one statement. Rows come back as JSON (`row_to_json`), so whatever columns this database has are
 * read and none is ever named that might be missing; joins are left out when their columns are.
 */
export function combinedKeySql(s: SchemaInfo): string {
  const V = "LiteLLM_VerificationToken";
  const sel = ["row_to_json(v) AS k"];
  const joins: string[] = [];
  const budget = s.hasTable("LiteLLM_BudgetTable");
  const team = s.hasTable("LiteLLM_TeamTable") && s.has(V, "team_id");
  if (team) {
    sel.push("row_to_json(t) AS t");
    joins.push(`LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = v.team_id`);
    if (s.hasTable("LiteLLM_TeamMembership") && s.has(V, "user_id")) {
      sel.push("row_to_json(tm) AS tm");
      joins.push(`LEFT JOIN "LiteLLM_TeamMembership" tm ON tm.team_id = v.team_id AND tm.user_id = v.user_id`);
      if (budget && s.has("LiteLLM_TeamMembership", "budget_id")) {
        sel.push("row_to_json(bm) AS bm");
        joins.push(`LEFT JOIN "LiteLLM_BudgetTable" bm ON bm.budget_id = tm.budget_id`);
      }
    }
    if (budget && s.has("LiteLLM_TeamTable", "metadata")) {
      sel.push("row_to_json(bd) AS bd");
      joins.push(`LEFT JOIN "LiteLLM_BudgetTable" bd ON bd.budget_id = t.metadata->>'team_member_budget_id'`);
    }
    if (s.hasTable("LiteLLM_ModelTable") && s.has("LiteLLM_TeamTable", "model_id")) {
      sel.push("m.aliases AS ma");
      joins.push(`LEFT JOIN "LiteLLM_ModelTable" m ON m.id = t.model_id`);
    }
  }
  if (budget && s.has(V, "budget_id")) {
    sel.push("row_to_json(b) AS b");
    joins.push(`LEFT JOIN "LiteLLM_BudgetTable" b ON b.budget_id = v.budget_id`);
  }
  if (s.hasTable("LiteLLM_UserTable") && s.has(V, "user_id")) {
    sel.push("row_to_json(u) AS u");
    joins.push(`LEFT JOIN "LiteLLM_UserTable" u ON u.user_id = v.user_id`);
  }
  if (s.hasTable("LiteLLM_OrganizationTable")) {
    const orgOf = [s.has(V, "organization_id") ? "v.organization_id" : "", team && s.has("LiteLLM_TeamTable", "organization_id") ? "t.organization_id" : ""].filter(Boolean);
    if (orgOf.length) {
      sel.push("row_to_json(o) AS o");
      joins.push(`LEFT JOIN "LiteLLM_OrganizationTable" o ON o.organization_id = COALESCE(${orgOf.join(", ")})`);
      if (budget) {
        sel.push("row_to_json(ob) AS ob");
        joins.push(`LEFT JOIN "LiteLLM_BudgetTable" ob ON ob.budget_id = o.budget_id`);
      }
    }
  }
  return `SELECT ${sel.join(", ")} FROM "${V}" v ${joins.join(" ")} WHERE v.token = $1`;
}

/** Key, end-user reads of the auth path; statements are built once per introspected schema. */
export class KeyQueries {
  private combined?: { schema: SchemaInfo; text: string };

  constructor(private readonly db: Database) {}

  async keyByHash(hash: string): Promise<CombinedRow | undefined> {
    return this.db.run(async (sql) => {
      const schema = this.db.schema;
      if (this.combined?.schema !== schema) this.combined = { schema, text: combinedKeySql(schema) };
      const rows = await sql.unsafe<CombinedRow[]>(this.combined.text, [hash], { prepare: true });
      return rows[0];
    });
  }

  /** Tags of `LiteLLM_TagTable` linked to a budget with a `max_budget` (LiteLLM's tag budgets). */
  async budgetedTags(): Promise<Array<{ tag_name: string; spend: number; max_budget: number }>> {
    if (!this.db.schema.has("LiteLLM_TagTable", "budget_id") || !this.db.schema.hasTable("LiteLLM_BudgetTable")) return [];
    return this.db.run(
      (sql) => sql<Array<{ tag_name: string; spend: number; max_budget: number }>>`
        SELECT t.tag_name, t.spend, b.max_budget FROM "LiteLLM_TagTable" t
        JOIN "LiteLLM_BudgetTable" b ON b.budget_id = t.budget_id WHERE b.max_budget IS NOT NULL`,
    );
  }

  async endUser(id: string): Promise<{ e: Row; b: Row | null } | undefined> {
    return this.db.run(async (sql) => {
      if (!this.db.schema.hasTable("LiteLLM_EndUserTable")) return undefined;
      const withBudget = this.db.schema.has("LiteLLM_EndUserTable", "budget_id") && this.db.schema.hasTable("LiteLLM_BudgetTable");
      const rows = withBudget
        ? await sql<Array<{ e: Row; b: Row | null }>>`
            SELECT row_to_json(e) AS e, row_to_json(b) AS b FROM "LiteLLM_EndUserTable" e
            LEFT JOIN "LiteLLM_BudgetTable" b ON b.budget_id = e.budget_id WHERE e.user_id = ${id}`
        : await sql<Array<{ e: Row; b: Row | null }>>`SELECT row_to_json(e) AS e, NULL::json AS b FROM "LiteLLM_EndUserTable" e WHERE e.user_id = ${id}`;
      return rows[0];
    });
  }
}
