import type { Server } from "bun";
import type { Hono } from "hono";
import { Authenticator } from "./auth/authenticator.ts";
import type { CliArgs } from "./cli/args.ts";
import { ConfigError, loadConfig, type GatewayConfig } from "./config/index.ts";
import { startCallbacks } from "./callbacks/index.ts";
import { fanOut, logSink } from "./gateway/sinks.ts";
import type { CallSink } from "./gateway/types.ts";
import { attachDatabase } from "./attach-database.ts";
import { ScopedKeys } from "./auth/scoped-keys.ts";
import { DbRunKeys } from "./agents/run-keys-db.ts";
import { DurableAgents } from "./agents/durable.ts";
import { registerAgentRoutes } from "./agents/routes.ts";
import { createAgentRuntime } from "./agents/setup.ts";
import { createApp } from "./http/app.ts";
import { ConnectionGuard, MAX_KEEPALIVE_SECONDS, type ConnectionSettings } from "./http/connection-guard.ts";
import { BodyBudget, type BodyLimits } from "./limits/body-budget.ts";
import { lazyUiRoutes } from "./ui/lazy.ts";
import { registerMetricsRoute } from "./http/metrics-route.ts";
import { Logger } from "./log.ts";
import { learnConfigSecrets } from "./redaction.ts";
import { GatewayMetrics } from "./metrics/gateway-metrics.ts";
import { registerSessionMetrics } from "./metrics/session-metrics.ts";
import { LiveSessions } from "./sessions/live.ts";
import { redactUrl, RedisLink } from "./redis.ts";
import { buildRouter, type Deployment } from "./router/index.ts";
import { RedisRouterState } from "./router/redis-state.ts";
import { RouterState } from "./router/state.ts";
import type { Runtime } from "./runtime.ts";

const DEFAULT_MAX_BODY_MB = 64;
const DEFAULT_BODY_IN_FLIGHT_MB = 256;
const DEFAULT_BODY_TIMEOUT_SECONDS = 60;
const DEFAULT_KEEPALIVE_SECONDS = 60;
const MB = 1024 * 1024;

/** Shared, long-lived parts that survive a config reload. */
export interface Services {
  log: Logger;
  state: RouterState;
  metrics: GatewayMetrics;
  /** Coding sessions seen by this instance (session budgets, `/metrics`). */
  sessions: LiveSessions;
  redis?: RedisLink;
  /** Extra sinks (spend writer, ...) fed every finished call. */
  sinks: CallSink[];
  /** Work to finish before the process exits (flush spend, run events), in order. */
  onShutdown: Array<() => Promise<void>>;
  /** Route groups added by feature modules (management API, agents, UI). */
  routes: Array<(app: Hono, rt: () => Runtime) => void>;
  health: Array<() => Record<string, unknown>>;
  /** Deployments from outside the config file (models stored in the database). */
  deployments: Deployment[];
  /** Run on every runtime built (boot and reload): virtual-key auth, `/v1/models` filtering. */
  onRuntime: Array<(runtime: Runtime) => void>;
  /** Keys the gateway mints for itself (agent runs) when there is no database. */
  scoped: ScopedKeys;
  /** Bytes of request bodies being received at once (`general_settings.max_request_body_in_flight_mb`). */
  bodyBudget: BodyBudget;
  /** Rebuilds the runtime on the running config (after `deployments` changed). */
  rebuild?: () => void;
}

export interface RunningGateway {
  server: Server<unknown>;
  url: string;
  runtime: () => Runtime;
  services: Services;
  /** Re-reads the config file; on a bad config keeps the running one and returns the reason. */
  reload(): { ok: true } | { ok: false; error: string };
  /** Stops accepting, lets in-flight requests and streams finish up to `deadlineMs`, flushes, closes. */
  shutdown(deadlineMs?: number): Promise<void>;
}

/** Builds everything a request needs from a validated config. */
export function buildRuntime(config: GatewayConfig, services: Services): Runtime {
  const { log } = services;
  const built = buildRouter(config, services.deployments, services.state);
  learnConfigSecrets(config, built.deployments);
  for (const w of built.warnings) log.warn(w);
  const auth = new Authenticator({ masterKey: config.masterKey, customHeader: config.general.litellm_key_header_name ?? undefined, scoped: services.scoped });
  const runtime: Runtime = {
    config,
    router: built.router,
    auth,
    sink: fanOut([logSink(log, config.jsonLogs), services.metrics, ...services.sinks]),
    log,
    body: bodyLimits(config, services.bodyBudget),
  };
  for (const hook of services.onRuntime) hook(runtime);
  return runtime;
}

function bodyLimits(config: GatewayConfig, budget: BodyBudget): BodyLimits {
  const g = config.general;
  budget.capacity = Math.floor((g.max_request_body_in_flight_mb ?? DEFAULT_BODY_IN_FLIGHT_MB) * MB);
  return {
    maxBytes: Math.floor((g.max_request_size_mb ?? DEFAULT_MAX_BODY_MB) * MB),
    timeoutMs: (g.request_body_timeout_seconds ?? DEFAULT_BODY_TIMEOUT_SECONDS) * 1000,
    budget,
  };
}

/** Keep-alive and concurrency cap: CLI flag (or its env variable, as LiteLLM's CLI), then config, then default. */
function connectionSettings(config: GatewayConfig, args: CliArgs, log: Logger): ConnectionSettings {
  const wanted = args.keepaliveTimeout ?? config.general.keepalive_timeout ?? DEFAULT_KEEPALIVE_SECONDS;
  if (wanted > MAX_KEEPALIVE_SECONDS) log.warn(`keepalive_timeout ${wanted}s is above Bun's limit; idle connections close after ${MAX_KEEPALIVE_SECONDS}s`);
  return {
    keepAliveSeconds: Math.min(MAX_KEEPALIVE_SECONDS, Math.ceil(wanted)),
    limitConcurrency: args.limitConcurrency ?? config.general.limit_concurrency ?? 0,
  };
}

export function startupNotes(config: GatewayConfig, args: CliArgs, log: Logger): void {
  for (const n of config.notes) log.info(n);
  for (const w of config.warnings) log.warn(w);
  for (const m of config.missingEnv) log.warn(`os.environ/${m.name} is not set (used at ${m.path})`);
  if (args.ignored.length) log.info(`LiteLLM CLI flags accepted without effect: ${args.ignored.join(", ")}`);
  if (!config.masterKey) {
    log.warn("no master key set (general_settings.master_key or LITELLM_MASTER_KEY): every request is accepted without auth");
  }
}

/** Logging callbacks and alerting: fed every finished call, flushed at shutdown. */
function attachCallbacks(config: GatewayConfig, services: Services, dbConnected?: () => boolean): void {
  const cb = startCallbacks({
    config,
    log: services.log,
    registry: services.metrics.registry,
    hasDatabase: !!dbConnected,
    cooldowns: () => services.state.cooldowns(),
    dbConnected,
  });
  if (!cb) return;
  for (const n of cb.notes) services.log.info(n);
  services.sinks.push(cb.sink);
  services.onRuntime.push((rt) => cb.onRuntime(rt.router.groups.allDeployments()));
  services.onShutdown.push(() => cb.close());
}

async function connectRedis(config: GatewayConfig, services: Services): Promise<void> {
  if (!config.redisUrl) return;
  const redis = new RedisLink(config.redisUrl, services.log);
  services.redis = redis;
  await redis.connect();
  services.onShutdown.push(async () => redis.close());
}

export async function startGateway(args: CliArgs): Promise<RunningGateway> {
  const config = loadConfig(args.config);
  const log = new Logger(config.jsonLogs, args.debug, undefined, args.detailedDebug);
  startupNotes(config, args, log);
  const state = new RouterState();
  const services: Services = {
    log,
    state,
    metrics: new GatewayMetrics(() => state),
    sessions: new LiveSessions(),
    sinks: [],
    onShutdown: [],
    routes: [],
    health: [],
    deployments: [],
    onRuntime: [],
    scoped: new ScopedKeys(),
    bodyBudget: new BodyBudget(0),
  };
  services.sinks.push(services.sessions);
  registerSessionMetrics(services.metrics, services.sessions);
  await connectRedis(config, services);
  const dbs = await attachDatabase(config, services, () => runtime);
  attachCallbacks(config, services, dbs && (() => dbs.db.connected));
  let runtime = buildRuntime(config, services);
  services.rebuild = () => {
    runtime = buildRuntime(runtime.config, services);
    log.info(`models changed in the database: ${runtime.router.groups.allDeployments().length} deployments`);
  };
  let listenUrl = "";
  const durable = config.agents.length ? new DurableAgents(config, dbs?.db.sql, log) : undefined;
  const agents = await createAgentRuntime({
    config,
    router: runtime.router,
    log,
    scoped: services.scoped,
    sql: dbs?.db.sql,
    keys: dbs ? new DbRunKeys(dbs) : undefined,
    gatewayUrl: () => config.general.gateway_public_url ?? listenUrl,
    hooks: durable?.hooks,
  });
  if (agents) {
    services.sinks.push(agents);
    services.routes.push((a, rt) => registerAgentRoutes(a, rt, () => agents));
    if (durable) services.routes.push((a, rt) => durable.register(a, rt, () => agents));
    services.onShutdown.unshift(() => agents.stop((config.general.graceful_shutdown_seconds ?? 30) * 1000));
    services.metrics.gauge("litellm_rust_agent_runs_active", "Agent runs on this instance by state", ["state"], () =>
      Object.entries(agents.activeCounts()).map(([state, n]) => [{ state }, n]),
    );
    services.metrics.gauge("litellm_rust_agent_runs_finished", "Agent runs finished on this instance by agent and final state", ["agent_id", "state"], () =>
      [...agents.outcomes].map(([k, n]) => {
        const [agent_id, state] = k.split("\u0000");
        return [{ agent_id: agent_id!, state: state! }, n];
      }),
    );
    runtime = buildRuntime(config, services);
  }
  if (services.redis) {
    await new RedisRouterState(services.redis).attach(state, runtime.router.groups.allDeployments().map((d) => d.id));
    log.info(`router cooldowns and rpm/tpm counters shared through redis at ${redactUrl(config.redisUrl!)}`);
    services.metrics.gauge("litellm_rust_redis_up", "1 when Redis answers", [], () => [[{}, services.redis!.healthy ? 1 : 0]]);
  }

  services.routes.push(lazyUiRoutes({ db: dbs?.db, state, metrics: () => services.metrics.render(), redis: services.redis, onInvalidate: dbs?.onInvalidate }));
  const app = createApp(() => runtime, {
    health: () => Object.assign({}, ...services.health.map((h) => h())),
    extend: [(a, rt) => registerMetricsRoute(a, rt, () => services.metrics.render()), ...services.routes],
  });
  const connections = new ConnectionGuard(connectionSettings(config, args, log));
  const server = Bun.serve({
    port: args.port,
    hostname: args.host,
    fetch: connections.wrap(app.fetch),
    maxRequestBodySize: runtime.body.maxBytes + MB,
    idleTimeout: connections.settings.keepAliveSeconds,
    reusePort: args.numWorkers > 1,
    development: false,
  });
  services.metrics.gauge("litellm_rust_requests_in_flight", "Requests this instance is serving, streams included", [], () => [[{}, connections.inFlight]]);
  services.metrics.gauge("litellm_rust_requests_shed", "Requests answered 503 by --limit_concurrency since start", [], () => [[{}, connections.shed]]);
  services.metrics.gauge("litellm_rust_request_body_bytes_in_flight", "Bytes of request bodies being received (general_settings.max_request_body_in_flight_mb)", [], () => [[{}, services.bodyBudget.inUse]]);
  const shown = args.host === "0.0.0.0" || args.host === "::" ? "127.0.0.1" : args.host;
  listenUrl = `http://${shown}:${server.port}`;
  log.info(`${runtime.router.groups.allDeployments().length} deployments loaded from ${config.file}`);
  if (agents) {
    await durable?.init();
    services.onShutdown.push(async () => durable?.stop());
    await agents.start();
    log.info(`${agents.agents.size} agents ready; runs are ${agents.store.durable ? "stored in Postgres" : "kept in memory"}`);
  }

  let stopping: Promise<void> | undefined;
  return {
    server,
    url: `http://${shown}:${server.port}`,
    runtime: () => runtime,
    services,
    reload() {
      try {
        const next = loadConfig(args.config);
        for (const n of next.notes) log.info(n);
        for (const w of next.warnings) log.warn(w);
        runtime = buildRuntime(next, services);
        log.info(`config reloaded from ${next.file}: ${runtime.router.groups.allDeployments().length} deployments`);
        return { ok: true };
      } catch (e) {
        const error = e instanceof ConfigError ? e.message : (e as Error).message;
        log.error(`config reload failed, keeping the running config: ${error}`);
        return { ok: false, error };
      }
    },
    shutdown(deadlineMs = 30_000) {
      stopping ??= (async () => {
        log.info(`shutting down: no new connections, waiting up to ${Math.round(deadlineMs / 1000)}s for ${server.pendingRequests} in-flight requests`);
        const drained = server.stop(false).then(() => true);
        const timedOut = Bun.sleep(deadlineMs).then(() => false);
        if (!(await Promise.race([drained, timedOut]))) {
          log.warn("shutdown deadline reached, closing the remaining connections");
          await server.stop(true);
        }
        // A call is recorded one immediate after its response (gateway/call.ts): the last ones run before the flush.
        await new Promise<void>((r) => setImmediate(r));
        for (const step of services.onShutdown) {
          try {
            await step();
          } catch (e) {
            log.error("shutdown step failed", { error: (e as Error).message });
          }
        }
        connections.stop();
        log.info("shutdown complete");
      })();
      return stopping;
    },
  };
}
