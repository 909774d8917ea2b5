/** @jsxImportSource hono/jsx */
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { AuthContext } from "../auth/types.ts";
import { GatewayError } from "../errors.ts";
import { isAdmin } from "../http/management/context.ts";
import type { Runtime } from "../runtime.ts";
import { ApiError, GatewayApi } from "./api.ts";
import { safeNext, type Form, type UiEnv } from "./context.ts";
import { Page } from "./layout.tsx";
import { clearSession, readSession, sealerFor, setFlash, takeFlash, type Flash } from "./session.ts";
import type { SessionCheck, UiSessionStore } from "./session-store.ts";

/** The route the login check runs as: a key that may not read its own info has no business here. */
export const LOGIN_ROUTE = "/key/info";

export function html(c: Context, node: unknown, status = 200): Response {
  return c.html(`<!doctype html>${String(node)}`, status as 200);
}

export async function authenticateKey(rt: Runtime, key: string): Promise<AuthContext> {
  const headers = new Headers(key ? { authorization: `Bearer ${key}` } : {});
  return rt.auth.authenticate(headers, { route: LOGIN_ROUTE, isLLMRoute: false });
}

export function viewerLabel(a: AuthContext): string {
  if (a.kind === "open") return "Open gateway (no master key)";
  if (a.kind === "master") return "Proxy admin · master key";
  const who = a.keyAlias ?? a.keyName ?? "virtual key";
  return `${who} · ${a.userId ?? "no user"} · ${a.role}`;
}

/** CSP without inline script or style: pages load only their own hashed assets. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const securityHeaders: MiddlewareHandler<UiEnv> = async (c, next) => {
  await next();
  const h = c.res.headers;
  if (!h.has("content-security-policy")) h.set("content-security-policy", CSP);
  h.set("x-content-type-options", "nosniff");
  h.set("x-frame-options", "DENY");
  h.set("referrer-policy", "same-origin");
  if (!h.has("cache-control")) h.set("cache-control", "no-store");
};

/** A browser-sent cross-site request: an Origin from another host, or Sec-Fetch-Site cross-site. */
export function crossSite(c: Context): boolean {
  if (c.req.header("sec-fetch-site") === "cross-site") return true;
  const origin = c.req.header("origin");
  if (!origin || origin === "null") return origin === "null";
  const host = c.req.header("x-forwarded-host")?.split(",")[0]?.trim() ?? c.req.header("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

export function rejected(c: Context, status: number, title: string, message: string): Response {
  return html(
    c,
    <Page title={title}>
      <div class="login">
        <div class="notice error" role="alert">
          <h2>{title}</h2>
          <p>{message}</p>
          <p>
            <a href="/ui">Back to the dashboard</a>
          </p>
        </div>
      </div>
    </Page>,
    status,
  );
}

/**
 * Every /ui page past the login: a valid sealed session that is still on record (logout, a blocked
 * or deleted key and a role change remove it, on every instance) and whose key still authenticates
 * (an expired key ends it too), and on POST a matching CSRF token from a same-site page.
 */
export function requireViewer(app: Hono, rt: () => Runtime, sessions: UiSessionStore): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    const runtime = rt();
    const sealer = sealerFor(runtime.config.masterKey);
    c.set("sealer", sealer);
    const session = readSession(c, sealer);
    const isGet = c.req.method === "GET" || c.req.method === "HEAD";
    const toLogin = (reason?: string) => {
      if (!isGet) return rejected(c, 401, "Session expired", "Your session has ended. Log in again and repeat the action.");
      const q = new URLSearchParams({ next: safeNext(c.req.path + (new URL(c.req.url).search || "")) });
      if (reason) q.set("reason", reason);
      return c.redirect(`/ui/login?${q}`, 303);
    };
    if (!session) return toLogin();
    let check: SessionCheck;
    try {
      check = await sessions.check(session.sid);
    } catch (e) {
      runtime.log.warn("ui session could not be checked", { error: (e as Error).message });
      return rejected(c, 503, "Sessions unavailable", "Your session cannot be checked right now (its store is unreachable). Try again shortly.");
    }
    if (!check.live) {
      clearSession(c);
      return toLogin(check.reason);
    }
    let auth: AuthContext;
    try {
      auth = await authenticateKey(runtime, session.key);
    } catch (e) {
      await sessions.end(session.sid).catch(() => {});
      clearSession(c);
      return toLogin(e instanceof GatewayError ? e.message : "Your key is no longer accepted.");
    }
    if (!isGet) {
      const form = (await c.req.parseBody({ all: true })) as Form;
      if (crossSite(c) || !sealer.checkCsrf(session.sid, form._csrf)) {
        return rejected(c, 403, "Request rejected", "The form's CSRF token is missing or invalid. Reload the page and try again.");
      }
      c.set("form", form);
    }
    c.set("viewer", { session, auth, admin: isAdmin(auth), api: new GatewayApi(app, session.key), csrf: sealer.csrfToken(session.sid), label: viewerLabel(auth) });
    c.set("flash", isGet ? takeFlash(c, sealer) : undefined);
    await next();
  };
}

/**
 * Runs a form's mutation through the gateway API and redirects back (POST → redirect → GET), with the
 * outcome, or the API's error message, as a one-shot flash.
 */
export async function mutate(c: Context<UiEnv>, back: string, fn: () => Promise<Flash | string>): Promise<Response> {
  let flash: Flash;
  try {
    const r = await fn();
    flash = typeof r === "string" ? { kind: "ok", message: r } : r;
  } catch (e) {
    flash = { kind: "error", message: e instanceof ApiError ? `${e.message} (HTTP ${e.status})` : (e as Error).message };
  }
  setFlash(c, c.get("sealer"), flash);
  return c.redirect(safeNext(back), 303);
}
