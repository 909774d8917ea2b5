import type { Results } from "./results.ts";
import type { Subject } from "./subjects.ts";

const ms = (us: number, digits = 3) => (Number.isFinite(us) ? `${(us / 1000).toFixed(digits)} ms` : "n/a");
const num = (v: number, digits = 0) => (Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a");
const times = (v: number, digits = 2) => (Number.isFinite(v) ? `${v.toFixed(digits)}×` : "n/a");
const mib = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? `${v.toFixed(1)} MB` : "n/a");

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export interface Target {
  what: string;
  goal: string;
  measured: string;
  met: boolean | undefined;
}

export function targets(r: Results, streamsMax: number): Target[] {
  const L = "litellm";
  const addedP50 = r.added("serial", L, "p50");
  const vsFloor = r.addedRatio("serial", L, "floor", "p50");
  const rpsFloor = r.ratio("c50", L, "floor", "rps");
  const rpsPortkey = r.ratio("c50", L, "portkey", "rps");
  const check = (v: number, ok: (x: number) => boolean) => (Number.isFinite(v) ? ok(v) : undefined);
  const out: Target[] = [
    { what: "added p50, one request at a time", goal: "≤ 0.2 ms", measured: ms(addedP50), met: check(addedP50, (x) => x <= 200) },
    { what: "added p50 vs the bare Bun proxy's", goal: "≤ 1.25×", measured: times(vsFloor), met: check(vsFloor, (x) => x <= 1.25) },
    { what: "throughput at 50 concurrent vs the bare Bun proxy", goal: "≥ 0.8×", measured: times(rpsFloor), met: check(rpsFloor, (x) => x >= 0.8) },
    { what: "throughput at 50 concurrent vs Portkey", goal: "≥ 10×", measured: times(rpsPortkey, 1), met: check(rpsPortkey, (x) => x >= 10) },
  ];
  for (const shape of ["stream200", `stream${streamsMax}`]) {
    if (!r.has(shape, L)) continue;
    const t = r.added(shape, L, "ttfbP50");
    out.push({ what: `added time to first chunk (p50), ${shape.slice(6)} streams`, goal: "≤ 1 ms", measured: ms(t), met: check(t, (x) => x <= 1000) });
  }
  const big = `stream${streamsMax}`;
  if (r.has(big, L)) {
    const lost = r.sum(big, L, "lostChunks");
    const failed = r.sum(big, L, "failed");
    out.push({ what: `${streamsMax} concurrent streams, every round`, goal: "no lost chunk", measured: `${num(lost)} lost chunks, ${num(failed)} failed streams`, met: lost === 0 && failed === 0 });
    const peak = r.max(big, L, "rssPeak");
    out.push({ what: `RSS at ${streamsMax} streams (peak)`, goal: "≤ 150 MB", measured: mib(peak), met: check(peak, (x) => x <= 150) });
  }
  const idle = r.memory.get(L)?.idle;
  out.push({ what: "RSS idle (after start, before any LLM request)", goal: "≤ 60 MB", measured: mib(idle), met: idle === undefined ? undefined : idle <= 60 });
  return out;
}

export function targetsTable(ts: Target[]): string {
  return table(
    ["target", "goal", "measured", "met"],
    ts.map((t) => [t.what, t.goal, t.measured, t.met === undefined ? "n/a" : t.met ? "yes" : "**no**"]),
  );
}

/** The main matrix: one table per load shape, medians of rounds, added = paired with the direct call. */
export function matrixTables(r: Results, subjects: Subject[], streamsCounts: number[]): string {
  const present = (shape: string) => subjects.filter((s) => r.has(shape, s.id));
  const parts: string[] = [];

  parts.push("**One request at a time, 0 ms fake** (wrk -c1; latency p50 / p90 / p99, added = minus the direct call in the same round)\n");
  parts.push(
    table(
      ["", "p50", "p90", "p99", "added p50", "added p90", "added p99", "added p50 ÷ bare Bun's", "errors"],
      present("serial").map((s) => [
        s.label,
        ms(r.med("serial", s.id, "p50")),
        ms(r.med("serial", s.id, "p90")),
        ms(r.med("serial", s.id, "p99")),
        s.id === "direct" ? "" : ms(r.added("serial", s.id, "p50")),
        s.id === "direct" ? "" : ms(r.added("serial", s.id, "p90")),
        s.id === "direct" ? "" : ms(r.added("serial", s.id, "p99")),
        s.id === "direct" || s.id === "floor" ? "" : times(r.addedRatio("serial", s.id, "floor", "p50")),
        num(r.sum("serial", s.id, "errors")),
      ]),
    ),
  );

  parts.push("\n**50 concurrent connections, 0 ms fake** (wrk -c50; CPU = user + system time of the proxy's processes per request)\n");
  parts.push(
    table(
      ["", "req/s", "÷ direct", "÷ bare Bun", "p50", "p99", "CPU µs / req", "CPU ÷ bare Bun's", "errors"],
      present("c50").map((s) => [
        s.label,
        num(r.med("c50", s.id, "rps")),
        s.id === "direct" ? "" : times(r.ratio("c50", s.id, "direct", "rps")),
        s.id === "direct" || s.id === "floor" ? "" : times(r.ratio("c50", s.id, "floor", "rps")),
        ms(r.med("c50", s.id, "p50")),
        ms(r.med("c50", s.id, "p99")),
        s.id === "direct" ? "" : num(r.med("c50", s.id, "cpuUsPerReq"), 1),
        s.id === "direct" || s.id === "floor" ? "" : times(r.ratio("c50", s.id, "floor", "cpuUsPerReq")),
        num(r.sum("c50", s.id, "errors")),
      ]),
    ),
  );

  if (present("rate").length) {
    parts.push("\n**Fixed 400 req/s (open loop), 50 ms fake** (latency users feel)\n");
    parts.push(
      table(
        ["", "p50", "p90", "p99", "added p50", "added p99", "errors"],
        present("rate").map((s) => [
          s.label,
          ms(r.med("rate", s.id, "p50"), 2),
          ms(r.med("rate", s.id, "p90"), 2),
          ms(r.med("rate", s.id, "p99"), 2),
          s.id === "direct" ? "" : ms(r.added("rate", s.id, "p50")),
          s.id === "direct" ? "" : ms(r.added("rate", s.id, "p99")),
          num(r.sum("rate", s.id, "errors")),
        ]),
      ),
    );
  }

  for (const n of streamsCounts) {
    const shape = `stream${n}`;
    if (!present(shape).length) continue;
    parts.push(`\n**${n} concurrent streams** (started evenly over the ramp; time to first chunk from connect; gaps between text chunks, paced 50 ms by the fake; CPU of the proxy per SSE event relayed)\n`);
    parts.push(
      table(
        ["", "first chunk p50", "added p50", "first chunk p99", "added p99", "gap p50", "gap p99", "failed streams", "lost chunks", "CPU µs / event", "peak RSS"],
        present(shape).map((s) => [
          s.label,
          ms(r.med(shape, s.id, "ttfbP50")),
          s.id === "direct" ? "" : ms(r.added(shape, s.id, "ttfbP50")),
          ms(r.med(shape, s.id, "ttfbP99")),
          s.id === "direct" ? "" : ms(r.added(shape, s.id, "ttfbP99")),
          ms(r.med(shape, s.id, "gapP50"), 2),
          ms(r.med(shape, s.id, "gapP99"), 2),
          num(r.sum(shape, s.id, "failed")),
          num(r.sum(shape, s.id, "lostChunks")),
          s.id === "direct" ? "" : num(r.med(shape, s.id, "cpuUsPerChunk"), 1),
          s.id === "direct" ? "" : mib(r.max(shape, s.id, "rssPeak")),
        ]),
      ),
    );
  }

  const mem = subjects.filter((s) => r.memory.has(s.id));
  if (mem.length) {
    parts.push("\n**Memory (RSS of the whole process tree)**: idle after start (before any LLM request), after the first requests (probes, a key made; the price table loads on the first priced call), peak over the run, after the run\n");
    parts.push(
      table(
        ["", "idle", "after first requests", "peak", "after"],
        mem.map((s) => {
          const m = r.memory.get(s.id)!;
          return [s.label, mib(m.idle), mib(m.warm), mib(m.peak), mib(m.after)];
        }),
      ),
    );
  }
  return parts.join("\n");
}

export { ms, num, times, mib, table };
