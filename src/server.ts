import type { Server } from "bun";
import { Authenticator } from "./auth/authenticator.ts";
import type { CliArgs } from "./cli/args.ts";
import { loadConfig, type GatewayConfig } from "./config/index.ts";
import { fanOut, logSink } from "./gateway/sinks.ts";
import type { CallSink } from "./gateway/types.ts";
import { createApp } from "./http/app.ts";
import { Logger } from "./log.ts";
import { buildRouter } from "./router/index.ts";
import { RouterState } from "./router/state.ts";
import type { Runtime } from "./runtime.ts";
import { RedisLink } from "./redis.ts";
import { RedisRouterState } from "./router/redis-state.ts";

const DEFAULT_MAX_BODY_MB = 64;

export interface RunningGateway {
  server: Server<unknown>;
  url: string;
  runtime: () => Runtime;
  stop(): Promise<void>;
}

/** Builds everything a request needs from a validated config. Pure setup; no I/O beyond the config. */
export function buildRuntime(config: GatewayConfig, log: Logger, state = new RouterState(), extraSinks: CallSink[] = []): Runtime {
  const built = buildRouter(config, [], state);
  for (const w of built.warnings) log.warn(w);
  const auth = new Authenticator({ masterKey: config.masterKey, customHeader: config.general.litellm_key_header_name ?? undefined });
  return {
    config,
    router: built.router,
    auth,
    sink: fanOut([logSink(log, config.jsonLogs), ...extraSinks]),
    log,
    maxBodyBytes: Math.floor((config.general.max_request_size_mb ?? DEFAULT_MAX_BODY_MB) * 1024 * 1024),
  };
}

export function startupNotes(config: GatewayConfig, args: CliArgs, log: Logger): void {
  for (const n of config.notes) log.info(n);
  for (const m of config.missingEnv) log.warn(`os.environ/${m.name} is not set (used at ${m.path})`);
  if (args.ignored.length) log.info(`LiteLLM CLI flags accepted without effect: ${args.ignored.join(", ")}`);
  if (!config.masterKey) {
    log.warn("no master key set (general_settings.master_key or LITELLM_MASTER_KEY): every request is accepted without auth");
  }
}

export async function startGateway(args: CliArgs): Promise<RunningGateway> {
  const config = loadConfig(args.config);
  const log = new Logger(config.jsonLogs, args.debug);
  startupNotes(config, args, log);
  const state = new RouterState();
  let redis: RedisLink | undefined;
  if (config.redisUrl) {
    redis = new RedisLink(config.redisUrl);
    try {
      await redis.client.connect();
    } catch (e) {
      log.warn(`redis at ${redactUrl(config.redisUrl)} unreachable at start; retrying in the background`, { error: (e as Error).message });
    }
  }
  let runtime = buildRuntime(config, log, state);
  if (redis) {
    await new RedisRouterState(redis, log).attach(state, runtime.router.groups.allDeployments().map((d) => d.id));
    log.info(`router cooldowns and rpm/tpm counters shared through redis at ${redactUrl(config.redisUrl!)}`);
  }
  const app = createApp(() => runtime);
  const server = Bun.serve({
    port: args.port,
    hostname: args.host,
    fetch: app.fetch,
    maxRequestBodySize: runtime.maxBodyBytes + 1024 * 1024,
    idleTimeout: 0,
    reusePort: args.numWorkers > 1,
    development: false,
  });
  const shown = args.host === "0.0.0.0" || args.host === "::" ? "127.0.0.1" : args.host;
  const url = `http://${shown}:${server.port}`;
  log.info(`${runtime.router.groups.allDeployments().length} deployments loaded from ${config.file}`);
  return {
    server,
    url,
    runtime: () => runtime,
    async stop() {
      await server.stop(true);
      redis?.close();
    },
  };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
