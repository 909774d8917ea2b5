import { randomBytes } from "node:crypto";
import { obj, type Row } from "../../auth/key-record.ts";
import { durationMs, nextResetAt } from "../../spend/duration.ts";
import { badRequest, invalidType } from "./context.ts";

/** Fields of `GenerateKeyRequest` / `UpdateKeyRequest` stored as columns of the same name. */
const DIRECT = [
  "key_alias",
  "user_id",
  "team_id",
  "agent_id",
  "organization_id",
  "project_id",
  "budget_id",
  "max_budget",
  "budget_duration",
  "spend",
  "models",
  "aliases",
  "config",
  "permissions",
  "max_parallel_requests",
  "tpm_limit",
  "rpm_limit",
  "model_max_budget",
  "allowed_cache_controls",
  "allowed_routes",
  "blocked",
  "router_settings",
  "access_group_ids",
  "policies",
  "auto_rotate",
  "rotation_interval",
  "object_permission_id",
] as const;

const KEY_TYPE_ROUTES: Record<string, string[]> = {
  llm_api: ["llm_api_routes"],
  management: ["management_routes"],
  read_only: ["info_routes"],
};

/** `sk-` + base64url(16 random bytes), LiteLLM's `secrets.token_urlsafe(16)` key. */
export const newRawKey = () => `sk-${randomBytes(16).toString("base64url")}`;

export const isNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);

/**
 * Column values for a key from a generate/update body; only the fields the body has. A field sent
 * empty replaces the stored value, as LiteLLM's `prepare_key_update_data` does (`metadata: {}` clears
 * the metadata, `models: []` means all models); the metadata fields (`tags`, …) land in `metadata`.
 */
export function keyColumns(body: Row, current?: Row): Row {
  const out: Row = {};
  for (const f of DIRECT) if (body[f] !== undefined) out[f] = body[f];
  for (const f of ["aliases", "config", "permissions", "model_max_budget"]) if (out[f] === null) out[f] = {};
  if (body.duration === null || body.duration === "-1") out.expires = null;
  else if (typeof body.duration === "string") {
    const ms = durationMs(body.duration);
    if (ms === undefined) throw badRequest(`Invalid duration: ${body.duration}`, "duration");
    out.expires = new Date(Date.now() + ms).toISOString();
  }
  if (typeof body.budget_duration === "string") out.budget_reset_at = nextResetAt(body.budget_duration)?.toISOString() ?? null;
  if (typeof body.key_type === "string" && KEY_TYPE_ROUTES[body.key_type] && body.allowed_routes === undefined) {
    out.allowed_routes = KEY_TYPE_ROUTES[body.key_type];
  }
  const metaFields = ["tags", "model_rpm_limit", "model_tpm_limit", "guardrails", "prompts", "enforced_params", "temp_budget_increase", "temp_budget_expiry", "allowed_passthrough_routes"];
  if (body.metadata !== undefined || metaFields.some((f) => body[f] !== undefined)) {
    const meta: Row = { ...obj(body.metadata !== undefined ? body.metadata : current?.metadata) };
    for (const f of metaFields) if (body[f] !== undefined) meta[f] = body[f];
    out.metadata = meta;
  }
  for (const f of ["max_budget", "tpm_limit", "rpm_limit", "max_parallel_requests", "spend"]) {
    if (out[f] !== undefined && out[f] !== null && !isNumber(out[f])) throw invalidType(`${f} must be a number`, f);
  }
  return out;
}

/** The key as `/key/info` and `/key/generate` show it: no `token` unless asked, with its budget row. */
export function presentKey(row: Row, budget: Row | undefined, keepToken = false): Row {
  const out: Row = { ...row, litellm_budget_table: budget ?? null };
  if (!keepToken) delete out.token;
  if (budget && out.soft_budget === undefined) out.soft_budget = budget.soft_budget ?? null;
  return out;
}
