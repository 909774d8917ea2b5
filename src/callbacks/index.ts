import type { KeyRecord } from "../auth/key-record.ts";
import type { GatewayConfig } from "../config/index.ts";
import { setCallObserver } from "../gateway/observe.ts";
import type { CallRecord, CallSink, LLMRequest } from "../gateway/types.ts";
import type { Logger } from "../log.ts";
import { CallbackMetrics } from "../metrics/callback-metrics.ts";
import type { Registry } from "../metrics/registry.ts";
import type { Deployment } from "../router/deployment.ts";
import type { DynamicContext } from "./dynamic.ts";
import { GenericApiSink, genericApiOptions } from "./generic-api.ts";
import { CallbackHub, type Sink } from "./hub.ts";
import { callObserver } from "./observer.ts";
import { OtelSink, otelOptions } from "./otel/sink.ts";
import { SecretScrubber } from "./redact.ts";
import { callbackNames, type EventFilter } from "./settings.ts";

/** Answers kept per call for the logs, at most (longer streams are logged cut). */
const CAPTURE_LIMIT = 4 * 1024 * 1024;
const CLOSE_DEADLINE_MS = 10_000;

export interface CallbackDeps {
  config: GatewayConfig;
  log: Logger;
  registry: Registry;
  /** A database is attached: keys and teams may carry their own logging settings. */
  hasDatabase: boolean;
}

export interface Callbacks {
  sink: CallSink;
  /** Start-up lines: what runs, what does not. */
  notes: string[];
  /** A runtime was built (boot, reload, database models): learn its deployments' credentials. */
  onRuntime(deployments: Deployment[]): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

type SinkFactory = (filter: EventFilter) => Sink | string;

/** Keys and teams with their own `logging` (LiteLLM's key/team based logging) need the answer kept. */
function hasOwnLogging(req: LLMRequest, teamSettings: DynamicContext["teamSettings"]): boolean {
  const key = req.auth.key as KeyRecord | undefined;
  if (key?.metadata.logging || key?.team?.metadata.logging || key?.team?.metadata.callback_settings) return true;
  return !!req.auth.teamId && teamSettings.some((t) => t.team_id === req.auth.teamId);
}

/**
 * Starts the logging callbacks the config names (LiteLLM's names, env vars and settings keys), or
 * nothing when it names none. Each sink has its own bounded queue; the hub feeds them off the
 * request path, and the attempt hook keeps per-attempt timing, trace ids and answers only as needed.
 */
export function startCallbacks(deps: CallbackDeps): Callbacks | undefined {
  const { config, log } = deps;
  const l = config.litellm;
  const names = callbackNames(config);
  const stats = new CallbackMetrics(deps.registry);
  const env = config.env;
  const notes: string[] = [];
  if (names.notRun.length) notes.push(`litellm_settings callbacks not run by this gateway: ${names.notRun.join(", ")}`);

  const contentOff = l.turn_off_message_logging === true;
  const generic = (name: string): SinkFactory => (f) => {
    const o = genericApiOptions(name, f, config);
    return typeof o === "string" ? o : new GenericApiSink(o, env, stats, log);
  };
  const factories: Record<string, SinkFactory> = {
    otel: (f) => {
      const o = otelOptions(env, contentOff);
      return typeof o === "string" ? o : new OtelSink(f, o, stats, log);
    },
  };
  const sinks: Sink[] = [];
  for (const [name, filter] of names.enabled) {
    const sink = (factories[name] ?? generic(name))(filter);
    if (typeof sink === "string") notes.push(`logging callback not started: ${sink}`);
    else sinks.push(sink);
  }
  if (!sinks.length) return notes.length ? { sink: { record() {} }, notes, onRuntime() {}, flush: async () => {}, close: async () => {} } : undefined;
  notes.push(`logging callbacks: ${sinks.map((s) => s.name).join(", ")}`);

  const teamSettings = (l.default_team_settings ?? []) as DynamicContext["teamSettings"];
  const dyn: DynamicContext = { env, signingKey: config.saltKey ?? config.masterKey, teamSettings };
  const scrubber = new SecretScrubber();
  const hub = new CallbackHub(sinks, { contentOff, redactKeyInfo: l.redact_user_api_key_info === true, userAgentTags: l.disable_add_user_agent_to_request_tags !== true, scrubber }, dyn, stats, log);
  const contentSinks = sinks.some((s) => s.logsContent);
  setCallObserver(
    callObserver({
      tracing: sinks.some((s) => s.name === "otel"),
      forwardTraceparent: l.forward_traceparent_to_llm_provider === true,
      captureAll: contentSinks && !contentOff,
      captureFor: (req) => deps.hasDatabase && !contentOff && hasOwnLogging(req, teamSettings),
      captureLimit: CAPTURE_LIMIT,
    }),
  );
  const record = (rec: CallRecord) => hub.record(rec);
  return {
    sink: { record },
    notes,
    onRuntime: (deployments) => scrubber.learn(config, deployments),
    flush: () => hub.flush(),
    async close() {
      await hub.close(CLOSE_DEADLINE_MS);
      setCallObserver(undefined);
    },
  };
}
