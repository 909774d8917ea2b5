import { GatewayError } from "../errors.ts";
import { evaluate, windowStart, type Counts, type LimitDescriptor, type LimitStatus, type RateLimiter } from "./types.ts";

interface Window {
  start: number;
  requests: number;
  tokens: number;
}

const id = (d: LimitDescriptor) => `${d.name}:${d.value}`;

/** Fixed 60 s windows and parallel counters in this process (no Redis configured). */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly parallel = new Map<string, number>();
  private sweepAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private window(key: string, start: number): Window {
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, requests: 0, tokens: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  async acquire(descs: LimitDescriptor[]): Promise<LimitStatus> {
    const now = this.now();
    const start = windowStart(now);
    this.sweep(start);
    const keys = descs.map(id);
    const windows = keys.map((k) => this.window(k, start));
    const counts: Counts[] = windows.map((w, i) => ({ requests: w.requests, tokens: w.tokens, parallel: this.parallel.get(keys[i]!) ?? 0 }));
    const verdict = evaluate(descs, counts, now);
    if (verdict instanceof GatewayError) throw verdict;
    windows.forEach((w, i) => {
      w.requests++;
      if (descs[i]!.maxParallel !== undefined) this.parallel.set(keys[i]!, (this.parallel.get(keys[i]!) ?? 0) + 1);
    });
    return verdict;
  }

  release(descs: LimitDescriptor[]): void {
    for (const d of descs) {
      if (d.maxParallel === undefined) continue;
      const k = id(d);
      const n = (this.parallel.get(k) ?? 0) - 1;
      if (n > 0) this.parallel.set(k, n);
      else this.parallel.delete(k);
    }
  }

  addTokens(descs: LimitDescriptor[], tokens: number): void {
    if (tokens <= 0) return;
    const start = windowStart(this.now());
    for (const d of descs) this.window(id(d), start).tokens += tokens;
  }

  private sweep(start: number): void {
    if (start === this.sweepAt) return;
    this.sweepAt = start;
    for (const [k, w] of this.windows) if (w.start < start) this.windows.delete(k);
  }
}
