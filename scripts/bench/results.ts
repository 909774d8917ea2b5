import type { Metrics } from "./shapes.ts";
import { median } from "./stats.ts";

export interface Sample {
  round: number;
  shape: string;
  subject: string;
  m: Metrics;
}

export interface Memory {
  /** Started and listening, before any LLM request. */
  idle: number;
  /** After the first requests (readiness probes, a virtual key made), before the load. */
  warm: number;
  peak: number;
  after: number;
}

/** Every measurement of one run, and the medians-of-rounds views the report needs. */
export class Results {
  readonly samples: Sample[] = [];
  readonly memory = new Map<string, Memory>();
  readonly notes: string[] = [];

  add(round: number, shape: string, subject: string, m: Metrics): void {
    this.samples.push({ round, shape, subject, m });
  }

  has(shape: string, subject: string): boolean {
    return this.samples.some((s) => s.shape === shape && s.subject === subject);
  }

  private byRound(shape: string, subject: string, metric: string): Map<number, number> {
    const out = new Map<number, number>();
    for (const s of this.samples) if (s.shape === shape && s.subject === subject && s.m[metric] !== undefined) out.set(s.round, s.m[metric]!);
    return out;
  }

  values(shape: string, subject: string, metric: string): number[] {
    return [...this.byRound(shape, subject, metric).values()];
  }

  med(shape: string, subject: string, metric: string): number {
    return median(this.values(shape, subject, metric));
  }

  max(shape: string, subject: string, metric: string): number {
    const v = this.values(shape, subject, metric);
    return v.length ? Math.max(...v) : NaN;
  }

  sum(shape: string, subject: string, metric: string): number {
    const v = this.values(shape, subject, metric);
    return v.length ? v.reduce((a, b) => a + b, 0) : NaN;
  }

  /** Median over rounds of `combine(a, b)`, pairing the two subjects' values of the same round. */
  paired(shape: string, a: string, b: string, metric: string, combine: (x: number, y: number) => number): number {
    const av = this.byRound(shape, a, metric);
    const bv = this.byRound(shape, b, metric);
    const out: number[] = [];
    for (const [r, x] of av) {
      const y = bv.get(r);
      if (y !== undefined) out.push(combine(x, y));
    }
    return median(out);
  }

  /** What `subject` adds over the direct call, median of the per-round differences. */
  added(shape: string, subject: string, metric: string): number {
    return this.paired(shape, subject, "direct", metric, (x, y) => x - y);
  }

  ratio(shape: string, a: string, b: string, metric: string): number {
    return this.paired(shape, a, b, metric, (x, y) => x / y);
  }

  /** Median over rounds of (a's added) / (b's added), each against the same round's direct call. */
  addedRatio(shape: string, a: string, b: string, metric: string): number {
    const d = this.byRound(shape, "direct", metric);
    const av = this.byRound(shape, a, metric);
    const bv = this.byRound(shape, b, metric);
    const out: number[] = [];
    for (const [r, x] of av) {
      const y = bv.get(r);
      const z = d.get(r);
      if (y !== undefined && z !== undefined) out.push((x - z) / (y - z));
    }
    return median(out);
  }

  toJSON(): object {
    return { samples: this.samples, memory: Object.fromEntries(this.memory), notes: this.notes };
  }
}
