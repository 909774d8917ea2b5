import type { KeyRecord } from "../auth/key-record.ts";
import type { GatewayConfig } from "../config/index.ts";
import { setCallObserver } from "../gateway/observe.ts";
import type { CallRecord, CallSink, LLMRequest } from "../gateway/types.ts";
import type { Logger } from "../log.ts";
import { CallbackMetrics } from "../metrics/callback-metrics.ts";
import type { Registry } from "../metrics/registry.ts";
import type { Deployment } from "../router/deployment.ts";
import { AlertMonitor } from "./alerting/monitor.ts";
import { alertingOptions, SlackAlerter } from "./alerting/slack.ts";
import type { DynamicContext } from "./dynamic.ts";
import { DatadogSink, datadogOptions } from "./datadog.ts";
import { GcsSink } from "./gcs.ts";
import { GenericApiSink, genericApiOptions } from "./generic-api.ts";
import { CallbackHub, type Sink } from "./hub.ts";
import { LangfuseSink } from "./langfuse.ts";
import { callObserver } from "./observer.ts";
import { OtelSink, otelOptions } from "./otel/sink.ts";
import { SecretScrubber } from "./redact.ts";
import { S3Sink, s3Params } from "./s3.ts";
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
  /** The router's cooldowns now (deployment-cooled-down alerts). */
  cooldowns(): Array<{ id: string; remainingMs: number }>;
  /** Whether the database answers (database-unreachable alerts). */
  dbConnected?: () => boolean;
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

const NONE: EventFilter = { success: false, failure: false };

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
    langfuse: (f) => {
      if (!env.LANGFUSE_PUBLIC_KEY || !env.LANGFUSE_SECRET_KEY) notes.push("langfuse: LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY not set; only calls of keys and teams with their own Langfuse credentials are logged");
      return new LangfuseSink(f, env, l.langfuse_default_tags ?? undefined, stats, log);
    },
    s3: (f) => {
      const p = s3Params(config);
      return typeof p === "string" ? p : new S3Sink(f, p, env, stats, log);
    },
    gcs_bucket: (f) => {
      if (!env.GCS_BUCKET_NAME) notes.push("gcs_bucket: GCS_BUCKET_NAME not set; only calls of keys and teams with their own gcs_bucket_name are logged");
      return new GcsSink(f, env, stats, log);
    },
    datadog: (f) => {
      const o = datadogOptions(env);
      return typeof o === "string" ? o : new DatadogSink(f, o, stats, log);
    },
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
  if (sinks.length) notes.push(`logging callbacks: ${sinks.map((s) => s.name).join(", ")}`);
  const global = sinks.length > 0;
  // Keys and teams in the database may name their own Langfuse project or GCS bucket (LiteLLM's key/team based logging).
  if (deps.hasDatabase && !names.enabled.has("langfuse")) sinks.push(new LangfuseSink(NONE, env, l.langfuse_default_tags ?? undefined, stats, log));
  if (deps.hasDatabase && !names.enabled.has("gcs_bucket")) sinks.push(new GcsSink(NONE, env, stats, log));

  const alertOpts = alertingOptions(config);
  if (typeof alertOpts === "string") notes.push(alertOpts);
  const slack = alertOpts && typeof alertOpts !== "string" ? new SlackAlerter(alertOpts, stats, log) : undefined;
  const monitor = slack && new AlertMonitor(slack, { cooldowns: deps.cooldowns, dbConnected: deps.dbConnected });
  if (slack) notes.push(`slack alerting: ${[...slack.o.types].join(", ")} (alerting_threshold ${slack.o.threshold}s)`);
  if (!sinks.length && !monitor) return notes.length ? { sink: { record() {} }, notes, onRuntime() {}, flush: async () => {}, close: async () => {} } : undefined;

  const teamSettings = (l.default_team_settings ?? []) as DynamicContext["teamSettings"];
  const dyn: DynamicContext = { env, signingKey: config.saltKey ?? config.masterKey, teamSettings };
  const scrubber = new SecretScrubber();
  const ownLogging = (req: LLMRequest) => deps.hasDatabase && hasOwnLogging(req, teamSettings);
  const hub = new CallbackHub(
    sinks,
    { contentOff, redactKeyInfo: l.redact_user_api_key_info === true, userAgentTags: l.disable_add_user_agent_to_request_tags !== true, scrubber },
    dyn,
    stats,
    log,
  );
  setCallObserver(
    callObserver({
      all: global || !!monitor,
      tracing: sinks.some((s) => s.name === "otel"),
      forwardTraceparent: l.forward_traceparent_to_llm_provider === true,
      captureAll: !contentOff && sinks.some((s) => s.logsContent && (s.filter.success || s.filter.failure)),
      captureFor: (req) => !contentOff && ownLogging(req),
      captureLimit: CAPTURE_LIMIT,
      started: monitor && ((req) => monitor.started(req)),
    }),
  );
  return {
    sink: {
      record(rec: CallRecord) {
        monitor?.record(rec);
        if (global || ownLogging(rec.req)) hub.record(rec);
      },
    },
    notes,
    onRuntime(deployments) {
      scrubber.learn(config, deployments);
      monitor?.setDeployments(deployments);
    },
    async flush() {
      await Promise.all([hub.flush(), slack?.flush()]);
    },
    async close() {
      monitor?.close();
      await Promise.all([hub.close(CLOSE_DEADLINE_MS), slack?.close(CLOSE_DEADLINE_MS)]);
      setCallObserver(undefined);
    },
  };
}
