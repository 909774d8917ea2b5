import type { Hono } from "hono";
import type { Runtime } from "../../runtime.ts";
import { adminRoute, jsonObject, notFound, optionalString, param, requiredString } from "../api-auth.ts";
import type { Vault } from "./vault.ts";

/** `/api/vault/secrets`: values are write-only; reads show names, sources and dates. */
export function registerVaultRoutes(app: Hono, rt: () => Runtime, vault: Vault): void {
  const guarded = adminRoute(rt, () => vault);

  app.post(
    "/api/vault/secrets",
    guarded(async (c, v) => {
      const body = await jsonObject(c);
      const info = await v.put(requiredString(body, "name"), requiredString(body, "value"), optionalString(body, "description") ?? null);
      return Response.json(info, { status: 201 });
    }),
  );
  app.get("/api/vault/secrets", guarded(async (_c, v) => Response.json({ data: await v.list() })));
  app.get(
    "/api/vault/secrets/:name",
    guarded(async (c, v) => {
      const info = await v.info(param(c, "name"));
      if (!info) throw notFound("secret", param(c, "name"));
      return Response.json(info);
    }),
  );
  app.delete(
    "/api/vault/secrets/:name",
    guarded(async (c, v) => {
      if (!(await v.delete(param(c, "name")))) throw notFound("vault secret", param(c, "name"));
      return Response.json({ deleted: true, name: param(c, "name") });
    }),
  );
}
