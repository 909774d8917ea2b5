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
import { LogWorker } from "./log-worker.ts";
import { callObserver } from "./observer.ts";
import { logsContent, planSinks } from "./plans.ts";

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
  /** A runtime was built (boot, reload, database models): alerts name its deployments. */
  onRuntime(deployments: Deployment[]): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Keys and teams with their own `logging` (LiteLLM's key/team based logging) need the answer kept. */
function hasOwnLogging(req: LLMRequest, teamSettings: DynamicContext["teamSettings"]): boolean {
  const key = req.auth.key as KeyRecord | undefined;
  if (key?.metadata.logging || key?.team?.metadata.logging || key?.team?.metadata.callback_settings) return true;
  return !!req.auth.teamId && teamSettings.some((t) => t.team_id === req.auth.teamId);
}

/**
 * Starts the logging callbacks and Slack alerting the config names (LiteLLM's names, env vars and
 * settings keys), or nothing when it names none. On the request thread only the attempt hook and
 * a snapshot per finished call remain; payloads are built and delivered by a logging worker
 * thread, each sink behind its own bounded queue. Alerting watches calls and router state here.
 */
export function startCallbacks(deps: CallbackDeps): Callbacks | undefined {
  const { config, log } = deps;
  const l = config.litellm;
  const { plans, notes, global } = planSinks(config, deps.hasDatabase);
  const stats = new CallbackMetrics(deps.registry);
  const alertOpts = alertingOptions(config);
  if (typeof alertOpts === "string") notes.push(alertOpts);
  const slack = alertOpts && typeof alertOpts !== "string" ? new SlackAlerter(alertOpts, stats, log) : undefined;
  const monitor = slack && new AlertMonitor(slack, { cooldowns: deps.cooldowns, dbConnected: deps.dbConnected });
  if (slack) notes.push(`slack alerting: ${[...slack.o.types].join(", ")} (alerting_threshold ${slack.o.threshold}s)`);
  if (!plans.length && !monitor) return notes.length ? { sink: { record() {} }, notes, onRuntime() {}, flush: async () => {}, close: async () => {} } : undefined;

  const contentOff = l.turn_off_message_logging === true;
  const teamSettings = (l.default_team_settings ?? []) as DynamicContext["teamSettings"];
  const worker =
    plans.length > 0
      ? new LogWorker(
          {
            t: "init",
            plans,
            policy: { contentOff, redactKeyInfo: l.redact_user_api_key_info === true, userAgentTags: l.disable_add_user_agent_to_request_tags !== true },
            dyn: { env: config.env, signingKey: config.saltKey ?? config.masterKey, teamSettings },
            log: { json: config.jsonLogs, debug: log.debugEnabled },
          },
          stats,
          log,
        )
      : undefined;
  const ownLogging = (req: LLMRequest) => deps.hasDatabase && hasOwnLogging(req, teamSettings);
  setCallObserver(
    callObserver({
      all: global || !!monitor,
      forwardTraceparent: l.forward_traceparent_to_llm_provider === true && plans.some((p) => p.kind === "otel"),
      captureAll: !contentOff && plans.some((p) => logsContent(p) && (p.filter.success || p.filter.failure)),
      captureFor: (req) => !contentOff && ownLogging(req),
      captureLimit: CAPTURE_LIMIT,
      started: monitor && ((req) => monitor.started(req)),
    }),
  );
  return {
    sink: {
      record(rec: CallRecord) {
        monitor?.record(rec);
        if (worker && rec.req.callType !== "acount_tokens" && (global || ownLogging(rec.req))) worker.record(rec);
      },
    },
    notes,
    onRuntime(deployments) {
      monitor?.setDeployments(deployments);
    },
    async flush() {
      await Promise.all([worker?.flush(), slack?.flush()]);
    },
    async close() {
      monitor?.close();
      await Promise.all([worker?.close(CLOSE_DEADLINE_MS), slack?.close(CLOSE_DEADLINE_MS)]);
      setCallObserver(undefined);
    },
  };
}
