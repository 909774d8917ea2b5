import type { Context, Hono } from "hono";
import type { Row } from "../../auth/key-record.ts";
import { checkManagementRoute, isProxyAdmin, requireProxyAdmin } from "../../auth/management-access.ts";
import type { AuthContext } from "../../auth/types.ts";
import { isConnectionError } from "../../db/client.ts";
import type { DbServices } from "../../db/services.ts";
import { GatewayError } from "../../errors.ts";
import type { Runtime } from "../../runtime.ts";
import { asGatewayError, errorResponse } from "../error-response.ts";
import type { BodyLimits } from "../../limits/body-budget.ts";
import { readBodyText } from "../body-reader.ts";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../json-depth.ts";

/** One management call: who asks, what they sent, and the database services. */
export interface Mgmt {
  dbs: DbServices;
  rt: Runtime;
  auth: AuthContext;
  body: Row;
  c: Context;
  query(name: string): string | undefined;
}

export type MgmtHandler = (m: Mgmt) => Promise<unknown>;

/** LiteLLM's management errors: an HTTPException rendered with type `internal_server_error`. */
export const httpError = (status: number, message: string, param: string | null = null) =>
  new GatewayError(status, message, { type: "internal_server_error", param });

export const badRequest = (message: string, param: string | null = null) => new GatewayError(400, message, { type: "bad_request_error", param });

/** A field of the wrong type: 422, as FastAPI answers a pydantic validation error. */
export const invalidType = (message: string, param: string | null = null) => new GatewayError(422, message, { type: "bad_request_error", param });

export const isAdmin = isProxyAdmin;

export const requireAdmin = requireProxyAdmin;

/** LiteLLM's `_user_has_admin_view`: proxy admins and proxy admin viewers read everything. */
export const hasAdminView = (a: AuthContext) => isAdmin(a) || a.role === "proxy_admin_viewer";

const NO_DB = () => new GatewayError(400, "No connected db.", { type: "no_db_connection" });

async function readBody(c: Context, limits: BodyLimits): Promise<Row> {
  if (c.req.method === "GET" || c.req.method === "HEAD") return {};
  const text = await readBodyText(c.req.raw, limits);
  if (!text.trim()) return {};
  if (nestedDeeperThan(text)) throw badRequest(`Invalid JSON body: nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Row;
  } catch {
    /* fall through */
  }
  throw badRequest("Invalid JSON body");
}

type Method = "get" | "post" | "delete" | "patch";

/** Registers a management route: authenticate, require a database, run, render LiteLLM's shapes. */
export function route(
  app: Hono,
  rt: () => Runtime,
  dbs: DbServices | undefined,
  method: Method,
  path: string,
  handler: MgmtHandler,
  /** `selfManaged`: the handler runs LiteLLM's own checks for this route (org RBAC, `get_spend_routes`, self-managed routes) instead of the route check. */
  opts: { admin?: boolean; selfManaged?: boolean } = {},
): void {
  app[method](path, async (c) => {
    const runtime = rt();
    try {
      const auth = await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
      if (!opts.selfManaged) checkManagementRoute(auth, c.req.method, c.req.path, (n) => c.req.query(n) ?? undefined);
      if (opts.admin) requireAdmin(auth, c.req.method, c.req.path);
      if (!dbs) throw NO_DB();
      const body = await readBody(c, runtime.body);
      const result = await handler({ dbs, rt: runtime, auth, body, c, query: (n) => c.req.query(n) ?? undefined });
      await dbs.settled();
      return result instanceof Response ? result : Response.json(result);
    } catch (e) {
      if (!(e instanceof GatewayError) && isConnectionError(e)) {
        return errorResponse(new GatewayError(500, `Database not reachable: ${(e as Error).message}`, { type: "internal_server_error" }), "openai");
      }
      const err = asGatewayError(e);
      if (e instanceof GatewayError || err.status < 500) return errorResponse(err, "openai");
      runtime.log.warn("management call failed", { route: c.req.path, error: err.message });
      return errorResponse(httpError(500, err.message), "openai");
    }
  });
}

/** Refuses a caller of a self-managed route the way LiteLLM's route check would, when the handler's own checks do not let it in. */
export function refuse(m: Mgmt): never {
  checkManagementRoute(m.auth, m.c.req.method, m.c.req.path, m.query);
  requireAdmin(m.auth, m.c.req.method, m.c.req.path);
  throw new GatewayError(403, "Admin-only endpoint. Not allowed to access this.", { type: "auth_error" });
}

/** Who deleted, for LiteLLM's `Deleted*` archive rows. */
export const deletedBy = (m: Mgmt) => ({ userId: m.auth.userId ?? null, apiKeyHash: m.auth.apiKeyHash ?? null });

/** A required string field of the body. */
export function need(body: Row, field: string): string {
  const v = body[field];
  if (typeof v !== "string" || !v) throw badRequest(`${field} is required`, field);
  return v;
}

export const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
