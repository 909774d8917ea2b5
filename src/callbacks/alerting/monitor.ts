import type { KeyRecord } from "../../auth/key-record.ts";
import type { CallRecord, CallSink, LLMRequest } from "../../gateway/types.ts";
import type { Deployment } from "../../router/deployment.ts";
import { requestMessages } from "../request-meta.ts";
import type { SlackAlerter } from "./slack.ts";

/** What the monitors read besides finished calls. */
export interface MonitorSources {
  /** Deployments cooling down right now (the router's state). */
  cooldowns(): Array<{ id: string; remainingMs: number }>;
  /** Whether the database answers; absent without one. */
  dbConnected?: () => boolean;
}

interface DeploymentDay {
  failed: number;
  /** Sum of seconds per output token over successful calls, and their count. */
  latencyPerToken: number;
  calls: number;
}

interface Outage {
  statuses: number[];
  since: number;
  minorSent: boolean;
  majorSent: boolean;
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const usd = (v: number) => `$${v >= 0.01 ? v.toFixed(2) : Number(v.toPrecision(3))}`;
const period = (ms: number) => (ms >= 3_600_000 ? `${round(ms / 3_600_000, 1)}h` : ms >= 60_000 ? `${round(ms / 60_000, 1)}m` : `${round(ms / 1000, 1)}s`);
const apiBaseOf = (d?: Deployment) => d?.target.apiBase.split("?")[0] ?? "";
const MAX_INFLIGHT = 100_000;

/**
 * LiteLLM's alert triggers, fed by finished calls, the attempt hook (requests in flight) and
 * periodic checks: LLM API failures, slow and hanging requests, budgets crossed (key, user,
 * team), deployments cooled down or failing (outage), the database unreachable, and the daily
 * deployment report and spend report.
 */
export class AlertMonitor implements CallSink {
  private readonly inflight = new Map<LLMRequest, number>();
  private readonly deployments = new Map<string, Deployment>();
  private readonly day = new Map<string, DeploymentDay>();
  private readonly outages = new Map<string, Outage>();
  private readonly cooling = new Map<string, number>();
  private spend = { total: 0, calls: 0, byKey: new Map<string, number>(), byTeam: new Map<string, number>(), byModel: new Map<string, number>() };
  private dbWasUp = true;
  private lastReport = Date.now();
  private readonly timers: Array<ReturnType<typeof setInterval>> = [];

  constructor(
    private readonly slack: SlackAlerter,
    private readonly src: MonitorSources,
  ) {
    const o = slack.o;
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(Math.max(100, Math.min(5000, (o.threshold * 1000) / 4)), () => this.checkHanging());
    every(1000, () => this.checkCooldowns());
    if (src.dbConnected) every(2000, () => this.checkDatabase());
    every(Math.max(100, o.args.report_check_interval * 1000), () => this.maybeReport());
  }

  setDeployments(list: Deployment[]): void {
    this.deployments.clear();
    for (const d of list) this.deployments.set(d.id, d);
  }

  /** A call's first attempt started. */
  started(req: LLMRequest): void {
    if (this.inflight.size >= MAX_INFLIGHT) return;
    this.inflight.set(req, Date.now());
  }

  record(rec: CallRecord): void {
    this.inflight.delete(rec.req);
    if (rec.req.callType === "acount_tokens") return;
    this.countForReports(rec);
    this.checkOutage(rec);
    if (rec.status === "failure") this.failed(rec);
    else this.checkSlow(rec);
    this.checkBudgets(rec);
  }

  private requestInfo(req: LLMRequest, d?: Deployment): string {
    let messages: string;
    if (this.slack.o.contentOff) messages = "Message not logged. litellm.redact_messages_in_exceptions=True";
    else {
      try {
        messages = JSON.stringify(requestMessages(req)).slice(0, 100);
      } catch {
        messages = "";
      }
    }
    let info = `\nRequest Model: \`${req.model}\`\nAPI Base: \`${apiBaseOf(d)}\`\nMessages: \`${messages}\``;
    const a = req.auth;
    if (a.keyAlias || a.apiKeyHash) info += `\n\nKey Alias: \`${a.keyAlias ?? ""}\`\nKey Hash: \`${a.apiKeyHash ?? ""}\``;
    if (a.teamId) info += `\n\nTeam Alias: \`${a.teamAlias ?? ""}\`\nTeam ID: \`${a.teamId}\``;
    return info;
  }

  private failed(rec: CallRecord): void {
    const e = rec.error;
    if (!e || e.status === 499 || !rec.deployment) return;
    this.slack.alert("llm_exceptions", "High", `LLM API call failed: \`${e.message}\`${this.requestInfo(rec.req, rec.deployment)}`);
  }

  private checkSlow(rec: CallRecord): void {
    const s = (rec.endMs - rec.req.startMs) / 1000;
    if (s <= this.slack.o.threshold) return;
    this.slack.alert(
      "llm_too_slow",
      "Low",
      `\`Responses are slow - ${round(s)}s response time > Alerting threshold: ${this.slack.o.threshold}s\`${this.requestInfo(rec.req, rec.deployment)}`,
    );
  }

  private checkHanging(): void {
    const limit = Date.now() - this.slack.o.threshold * 1000;
    for (const [req, started] of this.inflight) {
      if (started > limit) continue;
      this.inflight.delete(req);
      const d = req.observed?.attempts.at(-1)?.deployment;
      this.slack.alert("llm_requests_hanging", "Medium", `\`Requests are hanging - ${this.slack.o.threshold}s+ request time\`${this.requestInfo(req, d)}`);
    }
  }

  /** LiteLLM's outage alerts: timeouts and 5xx of one deployment within `outage_alert_ttl`. */
  private checkOutage(rec: CallRecord): void {
    const args = this.slack.o.args;
    for (const at of rec.req.observed?.attempts ?? []) {
      const status = at.error?.status;
      if (status === undefined || (status !== 408 && status < 500)) continue;
      const id = at.deployment.id;
      const now = Date.now();
      let o = this.outages.get(id);
      if (!o || now - o.since > args.outage_alert_ttl * 1000) this.outages.set(id, (o = { statuses: [], since: now, minorSent: false, majorSent: false }));
      if (o.statuses.length < args.max_outage_alert_list_size) o.statuses.push(status);
      const n = o.statuses.length;
      const which = n >= args.major_outage_alert_threshold && !o.majorSent ? "Major" : n >= args.minor_outage_alert_threshold && !o.minorSent ? "Minor" : undefined;
      if (!which) continue;
      if (which === "Major") o.majorSent = true;
      o.minorSent = true;
      const timeouts = o.statuses.filter((s) => s === 408).length;
      const errors = n - timeouts;
      const d = at.deployment;
      this.slack.alert(
        "outage_alerts",
        which === "Major" ? "High" : "Medium",
        `\n\n*⚠️ ${which} Service Outage*\n\n*Model Name:* \`${d.modelName}\`\n*Provider:* \`${d.providerName}\`\n*API Base:* \`${apiBaseOf(d)}\`\n\n*Errors:*\n${timeouts ? `\nTimeout Errors: ${timeouts}\n` : ""}${errors ? `\nAPI Errors: ${errors}\n` : ""}\n*Last Check:* \`${round((now - o.since) / 1000, 4)}s ago\`\n\n`,
      );
    }
  }

  private checkCooldowns(): void {
    const now = Date.now();
    for (const [id, until] of this.cooling) if (until <= now) this.cooling.delete(id);
    for (const c of this.src.cooldowns()) {
      if (this.cooling.has(c.id)) continue;
      this.cooling.set(c.id, now + c.remainingMs);
      const d = this.deployments.get(c.id);
      this.slack.alert(
        "cooldown_deployment",
        "Low",
        `Deployment Cooled Down\nModel Group: \`${d?.modelName ?? ""}\`\nModel: \`${d?.litellmModel ?? c.id}\`\nModel ID: \`${c.id}\`\nAPI Base: \`${apiBaseOf(d)}\`\nCooldown Time: \`${Math.round(c.remainingMs / 1000)} seconds\`\n\nChange 'cooldown_time' + 'allowed_fails' under 'router_settings' to tune when deployments are cooled down.`,
      );
    }
  }

  private checkDatabase(): void {
    const up = this.src.dbConnected!();
    if (this.dbWasUp && !up && this.slack.once("db_exceptions:down", 60)) {
      this.slack.alert("db_exceptions", "High", "DB read/write call failed: the database is unreachable. Requests are served from cached keys; spend is kept on disk and written once it is back.");
    }
    this.dbWasUp = up;
  }

  /** LiteLLM's budget alerts: crossed, or 15% / 5% left, once per `budget_alert_ttl` per entity and event. */
  private checkBudgets(rec: CallRecord): void {
    if (!rec.cost || !this.slack.enabled("budget_alerts")) return;
    const key = rec.req.auth.key as KeyRecord | undefined;
    if (!key) return;
    const base = { token: key.token, key_alias: key.keyAlias, user_id: key.userId, team_id: key.teamId, team_alias: key.team?.alias, user_email: key.user?.email };
    this.budget("Key", key.token, key.spend.value, key.maxBudget, base);
    if (key.softBudget !== undefined && key.spend.value >= key.softBudget && this.slack.once(`budget_alerts:soft_budget_crossed:${key.token}`, this.slack.o.args.budget_alert_ttl)) {
      this.slack.alert("budget_alerts", "Medium", `Key Budget: Soft Budget Crossed: Total Soft Budget:\`${key.softBudget}\`${this.callInfo({ ...base, spend: key.spend.value, soft_budget: key.softBudget })}`);
    }
    if (key.user) this.budget("User", key.user.id, key.user.spend.value, key.user.maxBudget, { ...base, user_id: key.user.id });
    if (key.team) this.budget("Team", key.team.id, key.team.spend.value, key.team.maxBudget, { ...base, team_id: key.team.id });
  }

  private budget(group: "Key" | "User" | "Team", id: string, spend: number, max: number | undefined, info: Record<string, unknown>): void {
    if (max === undefined) return;
    const left = max > 0 ? (max - spend) / max : 0;
    let event: string | undefined;
    let message = `${group} Budget: `;
    if (spend >= max) {
      event = "budget_crossed";
      message += `Budget Crossed\n Total Budget:\`${max}\``;
    } else if (left <= 0.05) {
      event = "threshold_crossed";
      message += "5% Threshold Crossed ";
    } else if (left <= 0.15) {
      event = "threshold_crossed";
      message += "15% Threshold Crossed";
    }
    if (!event || !this.slack.once(`budget_alerts:${event}:${group}:${id}`, this.slack.o.args.budget_alert_ttl)) return;
    this.slack.alert("budget_alerts", "High", `${message}${this.callInfo({ ...info, spend, max_budget: max })}`);
  }

  private callInfo(info: Record<string, unknown>): string {
    const lines = Object.entries(info).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k}: ${String(v)}`);
    return `\n\n${lines.join("\n")}\n`;
  }

  private countForReports(rec: CallRecord): void {
    const d = rec.deployment;
    if (d) {
      const day = this.day.get(d.id) ?? { failed: 0, latencyPerToken: 0, calls: 0 };
      if (rec.status === "failure") day.failed++;
      else if (rec.usage?.completionTokens) {
        day.latencyPerToken += (rec.endMs - rec.req.startMs) / 1000 / rec.usage.completionTokens;
        day.calls++;
      }
      this.day.set(d.id, day);
    }
    if (rec.cost) {
      const s = this.spend;
      const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + rec.cost);
      s.total += rec.cost;
      s.calls++;
      add(s.byKey, rec.req.auth.keyAlias ?? rec.req.auth.apiKeyHash?.slice(0, 12) ?? "(no key)");
      add(s.byTeam, rec.req.auth.teamAlias ?? rec.req.auth.teamId ?? "(no team)");
      add(s.byModel, rec.modelGroup ?? rec.req.model);
    }
  }

  private maybeReport(): void {
    const freqMs = this.slack.o.args.daily_report_frequency * 1000;
    if (Date.now() - this.lastReport < freqMs) return;
    this.lastReport = Date.now();
    this.dailyReport(freqMs);
    this.spendReport(freqMs);
  }

  /** LiteLLM's daily report: the five deployments with the most failed requests and the five slowest per output token. */
  private dailyReport(freqMs: number): void {
    const rows = [...this.day.entries()];
    this.day.clear();
    const failed = rows.filter(([, v]) => v.failed > 0).sort((a, b) => b[1].failed - a[1].failed).slice(0, 5);
    const slow = rows.filter(([, v]) => v.calls > 0).map(([id, v]) => [id, v.latencyPerToken / v.calls] as const).sort((a, b) => b[1] - a[1]).slice(0, 5);
    if (!failed.length && !slow.length) return;
    const name = (id: string) => this.deployments.get(id)?.litellmModel ?? id;
    let m = `\n\nTime: \`${Date.now() / 1000}\`s\nHere are today's key metrics 📈: \n\n\n\n*❗️ Top Deployments with Most Failed Requests:*\n\n`;
    m += failed.length ? failed.map(([id, v], i) => `\t${i + 1}. Deployment: \`${name(id)}\`, Failed Requests: \`${v.failed}\`,  API Base: \`${apiBaseOf(this.deployments.get(id))}\`\n`).join("") : "\tNone\n";
    m += "\n\n*😅 Top Slowest Deployments:*\n\n";
    m += slow.length ? slow.map(([id, v], i) => `\t${i + 1}. Deployment: \`${name(id)}\`, Latency per output token: \`${round(v, 3)}s/token\`,  API Base: \`${apiBaseOf(this.deployments.get(id))}\`\n\n`).join("") : "\tNone\n";
    m += `\n\nNext Run is at: \`${(Date.now() + freqMs) / 1000}\`s`;
    this.slack.alert("daily_reports", "Low", m);
  }

  /** Spend on this instance since the last report: total, and the top keys, teams and model groups. */
  private spendReport(freqMs: number): void {
    const s = this.spend;
    this.spend = { total: 0, calls: 0, byKey: new Map(), byTeam: new Map(), byModel: new Map() };
    if (!s.calls) return;
    const top = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `\t${k}: \`${usd(v)}\``).join("\n");
    this.slack.alert(
      "spend_reports",
      "Low",
      `*💸 Spend Report (last ${period(freqMs)}):* \`${usd(s.total)}\` over \`${s.calls}\` requests\n\n*Top Keys:*\n${top(s.byKey)}\n\n*Top Teams:*\n${top(s.byTeam)}\n\n*Top Model Groups:*\n${top(s.byModel)}`,
    );
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
  }
}
