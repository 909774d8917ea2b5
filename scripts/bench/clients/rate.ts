/**
 * Open-loop load at a fixed rate: a request is sent every 1/rps seconds whether or not earlier
 * ones have answered (so a slow proxy cannot slow the load down and hide its own delay), each
 * timed from its send to the end of its body, in µs.
 * Usage: bun scripts/bench/clients/rate.ts SPEC.json → one JSON line on stdout.
 */
import { pct, sortedFloat } from "../stats.ts";

export interface RateSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  rps: number;
  seconds: number;
}

export interface RateResult {
  sent: number;
  ok: number;
  errors: number;
  achievedRps: number;
  p50: number;
  p90: number;
  p99: number;
  firstError?: string;
}

export async function runRate(spec: RateSpec): Promise<RateResult> {
  const total = Math.round(spec.rps * spec.seconds);
  const interval = 1000 / spec.rps;
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const inflight: Promise<void>[] = [];
  const one = async () => {
    const t0 = performance.now();
    try {
      const res = await fetch(spec.url, { method: "POST", headers: spec.headers, body: spec.body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      lat.push((performance.now() - t0) * 1000);
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
    }
  };
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = start + sent * interval;
    const now = performance.now();
    if (now < due) {
      await Bun.sleep(Math.max(0, due - now - 0.5));
      continue;
    }
    inflight.push(one());
    sent++;
  }
  const elapsed = (performance.now() - start) / 1000;
  await Promise.all(inflight);
  const s = sortedFloat(lat);
  return { sent, ok: lat.length, errors, achievedRps: sent / elapsed, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), firstError };
}

if (import.meta.main) {
  const spec = (await Bun.file(process.argv[2]!).json()) as RateSpec;
  process.stdout.write(`${JSON.stringify(await runRate(spec))}\n`);
  process.exit(0);
}
