import { GatewayError } from "../errors.ts";
import type { KeyRecord } from "./key-record.ts";
import type { AuthContext, UserRole } from "./types.ts";

/**
 * Who may reach which management route, as LiteLLM's `RouteChecks.non_proxy_admin_allowed_routes_check`
 * decides it before any handler runs (`litellm/proxy/auth/route_checks.py`, route lists of
 * `LiteLLMRoutes` in `litellm/proxy/_types.py`). Handlers then check the objects themselves.
 * Where this is stricter than LiteLLM it says so; docs/database.md has the full table. Stricter:
 * a key's `allowed_routes` only ever narrows what it may call (LiteLLM also lets a key through to
 * any path listed there, which a LiteLLM key owner can write itself).
 */

/** `info_routes`: every caller reaches them; the handler narrows the answer. */
const INFO_ROUTES = new Set([
  "/key/info",
  "/key/health",
  "/team/info",
  "/team/list",
  "/v2/team/list",
  "/organization/list",
  "/team/available",
  "/user/info",
  "/v2/user/info",
  "/model/info",
  "/v1/model/info",
  "/v2/model/info",
  "/v2/key/info",
  "/model_group/info",
  "/health",
  "/health/services",
  "/key/list",
  "/user/filter/ui",
  "/models",
  "/v1/models",
]);

/** `spend_tracking_routes`. */
const SPEND_ROUTES = ["/spend/keys", "/spend/users", "/spend/tags", "/spend/calculate", "/spend/logs", "/spend/logs/v2", "/spend/logs/ui", "/spend/logs/session/ui", "/cost/estimate"];

/**
 * `internal_user_routes`: the key-management routes plus spend tracking. Stricter than LiteLLM:
 * `/key/block` and `/key/unblock` are left out (LiteLLM lets any internal user block or unblock any key).
 */
const INTERNAL_USER_ROUTES = [
  "/key/generate",
  "/key/update",
  "/key/delete",
  "/key/info",
  "/key/regenerate",
  "/key/service-account/generate",
  "/key/{key_id}/regenerate",
  "/key/list",
  "/key/aliases",
  "/team/daily/activity",
  "/global/activity",
  "/global/activity/model",
  "/global/activity/cache_hits",
  "/tag/list",
  ...SPEND_ROUTES,
];

/** `internal_user_view_only_routes` (`/tag/list` answers them the tags of their own keys' calls). */
const INTERNAL_VIEWER_ROUTES = [...SPEND_ROUTES, "/tag/list"];

/** `self_managed_routes`: the handler decides (team admin, proxy admin). */
const SELF_MANAGED_ROUTES = [
  "/team/member_add",
  "/team/member_delete",
  "/team/member_update",
  "/team/permissions_list",
  "/team/permissions_update",
  "/team/daily/activity",
  "/model/new",
  "/model/update",
  "/model/delete",
  "/model/{model_id}/update",
  "/user/daily/activity",
  "/user/available_roles",
  "/user/list",
];

/** POST routes that only read, which the admin viewer may call (LiteLLM's `admin_viewer_routes`). */
const VIEWER_POST_READS = ["/spend/calculate", "/budget/info", "/organization/info", "/v2/key/info", "/tag/info"];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const compiled = new Map<string, RegExp>();

/** LiteLLM's `check_route_access`: exact, `prefix*` wildcard, or `{param}` placeholders. */
function routeMatches(pattern: string, route: string): boolean {
  if (pattern === route) return true;
  if (pattern.endsWith("*")) return route.startsWith(pattern.slice(0, -1));
  if (!pattern.includes("{")) return false;
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);
    compiled.set(pattern, re);
  }
  return re.test(route);
}

const matchesAny = (patterns: string[], route: string) => patterns.some((p) => routeMatches(p, route));

/** The master key, auth turned off, or a key whose user has role `proxy_admin`. */
export const isProxyAdmin = (a: AuthContext) => a.kind === "master" || a.kind === "open" || a.role === "proxy_admin";

/** The caller's role from its user row; a key with no user row has none (LiteLLM's `user_obj=None`). */
export function callerRole(a: AuthContext): UserRole | undefined {
  if (a.kind !== "virtual_key") return "proxy_admin";
  const rec = a.key as KeyRecord | undefined;
  if (!rec) return a.role;
  return rec.user ? a.role : undefined;
}

/** LiteLLM's `RouteChecks._mask_user_id`: six characters, stars, two characters. */
export function maskUserId(id: string): string {
  if (id.length <= 4) return "***";
  if (id.length <= 8) return "*".repeat(id.length);
  return `${id.slice(0, 6)}${"*".repeat(id.length - 8)}${id.slice(-2)}`;
}

/** LiteLLM raises this as a bare Exception in auth: 401 "Authentication Error, …". */
function onlyProxyAdmin(a: AuthContext, route: string): GatewayError {
  const rec = a.key as KeyRecord | undefined;
  const role = rec?.user?.role ?? "unknown";
  const userId = rec?.user ? (rec.userId ?? "unknown") : "unknown";
  return new GatewayError(
    401,
    `Authentication Error, Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route=${route}. Your role=${role}. Your user_id=${maskUserId(userId)}`,
    { type: "auth_error", param: "None", kind: "AuthenticationError" },
  );
}

export const routeForbidden = (message: string) => new GatewayError(403, message, { type: "auth_error", param: "None", kind: "PermissionDeniedError" });

/** The admin viewer reads everything and writes nothing (LiteLLM also lets it through to some management writes). */
function viewerAccess(method: string, route: string): void {
  if (SAFE_METHODS.has(method)) return;
  if (route === "/user/update" || matchesAny(VIEWER_POST_READS, route)) return;
  throw routeForbidden(`user not allowed to access this route, role= proxy_admin_viewer. Trying to access: ${route}`);
}

/**
 * The route check every management call passes before its handler: proxy admins everywhere; other
 * roles only on the routes LiteLLM lets them reach. `query` reads the URL's query parameters.
 */
export function checkManagementRoute(a: AuthContext, method: string, route: string, query: (name: string) => string | undefined): void {
  if (isProxyAdmin(a)) return;
  if (INFO_ROUTES.has(route)) {
    const asked = query("user_id");
    if (route === "/user/info" && asked && asked !== a.userId) {
      throw routeForbidden(`key not allowed to access this user's info. user_id=${asked}, key's user_id=${a.userId ?? "None"}`);
    }
    return;
  }
  const role = callerRole(a);
  if (role === "proxy_admin_viewer") return viewerAccess(method, route);
  if (role === "internal_user" && matchesAny(INTERNAL_USER_ROUTES, route)) return;
  if (role === "internal_user_viewer" && matchesAny(INTERNAL_VIEWER_ROUTES, route)) return;
  if (matchesAny(SELF_MANAGED_ROUTES, route)) return;
  throw onlyProxyAdmin(a, route);
}

/** For routes LiteLLM serves to proxy admins only, and the reads the admin viewer may make there. */
export function requireProxyAdmin(a: AuthContext, method = "POST", route = ""): void {
  if (isProxyAdmin(a)) return;
  if (a.role === "proxy_admin_viewer" && (SAFE_METHODS.has(method) || matchesAny(VIEWER_POST_READS, route))) return;
  throw routeForbidden("Admin-only endpoint. Not allowed to access this.");
}
