/** @jsxImportSource hono/jsx */
import { timingSafeEqual } from "node:crypto";
import type { Context, Hono } from "hono";
import { deleteCookie } from "hono/cookie";
import type { AuthContext } from "../../auth/types.ts";
import { GatewayError } from "../../errors.ts";
import { readSmallForm } from "../../http/body-reader.ts";
import { errorResponse } from "../../http/error-response.ts";
import type { Runtime } from "../../runtime.ts";
import { safeNext, type Form, type UiModule } from "../context.ts";
import { authenticateKey, crossSite, html, rejected } from "../guard.tsx";
import { Csrf, Page } from "../layout.tsx";
import { clearSession, LOGIN_COOKIE, loginNonce, newSession, readLoginNonce, sealerFor, writeSession } from "../session.ts";

const LoginPage = (p: { csrf: string; next: string; open: boolean; error?: string; reason?: string }) => (
  <Page title="Log in">
    <div class="login">
      <p class="brand">
        litellm<span>-rust</span>
      </p>
      <div class="panel">
        <h1>Log in</h1>
        {p.reason && (
          <div class="notice warn" role="status">
            {p.reason}
          </div>
        )}
        {p.error && (
          <div class="notice error" role="alert" data-testid="login-error">
            {p.error}
          </div>
        )}
        <form method="post" action="/ui/login">
          <Csrf token={p.csrf} />
          <input type="hidden" name="next" value={p.next} />
          {p.open ? (
            <p>This gateway has no master key, so it accepts every request without a key. Anyone who can reach it can manage it: set a master key before exposing it.</p>
          ) : (
            <div>
              <label for="key">Master key or virtual key</label>
              <input id="key" name="key" type="password" autocomplete="current-password" required autofocus placeholder="sk-…" />
              <p class="hint">The proxy admin (master key, or a key of a proxy_admin user) sees everything; other keys see their own keys and spend.</p>
            </div>
          )}
          <div class="form-row">
            <button class="primary" type="submit">
              {p.open ? "Continue" : "Log in"}
            </button>
          </div>
        </form>
      </div>
    </div>
  </Page>
);

function loginForm(c: Context, rt: UiModule["rt"], extra: { error?: string; reason?: string } = {}, status = 200): Response {
  const runtime = rt();
  const nonce = loginNonce(c);
  const csrf = sealerFor(runtime.config.masterKey).csrfToken(`login:${nonce}`);
  return html(c, <LoginPage csrf={csrf} next={safeNext(c.req.query("next"))} open={runtime.auth.open} {...extra} />, status);
}

/** Records the session (so logout can end it everywhere), then sets its cookie; false when the store is unreachable. */
async function startSession(c: Context, runtime: ReturnType<UiModule["rt"]>, deps: UiModule["deps"], key: string, keyHash: string | undefined): Promise<boolean> {
  const session = newSession(key);
  try {
    await deps.sessions.open(session.sid, { keyHash }, session.exp);
  } catch (e) {
    runtime.log.warn("ui session could not be recorded", { error: (e as Error).message });
    return false;
  }
  writeSession(c, sealerFor(runtime.config.masterKey), session);
  return true;
}

const LOGIN_FORM_MAX_BYTES = 64 * 1024;

/** A login form's fields, read before anyone is authenticated: small, and bounded in time like every body. */
async function loginFields(c: Context, runtime: Runtime): Promise<Form | Response> {
  try {
    return await readSmallForm(c.req.raw, runtime.body, LOGIN_FORM_MAX_BYTES, "login forms");
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    const res = rejected(c, e.status, "Request rejected", e.message);
    for (const [k, v] of Object.entries(e.headers)) res.headers.set(k, v);
    return res;
  }
}

/** `/ui/login` and `/ui/logout`. The login form is CSRF-bound to a pre-login cookie nonce. */
export function registerLogin({ ui, rt, deps }: UiModule): void {
  ui.get("/login", (c) => loginForm(c, rt, { reason: c.req.query("reason") }));

  ui.post("/login", async (c) => {
    const runtime = rt();
    const sealer = sealerFor(runtime.config.masterKey);
    const form = await loginFields(c, runtime);
    if (form instanceof Response) return form;
    const nonce = readLoginNonce(c);
    if (crossSite(c) || !nonce || !sealer.checkCsrf(`login:${nonce}`, form._csrf)) {
      return rejected(c, 403, "Request rejected", "The login form's CSRF token is missing or invalid. Reload the page and try again.");
    }
    const key = runtime.auth.open ? "" : typeof form.key === "string" ? form.key.trim() : "";
    if (!runtime.auth.open && !key) return loginForm(c, rt, { error: "Enter a key." }, 400);
    let auth: AuthContext;
    try {
      auth = await authenticateKey(runtime, key);
    } catch (e) {
      const why = e instanceof GatewayError ? e.message.replace(/\s*Received=\S+/, "") : "the key could not be checked";
      return loginForm(c, rt, { error: `That key was not accepted: ${why}` }, 401);
    }
    if (!(await startSession(c, runtime, deps, key, auth.kind === "virtual_key" ? auth.apiKeyHash : undefined))) {
      return loginForm(c, rt, { error: "The session could not be recorded (its store is unreachable). Try again shortly." }, 503);
    }
    deleteCookie(c, LOGIN_COOKIE, { path: "/ui/login" });
    return c.redirect(safeNext(typeof form.next === "string" ? form.next : undefined), 303);
  });
}

/** Ends the session on record (so a copy of the cookie stops working on every instance), then the cookie. */
export function registerLogout({ ui, deps }: UiModule): void {
  ui.post("/logout", async (c) => {
    await deps.sessions.end(c.get("viewer").session.sid);
    clearSession(c);
    return c.redirect("/ui/login", 303);
  });
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const loginError = (status: number, message: string, param: string) => errorResponse(new GatewayError(status, message, { type: "auth_error", param }), "openai");

/**
 * LiteLLM's form login at `/login` (`login_utils.authenticate_user`): `UI_USERNAME` (default `admin`)
 * with `UI_PASSWORD` (default the master key) opens an admin session and redirects to the UI. A user's
 * email and password (LiteLLM's invite-link login) is not supported: it gets LiteLLM's 401.
 */
export function registerFormLogin(mount: Hono, rt: UiModule["rt"], deps: UiModule["deps"]): void {
  mount.post("/login", async (c) => {
    const runtime = rt();
    const master = runtime.config.masterKey;
    if (!master) {
      return loginError(500, "Master Key not set for Proxy. Please set Master Key to use Admin UI. Set `LITELLM_MASTER_KEY` in .env or set general_settings:master_key in config.yaml.", "master_key");
    }
    if (crossSite(c)) return rejected(c, 403, "Request rejected", "Log in from the gateway's own page.");
    const form = await loginFields(c, runtime);
    if (form instanceof Response) return form;
    const field = (v: unknown) => (typeof v === "string" ? v : "");
    const env = runtime.config.env;
    if (!sameText(field(form.username), env.UI_USERNAME ?? "admin") || !sameText(field(form.password), env.UI_PASSWORD ?? master)) {
      return loginError(401, "Invalid credentials used to access UI.\nCheck 'UI_USERNAME', 'UI_PASSWORD' in .env file", "invalid_credentials");
    }
    if (!(await startSession(c, runtime, deps, master, undefined))) return loginError(503, "The UI session could not be recorded (its store is unreachable). Try again shortly.", "session");
    return c.redirect("/ui", 303);
  });
}
