import { budgetExceeded } from "../auth/budget-checks.ts";
import { num, str, type KeyRecord } from "../auth/key-record.ts";
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
 * spent and how to go on, while other sessions of the same key keep working.
 */
export class SessionBudgets {
  private warned = false;

  constructor(
    private readonly live: LiveSessions,
    private readonly readStored: ReadStored,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Nothing to wait for (undefined) unless the key or its team has a per-session limit. */
  check(rec: KeyRecord, session: (() => SessionOfCall | undefined) | undefined): Promise<void> | undefined {
    const limits = sessionLimits(rec);
    if (limits.length === 0 || !session) return undefined;
    const s = session();
    return s ? this.enforce(rec, s, limits) : undefined;
  }

  private async enforce(rec: KeyRecord, s: SessionOfCall, limits: Limit[]): Promise<void> {
    const entry = this.live.entry(rec.token, s.id, s.client.kind);
    await this.fresh(entry);
    const spent = spentOf(entry);
    const label = `this ${CLIENT_LABEL[s.client.kind]} (${s.id})`;
    const next = HOW_TO_CONTINUE[s.client.kind];
    for (const l of limits) {
      const owner = l.scope === "key" ? `key '${l.name}'` : `team '${l.name}'`;
      const raise = `or ask a gateway admin to raise it (/${l.scope}/update)`;
      if (l.maxBudget !== undefined && spent >= l.maxBudget) {
        throw budgetExceeded(
          `Session budget reached: ${label} has spent ${usd(spent)}; the ${owner} allows ${usd(l.maxBudget)} per session (max_session_budget). Other sessions of this key still work: ${next}, ${raise}.`,
        );
      }
      const age = entry.first === undefined ? 0 : this.now() - entry.first;
      if (l.maxDurationMs !== undefined && age >= l.maxDurationMs) {
        throw budgetExceeded(
          `Session time limit reached: ${label} started ${minutesText(age)} ago and has spent ${usd(spent)}; the ${owner} allows ${minutesText(l.maxDurationMs)} per session (max_session_duration). Other sessions of this key still work: ${next}, ${raise}.`,
        );
      }
    }
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
