import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

export const SESSION_COOKIE = "litellm_ui_session";
export const FLASH_COOKIE = "litellm_ui_flash";
export const LOGIN_COOKIE = "litellm_ui_login";
const SESSION_TTL_S = 12 * 3600;
const FLASH_TTL_S = 120;

/** What the session cookie carries, sealed: the key the user logged in with never travels in clear. */
export interface Session {
  /** The raw key ("" when the gateway has no master key and runs open). */
  key: string;
  /** Random session id; CSRF tokens are bound to it. */
  sid: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

/** A one-shot message shown on the next page; `secret` is a freshly created key shown exactly once. */
export interface Flash {
  kind: "ok" | "error";
  message: string;
  secret?: string;
}

/**
 * AES-256-GCM sealing and HMAC CSRF tokens with keys derived (HKDF) from the master key, so sessions
 * survive a restart and work across `--num_workers` processes; changing the master key ends them.
 * The cookie name is the GCM associated data, so one cookie cannot be replayed as another.
 */
export class Sealer {
  private readonly enc: Buffer;
  private readonly mac: Buffer;

  constructor(secret: string | Buffer) {
    const ikm = typeof secret === "string" ? Buffer.from(secret) : secret;
    this.enc = Buffer.from(hkdfSync("sha256", ikm, "litellm-rust-ui", "cookie-encryption", 32));
    this.mac = Buffer.from(hkdfSync("sha256", ikm, "litellm-rust-ui", "csrf", 32));
  }

  seal(purpose: string, value: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.enc, iv);
    c.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([c.update(JSON.stringify(value)), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]).toString("base64url");
  }

  open<T>(purpose: string, token: string | undefined): T | undefined {
    if (!token) return undefined;
    try {
      const raw = Buffer.from(token, "base64url");
      if (raw.length < 29) return undefined;
      const d = createDecipheriv("aes-256-gcm", this.enc, raw.subarray(0, 12));
      d.setAAD(Buffer.from(purpose));
      d.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString()) as T;
    } catch {
      return undefined;
    }
  }

  csrfToken(binding: string): string {
    return createHmac("sha256", this.mac).update(binding).digest("base64url");
  }

  checkCsrf(binding: string, token: unknown): boolean {
    if (typeof token !== "string" || !token) return false;
    const want = Buffer.from(this.csrfToken(binding));
    const got = Buffer.from(token);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

const openModeSecret = randomBytes(32);
let cached: { masterKey: string | undefined; sealer: Sealer } | undefined;

/** The sealer for the current master key (a per-process random secret when the gateway runs open). */
export function sealerFor(masterKey: string | undefined): Sealer {
  if (!cached || cached.masterKey !== masterKey) cached = { masterKey, sealer: new Sealer(masterKey ?? openModeSecret) };
  return cached.sealer;
}

/** HTTPS as the browser sees it: the request itself, or a TLS-terminating proxy's `X-Forwarded-Proto`. */
export function isHttps(c: Context): boolean {
  const fwd = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return fwd ? fwd === "https" : new URL(c.req.url).protocol === "https:";
}

function cookieOptions(c: Context, maxAge: number, path = "/ui") {
  return { path, httpOnly: true, sameSite: "Strict" as const, secure: isHttps(c), maxAge };
}

export function newSession(key: string): Session {
  return { key, sid: randomBytes(16).toString("base64url"), exp: Date.now() + SESSION_TTL_S * 1000 };
}

export function readSession(c: Context, s: Sealer): Session | undefined {
  const v = s.open<Session>(SESSION_COOKIE, getCookie(c, SESSION_COOKIE));
  return v && typeof v.key === "string" && typeof v.sid === "string" && v.exp > Date.now() ? v : undefined;
}

export function writeSession(c: Context, s: Sealer, session: Session): void {
  setCookie(c, SESSION_COOKIE, s.seal(SESSION_COOKIE, session), cookieOptions(c, SESSION_TTL_S));
}

export function clearSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c, 0));
}

export function setFlash(c: Context, s: Sealer, flash: Flash): void {
  setCookie(c, FLASH_COOKIE, s.seal(FLASH_COOKIE, flash), cookieOptions(c, FLASH_TTL_S));
}

/** Reads the flash and deletes it in the same response, so a secret in it is rendered once. */
export function takeFlash(c: Context, s: Sealer): Flash | undefined {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return undefined;
  deleteCookie(c, FLASH_COOKIE, cookieOptions(c, 0));
  return s.open<Flash>(FLASH_COOKIE, raw);
}

/** The pre-login nonce that binds the login form's CSRF token (against login CSRF). */
export function loginNonce(c: Context): string {
  const existing = getCookie(c, LOGIN_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{22}$/.test(existing)) return existing;
  const nonce = randomBytes(16).toString("base64url");
  setCookie(c, LOGIN_COOKIE, nonce, cookieOptions(c, 3600, "/ui/login"));
  return nonce;
}

export function readLoginNonce(c: Context): string | undefined {
  return getCookie(c, LOGIN_COOKIE);
}
