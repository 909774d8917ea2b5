import { budgetExceeded } from "../auth/budget-checks.ts";
import { num, str, type KeyRecord } from "../auth/key-record.ts";
import type { BudgetLine } from "../limits/types.ts";
import type { Logger } from "../log.ts";
import { durationMs } from "../spend/duration.ts";
import { usd } from "../spend/figures.ts";
import type { ClientInfo, SessionOfCall } from "./identity.ts";
import { spentOf, type LiveSession, type LiveSessions } from "./live.ts";

/** How often a session under a budget re-reads its stored spend (other instances add to it). */
const REFRESH_MS = 10_000;

interface Limit {
  scope: "key" | "team";
  name: string;
  maxBudget?: number;
  maxDurationMs?: number;
}

/** `max_session_duration`: LiteLLM's duration text (`30m`, `2h`, `1d`) or seconds. */
function durationOf(v: unknown): number | undefined {
  if (typeof v === "string") return durationMs(v) ?? (num(v) !== undefined ? num(v)! * 1000 : undefined);
  const n = num(v);
  return n !== undefined && n > 0 ? n * 1000 : undefined;
}

const hasLimit = (meta: Record<string, unknown>) => meta.max_session_budget != null || meta.max_session_duration != null;

function limitOf(scope: Limit["scope"], name: string, meta: Record<string, unknown>): Limit | undefined {
  const maxBudget = num(meta.max_session_budget);
  const maxDurationMs = durationOf(meta.max_session_duration);
  return maxBudget === undefined && maxDurationMs === undefined ? undefined : { scope, name, maxBudget, maxDurationMs };
}

const NONE: Limit[] = [];

/** The per-session limits a key carries in its own and its team's metadata (every LLM call asks: property reads only when none). */
export function sessionLimits(rec: KeyRecord): Limit[] {
  const onKey = hasLimit(rec.metadata);
  const onTeam = rec.team !== undefined && hasLimit(rec.team.metadata);
  if (!onKey && !onTeam) return NONE;
  const out: Limit[] = [];
  const k = onKey && limitOf("key", rec.keyAlias ?? rec.keyName ?? rec.token.slice(0, 12), rec.metadata);
  if (k) out.push(k);
  const t = onTeam && limitOf("team", rec.team!.alias ?? rec.team!.id, rec.team!.metadata);
  if (t) out.push(t);
  return out;
}

const CLIENT_LABEL: Record<ClientInfo["kind"], string> = { "claude-code": "Claude Code session", codex: "Codex session", sdk: "session", other: "session" };
const HOW_TO_CONTINUE: Record<ClientInfo["kind"], string> = {
  "claude-code": "start a new session to continue (/clear, or a new `claude`)",
  codex: "start a new session to continue (a new `codex` session, or /new)",
  sdk: "start a new session (a new session id) to continue",
  other: "start a new session (a new session id) to continue",
};

function minutesText(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m >= 120 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

export interface StoredSession {
  spend: number;
  firstMs?: number;
}

export type ReadStored = (sessionId: string, apiKey: string) => Promise<StoredSession | undefined>;

/**
 * Per-session budgets (`metadata.max_session_budget`, `metadata.max_session_duration` on a key or
 * its team): a session that reached one is refused with a message saying which limit, how much was
 * spent and how to go on, while other sessions of the same key keep working. The budget is also a
 * line of the call's admission (`src/spend/reservations.ts`): calls in flight count, and with Redis
 * every instance sees the session's settled spend at once.
 */
export class SessionBudgets {
  private warned = false;

  constructor(
    private readonly live: LiveSessions,
    private readonly readStored: ReadStored,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Nothing to wait for (undefined) unless the key or its team has a per-session limit; then the
   * session's budget line (when it has a budget), once the limits its spend and age allow are checked.
   */
  check(rec: KeyRecord, session: (() => SessionOfCall | undefined) | undefined): Promise<BudgetLine | undefined> | undefined {
    const limits = sessionLimits(rec);
    if (limits.length === 0 || !session) return undefined;
    const s = session();
    return s ? this.enforce(rec, s, limits) : undefined;
  }

  private async enforce(rec: KeyRecord, s: SessionOfCall, limits: Limit[]): Promise<BudgetLine | undefined> {
    const entry = this.live.entry(rec.token, s.id, s.client.kind);
    await this.fresh(entry);
    const spent = spentOf(entry);
    let tightest: Limit | undefined;
    for (const l of limits) {
      if (l.maxBudget !== undefined && spent >= l.maxBudget) throw budgetRefusal(s, l, spent, 0);
      const age = entry.first === undefined ? 0 : this.now() - entry.first;
      if (l.maxDurationMs !== undefined && age >= l.maxDurationMs) {
        throw budgetExceeded(
          `Session time limit reached: ${labelOf(s)} started ${minutesText(age)} ago and has spent ${usd(spent)}; the ${ownerOf(l)} allows ${minutesText(l.maxDurationMs)} per session (max_session_duration). ${goOn(s, l)}.`,
        );
      }
      if (l.maxBudget !== undefined && (!tightest || l.maxBudget < tightest.maxBudget!)) tightest = l;
    }
    return tightest && sessionLine(rec, s, entry, tightest);
  }

  /** Reads the stored figures once (waiting), then refreshes them in the background now and then. */
  private async fresh(e: LiveSession): Promise<void> {
    if (e.readAt === undefined) {
      await (e.reading ??= this.read(e));
      return;
    }
    if (this.now() - e.readAt > REFRESH_MS && !e.reading) void (e.reading = this.read(e));
  }

  private async read(e: LiveSession): Promise<void> {
    try {
      const stored = await this.readStored(e.id, e.apiKey);
      const value = stored?.spend ?? 0;
      if (e.base === undefined) e.base = Math.max(0, value - e.local);
      e.stored = value;
      if (stored?.firstMs !== undefined && (e.first === undefined || stored.firstMs < e.first)) e.first = stored.firstMs;
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        this.log.warn("stored session spend not readable; session budgets count this instance's calls only", { error: (err as Error).message });
      }
    } finally {
      e.readAt = this.now();
      e.reading = undefined;
    }
  }
}

const labelOf = (s: SessionOfCall) => `this ${CLIENT_LABEL[s.client.kind]} (${s.id})`;
const ownerOf = (l: Limit) => (l.scope === "key" ? `key '${l.name}'` : `team '${l.name}'`);
const goOn = (s: SessionOfCall, l: Limit) => `Other sessions of this key still work: ${HOW_TO_CONTINUE[s.client.kind]}, or ask a gateway admin to raise it (/${l.scope}/update)`;

function budgetRefusal(s: SessionOfCall, l: Limit, spent: number, inflight: number) {
  const running = inflight > 0 ? ` (and ${usd(inflight)} is held by its calls still running)` : "";
  return budgetExceeded(
    `Session budget reached: ${labelOf(s)} has spent ${usd(spent)}${running}; the ${ownerOf(l)} allows ${usd(l.maxBudget!)} per session (max_session_budget). ${goOn(s, l)}.`,
  );
}

/** The session's budget as the admission sees it: its spend as this instance knows it, shared with the others through Redis. */
function sessionLine(rec: KeyRecord, s: SessionOfCall, entry: LiveSession, l: Limit): BudgetLine {
  return {
    id: `session:${rec.token}:${s.id}`,
    entity: `Session=${s.id}`,
    max: l.maxBudget!,
    spend: {
      get value() {
        return spentOf(entry);
      },
      get readAt() {
        return entry.readAt;
      },
    },
    atMax: true,
    shared: true,
    refusal: (spend, inflight) => budgetRefusal(s, l, spend, inflight),
  };
}
