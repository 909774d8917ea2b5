import type { Hono } from "hono";
import type { DbServices } from "../../db/services.ts";
import type { Runtime } from "../../runtime.ts";
import { registerBudgetRoutes } from "./budgets.ts";
import { registerKeyRoutes } from "./keys.ts";
import { registerModelWriteRoutes } from "./model-writes.ts";
import { registerModelRoutes } from "./models.ts";
import { registerOrganizationRoutes } from "./organizations.ts";
import { registerSpendRoutes } from "./spend.ts";
import { registerTagRoutes } from "./tags.ts";
import { registerTeamRoutes } from "./teams.ts";
import { registerUserRoutes } from "./users.ts";
import { registerCodingSessionRoutes } from "../../sessions/routes.ts";

/** LiteLLM's management API; without a database every data route answers "No connected db.". */
export function managementRoutes(dbs: DbServices | undefined) {
  return (app: Hono, rt: () => Runtime) => {
    registerKeyRoutes(app, rt, dbs);
    registerUserRoutes(app, rt, dbs);
    registerTeamRoutes(app, rt, dbs);
    registerBudgetRoutes(app, rt, dbs);
    registerOrganizationRoutes(app, rt, dbs);
    registerSpendRoutes(app, rt, dbs);
    registerTagRoutes(app, rt, dbs);
    registerModelRoutes(app, rt);
    registerModelWriteRoutes(app, rt, dbs);
    registerCodingSessionRoutes(app, rt, dbs);
  };
}
