/** A small Prometheus text-format (0.0.4) registry: counters, gauges and histograms with labels. */
type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** The series key of label values given in the metric's label order. */
export const labelKey = (...values: string[]) => values.join("\u0001");

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}
  protected key(labels: Labels): string {
    return this.labelNames.map((n) => labels[n] ?? "").join("\u0001");
  }
  protected values(key: string): string[] {
    return this.labelNames.length ? key.split("\u0001") : [];
  }
  abstract render(): string;
}

export class Counter extends Metric {
  private readonly series = new Map<string, number>();
  inc(labels: Labels = {}, by = 1): void {
    this.incKey(this.key(labels), by);
  }
  /** `key`: the label values in `labelNames` order joined by U+0001 (see `labelKey`). */
  incKey(k: string, by = 1): void {
    this.series.set(k, (this.series.get(k) ?? 0) + by);
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [k, v] of this.series) out += `${this.name}${labelText(this.labelNames, this.values(k))} ${v}\n`;
    return out;
  }
}

export class Gauge extends Metric {
  private readonly series = new Map<string, number>();
  private collect?: () => Array<[Labels, number]>;
  set(labels: Labels, v: number): void {
    this.series.set(this.key(labels), v);
  }
  /** Values computed at scrape time replace the stored ones. */
  onCollect(fn: () => Array<[Labels, number]>): this {
    this.collect = fn;
    return this;
  }
  render(): string {
    if (this.collect) {
      this.series.clear();
      for (const [l, v] of this.collect()) this.set(l, v);
    }
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    for (const [k, v] of this.series) out += `${this.name}${labelText(this.labelNames, this.values(k))} ${v}\n`;
    return out;
  }
}

export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class Histogram extends Metric {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[] = LATENCY_BUCKETS_S) {
    super(name, help, labelNames);
  }
  observe(labels: Labels, v: number): void {
    this.observeKey(this.key(labels), v);
  }
  observeKey(k: string, v: number): void {
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const [k, s] of this.series) {
      const values = this.values(k);
      this.buckets.forEach((b, i) => {
        out += `${this.name}_bucket${labelText(this.labelNames, values, `le="${b}"`)} ${s.counts[i]}\n`;
      });
      out += `${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${s.count}\n`;
      out += `${this.name}_sum${labelText(this.labelNames, values)} ${s.sum}\n`;
      out += `${this.name}_count${labelText(this.labelNames, values)} ${s.count}\n`;
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<T extends Metric>(m: T): T {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.map((m) => m.render()).join("");
  }
}
