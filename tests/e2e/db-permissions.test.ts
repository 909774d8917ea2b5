import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, sha256, waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/**
 * Every management route that writes, tried by each non-admin role against objects it does not own
 * and with each privilege-carrying field: route × role → LiteLLM's status, error type and message,
 * and not one row of the database changed. Then what those roles may do, and the admin.
 */
const MASTER = "sk-perm-master-0001";
const SALT = "salt-for-the-permissions-test";

type Json = Record<string, unknown>;
type Who = "internal" | "viewer" | "member" | "otherTeam" | "adminViewer" | "orgAdmin" | "expired" | "blocked" | "routesOnly" | "allModels" | "teamAll" | "teamAdmin" | "uiCookie" | "uiAlice";
interface Outcome {
  status: number;
  type: string;
  message: string;
}

const U = {
  root: "root-admin-00",
  alice: "alice-user-01",
  vera: "vera-viewer-02",
  bob: "bob-other-03",
  pav: "pav-admview-04",
  tadmin: "tadmin-team-05",
  victim: "victim-user-06",
  carol: "carol-allmodels-07",
  dave: "dave-teamc-08",
  olga: "olga-orgadmin-09",
};

/** Raw keys, made in `beforeAll`. */
const K: Record<string, string> = {};

/** LiteLLM's `_mask_user_id`: six characters, stars, two characters. */
const mask = (id: string) => `${id.slice(0, 6)}${"*".repeat(id.length - 8)}${id.slice(-2)}`;

/**
 * The callers: an internal user, an internal viewer, a team member who is not team admin, a key of
 * another team, an admin viewer, the org admin of another organization, and keys that are expired,
 * blocked, or limited to the LLM routes by `allowed_routes`.
 */
const WHO: Record<Who, { key: () => string; user: string; role: string; masked: string }> = {
  internal: { key: () => K.alice!, user: U.alice, role: "internal_user", masked: mask(U.alice) },
  viewer: { key: () => K.vera!, user: U.vera, role: "internal_user_viewer", masked: mask(U.vera) },
  member: { key: () => K.aliceTeam!, user: U.alice, role: "internal_user", masked: mask(U.alice) },
  otherTeam: { key: () => K.bob!, user: U.bob, role: "internal_user", masked: mask(U.bob) },
  adminViewer: { key: () => K.pav!, user: U.pav, role: "proxy_admin_viewer", masked: "" },
  orgAdmin: { key: () => K.olga!, user: U.olga, role: "internal_user", masked: mask(U.olga) },
  expired: { key: () => K.aliceExpired!, user: U.alice, role: "internal_user", masked: mask(U.alice) },
  blocked: { key: () => K.aliceBlocked!, user: U.alice, role: "internal_user", masked: mask(U.alice) },
  routesOnly: { key: () => K.aliceLLMOnly!, user: U.alice, role: "internal_user", masked: mask(U.alice) },
  allModels: { key: () => K.carol!, user: U.carol, role: "internal_user", masked: mask(U.carol) },
  teamAll: { key: () => K.daveTeam!, user: U.dave, role: "internal_user", masked: mask(U.dave) },
  teamAdmin: { key: () => K.tadmin!, user: U.tadmin, role: "internal_user", masked: mask(U.tadmin) },
  /** The admin's UI session cookie (sealed, no key) sent to the API by someone else. */
  uiCookie: { key: () => `cookie:${K.adminUiCookie!}`, user: U.root, role: "proxy_admin", masked: mask(U.root) },
  /** An internal user's UI session on the UI's pages. */
  uiAlice: { key: () => `cookie:${K.aliceUiCookie!}`, user: U.alice, role: "internal_user", masked: mask(U.alice) },
};
const ALL: Who[] = ["internal", "viewer", "member", "otherTeam", "adminViewer", "orgAdmin", "expired", "blocked", "routesOnly"];

/** Keys refused before any route's own check, whatever the route: the same answer on every row. */
const REFUSED_FIRST: Partial<Record<Who, (route: string) => Outcome>> = {
  blocked: () => out(401, "auth_error", "Authentication Error, Key is blocked. Update via `/key/unblock` if you're admin."),
  routesOnly: (route) => out(401, "auth_error", `Only allowed to call routes: ['llm_api_routes']. Tried to call route: ${route}`),
  expired: () => out(400, "expired_key", "Authentication Error - Expired Key."),
};

const out = (status: number, type: string, message: string): Outcome => ({ status, type, message });
const viewerDenied = (path: string) => out(403, "auth_error", `user not allowed to access this route, role= proxy_admin_viewer. Trying to access: ${path}`);
/** LiteLLM's route check for routes only a proxy admin reaches. */
const onlyAdmin = (path: string) => (w: Who) =>
  w === "adminViewer"
    ? viewerDenied(path)
    : out(401, "auth_error", `Authentication Error, Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route=${path}. Your role=${WHO[w].role}. Your user_id=${WHO[w].masked}`);
/** Key routes: internal users reach the handler; the internal viewer is stopped by the route check, the admin viewer by its write ban. */
const keyRoute = (path: string, f: (w: Who) => Outcome) => (w: Who) => (w === "viewer" ? onlyAdmin(path)(w) : w === "adminViewer" ? viewerDenied(path) : f(w));
/** Self-managed routes (team members, models): every role reaches the handler, the admin viewer excepted. */
const selfManaged = (path: string, f: (w: Who) => Outcome) => (w: Who) => (w === "adminViewer" ? viewerDenied(path) : f(w));
const agentsApi = () => out(403, "auth_error", "Admin-only endpoint. Not allowed to access this.");
const memberPermission = (route: string, team: string) =>
  out(401, "team_member_permission_error", `Team member does not have permissions for endpoint: ${route}. You only have access to the following endpoints: ['/key/info', '/key/health'] for team ${team}.`);
const ownerOnly = (status: number, type: string, message: string) => out(status, type, `{'error': '${message}'}`);
/** Stricter than LiteLLM: what an owner may not change on its own key (403, the route's error type). */
const tighten = (type: string, message: string) => out(403, type, message);
const upd = "auth_error";
const gen = "internal_server_error";
const notYours = (w: Who, owner: string) => out(403, upd, `User can only create keys for themselves. Got user_id=${owner}, Your ID=${WHO[w].user}`);

interface Case {
  title: string;
  method?: string;
  path: string | (() => string);
  body?: () => Json;
  as?: Who[];
  expect: (w: Who) => Outcome;
}

const alice = (w: Who) => w === "internal" || w === "member";

const CASES: Case[] = [
  // ── users, teams, budgets, customers, organizations: proxy admins only ──
  { title: "create a proxy_admin user", path: "/user/new", body: () => ({ user_id: "evil-admin", user_role: "proxy_admin" }), expect: onlyAdmin("/user/new") },
  { title: "delete the admin user", path: "/user/delete", body: () => ({ user_ids: [U.root] }), expect: onlyAdmin("/user/delete") },
  {
    title: "promote oneself with /user/update",
    path: "/user/update",
    body: () => ({ user_id: U.alice, user_role: "proxy_admin" }),
    expect: (w) =>
      w === "adminViewer"
        ? out(403, "auth_error", "Trying to access: /user/update and updating invalid param: user_id. only user_email and password can be updated")
        : onlyAdmin("/user/update")(w),
  },
  {
    title: "create a user through /user/update by a new email (stricter: LiteLLM lets the admin viewer)",
    path: "/user/update",
    body: () => ({ user_email: "attacker@example.com" }),
    expect: (w) => (w === "adminViewer" ? out(403, "auth_error", "{'error': 'User does not have permission to update this user. Only PROXY_ADMIN can update other users.'}") : onlyAdmin("/user/update")(w)),
  },
  { title: "create a team", path: "/team/new", body: () => ({ team_alias: "evil-team", max_budget: 1e6 }), expect: onlyAdmin("/team/new") },
  { title: "raise a team's budget", path: "/team/update", body: () => ({ team_id: "team-a", max_budget: 1e6, models: [] }), expect: onlyAdmin("/team/update") },
  { title: "delete a team", path: "/team/delete", body: () => ({ team_ids: ["team-a"] }), expect: onlyAdmin("/team/delete") },
  { title: "block a key (stricter: LiteLLM lets internal users)", path: "/key/block", body: () => ({ key: K.victim }), expect: onlyAdmin("/key/block") },
  { title: "unblock a key an admin blocked (stricter: LiteLLM lets internal users)", path: "/key/unblock", body: () => ({ key: K.aliceBlocked }), expect: onlyAdmin("/key/unblock") },
  { title: "create a budget", path: "/budget/new", body: () => ({ budget_id: "evil-budget", max_budget: 1e6 }), expect: onlyAdmin("/budget/new") },
  { title: "raise a budget", path: "/budget/update", body: () => ({ budget_id: "bud-1", max_budget: 1e6 }), expect: onlyAdmin("/budget/update") },
  { title: "delete a budget", path: "/budget/delete", body: () => ({ id: "bud-1" }), expect: onlyAdmin("/budget/delete") },
  { title: "create a customer", path: "/customer/new", body: () => ({ user_id: "evil-cust", max_budget: 1e6 }), expect: onlyAdmin("/customer/new") },
  { title: "raise a customer's budget", path: "/customer/update", body: () => ({ user_id: "cust-1", max_budget: 1e6 }), expect: onlyAdmin("/customer/update") },
  { title: "unblock a customer", path: "/customer/unblock", body: () => ({ user_ids: ["cust-1"] }), expect: onlyAdmin("/customer/unblock") },
  { title: "delete a customer", path: "/customer/delete", body: () => ({ user_ids: ["cust-1"] }), expect: onlyAdmin("/customer/delete") },
  { title: "block an end user", path: "/end_user/block", body: () => ({ user_ids: ["cust-1"] }), expect: onlyAdmin("/end_user/block") },
  // ── tags (LiteLLM's tag management): writes for proxy admins only; /tag/info for admin views ──
  { title: "create a tag with a budget", path: "/tag/new", body: () => ({ name: "evil-tag", max_budget: 1e6 }), expect: onlyAdmin("/tag/new") },
  { title: "raise a tag's budget", path: "/tag/update", body: () => ({ name: "tag-secret", max_budget: 1e6, spend: 0 }), expect: onlyAdmin("/tag/update") },
  { title: "delete a tag", path: "/tag/delete", body: () => ({ name: "tag-secret" }), expect: onlyAdmin("/tag/delete") },
  {
    title: "read a tag's budget",
    path: "/tag/info",
    body: () => ({ names: ["tag-secret"] }),
    as: ["internal", "viewer", "member", "otherTeam", "orgAdmin", "expired", "blocked", "routesOnly"],
    expect: onlyAdmin("/tag/info"),
  },
  // LiteLLM's organization RBAC (`organization_role_based_access_check`) runs before the route check for every key with a user row.
  { title: "create an organization", path: "/organization/new", body: () => ({ organization_alias: "evil-org" }), expect: () => out(401, "auth_error", "Only proxy admins can create new organizations") },

  // ── team members: the team's admin or a proxy admin ──
  ...(["/team/member_add", "/team/member_delete", "/team/member_update"] as const).map(
    (path): Case => ({
      title: `${path} on a team one does not administer`,
      path,
      body: () =>
        path === "/team/member_add"
          ? { team_id: "team-a", member: { role: "admin", user_id: "mallory" } }
          : path === "/team/member_delete"
            ? { team_id: "team-a", user_id: U.tadmin }
            : { team_id: "team-a", user_id: U.alice, role: "admin", max_budget_in_team: 1e6 },
      // LiteLLM prints route=/team/member_delete for member_update too.
      expect: selfManaged(path, () => ownerOnly(403, gen, `Call not allowed. User not proxy admin OR team admin. route=${path === "/team/member_add" ? path : "/team/member_delete"}, team_id=team-a`)),
    }),
  ),

  // ── models: proxy admins, and team admins for their team's models ──
  {
    title: "add a global model with a chosen api_base",
    path: "/model/new",
    body: () => ({ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: "http://127.0.0.1:9/v1", api_key: "sk-x" } }),
    expect: selfManaged("/model/new", (w) =>
      out(403, "auth_error", `{'error': 'User does not have permission to make this model call. Your role=${WHO[w].role}. You can only make model calls if you are a PROXY_ADMIN or if you are a team admin, by specifying a team_id in the model_info.'}`),
    ),
  },
  {
    title: "add a model to a team one does not administer",
    path: "/model/new",
    body: () => ({ model_name: "team-gpt", litellm_params: { model: "openai/gpt-upstream", api_key: "sk-x" }, model_info: { team_id: "team-a" } }),
    expect: selfManaged("/model/new", (w) => out(403, "auth_error", `does not match the API key's team ID=${w === "member" ? "team-a" : w === "otherTeam" ? "team-b" : "None"}, OR you are not the admin for this team.`)),
  },
  ...[
    { path: "/model/update", method: "POST", body: { model_info: { id: "db-model-1" }, litellm_params: { api_base: "http://127.0.0.1:9/v1" } } },
    { path: "/model/db-model-1/update", method: "PATCH", body: { litellm_params: { api_base: "http://127.0.0.1:9/v1" } } },
    { path: "/model/delete", method: "POST", body: { id: "db-model-1" } },
  ].map(
    (c): Case => ({
      title: `${c.method} ${c.path} of an admin's model`,
      method: c.method,
      path: c.path,
      body: () => c.body,
      expect: selfManaged(c.path, (w) => out(403, "auth_error", `User does not have permission to make this model call. Your role=${WHO[w].role}.`)),
    }),
  ),

  // ── a team admin's model reaches only public endpoints and authenticates with its own credential ──
  ...(
    [
      ["api_base", "http://127.0.0.1:9/v1", "127.0.0.1 resolves to 127.0.0.1 (loopback)"],
      ["api_base", "http://169.254.169.254/latest/meta-data", "169.254.169.254 resolves to 169.254.169.254 (link-local)"],
      ["api_base", "http://[::ffff:a9fe:a9fe]/v1", "::ffff:a9fe:a9fe resolves to ::ffff:a9fe:a9fe (link-local)"],
      ["api_base", "http://10.0.0.7:8080/v1", "10.0.0.7 resolves to 10.0.0.7 (private)"],
      ["api_base", "http://0x7f.1:4000/v1", "127.0.0.1 resolves to 127.0.0.1 (loopback)"],
      ["base_url", "http://localhost:4000", "localhost resolves to"],
      ["api_base", "file:///etc/passwd", "scheme file is not allowed"],
    ] as const
  ).map(
    ([field, url, why]): Case => ({
      title: `a team model with ${field} ${url}`,
      path: "/model/new",
      body: () => ({ model_name: "team-ssrf", litellm_params: { model: "openai/gpt-upstream", [field]: url, api_key: "sk-team-own" }, model_info: { team_id: "team-a" } }),
      as: ["teamAdmin"],
      expect: () => out(400, "validation_error", `${field}='${url}' is rejected by the SSRF guard (${why}`),
    }),
  ),
  {
    title: "a team Bedrock model with aws_bedrock_runtime_endpoint and aws_sts_endpoint on private hosts",
    path: "/model/new",
    body: () => ({
      model_name: "team-bedrock",
      litellm_params: { model: "bedrock/anthropic.claude-3-haiku", aws_access_key_id: "AKIATEAM", aws_secret_access_key: "team-secret-0001", aws_bedrock_runtime_endpoint: "http://192.168.0.10" },
      model_info: { team_id: "team-a" },
    }),
    as: ["teamAdmin"],
    expect: () => out(400, "validation_error", "aws_bedrock_runtime_endpoint='http://192.168.0.10' is rejected by the SSRF guard (192.168.0.10 resolves to 192.168.0.10 (private))"),
  },
  {
    title: "a team Vertex AI model whose credentials send the token request to a private host",
    path: "/model/new",
    body: () => ({
      model_name: "team-vertex",
      litellm_params: { model: "vertex_ai/gemini-2.0-flash", vertex_project: "p", vertex_credentials: JSON.stringify({ type: "authorized_user", refresh_token: "r", client_id: "c", client_secret: "s", token_uri: "http://100.100.100.200/token" }) },
      model_info: { team_id: "team-a" },
    }),
    as: ["teamAdmin"],
    expect: () => out(400, "validation_error", "vertex_credentials.token_uri='http://100.100.100.200/token' is rejected by the SSRF guard (100.100.100.200 resolves to 100.100.100.200 (shared address space))"),
  },
  ...(
    [
      [{ model: "openai/gpt-upstream", api_key: "sk-team-own", "env:AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/creds" }, 403, "auth_error", "Only proxy admins can read the gateway's environment on a model (env:AWS_CONTAINER_CREDENTIALS_FULL_URI)."],
      [{ model: "bedrock/anthropic.claude-3-haiku", api_key: "team-bearer", aws_profile_name: "production" }, 403, "auth_error", "Only proxy admins can use the gateway's AWS profiles (aws_profile_name) on a model."],
      [{ model: "bedrock/anthropic.claude-3-haiku", aws_secret_access_key: "team-secret-0001", aws_role_name: "arn:aws:iam::1:role/admin" }, 403, "auth_error", "aws_role_name on a team model needs the team's own"],
      [{ model: "vertex_ai/gemini-2.0-flash", vertex_project: "p", vertex_credentials: "/var/run/secrets/gcp/service-account.json" }, 403, "auth_error", "vertex_credentials on a team model must be the credentials JSON, not a path on the gateway."],
      [{ model: "openai/gpt-upstream", aws_secret_access_key: "not-an-openai-key" }, 400, "validation_error", "Team-scoped models must provide their own credential"],
      [{ model: "bedrock/anthropic.claude-3-haiku", aws_secret_access_key: "team-secret-0001" }, 400, "validation_error", "Team-scoped models must provide their own credential"],
      [{ model: "vertex_ai/gemini-2.0-flash", vertex_project: "p", api_key: "not-a-vertex-credential" }, 400, "validation_error", "Team-scoped models must provide their own credential"],
      [{ model: "openai/gpt-upstream", api_key: "sk-team-own", use_in_pass_through: true }, 403, "auth_error", "Only proxy admins can give a model's credentials to the pass-through routes (use_in_pass_through)."],
    ] as Array<[Json, number, string, string]>
  ).map(
    ([litellm_params, status, type, message]): Case => ({
      title: `a team model that would authenticate with the gateway's own identity: ${Object.keys(litellm_params).filter((k) => k !== "model").join(", ")} (stricter)`,
      path: "/model/new",
      body: () => ({ model_name: "team-borrowed", litellm_params, model_info: { team_id: "team-a" } }),
      as: ["teamAdmin"],
      expect: () => out(status, type, message),
    }),
  ),
  ...[
    { method: "POST", path: () => "/model/update", body: () => ({ model_info: { id: ids.teamModelId }, litellm_params: { api_base: "http://169.254.169.254/v1" } }) },
    { method: "PATCH", path: () => `/model/${ids.teamModelId}/update`, body: () => ({ litellm_params: { api_base: "http://169.254.169.254/v1", api_key: "sk-team-own" } }) },
    { method: "PATCH", path: () => `/model/${ids.teamModelId}/update`, body: () => ({ litellm_params: { aws_profile_name: "production" } }) },
  ].map(
    (c, i): Case => ({
      title: `${c.method} a team model to an internal host or the gateway's credentials (${i + 1})`,
      method: c.method,
      path: c.path,
      body: c.body,
      as: ["teamAdmin"],
      expect: () =>
        i === 2
          ? out(403, "auth_error", "Only proxy admins can use the gateway's AWS profiles (aws_profile_name) on a model.")
          : out(400, "validation_error", "api_base='http://169.254.169.254/v1' is rejected by the SSRF guard (169.254.169.254 resolves to 169.254.169.254 (link-local)). Add the host to litellm_settings.user_url_allowed_hosts to allow it."),
    }),
  ),

  // ── an org admin runs the teams of its own organization only (org-1), within its models and budget ──
  ...(
    [
      ["/team/new", { team_alias: "o2-team", organization_id: "org-2" }],
      ["/team/update", { team_id: "team-o2", max_budget: 1 }],
      ["/team/update", { team_id: "team-a", organization_id: "org-1" }],
      ["/team/update", { team_id: "team-o1", organization_id: "org-2" }],
      ["/team/delete", { team_ids: ["team-o1", "team-o2"] }],
    ] as Array<[string, Json]>
  ).map(
    ([path, body]): Case => ({
      title: `${path} on a team outside one's organization ${JSON.stringify(body)}`,
      path,
      body: () => body,
      as: ["orgAdmin"],
      expect: onlyAdmin(path),
    }),
  ),
  ...(
    [
      [{ organization_id: null }, "Only a proxy admin can take a team out of its organization."],
      [{ blocked: false }, "Only a proxy admin can unblock a team."],
      [{ router_settings: { fallbacks: [] } }, "Only a proxy admin can set router_settings on a team."],
      [{ model_aliases: { "gpt-test": "secret-model" } }, "Only a proxy admin can set model_aliases on a team."],
      [{ metadata: { allowed_passthrough_routes: ["/anthropic"] } }, "Only a proxy admin can set metadata.allowed_passthrough_routes on a team."],
      [{ models: ["gpt-test", "secret-model"] }, "Team models=['secret-model'] are not in the models of organization=org-1 (['gpt-test', 'other-gpt'])."],
      [{ models: [] }, "Team has access to all proxy models, but organization=org-1 does not."],
      [{ max_budget: 1000 }, "Team has max_budget 1000 that is greater than the organization's max_budget 100."],
      [{ max_budget: null }, "Team max_budget cannot be lifted: organization=org-1 has max_budget 100."],
    ] as Array<[Json, string]>
  ).map(
    ([fields, message]): Case => ({
      title: `/team/update of one's organization's team beyond it: ${JSON.stringify(fields)} (stricter)`,
      path: "/team/update",
      body: () => ({ team_id: fields.blocked === false ? "team-o1-blocked" : "team-o1", ...fields }),
      as: ["orgAdmin"],
      expect: () => out(403, "auth_error", `{'error': ${message.includes("'") ? `"${message}"` : `'${message}'`}}`),
    }),
  ),
  {
    title: "/team/new in one's organization with every model (stricter)",
    path: "/team/new",
    body: () => ({ team_alias: "o1-all", organization_id: "org-1" }),
    as: ["orgAdmin"],
    expect: () => out(403, "auth_error", "{'error': 'Team has access to all proxy models, but organization=org-1 does not.'}"),
  },
  {
    title: "/team/member_add on a team of another organization",
    path: "/team/member_add",
    body: () => ({ team_id: "team-o2", member: { role: "admin", user_id: U.olga } }),
    as: ["orgAdmin"],
    expect: () => ownerOnly(403, gen, "Call not allowed. User not proxy admin OR team admin. route=/team/member_add, team_id=team-o2"),
  },
  {
    title: "read another organization's team",
    method: "GET",
    path: "/team/info?team_id=team-o2",
    as: ["orgAdmin"],
    expect: () => out(403, "auth_error", `{'error': 'User=${U.olga} not authorized to access this team=team-o2'}`),
  },
  {
    title: "read another organization through the deprecated POST /organization/info naming one's own (stricter: LiteLLM reads only organization_id)",
    path: "/organization/info",
    body: () => ({ organization_id: "org-1", organizations: ["org-1", "org-2"] }),
    as: ["orgAdmin"],
    expect: () => out(401, "auth_error", "You do not have a role within the selected organization. Passed organization_id: org-2."),
  },
  ...(
    [
      ["GET", "/organization/info?organization_id=org-2", undefined],
      ["POST", "/organization/member_add", { organization_id: "org-2", member: { role: "org_admin", user_id: U.olga } }],
      ["PATCH", "/organization/member_update", { organization_id: "org-2", user_id: U.olga, role: "org_admin" }],
      ["DELETE", "/organization/member_delete", { organization_id: "org-2", user_id: U.olga }],
    ] as Array<[string, string, Json | undefined]>
  ).map(
    ([method, path, body]): Case => ({
      title: `${method} ${path} of another organization`,
      method,
      path,
      body: body && (() => body),
      as: ["orgAdmin"],
      expect: () => out(401, "auth_error", "You do not have a role within the selected organization. Passed organization_id: org-2."),
    }),
  ),

  // ── /key/generate: only for oneself, team keys by permission, never beyond one's limits ──
  {
    title: "generate a key for the admin user (self-promotion)",
    path: "/key/generate",
    body: () => ({ user_id: U.root }),
    expect: keyRoute("/key/generate", (w) => out(403, gen, `User can only create keys for themselves. Got user_id=${U.root}, Your ID=${WHO[w].user}`)),
  },
  {
    title: "generate a key in team-a",
    path: "/key/generate",
    body: () => ({ team_id: "team-a" }),
    expect: keyRoute("/key/generate", (w) => (alice(w) ? memberPermission("/key/generate", "team-a") : out(400, gen, `User=${WHO[w].user} not assigned to team=team-a`))),
  },
  {
    title: "generate a key in team-b",
    path: "/key/generate",
    body: () => ({ team_id: "team-b" }),
    expect: keyRoute("/key/generate", (w) => (w === "otherTeam" ? memberPermission("/key/generate", "team-b") : out(400, gen, `User=${WHO[w].user} not assigned to team=team-b`))),
  },
  {
    title: "generate a key in a team that does not exist (stricter)",
    path: "/key/generate",
    body: () => ({ team_id: "no-such-team" }),
    expect: keyRoute("/key/generate", () => out(400, gen, "Unable to find team object in database. Team ID: no-such-team")),
  },
  ...(
    [
      [{ spend: -100 }, "Only a proxy admin can change a key's spend."],
      [{ max_budget: 1000 }, "max_budget=1000 is above the limit of user="],
      [{ tpm_limit: 1e6 }, "tpm_limit=1000000 is above the limit of user="],
      [{ rpm_limit: 1e6 }, "rpm_limit=1000000 is above the limit of user="],
      [{ max_parallel_requests: 1000 }, "max_parallel_requests=1000 is above the limit of user="],
      [{ models: ["secret-model"] }, "models=['secret-model'] is wider than the models of user="],
      [{ models: [] }, "models=[] is wider than the models of user="],
      [{ allowed_routes: ["/user/new"] }, "Only a proxy admin can grant route /user/new to a key."],
      [{ permissions: { get_spend_routes: true } }, "Only a proxy admin can set permissions on a key."],
      [{ budget_id: "bud-1" }, "Only a proxy admin can set budget_id on a key."],
      [{ access_group_ids: ["ag-1"] }, "Only a proxy admin can set access_group_ids on a key."],
      [{ organization_id: "org-1" }, "Only a proxy admin can set organization_id on a key."],
      [{ metadata: { allowed_passthrough_routes: ["/anthropic"] } }, "Only a proxy admin can change metadata.allowed_passthrough_routes on a key."],
      [{ temp_budget_increase: 100, temp_budget_expiry: "2099-01-01" }, "Only a proxy admin can change metadata.temp_budget_increase on a key."],
      [{ metadata: { logging: [{ callback_name: "langfuse", callback_vars: { langfuse_host: "http://169.254.169.254" } }] } }, "Only a proxy admin can change metadata.logging on a key."],
      [{ aliases: { "gpt-test": "secret-model" } }, "aliases may only point at models this key can call; secret-model is not in the models of user="],
    ] as Array<[Json, string]>
  ).map(
    ([body, message]): Case => ({
      title: `generate with ${JSON.stringify(body)}`,
      path: "/key/generate",
      body: () => body,
      expect: keyRoute("/key/generate", () => tighten(gen, message)),
    }),
  ),

  // ── /key/update: one's own key only, never moved to another user or a team one may not use, limits only down ──
  {
    title: "move own key to the admin user (self-promotion)",
    path: "/key/update",
    body: () => ({ key: K.aliceLimited, user_id: U.root }),
    expect: keyRoute("/key/update", () => out(403, upd, `User=${U.root} is not allowed to update key=${K.aliceLimited} to belong to user=${U.alice}`)),
  },
  {
    title: "move own key into team-b",
    path: "/key/update",
    body: () => ({ key: K.aliceLimited, team_id: "team-b" }),
    expect: keyRoute("/key/update", (w) => (alice(w) ? out(403, upd, `User=${U.alice} is not a member of the team=team-b. Check team members via \`/team/info\`.`) : notYours(w, U.alice))),
  },
  {
    title: "move own key into team-a as a member without key permissions",
    path: "/key/update",
    body: () => ({ key: K.aliceLimited, team_id: "team-a" }),
    expect: keyRoute("/key/update", (w) => (alice(w) ? memberPermission("/key/update", "team-a") : notYours(w, U.alice))),
  },
  {
    title: "take own team key out of its team (stricter)",
    path: "/key/update",
    body: () => ({ key: K.aliceTeam, team_id: null }),
    expect: keyRoute("/key/update", (w) => (alice(w) ? memberPermission("/key/update", "team-a") : notYours(w, U.alice))),
  },
  {
    title: "unblock own key an admin blocked",
    path: "/key/update",
    body: () => ({ key: K.aliceBlocked, blocked: false }),
    expect: keyRoute("/key/update", (w) => (alice(w) ? tighten(upd, "Only a proxy admin can unblock a key (`/key/unblock`).") : notYours(w, U.alice))),
  },
  ...(
    [
      [{ spend: 0 }, "Only a proxy admin can change a key's spend."],
      [{ max_budget: 100 }, "max_budget=100 is above the limit of this key (max_budget=5)."],
      [{ max_budget: null }, "max_budget=None would lift the limit of this key (max_budget=5)."],
      [{ tpm_limit: 1e6 }, "tpm_limit=1000000 is above the limit of this key (tpm_limit=100)."],
      [{ rpm_limit: null }, "rpm_limit=None would lift the limit of this key (rpm_limit=10)."],
      [{ max_parallel_requests: 100 }, "max_parallel_requests=100 is above the limit of this key (max_parallel_requests=2)."],
      [{ models: [] }, "models=[] is wider than the models of this key (['gpt-test'])."],
      [{ models: ["gpt-test", "other-gpt"] }, "is wider than the models of this key (['gpt-test'])."],
      [{ allowed_routes: ["/user/new"] }, "Only a proxy admin can grant route /user/new to a key."],
      [{ permissions: { get_spend_routes: true } }, "Only a proxy admin can set permissions on a key."],
      [{ metadata: {} }, "Only a proxy admin can change metadata.guardrails on a key."],
      [{ guardrails: [] }, "Only a proxy admin can change metadata.guardrails on a key."],
      [{ metadata: { guardrails: ["pii"], callback_settings: { callbacks: ["langfuse"], callback_vars: { langfuse_host: "http://10.0.0.1" } } } }, "Only a proxy admin can change metadata.callback_settings on a key."],
      [{ model_rpm_limit: { "gpt-test": 1000 } }, "metadata.model_rpm_limit for gpt-test may only go down (was 5)."],
      [{ duration: null }, "Only a proxy admin can extend a key's expiry"],
      [{ duration: "365d" }, "Only a proxy admin can extend a key's expiry"],
      [{ budget_duration: "1s" }, "Only a proxy admin can change a key's budget_duration."],
      [{ model_max_budget: {} }, "model_max_budget for gpt-test may only go down (was 1)."],
      [{ budget_id: "bud-1" }, "Only a proxy admin can set budget_id on a key."],
      [{ aliases: { "gpt-test": "other-gpt" } }, "aliases may only point at models this key can call; other-gpt is not in the models of this key (['gpt-test'])."],
    ] as Array<[Json, string]>
  ).map(
    ([fields, message]): Case => ({
      title: `update own admin-limited key with ${JSON.stringify(fields)}`,
      path: "/key/update",
      body: () => ({ key: K.aliceLimited, ...fields }),
      expect: keyRoute("/key/update", (w) => (alice(w) ? tighten(upd, message) : notYours(w, U.alice))),
    }),
  ),
  {
    title: "update another user's key",
    path: "/key/update",
    body: () => ({ key: K.victim, max_budget: 1 }),
    expect: keyRoute("/key/update", (w) => notYours(w, U.victim)),
  },
  {
    title: "update a team member's key in team-a",
    path: "/key/update",
    body: () => ({ key: K.victimTeam, max_budget: 1 }),
    expect: keyRoute("/key/update", (w) => notYours(w, U.victim)),
  },
  {
    title: "update team-a's service-account key (stricter: LiteLLM lets anyone)",
    path: "/key/update",
    body: () => ({ key: K.teamService, max_budget: 1e6 }),
    expect: keyRoute("/key/update", () => ownerOnly(403, upd, "You are not authorized to update this key")),
  },
  {
    title: "update own team key as a member without /key/update permission",
    path: "/key/update",
    body: () => ({ key: K.aliceTeam, max_budget: 1 }),
    expect: keyRoute("/key/update", (w) => (alice(w) ? memberPermission("/key/update", "team-a") : notYours(w, U.alice))),
  },

  // ── /key/regenerate: LiteLLM checks only ownership; the fields are checked as on update (stricter) ──
  {
    title: "regenerate own key moving it to the admin user",
    path: "/key/regenerate",
    body: () => ({ key: K.aliceLimited, user_id: U.root }),
    expect: keyRoute("/key/regenerate", () => out(403, gen, `User=${U.root} is not allowed to update key=${K.aliceLimited} to belong to user=${U.alice}`)),
  },
  ...(
    [
      [{ spend: 0 }, "Only a proxy admin can change a key's spend."],
      [{ max_budget: 100 }, "max_budget=100 is above the limit of this key (max_budget=5)."],
      [{ blocked: false }, null],
    ] as Array<[Json, string | null]>
  ).map(
    ([fields, message]): Case => ({
      title: `regenerate own admin-limited key with ${JSON.stringify(fields)}`,
      path: "/key/regenerate",
      body: () => (message ? { key: K.aliceLimited, ...fields } : { key: K.aliceBlocked, ...fields }),
      expect: keyRoute("/key/regenerate", (w) =>
        alice(w) ? tighten(gen, message ?? "Only a proxy admin can unblock a key (`/key/unblock`).") : ownerOnly(403, gen, "You are not authorized to regenerate this key"),
      ),
    }),
  ),
  {
    title: "regenerate own key (path form) with spend reset",
    path: () => `/key/${K.aliceLimited}/regenerate`,
    body: () => ({ spend: 0 }),
    expect: (w) =>
      keyRoute(`/key/${K.aliceLimited}/regenerate`, (v) => (alice(v) ? tighten(gen, "Only a proxy admin can change a key's spend.") : ownerOnly(403, gen, "You are not authorized to regenerate this key")))(w),
  },
  {
    title: "regenerate another user's key",
    path: "/key/regenerate",
    body: () => ({ key: K.victim }),
    expect: keyRoute("/key/regenerate", () => ownerOnly(403, gen, "You are not authorized to regenerate this key")),
  },
  {
    title: "regenerate own team key as a member without /key/regenerate permission",
    path: "/key/regenerate",
    body: () => ({ key: K.aliceTeam }),
    expect: keyRoute("/key/regenerate", (w) => (alice(w) ? memberPermission("/key/regenerate", "team-a") : ownerOnly(403, gen, "You are not authorized to regenerate this key"))),
  },

  // ── a team admin may not take over another user's team key by regenerating it (stricter: LiteLLM lets it) ──
  ...(
    [
      ["a team member's team key", () => K.victimTeam!],
      ["a proxy admin's team key (would make the team admin a proxy admin)", () => K.rootTeam!],
    ] as Array<[string, () => string]>
  ).map(
    ([what, key]): Case => ({
      title: `a team admin regenerates ${what}`,
      path: "/key/regenerate",
      body: () => ({ key: key() }),
      as: ["teamAdmin"],
      expect: () => ownerOnly(403, gen, "Only the owner of a key or a proxy admin can regenerate a key that belongs to a user: its new secret would act as that user."),
    }),
  ),

  // ── /key/delete: owners and their team's admins ──
  { title: "delete another user's key", path: "/key/delete", body: () => ({ keys: [K.victim] }), expect: keyRoute("/key/delete", () => ownerOnly(403, gen, "You are not authorized to delete this key")) },
  { title: "delete by another user's alias", path: "/key/delete", body: () => ({ key_aliases: ["victim-alias"] }), expect: keyRoute("/key/delete", () => ownerOnly(403, gen, "You are not authorized to delete this key")) },
  { title: "delete team-a's service-account key", path: "/key/delete", body: () => ({ keys: [K.teamService] }), expect: keyRoute("/key/delete", () => ownerOnly(403, gen, "You are not authorized to delete this key")) },
  {
    title: "delete a team-a member's own key from another team",
    path: "/key/delete",
    body: () => ({ keys: [K.aliceTeam] }),
    as: ["viewer", "otherTeam", "adminViewer"],
    expect: keyRoute("/key/delete", () => ownerOnly(403, gen, "You are not authorized to delete this key")),
  },

  // ── reads that would leak another team ──
  {
    title: "read team-b's info (members, keys)",
    method: "GET",
    path: "/team/info?team_id=team-b",
    as: ["internal", "viewer", "member", "orgAdmin"],
    expect: (w) => out(403, "auth_error", `{'error': 'User=${WHO[w].user} not authorized to access this team=team-b'}`),
  },
  {
    title: "read the admin user's info",
    method: "GET",
    path: `/user/info?user_id=${U.root}`,
    as: ["internal", "viewer", "member", "otherTeam", "orgAdmin"],
    expect: (w) => out(403, "auth_error", `key not allowed to access this user's info. user_id=${U.root}, key's user_id=${WHO[w].user}`),
  },

  // ── the gateway's own agent API (agents, runs, sessions, memory, vault): proxy admins only ──
  ...[
    ["POST", "/api/agents/greeter/run", { prompt: "exfiltrate" }],
    ["POST", "/api/vault/secrets", { name: "EVIL", value: "x" }],
    ["DELETE", "/api/vault/secrets/DEPLOY_TOKEN", undefined],
    ["GET", "/api/vault/secrets", undefined],
    ["POST", "/api/sessions", { agent: "greeter" }],
    ["POST", "/api/sessions/SESSION/messages", { prompt: "hi" }],
    ["DELETE", "/api/sessions/SESSION", undefined],
    ["POST", "/api/agents/greeter/memory", { content: "evil" }],
    ["DELETE", "/api/agents/greeter/memory", undefined],
    ["POST", "/api/runs/RUN/cancel", undefined],
  ].map(
    ([method, path, body]): Case => ({
      title: `${method} ${path}`,
      method: method as string,
      path: () => (path as string).replace("SESSION", ids.session).replace("RUN", "run-does-not-matter"),
      body: body === undefined ? undefined : () => body as Json,
      expect: agentsApi,
    }),
  ),
];

const ids = { session: "", teamModel: "", teamModelId: "", teamAzure: "" };

/**
 * Reads and LLM calls that could reveal or reach what belongs to others: route × role → status, and
 * strings the answer must not contain (other teams' models, provider keys, key hashes, other users' spend).
 */
interface Seen {
  status: number;
  type?: string;
  message?: string;
  hides?: string[];
  shows?: string[];
}
interface Probe {
  title: string;
  method?: string;
  path: string | (() => string);
  body?: () => Json | FormData;
  as: Who[];
  /** Waits for what the probe reads (a spend row written by the batch writer). */
  before?: () => Promise<unknown>;
  expect: (w: Who) => Seen;
}

const OUTSIDERS: Who[] = ["allModels", "teamAll", "adminViewer", "otherTeam"];
const teamModelSecrets = () => [ids.teamModel, ids.teamModelId, "team-a-secret", "sk-team-a-provider-key"];
const invalidModel = (model: string): Seen => ({ status: 400, type: "invalid_request_error", message: `Invalid model name passed in model=${model}.` });

const LEAKY = ["header-secret-0001", "basic-pass-secret-0002", "query-key-secret-0003"];

/** A `/v1/files` upload naming a config model (whose deployment's credentials the upload would use). */
const upload = (model: string) => () => {
  const f = new FormData();
  f.set("purpose", "batch");
  f.set("model", model);
  f.set("file", new Blob(['{"custom_id":"1"}']), "in.jsonl");
  return f;
};

const PROBES: Probe[] = [
  // ── pass-through and files routes use a model's credentials only for keys that may call it ──
  {
    title: "Azure pass-through to another team's model (its credentials)",
    path: () => `/azure/openai/deployments/${ids.teamAzure}/chat/completions?api-version=2024-02-01`,
    body: () => ({ messages: [{ role: "user", content: "hi" }] }),
    as: ["allModels", "teamAll", "adminViewer"],
    expect: () => ({ status: 400, type: "invalid_request_error", message: `Invalid model name passed in model=${ids.teamAzure}.` }),
  },
  {
    title: "/v1/files upload through another team's model (its credentials)",
    path: "/v1/files",
    body: () => upload(ids.teamAzure)(),
    as: ["allModels", "teamAll", "adminViewer"],
    expect: () => ({ status: 400, message: `model=${ids.teamAzure} is not an OpenAI or Azure model of this gateway` }),
  },
  {
    title: "/v1/files upload through a model the key may not call",
    path: "/v1/files",
    body: () => upload("secret-model")(),
    as: ["internal", "member", "otherTeam"],
    expect: (w) =>
      w === "internal"
        ? { status: 401, type: "user_model_access_denied", message: "User not allowed to access model." }
        : { status: 401, type: "team_model_access_denied", message: "Team not allowed to access model." },
  },

  // ── an internal user's UI session shows its own keys, spend and user only ──
  ...["/ui/keys", "/ui/spend", "/ui/users", "/ui/teams", "/ui", "/ui/agents", "/ui/models"].map(
    (path): Probe => ({
      title: `${path} in an internal user's UI session`,
      method: "GET",
      path,
      as: ["uiAlice"],
      expect: () => ({ status: 200, hides: ["victim-alias", "team-a-service", U.victim, U.bob, sha256(K.bob!), "DEPLOY_TOKEN", "sk-admins-provider-key", ids.teamModel, "Greeter"] }),
    }),
  ),
  {
    title: "a tampered UI session cookie",
    method: "GET",
    path: "/ui/keys",
    as: ["uiAlice"],
    before: async () => {
      K.aliceUiCookie = `${K.aliceUiCookie!.slice(0, -3)}AAA`;
    },
    expect: () => ({ status: 200, shows: ["Master key or virtual key"], hides: ["alice-limited"] }),
  },
  // ── /tag/list: internal users see the tags of their own keys' calls only ──
  {
    title: "list tags as an internal user",
    method: "GET",
    path: "/tag/list",
    as: ["internal", "otherTeam", "viewer"],
    expect: (w) =>
      w === "internal"
        ? { status: 200, shows: ["alice-tag"], hides: ["bob-tag", "tag-secret", "1234567"] }
        : w === "otherTeam"
          ? { status: 200, shows: ["bob-tag"], hides: ["alice-tag", "tag-secret", "1234567"] }
          : { status: 200, hides: ["alice-tag", "bob-tag", "tag-secret"] },
  },
  { title: "list and read tags as the admin viewer", method: "GET", path: "/tag/list", as: ["adminViewer"], expect: () => ({ status: 200, shows: ["alice-tag", "bob-tag", "tag-secret", "1234567"] }) },
  { title: "read a tag's budget as the admin viewer", path: "/tag/info", body: () => ({ names: ["tag-secret"] }), as: ["adminViewer"], expect: () => ({ status: 200, shows: ["tag-secret", "1234567"] }) },
  // ── the admin's UI session cookie is no credential for the API: every route wants a key ──
  ...[
    ["GET", "/key/list"],
    ["GET", `/user/info?user_id=${U.root}`],
    ["GET", "/team/list"],
    ["GET", "/spend/logs"],
    ["GET", "/global/spend/keys"],
    ["GET", "/model/info"],
    ["GET", "/health"],
    ["GET", "/api/vault/secrets"],
    ["GET", "/api/coding-sessions"],
    ["POST", "/key/generate"],
    ["POST", "/user/new"],
    ["POST", "/model/new"],
  ].map(
    ([method, path]): Probe => ({
      title: `${method} ${path} with the admin's UI cookie and no key`,
      method,
      path: path!,
      body: method === "POST" ? () => ({ user_role: "proxy_admin" }) : undefined,
      as: ["uiCookie"],
      expect: () => ({ status: 401, message: "Authentication Error, No api key passed in." }),
    }),
  ),

  {
    title: "a call's x-litellm-model-api-base header without the endpoint's credentials",
    path: "/v1/chat/completions",
    body: () => ({ model: "leaky-config", messages: [{ role: "user", content: "hi" }], litellm_session_id: "carol-session-0001" }),
    as: ["allModels"],
    expect: () => ({ status: 200, shows: ["x-litellm-model-api-base", "127.0.0.1"], hides: LEAKY }),
  },
  {
    title: "the call's spend row (/spend/logs) without the endpoint's credentials",
    method: "GET",
    path: "/spend/logs",
    as: ["allModels"],
    before: () => waitFor(async () => (await db.sql`SELECT 1 FROM "LiteLLM_SpendLogs" WHERE model_group = 'leaky-config'`).length > 0, 15_000, "the spend row"),
    expect: () => ({ status: 200, shows: ["leaky-config", "127.0.0.1"], hides: LEAKY }),
  },

  {
    title: "/api/coding-sessions lists another key's session",
    method: "GET",
    path: "/api/coding-sessions",
    as: ["internal", "otherTeam", "teamAdmin", "orgAdmin"],
    before: () => waitFor(async () => (await db.sql`SELECT 1 FROM litellm_rust_coding_sessions WHERE api_key = ${sha256(K.carol!)}`.catch(() => [])).length > 0, 15_000, "carol's session"),
    expect: () => ({ status: 200, hides: [sha256(K.carol!), U.carol, "carol-session-0001"] }),
  },
  {
    title: "/api/coding-sessions/{id} of another key's session",
    method: "GET",
    path: "/api/coding-sessions/carol-session-0001",
    as: ["internal", "otherTeam", "teamAdmin", "orgAdmin"],
    expect: () => ({ status: 404, message: "Coding session not found: carol-session-0001", hides: [sha256(K.carol!)] }),
  },
  // ── provider credentials never shown by the model lists, wherever an admin put them (headers, URL user info, URL query) ──
  ...["/model/info", "/v1/model/info", "/v2/model/info"].map(
    (path): Probe => ({
      title: `${path} shows a model's endpoint and headers without their credentials (stricter: LiteLLM drops only the key fields)`,
      method: "GET",
      path,
      as: ["allModels", "teamAll", "adminViewer"],
      expect: () => ({ status: 200, shows: ["leaky-config", "visible-header", "region=eu"], hides: ["header-secret-0001", "basic-pass-secret-0002", "query-key-secret-0003", "sk-admins-provider-key"] }),
    }),
  ),

  // ── an org admin sees the teams and organizations it administers, not others ──
  { title: "/team/list", method: "GET", path: "/team/list", as: ["orgAdmin"], expect: () => ({ status: 200, shows: ["team-o1"], hides: ["team-o2", "team-a", "team-b"] }) },
  {
    title: "/organization/list",
    method: "GET",
    path: "/organization/list",
    as: ["orgAdmin", "internal"],
    expect: (w) =>
      w === "orgAdmin"
        ? { status: 200, shows: ["org-1", "team-o1", U.alice], hides: ["org-2", "team-o2"] }
        : { status: 200, shows: ["org-1", U.alice], hides: ["org-2", "team-o2", "team-o1", U.olga] },
  },

  // ── a team's model (`/model/new` with model_info.team_id) is callable and listed for that team only ──
  {
    title: "call another team's model by its internal name",
    path: "/v1/chat/completions",
    body: () => ({ model: ids.teamModel, messages: [{ role: "user", content: "hi" }] }),
    as: ["allModels", "teamAll", "adminViewer"],
    expect: () => invalidModel(ids.teamModel),
  },
  {
    title: "call another team's model by its deployment id (stricter: LiteLLM passes a pinned deployment through)",
    path: "/v1/chat/completions",
    body: () => ({ model: ids.teamModelId, messages: [{ role: "user", content: "hi" }] }),
    as: ["allModels", "teamAll", "adminViewer"],
    expect: () => invalidModel(ids.teamModelId),
  },
  ...["/v1/models", "/models?return_wildcard_routes=true", "/model/info", "/v1/model/info", "/v2/model/info", "/model_group/info"].map(
    (path): Probe => ({
      title: `${path} lists another team's model`,
      method: "GET",
      path,
      as: [...OUTSIDERS, "member"],
      expect: (w) =>
        w === "member"
          ? { status: 200, shows: [path.includes("model") && path.includes("info") && path !== "/model_group/info" ? ids.teamModel : "team-a-secret"], hides: ["sk-team-a-provider-key"] }
          : { status: 200, shows: ["gpt-test"], hides: teamModelSecrets() },
    }),
  ),
];

let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;

async function call(
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; body: Json & { error?: { message: string; type: string; code: string } }; headers: Headers }> {
  const r = await fetch(`${gw.url}${path}`, {
    method,
    headers: { ...(key.startsWith("cookie:") ? { cookie: key.slice(7) } : { authorization: `Bearer ${key}` }), ...(body instanceof FormData ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    parsed = { page: text };
  }
  return { status: r.status, body: parsed, headers: r.headers };
}
const admin = async (path: string, body: Json, method = "POST") => {
  const r = await call(method, path, MASTER, body);
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const keyFor = async (body: Json) => String((await admin("/key/generate", body)).key);

/** Logs in to /ui with a key over plain HTTP; returns the session cookie (`name=value`). */
async function uiLogin(key: string): Promise<string> {
  const page = await fetch(`${gw.url}/ui/login`);
  const nonce = /litellm_ui_login=[^;]+/.exec(page.headers.get("set-cookie") ?? "")![0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const r = await fetch(`${gw.url}/ui/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: nonce, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, key, next: "/ui" }),
  });
  return /litellm_ui_session=[^;]+/.exec(r.headers.get("set-cookie") ?? "")![0];
}

let snapshotSql = "";

/** Every row of every table, as text: one prepared statement. */
async function snapshot(): Promise<Map<string, string>> {
  if (!snapshotSql) {
    const tables = await db.sql<Array<{ t: string }>>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`;
    snapshotSql = tables.map(({ t }) => `SELECT '${t}' AS t, (SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM "${t}" x) AS rows`).join(" UNION ALL ");
  }
  const rows = await db.sql.unsafe<Array<{ t: string; rows: string }>>(snapshotSql, [], { prepare: true });
  return new Map(rows.map((r) => [r.t, r.rows]));
}

function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((t) => before.get(t) !== after.get(t));
}

beforeAll(async () => {
  db = await createTestDb("lr_perms");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
  await db.sql`INSERT INTO "LiteLLM_ProxyModelTable" (model_id, model_name, litellm_params, model_info, created_by, updated_by)
    VALUES ('db-model-1', 'db-gpt', ${db.sql.json({ model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-admins-provider-key" })}, ${db.sql.json({ id: "db-model-1" })}, 'admin', 'admin')`;
  gw = await startGateway({
    env: { LITELLM_SALT_KEY: SALT },
    config: {
      model_list: [
        { model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } },
        { model_name: "other-gpt", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } },
        { model_name: "secret-model", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p" } },
        {
          model_name: "leaky-config",
          litellm_params: {
            model: "openai/gpt-upstream",
            api_base: `http://user:basic-pass-secret-0002@127.0.0.1:${fake.port}/v1?key=query-key-secret-0003&region=eu`,
            api_key: "sk-p",
            extra_headers: { Authorization: "Bearer header-secret-0001", "X-Trace": "visible-header" },
          },
        },
      ],
      litellm_settings: { user_url_allowed_hosts: [`127.0.0.1:${fake.port}`] },
      general_settings: {
        master_key: MASTER,
        database_url: db.url,
        store_model_in_db: true,
        proxy_batch_write_at: 0.5,
        e2b_sandbox_params: { e2b_api_key: "e2b-unused", e2b_api_url: "http://127.0.0.1:9", e2b_sandbox_url: "http://127.0.0.1:9" },
      },
      agents: [{ name: "Greeter", model: "gpt-test", prompt: "say hi", secrets: ["DEPLOY_TOKEN"], timeout: 60 }],
    },
  });
  const limits = { max_budget: 20, tpm_limit: 1000, rpm_limit: 100, max_parallel_requests: 5, models: ["gpt-test", "other-gpt"], auto_create_key: false };
  await admin("/user/new", { user_id: U.root, user_role: "proxy_admin", auto_create_key: false });
  for (const u of [U.alice, U.bob, U.tadmin, U.victim, U.olga]) await admin("/user/new", { user_id: u, user_role: "internal_user", ...limits });
  for (const u of [U.carol, U.dave]) await admin("/user/new", { user_id: u, user_role: "internal_user", auto_create_key: false });
  await admin("/user/new", { user_id: U.vera, user_role: "internal_user_viewer", ...limits });
  await admin("/user/new", { user_id: U.pav, user_role: "proxy_admin_viewer", auto_create_key: false });
  await admin("/team/new", {
    team_id: "team-a",
    models: ["gpt-test", "other-gpt"],
    max_budget: 50,
    members_with_roles: [
      { role: "admin", user_id: U.tadmin },
      { role: "user", user_id: U.alice },
      { role: "user", user_id: U.victim },
    ],
  });
  await admin("/team/new", { team_id: "team-b", models: ["gpt-test"], members_with_roles: [{ role: "user", user_id: U.bob }] });
  K.alice = await keyFor({ user_id: U.alice });
  K.aliceTeam = await keyFor({ user_id: U.alice, team_id: "team-a" });
  K.aliceLimited = await keyFor({
    user_id: U.alice,
    key_alias: "alice-limited",
    max_budget: 5,
    spend: 4,
    tpm_limit: 100,
    rpm_limit: 10,
    max_parallel_requests: 2,
    models: ["gpt-test"],
    duration: "1h",
    budget_duration: "30d",
    guardrails: ["pii"],
    model_rpm_limit: { "gpt-test": 5 },
    model_max_budget: { "gpt-test": { budget_limit: 1, time_period: "1d" } },
  });
  K.aliceBlocked = await keyFor({ user_id: U.alice, blocked: true });
  K.aliceExpired = await keyFor({ user_id: U.alice });
  await db.sql`UPDATE "LiteLLM_VerificationToken" SET expires = now() - interval '1 hour' WHERE token = ${sha256(K.aliceExpired)}`;
  K.aliceLLMOnly = await keyFor({ user_id: U.alice, allowed_routes: ["llm_api_routes"] });
  K.carol = await keyFor({ user_id: U.carol });
  await admin("/team/new", { team_id: "team-c", members_with_roles: [{ role: "user", user_id: U.dave }] });
  K.daveTeam = await keyFor({ user_id: U.dave, team_id: "team-c" });
  for (const org of ["org-1", "org-2"]) await admin("/organization/new", { organization_id: org, organization_alias: org, models: ["gpt-test", "other-gpt"], max_budget: 100 });
  await admin("/organization/member_add", { organization_id: "org-1", member: { role: "org_admin", user_id: U.olga } });
  await admin("/organization/member_add", { organization_id: "org-1", member: { role: "internal_user", user_id: U.alice } });
  await admin("/team/new", { team_id: "team-o1", organization_id: "org-1", models: ["gpt-test"], max_budget: 50 });
  await admin("/team/new", { team_id: "team-o2", organization_id: "org-2", models: ["gpt-test"], max_budget: 50 });
  await admin("/team/new", { team_id: "team-o1-blocked", organization_id: "org-1", models: ["gpt-test"], blocked: true });
  K.olga = await keyFor({ user_id: U.olga });
  const teamModel = await admin("/model/new", {
    model_name: "team-a-secret",
    litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-team-a-provider-key" },
    model_info: { team_id: "team-a" },
  });
  ids.teamModel = String(teamModel.model_name);
  ids.teamModelId = String(teamModel.model_id);
  const teamAzure = await admin("/model/new", {
    model_name: "team-a-azure",
    litellm_params: { model: "azure/gpt-4o", api_base: fake.url, api_key: "sk-team-a-azure-key", api_version: "2024-02-01" },
    model_info: { team_id: "team-a" },
  });
  ids.teamAzure = String(teamAzure.model_name);
  K.vera = await keyFor({ user_id: U.vera });
  K.pav = await keyFor({ user_id: U.pav });
  K.bob = await keyFor({ user_id: U.bob, team_id: "team-b" });
  K.tadmin = await keyFor({ user_id: U.tadmin, team_id: "team-a" });
  K.victim = await keyFor({ user_id: U.victim, key_alias: "victim-alias", max_budget: 1 });
  K.victimTeam = await keyFor({ user_id: U.victim, team_id: "team-a" });
  K.teamService = await keyFor({ team_id: "team-a", key_alias: "team-a-service" });
  await admin("/team/member_add", { team_id: "team-a", member: { role: "user", user_id: U.root } });
  K.rootTeam = await keyFor({ user_id: U.root, team_id: "team-a" });
  K.adminUiCookie = await uiLogin(MASTER);
  K.aliceUiCookie = await uiLogin(K.alice);
  await admin("/tag/new", { name: "tag-secret", max_budget: 1234567 });
  for (const [tag, key] of [["alice-tag", K.alice!], ["bob-tag", K.bob!]] as const) {
    await db.sql`INSERT INTO "LiteLLM_DailyTagSpend" (id, tag, date, api_key, model, spend, updated_at) VALUES (${crypto.randomUUID()}, ${tag}, ${new Date().toISOString().slice(0, 10)}, ${sha256(key)}, 'gpt-test', 0.5, now())`;
  }
  await admin("/budget/new", { budget_id: "bud-1", max_budget: 1000 });
  await admin("/customer/new", { user_id: "cust-1", max_budget: 1, blocked: true });
  await admin("/api/vault/secrets", { name: "DEPLOY_TOKEN", value: "ghp_secret_value_0001" });
  ids.session = String((await admin("/api/sessions", { agent: "greeter" })).session_id);
  await admin("/api/agents/greeter/memory", { content: "remember this" });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

describe("denied: route × role × field, with LiteLLM's answer and no row changed", () => {
  let before: Map<string, string>;
  beforeAll(async () => {
    before = await snapshot();
  });

  for (const c of CASES) {
    const whos = c.as ?? ALL;
    test(`${c.title} (${whos.join(", ")})`, async () => {
      const path = typeof c.path === "function" ? c.path() : c.path;
      const got: Array<Outcome & { who: Who }> = [];
      const want: Array<Outcome & { who: Who }> = [];
      for (const who of whos) {
        const r = await call(c.method ?? "POST", path, WHO[who].key(), c.body?.());
        const w = REFUSED_FIRST[who]?.(path.split("?")[0]!) ?? c.expect(who);
        const message = r.body.error?.message ?? JSON.stringify(r.body);
        got.push({ who, status: r.status, type: String(r.body.error?.type), message: message.includes(w.message) ? w.message : message });
        want.push({ who, ...w });
      }
      expect(got).toEqual(want);
      expect(changedTables(before, await snapshot())).toEqual([]);
    });
  }
});

describe("reads and LLM calls: route × role, nothing of others revealed or reached", () => {
  for (const p of PROBES) {
    test(`${p.title} (${p.as.join(", ")})`, async () => {
      await p.before?.();
      const path = typeof p.path === "function" ? p.path() : p.path;
      const got: Array<Seen & { who: Who }> = [];
      const want: Array<Seen & { who: Who }> = [];
      for (const who of p.as) {
        const r = await call(p.method ?? "POST", path, WHO[who].key(), p.body?.());
        const w = p.expect(who);
        const text = JSON.stringify(r.body) + JSON.stringify(Object.fromEntries(r.headers));
        const message = r.body.error?.message ?? "";
        got.push({
          who,
          status: r.status,
          ...(w.type !== undefined ? { type: String(r.body.error?.type) } : {}),
          ...(w.message !== undefined ? { message: message.includes(w.message) ? w.message : message } : {}),
          ...(w.hides ? { hides: w.hides.filter((x) => !text.includes(x)) } : {}),
          ...(w.shows ? { shows: w.shows.filter((x) => text.includes(x)) } : {}),
        });
        want.push({ who, ...w });
      }
      expect(got).toEqual(want);
    }, 20_000);
  }
});

describe("allowed: owners tighten their own keys, team admins run their team, the admin does everything", () => {
  test("an owner lowers its own limits and narrows its lists", async () => {
    const r = await call("POST", "/key/update", K.alice!, {
      key: K.aliceLimited,
      max_budget: 3,
      tpm_limit: 50,
      rpm_limit: 5,
      max_parallel_requests: 1,
      models: ["gpt-test"],
      duration: "30m",
      model_rpm_limit: { "gpt-test": 2 },
      key_alias: "alice-tightened",
    });
    expect(r.status).toBe(200);
    const [row] = await db.sql`SELECT * FROM "LiteLLM_VerificationToken" WHERE token = ${sha256(K.aliceLimited!)}`;
    expect(row).toMatchObject({ max_budget: 3, tpm_limit: "50", rpm_limit: "5", max_parallel_requests: 1, models: ["gpt-test"], key_alias: "alice-tightened", spend: 4 });
    expect(row!.metadata).toEqual({ guardrails: ["pii"], model_rpm_limit: { "gpt-test": 2 } });
    expect(row!.expires.getTime()).toBeLessThan(Date.now() + 31 * 60_000);
  });

  test("an owner makes a key within its user's limits, and regenerates and deletes its own keys", async () => {
    const made = await call("POST", "/key/generate", K.alice!, { max_budget: 10, models: ["gpt-test"], key_alias: "alice-new" });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ user_id: U.alice, max_budget: 10, models: ["gpt-test"] });
    const fresh = String(made.body.key);
    expect((await chat(gw.url, fresh, { model: "gpt-test" })).status).toBe(200);
    const regen = await call("POST", "/key/regenerate", K.alice!, { key: fresh });
    expect(regen.status).toBe(200);
    expect((await call("POST", "/key/delete", K.alice!, { keys: [String(regen.body.key)] })).status).toBe(200);
  });

  test("the key that tried to make itself admin still cannot reach admin routes", async () => {
    expect((await call("GET", "/api/vault/secrets", K.alice!)).status).toBe(403);
    const list = await call("GET", `/key/list?user_id=${U.root}`, K.alice!);
    expect(list.status).toBe(403);
    expect(list.body.error!.message).toBe("You are not authorized to check another user's keys");
    const [row] = await db.sql`SELECT user_id FROM "LiteLLM_VerificationToken" WHERE token = ${sha256(K.alice!)}`;
    expect(row!.user_id).toBe(U.alice);
  });

  test("a team admin makes team keys, manages members and their budgets, and adds a team model its keys can call", async () => {
    const teamKey = await call("POST", "/key/generate", K.tadmin!, { team_id: "team-a", models: ["gpt-test"] });
    expect(teamKey.status).toBe(200);
    expect(teamKey.body).toMatchObject({ team_id: "team-a", user_id: U.tadmin });
    const add = await call("POST", "/team/member_add", K.tadmin!, { team_id: "team-a", member: { role: "user", user_id: "new-member" } });
    expect(add.status).toBe(200);
    const upd = await call("POST", "/team/member_update", K.tadmin!, { team_id: "team-a", user_id: "new-member", max_budget_in_team: 2 });
    expect(upd.body).toMatchObject({ team_id: "team-a", user_id: "new-member", max_budget_in_team: 2 });
    const [tm] = await db.sql`SELECT b.max_budget FROM "LiteLLM_TeamMembership" m JOIN "LiteLLM_BudgetTable" b USING (budget_id) WHERE m.team_id = 'team-a' AND m.user_id = 'new-member'`;
    expect(tm!.max_budget).toBe(2);

    const noCred = await call("POST", "/model/new", K.tadmin!, { model_name: "team-gpt", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1` }, model_info: { team_id: "team-a" } });
    expect(noCred.status).toBe(400);
    expect(noCred.body.error).toMatchObject({ type: "validation_error", param: "litellm_params.api_key" });
    const priced = await call("POST", "/model/new", K.tadmin!, {
      model_name: "team-gpt",
      litellm_params: { model: "openai/gpt-upstream", api_key: "sk-team-own", input_cost_per_token: 0 },
      model_info: { team_id: "team-a" },
    });
    expect(priced.status).toBe(403);
    expect(priced.body.error!.message).toBe("Only proxy admins can set model pricing fields (e.g. input_cost_per_token).");

    const model = await call("POST", "/model/new", K.tadmin!, {
      model_name: "team-gpt",
      litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-team-own" },
      model_info: { team_id: "team-a" },
    });
    expect(model.status).toBe(200);
    expect(String(model.body.model_name)).toStartWith("model_name_team-a_");
    expect(model.body.model_info).toMatchObject({ team_public_model_name: "team-gpt", own_credentials_only: true });
    const [team] = await db.sql`SELECT t.models, m.aliases FROM "LiteLLM_TeamTable" t JOIN "LiteLLM_ModelTable" m ON m.id = t.model_id WHERE t.team_id = 'team-a'`;
    expect(team!.models).toContain("team-gpt");
    expect(team!.aliases).toEqual({ "team-a-secret": ids.teamModel, "team-a-azure": ids.teamAzure, "team-gpt": model.body.model_name });

    fake.reset();
    expect((await chat(gw.url, K.tadmin!, { model: "team-gpt" })).status).toBe(200);
    expect(fake.requests.at(-1)!.headers.authorization).toBe("Bearer sk-team-own");
    expect((await chat(gw.url, K.bob!, { model: "team-gpt" })).status).toBe(401);

    const bobDenied = await call("POST", "/model/delete", K.bob!, { id: model.body.model_id });
    expect(bobDenied.status).toBe(403);
    expect((await call("POST", "/model/delete", K.tadmin!, { id: model.body.model_id })).status).toBe(200);
    const [after] = await db.sql`SELECT t.models, m.aliases FROM "LiteLLM_TeamTable" t JOIN "LiteLLM_ModelTable" m ON m.id = t.model_id WHERE t.team_id = 'team-a'`;
    expect(after!.models).not.toContain("team-gpt");
    expect(after!.aliases).toEqual({ "team-a-secret": ids.teamModel, "team-a-azure": ids.teamAzure });
  });

  test("an org admin makes, changes, staffs, reads and deletes the teams of its organization within its limits", async () => {
    const made = await call("POST", "/team/new", K.olga!, { team_id: "o1-new", organization_id: "org-1", models: ["gpt-test"], max_budget: 20 });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ team_id: "o1-new", organization_id: "org-1", max_budget: 20 });
    const upd = await call("POST", "/team/update", K.olga!, { team_id: "team-o1", max_budget: 80, models: ["gpt-test", "other-gpt"], team_alias: "org one" });
    expect(upd.status).toBe(200);
    expect(upd.body.data).toMatchObject({ max_budget: 80, team_alias: "org one" });
    expect((await call("POST", "/team/member_add", K.olga!, { team_id: "team-o1", member: { role: "user", user_id: U.dave } })).status).toBe(200);
    expect((await call("POST", "/team/member_update", K.olga!, { team_id: "team-o1", user_id: U.dave, role: "admin" })).status).toBe(200);
    const info = await call("GET", "/team/info?team_id=team-o1", K.olga!);
    expect(info.status).toBe(200);
    expect(JSON.stringify(info.body)).toContain(U.dave);
    expect((await call("POST", "/team/member_delete", K.olga!, { team_id: "team-o1", user_id: U.dave })).status).toBe(200);
    expect((await call("POST", "/team/delete", K.olga!, { team_ids: ["o1-new"] })).status).toBe(200);
    expect(await db.sql`SELECT 1 FROM "LiteLLM_TeamTable" WHERE team_id = 'o1-new'`).toHaveLength(0);
  });

  test("a team admin deletes its members' team keys, regenerates the team's service-account keys, and updates only its own", async () => {
    const memberKey = await keyFor({ user_id: U.victim, team_id: "team-a" });
    expect((await call("POST", "/key/update", K.tadmin!, { key: memberKey, max_budget: 1 })).status).toBe(403);
    const service = await keyFor({ team_id: "team-a" });
    const regen = await call("POST", "/key/regenerate", K.tadmin!, { key: service });
    expect(regen.status).toBe(200);
    expect((await call("POST", "/key/delete", K.tadmin!, { keys: [String(regen.body.key), memberKey] })).status).toBe(200);
  });

  test("team members get key rights when the team's member permissions grant them", async () => {
    await admin("/team/update", { team_id: "team-b", team_member_permissions: ["/key/generate", "/key/update"] });
    const made = await call("POST", "/key/generate", K.bob!, { team_id: "team-b" });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ team_id: "team-b", user_id: U.bob });
    expect((await call("POST", "/key/update", K.bob!, { key: made.body.key, max_budget: 0.5 })).status).toBe(200);
  });

  test("the admin viewer reads what an admin reads (but, as in LiteLLM's route check, only its own /user/info)", async () => {
    expect((await call("GET", "/customer/info?end_user_id=cust-1", K.pav!)).status).toBe(200);
    expect((await call("POST", "/budget/info", K.pav!, { budgets: ["bud-1"] })).status).toBe(200);
    expect((await call("GET", `/team/info?team_id=team-b`, K.pav!)).status).toBe(200);
    expect((await call("GET", `/user/info?user_id=${U.root}`, K.pav!)).status).toBe(403);
    expect(Number((await call("GET", "/key/list?size=100", K.pav!)).body.total_count)).toBeGreaterThan(5);
  });

  test("the admin does everything the others may not", async () => {
    const k = await call("POST", "/key/generate", MASTER, { user_id: U.root, spend: 3, max_budget: 1e6, allowed_routes: ["/user/new"], permissions: { get_spend_routes: true } });
    expect(k.status).toBe(200);
    expect(k.body).toMatchObject({ user_id: U.root, spend: 3 });
    const moved = await call("POST", "/key/update", MASTER, { key: K.aliceLimited, spend: 0, max_budget: null, duration: null, metadata: {}, models: [] });
    expect(moved.status).toBe(200);
    const [row] = await db.sql`SELECT spend, max_budget, expires, metadata, models FROM "LiteLLM_VerificationToken" WHERE token = ${sha256(K.aliceLimited!)}`;
    expect(row).toEqual({ spend: 0, max_budget: null, expires: null, metadata: {}, models: [] });
    expect((await call("POST", "/key/unblock", MASTER, { key: K.aliceBlocked })).body.blocked).toBe(false);
    expect((await call("POST", "/team/member_add", MASTER, { team_id: "team-b", member: { role: "admin", user_id: U.alice } })).status).toBe(200);
    expect((await call("POST", "/user/update", MASTER, { user_id: U.alice, user_role: "proxy_admin_viewer" })).status).toBe(200);
  });
});
