import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, sha256 } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/**
 * Every management route that writes, tried by each non-admin role against objects it does not own
 * and with each privilege-carrying field: route × role → LiteLLM's status, error type and message,
 * and not one row of the database changed. Then what those roles may do, and the admin.
 */
const MASTER = "sk-perm-master-0001";
const SALT = "salt-for-the-permissions-test";

type Json = Record<string, unknown>;
type Who = "internal" | "viewer" | "member" | "otherTeam" | "adminViewer";
interface Outcome {
  status: number;
  type: string;
  message: string;
}

const U = { root: "root-admin-00", alice: "alice-user-01", vera: "vera-viewer-02", bob: "bob-other-03", pav: "pav-admview-04", tadmin: "tadmin-team-05", victim: "victim-user-06" };

/** Raw keys, made in `beforeAll`. */
const K: Record<string, string> = {};

/** The callers: an internal user, an internal viewer, a team member who is not team admin, a key of another team, an admin viewer. */
const WHO: Record<Who, { key: () => string; user: string; role: string; masked: string }> = {
  internal: { key: () => K.alice!, user: U.alice, role: "internal_user", masked: "alice-*****01" },
  viewer: { key: () => K.vera!, user: U.vera, role: "internal_user_viewer", masked: "vera-v******02" },
  member: { key: () => K.aliceTeam!, user: U.alice, role: "internal_user", masked: "alice-*****01" },
  otherTeam: { key: () => K.bob!, user: U.bob, role: "internal_user", masked: "bob-ot****03" },
  adminViewer: { key: () => K.pav!, user: U.pav, role: "proxy_admin_viewer", masked: "" },
};
const ALL: Who[] = ["internal", "viewer", "member", "otherTeam", "adminViewer"];

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
    expect: keyRoute("/key/generate", (w) => (alice(w) ? memberPermission("/key/generate", "team-a") : out(400, gen, `User=${U.bob} not assigned to team=team-a`))),
  },
  {
    title: "generate a key in team-b",
    path: "/key/generate",
    body: () => ({ team_id: "team-b" }),
    expect: keyRoute("/key/generate", (w) => (alice(w) ? out(400, gen, `User=${U.alice} not assigned to team=team-b`) : memberPermission("/key/generate", "team-b"))),
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
    as: ["internal", "viewer", "member"],
    expect: (w) => out(403, "auth_error", `{'error': 'User=${WHO[w].user} not authorized to access this team=team-b'}`),
  },
  {
    title: "read the admin user's info",
    method: "GET",
    path: `/user/info?user_id=${U.root}`,
    as: ["internal", "viewer", "member", "otherTeam"],
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

const ids = { session: "" };

let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;

async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: Json & { error?: { message: string; type: string; code: string } } }> {
  const r = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Json };
}
const admin = async (path: string, body: Json, method = "POST") => {
  const r = await call(method, path, MASTER, body);
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const keyFor = async (body: Json) => String((await admin("/key/generate", body)).key);

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
      ],
      general_settings: {
        master_key: MASTER,
        database_url: db.url,
        store_model_in_db: true,
        e2b_sandbox_params: { e2b_api_key: "e2b-unused", e2b_api_url: "http://127.0.0.1:9", e2b_sandbox_url: "http://127.0.0.1:9" },
      },
      agents: [{ name: "Greeter", model: "gpt-test", prompt: "say hi", secrets: ["DEPLOY_TOKEN"], timeout: 60 }],
    },
  });
  const limits = { max_budget: 20, tpm_limit: 1000, rpm_limit: 100, max_parallel_requests: 5, models: ["gpt-test", "other-gpt"], auto_create_key: false };
  await admin("/user/new", { user_id: U.root, user_role: "proxy_admin", auto_create_key: false });
  for (const u of [U.alice, U.bob, U.tadmin, U.victim]) await admin("/user/new", { user_id: u, user_role: "internal_user", ...limits });
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
  K.vera = await keyFor({ user_id: U.vera });
  K.pav = await keyFor({ user_id: U.pav });
  K.bob = await keyFor({ user_id: U.bob, team_id: "team-b" });
  K.tadmin = await keyFor({ user_id: U.tadmin, team_id: "team-a" });
  K.victim = await keyFor({ user_id: U.victim, key_alias: "victim-alias", max_budget: 1 });
  K.victimTeam = await keyFor({ user_id: U.victim, team_id: "team-a" });
  K.teamService = await keyFor({ team_id: "team-a", key_alias: "team-a-service" });
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
        const w = c.expect(who);
        const message = r.body.error?.message ?? JSON.stringify(r.body);
        got.push({ who, status: r.status, type: String(r.body.error?.type), message: message.includes(w.message) ? w.message : message });
        want.push({ who, ...w });
      }
      expect(got).toEqual(want);
      expect(changedTables(before, await snapshot())).toEqual([]);
    });
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
    expect((model.body.model_info as Json).team_public_model_name).toBe("team-gpt");
    const [team] = await db.sql`SELECT t.models, m.aliases FROM "LiteLLM_TeamTable" t JOIN "LiteLLM_ModelTable" m ON m.id = t.model_id WHERE t.team_id = 'team-a'`;
    expect(team!.models).toContain("team-gpt");
    expect(team!.aliases).toEqual({ "team-gpt": model.body.model_name });

    fake.reset();
    expect((await chat(gw.url, K.tadmin!, { model: "team-gpt" })).status).toBe(200);
    expect(fake.requests.at(-1)!.headers.authorization).toBe("Bearer sk-team-own");
    expect((await chat(gw.url, K.bob!, { model: "team-gpt" })).status).toBe(401);

    const bobDenied = await call("POST", "/model/delete", K.bob!, { id: model.body.model_id });
    expect(bobDenied.status).toBe(403);
    expect((await call("POST", "/model/delete", K.tadmin!, { id: model.body.model_id })).status).toBe(200);
    const [after] = await db.sql`SELECT t.models, m.aliases FROM "LiteLLM_TeamTable" t JOIN "LiteLLM_ModelTable" m ON m.id = t.model_id WHERE t.team_id = 'team-a'`;
    expect(after!.models).not.toContain("team-gpt");
    expect(after!.aliases).toEqual({});
  });

  test("a team admin deletes and regenerates its members' team keys, but updates only its own (as LiteLLM)", async () => {
    const memberKey = await keyFor({ user_id: U.victim, team_id: "team-a" });
    expect((await call("POST", "/key/update", K.tadmin!, { key: memberKey, max_budget: 1 })).status).toBe(403);
    const regen = await call("POST", "/key/regenerate", K.tadmin!, { key: memberKey });
    expect(regen.status).toBe(200);
    expect((await call("POST", "/key/delete", K.tadmin!, { keys: [String(regen.body.key)] })).status).toBe(200);
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
