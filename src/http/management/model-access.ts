import { obj, str, type Row } from "../../auth/key-record.ts";
import { GatewayError } from "../../errors.ts";
import { isAdmin, type Mgmt } from "./context.ts";
import { pyRepr, py } from "./litellm-errors.ts";
import { isTeamAdmin, loadTeam } from "./team-access.ts";

/** LiteLLM raises these as HTTPException and re-wraps them as `ProxyException(type=auth_error)`. */
export const proxyError = (status: number, message: string, param = "None") => new GatewayError(status, message, { type: "auth_error", param });

/** `HTTPException(detail={"error": …})` re-wrapped: the message is Python's `str()` of the detail dict. */
export const detailError = (status: number, error: string) => proxyError(status, `{'error': ${pyRepr(error)}}`);

const validationError = (message: string, param: string) => new GatewayError(400, message, { type: "validation_error", param });

/**
 * LiteLLM's `ModelManagementAuthChecks.can_user_make_model_call`: a model of a team (`model_info.team_id`)
 * may be written by a proxy admin or that team's admin; any other model by a proxy admin only.
 * Returns the team row for a team model.
 */
export async function authorizeModelWrite(m: Mgmt, teamId: string | undefined): Promise<Row | undefined> {
  if (teamId) {
    const team = await loadTeam(m, teamId);
    if (!team) throw detailError(400, `Team id=${teamId} does not exist in db`);
    if (isAdmin(m.auth) || isTeamAdmin(team, m.auth.userId)) return team;
    throw detailError(
      403,
      `Team ID=${teamId} does not match the API key's team ID=${py(m.auth.teamId)}, OR you are not the admin for this team. Check \`/user/info\` to verify your team admin status.`,
    );
  }
  if (isAdmin(m.auth)) return undefined;
  throw detailError(
    403,
    `User does not have permission to make this model call. Your role=${m.auth.role}. You can only make model calls if you are a PROXY_ADMIN or if you are a team admin, by specifying a team_id in the model_info.`,
  );
}

const isPricingField = (field: string) => field.includes("cost_per") || field.endsWith("_cost");

function hasEnvReference(v: unknown): boolean {
  if (typeof v === "string") return v.startsWith("os.environ/");
  if (Array.isArray(v)) return v.some(hasEnvReference);
  if (v && typeof v === "object") return Object.values(v).some(hasEnvReference);
  return false;
}

/**
 * LiteLLM's `_assert_privileged_model_fields_authorized`: a team admin may not set prices, read the
 * server's environment (`os.environ/`) or bind a stored credential.
 */
export function checkPrivilegedModelFields(m: Mgmt, params: Row, info: Row): void {
  if (isAdmin(m.auth)) return;
  for (const [field, value] of [...Object.entries(params), ...Object.entries(info)]) {
    if (isPricingField(field)) throw proxyError(403, `Only proxy admins can set model pricing fields (e.g. ${field}).`, field);
    if (hasEnvReference(value)) throw proxyError(403, `os.environ/ references are not permitted in non-admin model parameters (field: ${field}); supply a literal value.`, field);
  }
  if (str(params.litellm_credential_name)) {
    throw proxyError(403, "Only proxy admins can bind a stored credential (litellm_credential_name) to a model.", "litellm_credential_name");
  }
}

/** LiteLLM's `_assert_team_model_has_own_credential`: a team admin's model never falls back to the gateway's provider keys. */
export function checkOwnCredential(m: Mgmt, params: Row, teamId: string | undefined): void {
  if (isAdmin(m.auth) || !teamId) return;
  if (["api_key", "aws_secret_access_key", "vertex_credentials"].some((f) => str(params[f]))) return;
  throw validationError("Team-scoped models must provide their own credential (e.g. litellm_params.api_key) and cannot inherit the proxy's global keys.", "litellm_params.api_key");
}

const CREDENTIALS = ["api_key", "litellm_credential_name", "aws_secret_access_key", "aws_session_token", "vertex_credentials"];
const DESTINATIONS = ["api_base", "base_url", "aws_bedrock_runtime_endpoint", "aws_sts_endpoint", "custom_llm_provider"];

/** LiteLLM's `_strip_credentials_on_destination_change`: a stored credential never follows a new endpoint. */
export function stripCredentialsOnNewDestination(merged: Row, patch: Row, stored: Row): void {
  const moved = DESTINATIONS.some((f) => f in patch && patch[f] !== stored[f]);
  if (moved && !CREDENTIALS.some((f) => f in patch)) for (const f of CREDENTIALS) delete merged[f];
}

export const teamOfModel = (info: unknown) => str(obj(info).team_id);
