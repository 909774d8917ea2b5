/**
 * The LiteLLM tables this gateway reads and writes, described the way LiteLLM's Prisma migrations
 * leave them in Postgres (names, types, NOT NULL, defaults, keys, indexes, foreign keys), so that a
 * database created here can later be used by the Python proxy. `ddl.ts` turns this into SQL.
 */

export interface Column {
  name: string;
  /** Postgres type as Prisma maps it: text, text[], double precision, integer, bigint, boolean, jsonb, timestamp(3). */
  type: string;
  notNull?: boolean;
  default?: string;
}

export interface ForeignKey {
  column: string;
  table: string;
  references: string;
  onDelete: "SET NULL" | "RESTRICT" | "CASCADE";
}

export interface Table {
  name: string;
  columns: Column[];
  primaryKey: string[];
  /** Prisma `@@index`: index name is `<table>_<cols>_idx`. */
  indexes?: string[][];
  /** Prisma `@unique` / `@@unique`, with an explicit name where Prisma truncated it. */
  uniques?: Array<{ columns: string[]; name?: string }>;
  foreignKeys?: ForeignKey[];
  /** Expression indexes that cannot be described by a column list. */
  extraIndexes?: Array<{ name: string; expression: string }>;
}

const TS = "timestamp(3)";
const NOW = "CURRENT_TIMESTAMP";
const EMPTY_JSON = "'{}'::jsonb";
const EMPTY_ARRAY = "ARRAY[]::text[]";

const text = (name: string, o: Partial<Column> = {}): Column => ({ name, type: "text", ...o });
const req = (name: string, type = "text"): Column => ({ name, type, notNull: true });
const float = (name: string): Column => ({ name, type: "double precision" });
const spend = (name = "spend"): Column => ({ name, type: "double precision", notNull: true, default: "0.0" });
const int = (name: string, o: Partial<Column> = {}): Column => ({ name, type: "integer", ...o });
const big = (name: string): Column => ({ name, type: "bigint" });
const bigZero = (name: string): Column => ({ name, type: "bigint", notNull: true, default: "0" });
const json = (name: string, o: Partial<Column> = {}): Column => ({ name, type: "jsonb", ...o });
const jsonObj = (name: string): Column => ({ name, type: "jsonb", notNull: true, default: EMPTY_JSON });
const arr = (name: string, withDefault = true): Column => ({ name, type: "text[]", ...(withDefault ? { default: EMPTY_ARRAY } : {}) });
const ts = (name: string): Column => ({ name, type: TS });
const createdAt = (notNull = true): Column => ({ name: "created_at", type: TS, default: NOW, notNull });
const updatedAt = (notNull = true): Column => ({ name: "updated_at", type: TS, default: NOW, notNull });
const fk = (column: string, table: string, references: string, onDelete: ForeignKey["onDelete"] = "SET NULL"): ForeignKey => ({
  column,
  table,
  references,
  onDelete,
});
const budgetFk = (column = "budget_id", onDelete: ForeignKey["onDelete"] = "SET NULL") => fk(column, "LiteLLM_BudgetTable", "budget_id", onDelete);
const permFk = () => fk("object_permission_id", "LiteLLM_ObjectPermissionTable", "object_permission_id");
const orgFk = () => fk("organization_id", "LiteLLM_OrganizationTable", "organization_id");

/** The shared shape of LiteLLM's six `LiteLLM_Daily*Spend` tables. */
function dailyTable(name: string, entity: string, uniqueName: string, extra: Column[] = []): Table {
  return {
    name,
    columns: [
      req("id"),
      text(entity),
      req("date"),
      req("api_key"),
      text("model"),
      text("model_group"),
      text("custom_llm_provider"),
      text("mcp_namespaced_tool_name"),
      bigZero("prompt_tokens"),
      bigZero("completion_tokens"),
      bigZero("cache_read_input_tokens"),
      bigZero("cache_creation_input_tokens"),
      spend(),
      bigZero("api_requests"),
      bigZero("successful_requests"),
      bigZero("failed_requests"),
      createdAt(),
      { name: "updated_at", type: TS, notNull: true },
      text("endpoint"),
      ...extra,
    ],
    primaryKey: ["id"],
    uniques: [{ columns: [entity, "date", "api_key", "model", "custom_llm_provider", "mcp_namespaced_tool_name", "endpoint"], name: uniqueName }],
    indexes: [[entity, "date"], ["date"], ["api_key"], ["model"], ["mcp_namespaced_tool_name"], ["endpoint"]],
  };
}

export const TABLES: Table[] = [
  {
    name: "LiteLLM_BudgetTable",
    columns: [
      req("budget_id"),
      float("max_budget"),
      float("soft_budget"),
      int("max_parallel_requests"),
      big("tpm_limit"),
      big("rpm_limit"),
      json("model_max_budget"),
      text("budget_duration"),
      ts("budget_reset_at"),
      createdAt(),
      req("created_by"),
      updatedAt(),
      req("updated_by"),
    ],
    primaryKey: ["budget_id"],
  },
  {
    name: "LiteLLM_ObjectPermissionTable",
    columns: [
      req("object_permission_id"),
      arr("mcp_servers"),
      arr("vector_stores"),
      arr("mcp_access_groups"),
      json("mcp_tool_permissions"),
      arr("agents"),
      arr("agent_access_groups"),
      arr("blocked_tools"),
      arr("models"),
    ],
    primaryKey: ["object_permission_id"],
  },
  {
    name: "LiteLLM_OrganizationTable",
    columns: [
      req("organization_id"),
      req("organization_alias"),
      req("budget_id"),
      jsonObj("metadata"),
      arr("models", false),
      spend(),
      jsonObj("model_spend"),
      createdAt(),
      req("created_by"),
      updatedAt(),
      req("updated_by"),
      text("object_permission_id"),
    ],
    primaryKey: ["organization_id"],
    foreignKeys: [budgetFk("budget_id", "RESTRICT"), permFk()],
  },
  {
    name: "LiteLLM_ModelTable",
    columns: [
      { name: "id", type: "serial", notNull: true },
      json("aliases"),
      createdAt(),
      req("created_by"),
      updatedAt(),
      req("updated_by"),
    ],
    primaryKey: ["id"],
  },
  {
    name: "LiteLLM_TeamTable",
    columns: [
      req("team_id"),
      text("team_alias"),
      text("organization_id"),
      arr("admins", false),
      arr("members", false),
      jsonObj("members_with_roles"),
      jsonObj("metadata"),
      float("max_budget"),
      spend(),
      arr("models", false),
      int("max_parallel_requests"),
      big("tpm_limit"),
      big("rpm_limit"),
      text("budget_duration"),
      ts("budget_reset_at"),
      { name: "blocked", type: "boolean", notNull: true, default: "false" },
      createdAt(),
      updatedAt(),
      jsonObj("model_spend"),
      jsonObj("model_max_budget"),
      int("model_id"),
      arr("team_member_permissions"),
      text("object_permission_id"),
      json("router_settings", { default: EMPTY_JSON }),
      arr("policies"),
      { name: "allow_team_guardrail_config", type: "boolean", notNull: true, default: "false" },
      float("soft_budget"),
      arr("access_group_ids"),
    ],
    primaryKey: ["team_id"],
    uniques: [{ columns: ["model_id"] }],
    indexes: [["organization_id"], ["team_alias"], ["created_at"]],
    foreignKeys: [fk("model_id", "LiteLLM_ModelTable", "id"), permFk(), orgFk()],
  },
  {
    name: "LiteLLM_UserTable",
    columns: [
      req("user_id"),
      text("user_alias"),
      text("team_id"),
      text("sso_user_id"),
      text("organization_id"),
      text("password"),
      arr("teams"),
      text("user_role"),
      float("max_budget"),
      spend(),
      text("user_email"),
      arr("models", false),
      jsonObj("metadata"),
      int("max_parallel_requests"),
      big("tpm_limit"),
      big("rpm_limit"),
      text("budget_duration"),
      ts("budget_reset_at"),
      arr("allowed_cache_controls"),
      jsonObj("model_spend"),
      jsonObj("model_max_budget"),
      createdAt(false),
      updatedAt(false),
      text("object_permission_id"),
      arr("policies"),
    ],
    primaryKey: ["user_id"],
    uniques: [{ columns: ["sso_user_id"] }],
    extraIndexes: [{ name: "LiteLLM_UserTable_user_email_lower_idx", expression: "lower(user_email)" }],
    foreignKeys: [permFk(), orgFk()],
  },
  {
    name: "LiteLLM_TeamMembership",
    columns: [req("user_id"), req("team_id"), spend(), text("budget_id")],
    primaryKey: ["user_id", "team_id"],
    foreignKeys: [budgetFk()],
  },
  {
    name: "LiteLLM_OrganizationMembership",
    columns: [
      req("user_id"),
      req("organization_id"),
      text("user_role"),
      { name: "spend", type: "double precision", default: "0.0" },
      text("budget_id"),
      createdAt(false),
      updatedAt(false),
    ],
    primaryKey: ["user_id", "organization_id"],
    uniques: [{ columns: ["user_id", "organization_id"] }],
    foreignKeys: [
      budgetFk(),
      fk("organization_id", "LiteLLM_OrganizationTable", "organization_id", "RESTRICT"),
      fk("user_id", "LiteLLM_UserTable", "user_id", "RESTRICT"),
    ],
  },
  {
    name: "LiteLLM_ProjectTable",
    columns: [
      req("project_id"),
      text("project_alias"),
      text("team_id"),
      text("budget_id"),
      jsonObj("metadata"),
      arr("models", false),
      spend(),
      jsonObj("model_spend"),
      { name: "blocked", type: "boolean", notNull: true, default: "false" },
      text("object_permission_id"),
      createdAt(),
      req("created_by"),
      updatedAt(),
      req("updated_by"),
      text("description"),
      jsonObj("model_rpm_limit"),
      jsonObj("model_tpm_limit"),
    ],
    primaryKey: ["project_id"],
    foreignKeys: [budgetFk(), permFk(), fk("team_id", "LiteLLM_TeamTable", "team_id")],
  },
  {
    name: "LiteLLM_VerificationToken",
    columns: [
      req("token"),
      text("key_name"),
      text("key_alias"),
      { name: "soft_budget_cooldown", type: "boolean", notNull: true, default: "false" },
      spend(),
      ts("expires"),
      arr("models", false),
      jsonObj("aliases"),
      jsonObj("config"),
      text("user_id"),
      text("team_id"),
      jsonObj("permissions"),
      int("max_parallel_requests"),
      jsonObj("metadata"),
      { name: "blocked", type: "boolean" },
      big("tpm_limit"),
      big("rpm_limit"),
      float("max_budget"),
      text("budget_duration"),
      ts("budget_reset_at"),
      arr("allowed_cache_controls"),
      jsonObj("model_spend"),
      jsonObj("model_max_budget"),
      text("budget_id"),
      text("organization_id"),
      createdAt(false),
      text("created_by"),
      updatedAt(false),
      text("updated_by"),
      arr("allowed_routes"),
      text("object_permission_id"),
      { name: "auto_rotate", type: "boolean", default: "false" },
      ts("key_rotation_at"),
      ts("last_rotation_at"),
      int("rotation_count", { default: "0" }),
      text("rotation_interval"),
      text("project_id"),
      json("router_settings", { default: EMPTY_JSON }),
      arr("policies"),
      arr("access_group_ids"),
      ts("last_active"),
      text("agent_id"),
    ],
    primaryKey: ["token"],
    indexes: [["user_id", "team_id"], ["team_id"], ["budget_reset_at", "expires"]],
    foreignKeys: [
      budgetFk(),
      permFk(),
      orgFk(),
      fk("project_id", "LiteLLM_ProjectTable", "project_id"),
    ],
  },
  {
    name: "LiteLLM_EndUserTable",
    columns: [
      req("user_id"),
      text("alias"),
      spend(),
      text("allowed_model_region"),
      text("default_model"),
      text("budget_id"),
      { name: "blocked", type: "boolean", notNull: true, default: "false" },
      text("object_permission_id"),
    ],
    primaryKey: ["user_id"],
    foreignKeys: [budgetFk(), permFk()],
  },
  {
    name: "LiteLLM_TagTable",
    columns: [req("tag_name"), text("description"), arr("models", false), json("model_info"), spend(), text("budget_id"), createdAt(), text("created_by"), updatedAt()],
    primaryKey: ["tag_name"],
    foreignKeys: [budgetFk()],
  },
  {
    name: "LiteLLM_SpendLogs",
    columns: [
      req("request_id"),
      req("call_type"),
      { name: "api_key", type: "text", notNull: true, default: "''::text" },
      spend(),
      { name: "total_tokens", type: "integer", notNull: true, default: "0" },
      { name: "prompt_tokens", type: "integer", notNull: true, default: "0" },
      { name: "completion_tokens", type: "integer", notNull: true, default: "0" },
      { name: "startTime", type: TS, notNull: true },
      { name: "endTime", type: TS, notNull: true },
      ts("completionStartTime"),
      { name: "model", type: "text", notNull: true, default: "''::text" },
      text("model_id", { default: "''::text" }),
      text("model_group", { default: "''::text" }),
      text("custom_llm_provider", { default: "''::text" }),
      text("api_base", { default: "''::text" }),
      text("user", { default: "''::text" }),
      json("metadata", { default: EMPTY_JSON }),
      text("cache_hit", { default: "''::text" }),
      text("cache_key", { default: "''::text" }),
      json("request_tags", { default: "'[]'::jsonb" }),
      text("team_id"),
      text("end_user"),
      text("requester_ip_address"),
      json("messages", { default: EMPTY_JSON }),
      json("response", { default: EMPTY_JSON }),
      json("proxy_server_request", { default: EMPTY_JSON }),
      text("session_id"),
      text("status"),
      text("mcp_namespaced_tool_name"),
      text("organization_id"),
      text("agent_id"),
      int("request_duration_ms"),
    ],
    primaryKey: ["request_id"],
    indexes: [["startTime"], ["startTime", "request_id"], ["end_user"], ["session_id"]],
  },
  {
    name: "LiteLLM_ErrorLogs",
    columns: [
      req("request_id"),
      { name: "startTime", type: TS, notNull: true },
      { name: "endTime", type: TS, notNull: true },
      ...["api_base", "model_group", "litellm_model_name", "model_id"].map((n) => ({ name: n, type: "text", notNull: true, default: "''::text" })),
      jsonObj("request_kwargs"),
      ...["exception_type", "exception_string", "status_code"].map((n) => ({ name: n, type: "text", notNull: true, default: "''::text" })),
    ],
    primaryKey: ["request_id"],
  },
  {
    name: "LiteLLM_ProxyModelTable",
    columns: [req("model_id"), req("model_name"), req("litellm_params", "jsonb"), json("model_info"), createdAt(), req("created_by"), updatedAt(), req("updated_by")],
    primaryKey: ["model_id"],
  },
  {
    name: "LiteLLM_Config",
    columns: [req("param_name"), json("param_value")],
    primaryKey: ["param_name"],
  },
  {
    name: "LiteLLM_CredentialsTable",
    columns: [
      req("credential_id"),
      req("credential_name"),
      req("credential_values", "jsonb"),
      json("credential_info"),
      createdAt(),
      req("created_by"),
      updatedAt(),
      req("updated_by"),
    ],
    primaryKey: ["credential_id"],
    uniques: [{ columns: ["credential_name"] }],
  },
  dailyTable("LiteLLM_DailyUserSpend", "user_id", "LiteLLM_DailyUserSpend_user_id_date_api_key_model_custom_ll_key"),
  dailyTable("LiteLLM_DailyTeamSpend", "team_id", "LiteLLM_DailyTeamSpend_team_id_date_api_key_model_custom_ll_key"),
  dailyTable("LiteLLM_DailyOrganizationSpend", "organization_id", "LiteLLM_DailyOrganizationSpend_organization_id_date_api_key_key"),
  dailyTable("LiteLLM_DailyEndUserSpend", "end_user_id", "LiteLLM_DailyEndUserSpend_end_user_id_date_api_key_model_cu_key"),
  dailyTable("LiteLLM_DailyAgentSpend", "agent_id", "LiteLLM_DailyAgentSpend_agent_id_date_api_key_model_custom__key"),
  dailyTable("LiteLLM_DailyTagSpend", "tag", "LiteLLM_DailyTagSpend_tag_date_api_key_model_custom_llm_pro_key", [text("request_id")]),
];
