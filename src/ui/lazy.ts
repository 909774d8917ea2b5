import { Hono } from "hono";
import type { Invalidation } from "../auth/key-cache.ts";
import type { RedisLink } from "../redis.ts";
import type { Runtime } from "../runtime.ts";
import type { UiDeps } from "./context.ts";
import { uiSessionStore } from "./session-store.ts";

/**
 * The admin UI, loaded on its first request: its pages are a chunk of their own in the binary
 * (`bun build --splitting`), so a gateway nobody opens `/ui` on never parses them.
 */
export function lazyUiRoutes(opts: Omit<UiDeps, "sessions"> & { redis?: RedisLink; onInvalidate?: Array<(i: Invalidation) => void | Promise<void>> }) {
  // The session store is not lazy: this instance's management writes end sessions opened on any instance.
  const deps: UiDeps = { ...opts, sessions: uiSessionStore(opts.db, opts.redis) };
  return (app: Hono, rt: () => Runtime): void => {
    opts.onInvalidate?.push((i) => deps.sessions.revalidate(i).catch((e: Error) => rt().log.warn("ui sessions not revalidated after a management write", { error: e.message })));
    let ui: Promise<Hono> | undefined;
    const load = () =>
      (ui ??= import("./index.tsx").then((m) => {
        const mount = new Hono();
        m.mountUi(mount, app, rt, deps);
        return mount;
      }));
    const forward = async (c: { req: { raw: Request }; env: unknown }) => (await load()).fetch(c.req.raw, c.env);
    app.all("/ui", forward);
    app.all("/ui/*", forward);
    app.post("/login", forward);
  };
}
