/**
 * Per-deployment counters the router decides with: cooldowns, current-minute usage, in-flight
 * requests and latency. Reads are synchronous from memory; a `SharedState` (Redis) may mirror
 * writes to other instances and feed their writes back in.
 */
export interface SharedState {
  publishCooldown(id: string, untilMs: number): void;
  /** Counts a request against a limited deployment for this minute across instances; false when over. */
  admit(id: string, minute: number, rpm: number | undefined, tpm: number | undefined): Promise<{ ok: boolean; requests: number; tokens: number }>;
  addTokens(id: string, minute: number, tokens: number): void;
  addFailure(id: string, ttlS: number): Promise<number>;
  resetFailures(id: string): void;
}

interface MinuteCounters {
  minute: number;
  requests: number;
  tokens: number;
  failures: number;
  successes: number;
  /** counts reported by other instances for this minute */
  remoteRequests: number;
  remoteTokens: number;
}

const currentMinute = (now = Date.now()) => Math.floor(now / 60_000);

export class RouterState {
  private readonly cooldownUntil = new Map<string, number>();
  private readonly counters = new Map<string, MinuteCounters>();
  private readonly inflight = new Map<string, number>();
  private readonly latencyMs = new Map<string, number>();
  private readonly failWindows = new Map<string, { count: number; expires: number }>();
  shared?: SharedState;

  private minuteOf(id: string): MinuteCounters {
    const m = currentMinute();
    let c = this.counters.get(id);
    if (!c || c.minute !== m) {
      c = { minute: m, requests: 0, tokens: 0, failures: 0, successes: 0, remoteRequests: 0, remoteTokens: 0 };
      this.counters.set(id, c);
    }
    return c;
  }

  isCoolingDown(id: string, now = Date.now()): boolean {
    const until = this.cooldownUntil.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.cooldownUntil.delete(id);
    return false;
  }

  cooldownRemainingMs(id: string): number {
    const until = this.cooldownUntil.get(id);
    return until ? Math.max(0, until - Date.now()) : 0;
  }

  cooldown(id: string, seconds: number): void {
    const until = Date.now() + seconds * 1000;
    this.applyCooldown(id, until);
    this.shared?.publishCooldown(id, until);
  }

  /** Applies a cooldown learned from another instance. */
  applyCooldown(id: string, untilMs: number): void {
    const cur = this.cooldownUntil.get(id) ?? 0;
    if (untilMs > cur) this.cooldownUntil.set(id, untilMs);
  }

  cooldowns(): Array<{ id: string; remainingMs: number }> {
    const now = Date.now();
    const out: Array<{ id: string; remainingMs: number }> = [];
    for (const [id, until] of this.cooldownUntil) if (until > now) out.push({ id, remainingMs: until - now });
    return out;
  }

  requestStarted(id: string): void {
    this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1);
    this.minuteOf(id).requests++;
  }

  /**
   * With shared state, a deployment with rpm/tpm limits is admitted by the shared counter (the
   * other instances' traffic counts); without it the local counters already decided in `healthyDeployments`.
   */
  async admit(id: string, rpm: number | undefined, tpm: number | undefined): Promise<boolean> {
    if (!this.shared || (rpm === undefined && tpm === undefined)) return true;
    const c = this.minuteOf(id);
    const r = await this.shared.admit(id, c.minute, rpm, tpm);
    this.applyRemoteUsage(id, c.minute, r.requests + (r.ok ? 0 : 1), r.tokens);
    return r.ok;
  }

  requestEnded(id: string): void {
    const v = (this.inflight.get(id) ?? 1) - 1;
    if (v <= 0) this.inflight.delete(id);
    else this.inflight.set(id, v);
  }

  recordSuccess(id: string, latencyMs: number): void {
    this.minuteOf(id).successes++;
    const prev = this.latencyMs.get(id);
    this.latencyMs.set(id, prev === undefined ? latencyMs : prev * 0.7 + latencyMs * 0.3);
  }

  addTokens(id: string, tokens: number): void {
    if (tokens <= 0) return;
    const c = this.minuteOf(id);
    c.tokens += tokens;
    this.shared?.addTokens(id, c.minute, tokens);
  }

  /** Counts a failure; returns this minute's failures and requests for the failure-rate rule. */
  recordFailure(id: string): { failures: number; requests: number } {
    const c = this.minuteOf(id);
    c.failures++;
    return { failures: c.failures, requests: c.requests };
  }

  /** `allowed_fails` counter with a TTL of the cooldown time, shared across instances when configured. */
  async countFailWindow(id: string, ttlS: number): Promise<number> {
    if (this.shared) return this.shared.addFailure(id, ttlS);
    const now = Date.now();
    const w = this.failWindows.get(id);
    if (!w || w.expires <= now) {
      this.failWindows.set(id, { count: 1, expires: now + ttlS * 1000 });
      return 1;
    }
    w.count++;
    return w.count;
  }

  resetFailWindow(id: string): void {
    this.failWindows.delete(id);
    this.shared?.resetFailures(id);
  }

  /** Merges another instance's counts for a minute (from Redis). */
  applyRemoteUsage(id: string, minute: number, requests: number, tokens: number): void {
    const c = this.minuteOf(id);
    if (c.minute !== minute) return;
    c.remoteRequests = Math.max(0, requests - c.requests);
    c.remoteTokens = Math.max(0, tokens - c.tokens);
  }

  usage(id: string): { rpm: number; tpm: number } {
    const c = this.counters.get(id);
    if (!c || c.minute !== currentMinute()) return { rpm: 0, tpm: 0 };
    return { rpm: c.requests + c.remoteRequests, tpm: c.tokens + c.remoteTokens };
  }

  inflightOf(id: string): number {
    return this.inflight.get(id) ?? 0;
  }

  latencyOf(id: string): number | undefined {
    return this.latencyMs.get(id);
  }
}
