import type { CallRecord, CallSink } from "../gateway/types.ts";
import { clientOf, sessionIdOf, type ClientKind } from "./identity.ts";
import { COUNT_TOKENS_CALL } from "./rollup.ts";

/** A session with no call for this long counts as ended (Claude Code idles while its user reads and types). */
export const ACTIVE_WINDOW_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 30_000;

/** What this instance knows of one session of one key. */
export interface LiveSession {
  apiKey: string;
  id: string;
  client: ClientKind;
  /** Start of the session's first call (this instance's, or the stored one once read). */
  first?: number;
  /** End of its latest call here. */
  last: number;
  calls: number;
  /** Spend recorded by this instance. */
  local: number;
  /** The stored spend not counted in `local` (other instances, earlier runs), once read. */
  base?: number;
  /** The stored spend at the last read. */
  stored?: number;
  readAt?: number;
  reading?: Promise<void>;
}

/** A session's spend as far as this instance can tell: its own calls, or the stored total when higher. */
export const spentOf = (s: LiveSession) => Math.max(s.stored ?? 0, (s.base ?? 0) + s.local);

export interface EndedSession {
  client: ClientKind;
  spend: number;
  durationS: number;
}

/**
 * Sessions seen by this instance, fed every finished call: spend for session budgets, active counts
 * and ended-session figures for `/metrics`. Idle sessions are dropped after `ACTIVE_WINDOW_MS`.
 */
export class LiveSessions implements CallSink {
  private readonly map = new Map<string, LiveSession>();
  private lastSweep = 0;
  onEnded?: (s: EndedSession) => void;

  constructor(private readonly now: () => number = Date.now) {}

  /** The entry of a session, created empty when unknown. */
  entry(apiKey: string, id: string, client: ClientKind): LiveSession {
    const k = `${apiKey}\u0000${id}`;
    let s = this.map.get(k);
    if (!s) this.map.set(k, (s = { apiKey, id, client, last: this.now(), calls: 0, local: 0 }));
    return s;
  }

  get(apiKey: string, id: string): LiveSession | undefined {
    return this.map.get(`${apiKey}\u0000${id}`);
  }

  record(r: CallRecord): void {
    if (r.req.callType === COUNT_TOKENS_CALL) return;
    const id = sessionIdOf(r.req.headers, r.req.body);
    if (!id) return;
    const s = this.entry(r.req.auth.apiKeyHash ?? "", id, clientOf(r.req.headers).kind);
    s.calls++;
    s.local += r.cost;
    s.last = Math.max(s.last, r.endMs);
    if (s.first === undefined || r.req.startMs < s.first) s.first = r.req.startMs;
    this.sweep();
  }

  /** Active sessions (a call within the window) per client kind. */
  active(): Map<ClientKind, { count: number; spend: number }> {
    this.sweep();
    const out = new Map<ClientKind, { count: number; spend: number }>();
    for (const s of this.map.values()) {
      if (s.calls === 0) continue;
      const c = out.get(s.client) ?? { count: 0, spend: 0 };
      c.count++;
      c.spend += spentOf(s);
      out.set(s.client, c);
    }
    return out;
  }

  /** Drops sessions idle past the window, reporting the ones that made calls here as ended. */
  sweep(force = false): void {
    const now = this.now();
    if (!force && now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [k, s] of this.map) {
      if (now - s.last < ACTIVE_WINDOW_MS || s.reading) continue;
      this.map.delete(k);
      if (s.calls > 0) this.onEnded?.({ client: s.client, spend: spentOf(s), durationS: Math.max(0, s.last - (s.first ?? s.last)) / 1000 });
    }
  }
}
