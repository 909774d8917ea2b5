import type { GatewayConfig } from "../../config/index.ts";
import type { Logger } from "../../log.ts";
import { deliver } from "../http.ts";
import { BatchQueue, SendError, type QueueStats } from "../queue.ts";
import { batchDefaults } from "../settings.ts";

/** LiteLLM's `AlertType` values this gateway raises. */
export const ALERT_TYPES = [
  "llm_exceptions",
  "llm_too_slow",
  "llm_requests_hanging",
  "budget_alerts",
  "db_exceptions",
  "daily_reports",
  "spend_reports",
  "cooldown_deployment",
  "outage_alerts",
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
export type AlertLevel = "Low" | "Medium" | "High";

/** LiteLLM's `SlackAlertingArgs` (seconds), with its defaults. */
export interface AlertingArgs {
  daily_report_frequency: number;
  report_check_interval: number;
  budget_alert_ttl: number;
  outage_alert_ttl: number;
  minor_outage_alert_threshold: number;
  major_outage_alert_threshold: number;
  max_outage_alert_list_size: number;
  log_to_console: boolean;
}

export interface AlertingOptions {
  /** `alerting_threshold`: slow and hanging requests, seconds (default 300). */
  threshold: number;
  types: ReadonlySet<string>;
  args: AlertingArgs;
  urls: Map<string, string[]>;
  defaultUrl?: string;
  flushMs: number;
  proxyBaseUrl?: string;
  /** `turn_off_message_logging`: alerts never quote the prompt. */
  contentOff: boolean;
}

const num = (v: unknown, d: number) => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && v.trim() && Number.isFinite(Number(v)) ? Number(v) : d);

/**
 * `general_settings.alerting: ["slack"]` with `alerting_threshold`, `alert_types`,
 * `alert_to_webhook_url` (one URL or a list per alert type) and `alerting_args`; `SLACK_WEBHOOK_URL`
 * for the rest. Undefined when Slack alerting is off.
 */
export function alertingOptions(config: GatewayConfig): AlertingOptions | string | undefined {
  const g = config.general;
  if (!(g.alerting ?? []).includes("slack")) return undefined;
  const env = config.env;
  const a = g.alerting_args ?? {};
  const urls = new Map<string, string[]>();
  for (const [type, v] of Object.entries(g.alert_to_webhook_url ?? {})) urls.set(type, (Array.isArray(v) ? v : [v]).filter(Boolean));
  const defaultUrl = env.SLACK_WEBHOOK_URL || undefined;
  if (!defaultUrl && !urls.size) return "slack alerting: SLACK_WEBHOOK_URL is not set (nor alert_to_webhook_url)";
  return {
    threshold: g.alerting_threshold ?? 300,
    types: new Set(g.alert_types ?? ALERT_TYPES),
    args: {
      daily_report_frequency: num(a.daily_report_frequency, num(env.SLACK_DAILY_REPORT_FREQUENCY, 12 * 3600)),
      report_check_interval: num(a.report_check_interval, 300),
      budget_alert_ttl: num(a.budget_alert_ttl, 24 * 3600),
      outage_alert_ttl: num(a.outage_alert_ttl, 60),
      minor_outage_alert_threshold: num(a.minor_outage_alert_threshold, 5),
      major_outage_alert_threshold: num(a.major_outage_alert_threshold, 10),
      max_outage_alert_list_size: num(a.max_outage_alert_list_size, 10),
      log_to_console: a.log_to_console === true,
    },
    urls,
    defaultUrl,
    flushMs: batchDefaults(env).flushMs,
    proxyBaseUrl: env.PROXY_BASE_URL,
    contentOff: config.litellm.turn_off_message_logging === true,
  };
}

interface QueuedAlert {
  url: string;
  type: AlertType;
  text: string;
}

const pad = (n: number) => String(n).padStart(2, "0");
const clock = (d = new Date()) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

/**
 * Sends alerts to Slack incoming webhooks as LiteLLM's SlackAlerting does: `{"text": ...}` with
 * `Level`, `Timestamp` and `Message`, batched per flush interval, where alerts of one type to one
 * webhook become one message prefixed `[Num Alerts: N]` (a flood is one message; budget alerts,
 * already once per entity, stay separate). `once` keeps an alert from repeating within its TTL.
 */
export class SlackAlerter {
  private readonly queue: BatchQueue<QueuedAlert>;
  private readonly sentKeys = new Map<string, number>();

  constructor(
    readonly o: AlertingOptions,
    stats: QueueStats,
    private readonly log: Logger,
  ) {
    this.queue = new BatchQueue<QueuedAlert>({
      name: "slack_alerting",
      batchSize: 512,
      flushMs: o.flushMs,
      sizeOf: (a) => a.text.length,
      send: (batch) => this.send(batch),
      stats,
      log,
    });
  }

  enabled(type: AlertType): boolean {
    return this.o.types.has(type);
  }

  alert(type: AlertType, level: AlertLevel, message: string, metadata?: Record<string, unknown>): void {
    if (!this.enabled(type)) return;
    let text = type === "daily_reports" ? message : `Level: \`${level}\`\nTimestamp: \`${clock()}\`\n\nMessage: ${message}`;
    for (const [k, v] of Object.entries(metadata ?? {})) text += `\n\n*Alerting Metadata*: \n${k}: \`${String(v)}\`\n\n`;
    if (this.o.proxyBaseUrl) text += `\n\nProxy URL: \`${this.o.proxyBaseUrl}\``;
    const urls = this.o.urls.get(type) ?? (this.o.defaultUrl ? [this.o.defaultUrl] : []);
    for (const url of urls) this.queue.push({ url, type, text });
  }

  /** True the first time `key` is seen within `ttlS` seconds (LiteLLM's cached "SENT" markers). */
  once(key: string, ttlS: number): boolean {
    const now = Date.now();
    const until = this.sentKeys.get(key);
    if (until !== undefined && until > now) return false;
    this.sentKeys.set(key, now + ttlS * 1000);
    if (this.sentKeys.size > 10_000) for (const [k, t] of this.sentKeys) if (t <= now) this.sentKeys.delete(k);
    return true;
  }

  private async send(batch: QueuedAlert[]): Promise<void> {
    const groups = new Map<string, QueuedAlert[]>();
    for (const a of batch) {
      // Budget alerts are already once per entity and TTL: each one is its own message.
      const k = `${a.url}\u0000${a.type}${a.type === "budget_alerts" ? `\u0000${a.text}` : ""}`;
      (groups.get(k) ?? groups.set(k, []).get(k)!).push(a);
    }
    const failed: QueuedAlert[] = [];
    let error: unknown;
    for (const alerts of groups.values()) {
      const first = alerts[0]!;
      const text = alerts.length > 1 ? `[Num Alerts: ${alerts.length}]\n\n${first.text}` : first.text;
      if (this.o.args.log_to_console) this.log.warn("slack alert", { text });
      try {
        await deliver(first.url, { headers: { "Content-type": "application/json" }, body: JSON.stringify({ text }) });
      } catch (e) {
        failed.push(...alerts);
        error ??= e;
      }
    }
    if (!failed.length) return;
    batch.splice(0, batch.length, ...failed);
    throw error instanceof SendError ? error : new SendError(String(error), true);
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  close(deadlineMs: number): Promise<void> {
    return this.queue.close(deadlineMs);
  }
}
