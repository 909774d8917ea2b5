import type { Context, Hono } from "hono";
import type { AuthContext } from "../auth/types.ts";
import type { Database } from "../db/client.ts";
import type { RouterState } from "../router/state.ts";
import type { Runtime } from "../runtime.ts";
import type { GatewayApi } from "./api.ts";
import type { Flash, Sealer, Session } from "./session.ts";
import type { UiSessionStore } from "./session-store.ts";

/** What the UI reads besides the gateway's own API: the database (aggregates), router state, metrics. */
export interface UiDeps {
  db?: Database;
  state: RouterState;
  /** Prometheus text of `/metrics` (totals since start, for the overview without a database). */
  metrics: () => string;
  /** Where sessions are on record (logout, key block/delete and role changes end them). */
  sessions: UiSessionStore;
}

export type Form = Record<string, string | File | Array<string | File>>;

/** The logged-in person: their key's identity, an API client acting as them, and their CSRF token. */
export interface Viewer {
  session: Session;
  auth: AuthContext;
  admin: boolean;
  api: GatewayApi;
  csrf: string;
  label: string;
}

export interface UiEnv {
  Variables: { viewer: Viewer; form: Form; sealer: Sealer; flash: Flash | undefined };
}

export type UiContext = Context<UiEnv>;

/** Everything a page module needs to register its routes. */
export interface UiModule {
  ui: Hono<UiEnv>;
  app: Hono;
  rt: () => Runtime;
  deps: UiDeps;
}

export function field(form: Form, name: string): string | undefined {
  const v = form[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "string" && first.trim() !== "" ? first.trim() : undefined;
}

export function fields(form: Form, name: string): string[] {
  const v = form[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === "string" && x.trim() !== "").map((x) => x.trim());
}

export function numberField(form: Form, name: string): number | undefined {
  const v = field(form, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Same-site relative path under /ui (for `?next=` redirects). */
export function safeNext(v: string | undefined): string {
  return v && /^\/ui(\/|$|\?)/.test(v) && !v.startsWith("//") ? v : "/ui";
}
