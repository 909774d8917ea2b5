/**
 * The coding-agent shapes: Claude Code's and Codex's streamed requests (scripts/bench/agent-bodies.ts)
 * from a short session to a 2 MB one, one request at a time, through every subject that carries
 * them, in interleaved rounds (for each round: each workload, each body size, each subject in turn).
 * Per cell: latency to the end of the stream and time to the first body byte (p50, p90), and the
 * proxy's CPU time (user + system, all its processes) per request.
 */
import { join } from "node:path";
import { agentWorkloads, TRACES, type AgentWorkload } from "./agent-bodies.ts";
import { chartPng, COLORS, type Series } from "./chart.ts";
import { cpuMicros } from "./proc.ts";
import { ms, num, table, times, type Target } from "./report.ts";
import type { Results } from "./results.ts";
import { c50, type Metrics, type ShapeCtx } from "./shapes.ts";
import { pct, sortedFloat } from "./stats.ts";
import { ROOT, type Subject } from "./subjects.ts";

/** The marker of a stream's normal end, per workload. */
const END: Record<AgentWorkload["api"], string> = { claude: "message_stop", codex: "response.completed" };

export const shapeId = (w: AgentWorkload, bodyId: string) => `${w.api}:${bodyId}`;

export function loadWorkloads(): AgentWorkload[] {
  return agentWorkloads(TRACES, join(ROOT, "node_modules/hono/dist"));
}

interface Request {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
  end: string;
}

function request(s: Subject, w: AgentWorkload, body: string): Request {
  const a = s.agent!;
  const auth: Record<string, string> = w.api === "claude" ? { "x-api-key": a.key } : { authorization: `Bearer ${a.key}` };
  return { url: `${a.origin}${w.path}`, headers: { ...w.headers, ...auth }, body: new TextEncoder().encode(body), end: END[w.api] };
}

/**
 * Sends `r` one at a time (keep-alive) for `seconds` (at least `minRequests`), reading each
 * stream to its end. µs from the send to the first body byte and to the end of the body.
 */
async function oneAtATime(r: Request, seconds: number, minRequests: number): Promise<{ lat: number[]; ttfb: number[]; errors: number; firstError?: string }> {
  const lat: number[] = [];
  const ttfb: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const dec = new TextDecoder();
  const until = performance.now() + seconds * 1000;
  for (let i = 0; i < minRequests || performance.now() < until; i++) {
    const t0 = performance.now();
    try {
      const res = await fetch(r.url, { method: "POST", headers: r.headers, body: r.body });
      const reader = res.body!.getReader();
      let first = 0;
      let tail = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!first) first = performance.now();
        tail = (tail + dec.decode(value, { stream: true })).slice(-4096);
      }
      const t1 = performance.now();
      if (res.status !== 200 || !tail.includes(r.end)) throw new Error(`HTTP ${res.status}, stream ${tail.includes(r.end) ? "ended" : "not ended"}: ${tail.slice(-200)}`);
      lat.push((t1 - t0) * 1000);
      ttfb.push((first - t0) * 1000);
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
    }
  }
  return { lat, ttfb, errors, firstError };
}

async function cell(s: Subject, r: Request, seconds: number): Promise<Metrics> {
  const pids = () => s.proc?.pids() ?? [];
  const cpu0 = cpuMicros(pids());
  const out = await oneAtATime(r, seconds, 5);
  const cpuUs = cpuMicros(pids()) - cpu0;
  if (out.firstError) process.stderr.write(`  ${s.label}: ${out.errors} errors, first: ${out.firstError}\n`);
  const l = sortedFloat(out.lat);
  const t = sortedFloat(out.ttfb);
  return { p50: pct(l, 50), p90: pct(l, 90), ttfbP50: pct(t, 50), ttfbP90: pct(t, 90), requests: out.lat.length + out.errors, errors: out.errors, ...(s.proc ? { cpuUs } : {}) };
}

export interface AgentRun {
  rounds: number;
  /** seconds of requests per cell (subject × body × round) */
  seconds: number;
  /** seconds of warm-up per subject and workload, before the rounds */
  warmS: number;
  subjects: Subject[];
  workloads: AgentWorkload[];
  results: Results;
  /** also run the 50-concurrent small-body shape in each round (when the main matrix does not) */
  c50?: ShapeCtx;
  log: (s: string) => void;
}

export async function runAgentShapes(o: AgentRun): Promise<void> {
  const subjects = o.subjects.filter((s) => s.agent);
  const reqs = new Map<string, Request>();
  for (const w of o.workloads) for (const b of w.bodies) for (const s of subjects) reqs.set(`${shapeId(w, b.id)}/${s.id}`, request(s, w, b.body));
  o.log(`agent shapes: warm-up, ${o.warmS} s per subject and workload`);
  for (const s of subjects) {
    for (const w of o.workloads) {
      for (const b of w.bodies) {
        const r = reqs.get(`${shapeId(w, b.id)}/${s.id}`)!;
        const warm = await oneAtATime(r, o.warmS / w.bodies.length, 3);
        if (warm.errors) throw new Error(`${s.label} fails ${w.title} ${b.id}: ${warm.firstError}`);
      }
    }
  }
  for (let round = 1; round <= o.rounds; round++) {
    // each round starts with another subject, so that none always follows the same one
    const order = subjects.map((_, i) => subjects[(i + round - 1) % subjects.length]!);
    for (const w of o.workloads) {
      for (const b of w.bodies) {
        const id = shapeId(w, b.id);
        for (const s of order) {
          const m = await cell(s, reqs.get(`${id}/${s.id}`)!, o.seconds);
          o.results.add(round, id, s.id, m);
          o.log(`round ${round}/${o.rounds} ${id.padEnd(12)} ${s.label.slice(0, 20).padEnd(20)} p50 ${ms(m.p50!)} first byte ${ms(m.ttfbP50!)}${m.cpuUs !== undefined ? ` ${(m.cpuUs / m.requests!).toFixed(0)} CPU µs/req` : ""}`);
          await Bun.sleep(50);
        }
      }
    }
    if (!o.c50) continue;
    for (const s of order) {
      const m = await c50.run(s, o.c50);
      o.results.add(round, "c50", s.id, m);
      o.log(`round ${round}/${o.rounds} c50          ${s.label.slice(0, 20).padEnd(20)} ${Math.round(m.rps ?? 0)} req/s${m.cpuUsPerReq ? `, ${m.cpuUsPerReq.toFixed(1)} CPU µs/req` : ""}`);
      await Bun.sleep(200);
    }
  }
}

/** CPU µs per request over all rounds (the sums, so that the clock tick's 10 ms resolution averages out). */
export function cpuPerRequest(r: Results, shape: string, subject: string): number {
  return r.sum(shape, subject, "cpuUs") / r.sum(shape, subject, "requests");
}

const kb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} KB`);

/** One table per workload: every body size, every subject. */
export function agentTable(r: Results, subjects: Subject[], w: AgentWorkload): string {
  const rows: string[][] = [];
  for (const b of w.bodies) {
    const id = shapeId(w, b.id);
    const floorCpu = cpuPerRequest(r, id, "floor");
    for (const s of subjects.filter((x) => r.has(id, x.id))) {
      const base = s.id === "direct";
      const vsFloor = base || s.id === "floor";
      const cpu = cpuPerRequest(r, id, s.id);
      rows.push([
        s === subjects.find((x) => r.has(id, x.id)) ? `${kb(b.bytes)} ${b.label}${b.turns ? ` (${b.turns} tool rounds)` : ""}` : "",
        s.label,
        `${ms(r.med(id, s.id, "p50"))} / ${ms(r.med(id, s.id, "ttfbP50"))}`,
        base ? "" : ms(r.added(id, s.id, "p50")),
        base ? "" : ms(r.added(id, s.id, "p90")),
        base ? "" : ms(r.added(id, s.id, "ttfbP50")),
        base ? "" : ms(r.added(id, s.id, "ttfbP90")),
        vsFloor ? "" : times(r.addedRatio(id, s.id, "floor", "p50")),
        vsFloor ? "" : times(r.addedRatio(id, s.id, "floor", "ttfbP50")),
        base ? "" : num(cpu, 0),
        vsFloor ? "" : times(cpu / floorCpu),
        num(r.sum(id, s.id, "errors")),
      ]);
    }
  }
  return table(
    ["body", "", "p50 / first byte p50", "added p50", "added p90", "added first byte p50", "added first byte p90", "added p50 ÷ bare Bun's", "added first byte ÷ bare Bun's", "CPU µs / req", "CPU ÷ bare Bun's", "errors"],
    rows,
  );
}

/** 50 concurrent, small body: throughput and CPU per request against the bare proxy. */
export function c50Table(r: Results, subjects: Subject[]): string {
  const present = subjects.filter((s) => r.has("c50", s.id) && s.id !== "translate");
  return table(
    ["", "req/s", "÷ bare Bun", "CPU µs / req", "CPU ÷ bare Bun's", "errors"],
    present.map((s) => {
      const vs = s.id === "direct" || s.id === "floor";
      return [
        s.label,
        num(r.med("c50", s.id, "rps")),
        vs ? "" : times(r.ratio("c50", s.id, "floor", "rps")),
        s.id === "direct" ? "" : num(r.med("c50", s.id, "cpuUsPerReq"), 1),
        vs ? "" : times(r.ratio("c50", s.id, "floor", "cpuUsPerReq")),
        num(r.sum("c50", s.id, "errors")),
      ];
    }),
  );
}

/** Issue 15's targets, for litellm-rust. */
export function agentTargets(r: Results, workloads: AgentWorkload[]): Target[] {
  const L = "litellm";
  const out: Target[] = [];
  const check = (v: number, ok: (x: number) => boolean) => (Number.isFinite(v) ? ok(v) : undefined);
  const cc = workloads.find((w) => w.api === "claude");
  for (const b of cc?.bodies ?? []) {
    const id = shapeId(cc!, b.id);
    if (!r.has(id, L)) continue;
    for (const [metric, what] of [
      ["p50", "added p50"],
      ["ttfbP50", "added first byte p50"],
    ] as const) {
      const v = r.addedRatio(id, L, "floor", metric);
      out.push({ what: `Claude Code, ${kb(b.bytes)}: ${what} ÷ bare Bun's`, goal: "≤ 1.25×", measured: times(v), met: check(v, (x) => x <= 1.25) });
      const cap = b.id === "first" ? 350 : b.id === "600k" ? 800 : undefined;
      if (cap === undefined) continue;
      const a = r.added(id, L, metric);
      out.push({ what: `Claude Code, ${kb(b.bytes)}: ${what}`, goal: `≤ ${cap / 1000} ms`, measured: ms(a), met: check(a, (x) => x <= cap) });
    }
  }
  if (r.has("c50", L) && r.has("c50", "floor")) {
    const rps = r.ratio("c50", L, "floor", "rps");
    const cpu = r.ratio("c50", L, "floor", "cpuUsPerReq");
    out.push({ what: "50 concurrent, small body: throughput ÷ bare Bun's", goal: "≥ 0.6×", measured: times(rps), met: check(rps, (x) => x >= 0.6) });
    out.push({
      what: "50 concurrent, small body: CPU per request ÷ bare Bun's",
      goal: "≤ 1.7×",
      measured: `${times(cpu)} (${num(r.med("c50", L, "cpuUsPerReq"), 0)} vs ${num(r.med("c50", "floor", "cpuUsPerReq"), 0)} µs)`,
      met: check(cpu, (x) => x <= 1.7),
    });
  }
  return out;
}

/** Added p50 against body size, one panel per workload, one line per proxy. */
export function agentChart(r: Results, subjects: Subject[], workloads: AgentWorkload[]): Uint8Array {
  const proxies = subjects.filter((s) => s.id !== "direct" && s.agent);
  return chartPng(
    workloads.map((w) => ({
      title: `${w.title}: added p50, one request at a time`,
      xLabel: "request body, KB (log scale)",
      yLabel: "added p50, ms",
      xTicks: w.bodies.map((b) => Math.round(b.bytes / 1000)),
      series: proxies.map(
        (s, i): Series => ({
          name: s.label,
          color: COLORS[i % COLORS.length]!,
          points: w.bodies.map((b) => [Math.round(b.bytes / 1000), r.added(shapeId(w, b.id), s.id, "p50") / 1000]),
        }),
      ),
    })),
  );
}
