/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import type { Runtime } from "../runtime.ts";
import { assetResponse } from "./assets/index.ts";
import type { UiDeps, UiEnv, UiModule } from "./context.ts";
import { html, rejected, requireViewer, securityHeaders } from "./guard.tsx";
import { Page } from "./layout.tsx";
import { registerAgents } from "./pages/agents.tsx";
import { registerKeys } from "./pages/keys.tsx";
import { registerFormLogin, registerLogin, registerLogout } from "./pages/login.tsx";
import { registerModels } from "./pages/models.tsx";
import { registerOverview } from "./pages/overview.tsx";
import { registerRuns } from "./pages/runs.tsx";
import { registerSessions } from "./pages/sessions.tsx";
import { registerSpend } from "./pages/spend.tsx";
import { registerTeams } from "./pages/teams.tsx";
import { registerUsers } from "./pages/users.tsx";

/**
 * The admin UI at /ui: server-rendered pages over the gateway's own APIs (see docs/ui.md), mounted on
 * `mount`; `app` is the gateway the pages call for their data.
 */
export function mountUi(mount: Hono, app: Hono, rt: () => Runtime, deps: UiDeps): void {
  const ui = new Hono<UiEnv>();
  const mod: UiModule = { ui, app, rt, deps };
  ui.use("*", securityHeaders);
  ui.get("/assets/:file", (c) => assetResponse(c.req.path) ?? c.text("Not found", 404));
  registerLogin(mod);
  ui.use("*", requireViewer(app, rt, deps.sessions));
  registerLogout(mod);
  registerOverview(mod);
  registerKeys(mod);
  registerTeams(mod);
  registerUsers(mod);
  registerModels(mod);
  registerSpend(mod);
  registerSessions(mod);
  registerAgents(mod);
  registerRuns(mod);
  ui.all("*", (c) =>
    html(
      c,
      <Page title="Not found" viewer={c.get("viewer")} flash={undefined}>
        <p>There is no page at {c.req.path}.</p>
        <p>
          <a href="/ui">Back to the overview</a>
        </p>
      </Page>,
      404,
    ),
  );
  ui.onError((e, c) => {
    rt().log.error("ui page failed", { path: c.req.path, error: e.message });
    return rejected(c, 500, "Something went wrong", "The page could not be rendered; the gateway log has the details.");
  });
  registerFormLogin(mount, rt, deps);
  mount.get("/ui/", (c) => c.redirect("/ui", 301));
  mount.route("/ui", ui);
}
