/** @jsxImportSource hono/jsx */
import type { Context } from "hono";
import { deleteCookie } from "hono/cookie";
import type { AuthContext } from "../../auth/types.ts";
import { GatewayError } from "../../errors.ts";
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

/** `/ui/login` and `/ui/logout`. The login form is CSRF-bound to a pre-login cookie nonce. */
export function registerLogin({ ui, rt, deps }: UiModule): void {
  ui.get("/login", (c) => loginForm(c, rt, { reason: c.req.query("reason") }));

  ui.post("/login", async (c) => {
    const runtime = rt();
    const sealer = sealerFor(runtime.config.masterKey);
    const form = (await c.req.parseBody()) as Form;
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
    const session = newSession(key);
    try {
      await deps.sessions.open(session.sid, { keyHash: auth.kind === "virtual_key" ? auth.apiKeyHash : undefined }, session.exp);
    } catch (e) {
      runtime.log.warn("ui session could not be recorded", { error: (e as Error).message });
      return loginForm(c, rt, { error: "The session could not be recorded (its store is unreachable). Try again shortly." }, 503);
    }
    writeSession(c, sealer, session);
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
