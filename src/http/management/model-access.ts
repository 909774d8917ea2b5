import { obj, str, strs, type Row } from "../../auth/key-record.ts";
import { GatewayError } from "../../errors.ts";
import { splitProviderModel } from "../../router/deployment.ts";
import { isAdmin, type Mgmt } from "./context.ts";
import { pyRepr, py } from "./litellm-errors.ts";
import { isTeamAdmin, loadTeam } from "./team-access.ts";
import { unsafeUrlReason } from "./url-guard.ts";

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
  if (params.use_in_pass_through === true) {
    throw proxyError(403, "Only proxy admins can give a model's credentials to the pass-through routes (use_in_pass_through).", "use_in_pass_through");
  }
  if (str(params.litellm_credential_name)) {
    throw proxyError(403, "Only proxy admins can bind a stored credential (litellm_credential_name) to a model.", "litellm_credential_name");
  }
}

const has = (params: Row, ...fields: string[]) => fields.every((f) => str(params[f]) !== undefined || (f === "vertex_credentials" && typeof params[f] === "object" && params[f] !== null));

/**
 * LiteLLM's `_assert_team_model_has_own_credential`: a team admin's model never falls back to the
 * gateway's provider keys. Stricter than LiteLLM, which takes any of `api_key`,
 * `aws_secret_access_key`, `vertex_credentials` for every provider (so an OpenAI model with only an
 * AWS secret called out with the gateway's OPENAI_API_KEY): the credential must be one the provider
 * authenticates with — Bedrock an `api_key`, both AWS keys, or a web identity token with its role;
 * Vertex AI the credentials JSON; every other provider an `api_key`.
 */
export function checkOwnCredential(m: Mgmt, params: Row, teamId: string | undefined): void {
  if (isAdmin(m.auth) || !teamId) return;
  const provider = splitProviderModel(str(params.model) ?? "", str(params.custom_llm_provider))?.provider ?? "";
  const own = provider === "bedrock"
    ? has(params, "api_key") || has(params, "aws_access_key_id", "aws_secret_access_key") || has(params, "aws_web_identity_token", "aws_role_name")
    : provider.startsWith("vertex_ai")
      ? has(params, "vertex_credentials")
      : has(params, "api_key");
  if (own) return;
  throw validationError("Team-scoped models must provide their own credential (e.g. litellm_params.api_key) and cannot inherit the proxy's global keys.", "litellm_params.api_key");
}

/**
 * Stricter than LiteLLM: a non-admin's model authenticates only with what it carries. The gateway's
 * environment (`env:` parameters), its shared AWS profiles, an AWS role assumed from the gateway's
 * own identity, and credential files on the gateway's disk (`vertex_credentials` as a path) are
 * proxy-admin settings (403).
 */
export function checkCredentialSources(m: Mgmt, params: Row): void {
  if (isAdmin(m.auth)) return;
  const env = Object.keys(params).find((k) => k.startsWith("env:"));
  if (env) throw proxyError(403, `Only proxy admins can read the gateway's environment on a model (${env}).`, env);
  if (str(params.aws_profile_name)) throw proxyError(403, "Only proxy admins can use the gateway's AWS profiles (aws_profile_name) on a model.", "aws_profile_name");
  if (str(params.aws_role_name) && !has(params, "aws_access_key_id", "aws_secret_access_key") && !has(params, "aws_web_identity_token")) {
    throw proxyError(403, "aws_role_name on a team model needs the team's own aws_access_key_id and aws_secret_access_key (or aws_web_identity_token) to assume it with.", "aws_role_name");
  }
  const vc = params.vertex_credentials;
  if (typeof vc === "string" && vc.trim() && !vc.trim().startsWith("{")) {
    throw proxyError(403, "vertex_credentials on a team model must be the credentials JSON, not a path on the gateway.", "vertex_credentials");
  }
}

/** Caller-chosen endpoints, as LiteLLM's `_URL_LITELLM_PARAMS`. */
const URL_PARAMS = ["api_base", "base_url", "aws_bedrock_runtime_endpoint", "aws_sts_endpoint"];

function settingOf(m: Mgmt, name: string): unknown {
  const litellm = m.rt.config.litellm as Row;
  return litellm[name] ?? (m.rt.config.general as Row)[name];
}

/** The endpoints of a model: its URL parameters and the token endpoint inside inline Vertex AI credentials. */
function endpointsOf(params: Row): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of URL_PARAMS) if (str(params[f])) out.push([f, String(params[f])]);
  let vc: unknown = params.vertex_credentials;
  if (typeof vc === "string" && vc.trim().startsWith("{")) {
    try {
      vc = JSON.parse(vc);
    } catch {
      vc = undefined;
    }
  }
  const tokenUri = str(obj(vc).token_uri);
  if (tokenUri) out.push(["vertex_credentials.token_uri", tokenUri]);
  return out;
}

/**
 * LiteLLM's `_validate_model_url_params` (SSRF guard), for non-admin writes: every endpoint the caller
 * chose must resolve to public addresses only (400 `validation_error`). `litellm_settings.user_url_validation:
 * false` turns it off and `user_url_allowed_hosts` lets named hosts through, as in LiteLLM. Proxy admins
 * configure what they want here (LiteLLM checks their writes too).
 */
export async function checkModelEndpoints(m: Mgmt, params: Row): Promise<void> {
  if (isAdmin(m.auth) || settingOf(m, "user_url_validation") === false) return;
  const allowed = strs(settingOf(m, "user_url_allowed_hosts"));
  for (const [field, url] of endpointsOf(params)) {
    const why = await unsafeUrlReason(url, allowed);
    if (why) {
      throw validationError(`${field}=${pyRepr(url)} is rejected by the SSRF guard (${why}). Add the host to litellm_settings.user_url_allowed_hosts to allow it.`, field);
    }
  }
}

const CREDENTIALS = ["api_key", "litellm_credential_name", "aws_secret_access_key", "aws_session_token", "vertex_credentials"];
const DESTINATIONS = ["api_base", "base_url", "aws_bedrock_runtime_endpoint", "aws_sts_endpoint", "custom_llm_provider"];

/** A patch that moves the model or changes how it authenticates. */
export const movesOrReauthenticates = (patch: Row) => [...DESTINATIONS, ...CREDENTIALS].some((f) => f in patch);

/** LiteLLM's `_strip_credentials_on_destination_change`: a stored credential never follows a new endpoint. */
export function stripCredentialsOnNewDestination(merged: Row, patch: Row, stored: Row): void {
  const moved = DESTINATIONS.some((f) => f in patch && patch[f] !== stored[f]);
  if (moved && !CREDENTIALS.some((f) => f in patch)) for (const f of CREDENTIALS) delete merged[f];
}

export const teamOfModel = (info: unknown) => str(obj(info).team_id);
