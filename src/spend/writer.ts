import type { TransactionSql } from "postgres";
import type { Database } from "../db/client.ts";
import { pgJson, pgJsonText } from "../db/pg-safe.ts";
import { rowJson } from "./event-json.ts";
import type { SchemaInfo } from "../db/introspect.ts";
import { dailyRows, sumIncrements, type DailyKind, type DailyRow } from "./increments.ts";
import type { SpendEvent } from "./spend-log.ts";

const DAILY: Array<{ kind: DailyKind; table: string; entity: string }> = [
  { kind: "user", table: "LiteLLM_DailyUserSpend", entity: "user_id" },
  { kind: "team", table: "LiteLLM_DailyTeamSpend", entity: "team_id" },
  { kind: "org", table: "LiteLLM_DailyOrganizationSpend", entity: "organization_id" },
  { kind: "end_user", table: "LiteLLM_DailyEndUserSpend", entity: "end_user_id" },
  { kind: "tag", table: "LiteLLM_DailyTagSpend", entity: "tag" },
];

const COUNTERS = [
  ["prompt_tokens", "bigint"],
  ["completion_tokens", "bigint"],
  ["cache_read_input_tokens", "bigint"],
  ["cache_creation_input_tokens", "bigint"],
  ["spend", "float8"],
  ["api_requests", "bigint"],
  ["successful_requests", "bigint"],
  ["failed_requests", "bigint"],
] as const;

const q = (n: string) => `"${n}"`;

export interface WriteOptions {
  spendLogs: boolean;
  /** `LiteLLM_ErrorLogs` rows for failed calls (off with `disable_error_logs`). */
  errorLogs: boolean;
  /** Further writes in the same transaction, given the events that were new (the coding-sessions rollup). */
  alsoInTransaction?: Array<(tx: TransactionSql, fresh: SpendEvent[]) => Promise<void>>;
}

/**
 * Writes a batch of spend events in ONE transaction: SpendLogs rows (`ON CONFLICT DO NOTHING`),
 * then increments and daily aggregates only for the rows that were new. Replaying a batch that was
 * already committed (a crash between commit and spill cleanup) therefore changes nothing.
 */
export class SpendWriter {
  constructor(
    private readonly db: Database,
    private readonly opts: WriteOptions,
  ) {}

  /** Returns the events whose spend was applied by this call. */
  async write(events: SpendEvent[]): Promise<SpendEvent[]> {
    if (events.length === 0) return [];
    return this.db.run((sql) =>
      sql.begin(async (tx) => {
        const s = this.db.schema;
        const fresh = await this.insertRows(tx, s, events);
        await this.insertErrors(tx, s, fresh);
        await this.applyIncrements(tx, s, fresh);
        for (const d of DAILY) {
          if (s.hasTable(d.table)) await this.upsertDaily(tx, s, d.table, d.entity, dailyRows(fresh, d.kind));
        }
        for (const step of this.opts.alsoInTransaction ?? []) await step(tx, fresh);
        return fresh;
      }),
    );
  }

  private async insertRows(tx: TransactionSql, s: SchemaInfo, events: SpendEvent[]): Promise<SpendEvent[]> {
    const unique = new Map<string, SpendEvent>();
    for (const ev of events) if (!unique.has(ev.row.request_id)) unique.set(ev.row.request_id, ev);
    if (!this.opts.spendLogs || !s.hasTable("LiteLLM_SpendLogs")) return events;
    const cols = s.existing("LiteLLM_SpendLogs", Object.keys(events[0]!.row)).map(q).join(", ");
    const rows = pgJsonText(`[${[...unique.values()].map((e) => rowJson(e.row)).join(",")}]`);
    const inserted = await tx.unsafe<Array<{ request_id: string }>>(
      `INSERT INTO "LiteLLM_SpendLogs" (${cols}) SELECT ${cols} FROM jsonb_populate_recordset(NULL::"LiteLLM_SpendLogs", $1::text::jsonb)
       ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
      [rows],
    );
    const ids = new Set(inserted.map((r) => r.request_id));
    return [...unique.values()].filter((e) => ids.has(e.row.request_id));
  }

  private async insertErrors(tx: TransactionSql, s: SchemaInfo, events: SpendEvent[]): Promise<void> {
    if (!this.opts.errorLogs || !s.hasTable("LiteLLM_ErrorLogs")) return;
    const rows = events.flatMap((e) => (e.error ? [e.error] : []));
    if (rows.length === 0) return;
    const cols = s.existing("LiteLLM_ErrorLogs", Object.keys(rows[0]!)).map(q).join(", ");
    await tx.unsafe(
      `INSERT INTO "LiteLLM_ErrorLogs" (${cols}) SELECT ${cols} FROM jsonb_populate_recordset(NULL::"LiteLLM_ErrorLogs", $1::text::jsonb)
       ON CONFLICT (request_id) DO NOTHING`,
      [pgJson(rows)],
    );
  }

  private async applyIncrements(tx: TransactionSql, s: SchemaInfo, events: SpendEvent[]): Promise<void> {
    const inc = sumIncrements(events);
    const payload = (m: Map<string, number>) => pgJson([...m].map(([id, v]) => ({ id, v })));
    const update = async (table: string, pk: string, m: Map<string, number>) => {
      if (m.size === 0 || !s.has(table, "spend")) return;
      await tx.unsafe(
        `UPDATE ${q(table)} t SET spend = t.spend + x.v FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, v float8) WHERE t.${q(pk)} = x.id`,
        [payload(m)],
      );
    };
    await update("LiteLLM_VerificationToken", "token", inc.key);
    await update("LiteLLM_UserTable", "user_id", inc.user);
    await update("LiteLLM_TeamTable", "team_id", inc.team);
    await update("LiteLLM_OrganizationTable", "organization_id", inc.org);
    await update("LiteLLM_TagTable", "tag_name", inc.tag);
    if (inc.member.size && s.has("LiteLLM_TeamMembership", "spend")) {
      const rows = [...inc.member].map(([k, v]) => {
        const [team, user] = k.split("\u0000");
        return { team, user, v };
      });
      await tx.unsafe(
        `UPDATE "LiteLLM_TeamMembership" t SET spend = t.spend + x.v FROM jsonb_to_recordset($1::text::jsonb) AS x(team text, "user" text, v float8)
         WHERE t.team_id = x.team AND t.user_id = x."user"`,
        [pgJson(rows)],
      );
    }
    if (inc.endUser.size && s.has("LiteLLM_EndUserTable", "spend")) {
      await tx.unsafe(
        `INSERT INTO "LiteLLM_EndUserTable" (user_id, spend) SELECT x.id, x.v FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, v float8)
         ON CONFLICT (user_id) DO UPDATE SET spend = "LiteLLM_EndUserTable".spend + excluded.spend`,
        [payload(inc.endUser)],
      );
    }
  }

  /**
   * LiteLLM's unique key holds nullable columns, which `ON CONFLICT` never matches on NULL, so rows
   * are matched with `IS NOT DISTINCT FROM` (update), and the unmatched ones inserted.
   */
  private async upsertDaily(tx: TransactionSql, s: SchemaInfo, table: string, entity: string, rows: DailyRow[]): Promise<void> {
    if (rows.length === 0) return;
    const has = (c: string) => s.has(table, c);
    const counters = COUNTERS.filter(([c]) => has(c));
    const optional = ["model_group", "endpoint"].filter(has);
    const match = [
      `t.${q(entity)} IS NOT DISTINCT FROM x.entity`,
      "t.date = x.date",
      "t.api_key = x.api_key",
      "t.model IS NOT DISTINCT FROM x.model",
      "t.custom_llm_provider IS NOT DISTINCT FROM x.custom_llm_provider",
      ...(has("mcp_namespaced_tool_name") ? ["t.mcp_namespaced_tool_name IS NULL"] : []),
      ...(has("endpoint") ? ["t.endpoint IS NOT DISTINCT FROM x.endpoint"] : []),
    ].join(" AND ");
    const recordType = [
      "k int",
      "id text",
      "entity text",
      "date text",
      "api_key text",
      "model text",
      "model_group text",
      "custom_llm_provider text",
      "endpoint text",
      ...COUNTERS.map(([c, t]) => `${c} ${t}`),
    ].join(", ");
    const sets = [...counters.map(([c]) => `${c} = t.${c} + x.${c}`), "updated_at = CURRENT_TIMESTAMP"].join(", ");
    const insertCols = ["id", entity, "date", "api_key", "model", "custom_llm_provider", ...optional, ...counters.map(([c]) => c), "updated_at"];
    const insertVals = ["x.id", "x.entity", "x.date", "x.api_key", "x.model", "x.custom_llm_provider", ...optional.map((c) => `x.${c}`), ...counters.map(([c]) => `x.${c}`), "CURRENT_TIMESTAMP"];
    const payload = rows.map((r, k) => ({ k, id: crypto.randomUUID(), ...r }));
    await tx.unsafe(
      `WITH x AS (SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS x(${recordType})),
       u AS (UPDATE ${q(table)} t SET ${sets} FROM x WHERE ${match} RETURNING x.k)
       INSERT INTO ${q(table)} (${insertCols.map(q).join(", ")})
       SELECT ${insertVals.join(", ")} FROM x WHERE x.k NOT IN (SELECT k FROM u)`,
      [pgJson(payload)],
    );
  }
}
