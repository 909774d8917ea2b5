import { Hono } from "hono";
import type { Runtime } from "../runtime.ts";
import type { UiDeps } from "./context.ts";

/**
 * The admin UI, loaded on its first request: its pages are a chunk of their own in the binary
 * (`bun build --splitting`), so a gateway nobody opens `/ui` on never parses them.
 */
export function lazyUiRoutes(deps: UiDeps) {
  return (app: Hono, rt: () => Runtime): void => {
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
