import type { GatewayConfig } from "./config/index.ts";
import { startDbServices, type DbServices } from "./db/services.ts";
import { managementRoutes } from "./http/management/index.ts";
import { Counter } from "./metrics/registry.ts";
import type { Runtime } from "./runtime.ts";
import type { Services } from "./server.ts";

/**
 * Plugs the database into the gateway's services: management routes (answering "No connected db."
 * without a database), and with one: virtual keys on every runtime, the spend sink, readiness,
 * database models, and a spend flush on shutdown.
 */
export async function attachDatabase(config: GatewayConfig, services: Services, rt: () => Runtime): Promise<DbServices | undefined> {
  if (!config.databaseUrl) {
    services.routes.push(managementRoutes(undefined));
    return undefined;
  }
  const repaired = services.metrics.registry.register(new Counter("litellm_rust_spend_rows_repaired_total", "Spend rows written repaired after Postgres refused them as they were", []));
  const quarantined = services.metrics.registry.register(
    new Counter("litellm_rust_spend_rows_quarantined_total", "Spend rows Postgres refused even repaired, kept in the spill directory's quarantine.jsonl", []),
  );
  repaired.inc({}, 0);
  quarantined.inc({}, 0);
  const dbs = await startDbServices(config, services.log, rt, services.redis, services.sessions, { repaired: () => repaired.inc(), quarantined: () => quarantined.inc() });
  services.routes.push(managementRoutes(dbs));
  services.sinks.push(dbs.sink);
  services.health.push(() => dbs.health());
  services.deployments.push(...dbs.models);
  dbs.onModels = (models) => {
    services.deployments.splice(0, services.deployments.length, ...models);
    services.rebuild?.();
  };
  services.onRuntime.push((runtime) => dbs.attach(runtime));
  services.onShutdown.unshift(() => dbs.close());
  return dbs;
}
