import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RateResult, RateSpec } from "./clients/rate.ts";
import type { StreamResult, StreamSpec } from "./clients/streams.ts";
import { cpuMicros, LOAD_CPU, rssSampler } from "./proc.ts";
import { probe, type Subject } from "./subjects.ts";
import { END_EVENT, PACE_MS, STREAM_CHUNKS, TEXT_EVENT, type FakeKind } from "./targets.ts";
import { runWrk, wrkScript } from "./wrk.ts";

export type Metrics = Record<string, number>;

export interface Durations {
  serialS: number;
  c50S: number;
  rateS: number;
}

export interface ShapeCtx {
  dir: string;
  d: Durations;
}

export interface Shape {
  id: string;
  title: string;
  kind: FakeKind;
  run(s: Subject, ctx: ShapeCtx): Promise<Metrics>;
}

const BUN = process.execPath;

async function runClient<T>(client: string, spec: object, ctx: ShapeCtx, name: string): Promise<T> {
  const file = join(ctx.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const proc = Bun.spawn(["taskset", "-c", LOAD_CPU, BUN, join(import.meta.dir, "clients", client), file], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" },
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if ((await proc.exited) !== 0) throw new Error(`${client} failed: ${err}`);
  return JSON.parse(out) as T;
}

/** Runs `fn` while sampling the subject's CPU time and peak RSS; says what an error looked like. */
async function observed(s: Subject, fn: () => Promise<Metrics>, kind: FakeKind = "zero"): Promise<Metrics> {
  const pids = () => s.proc?.pids() ?? [];
  const cpu0 = cpuMicros(pids());
  const rss = rssSampler(pids);
  const m = await fn();
  const peak = rss.stop();
  if (m.errors) {
    const why = await probe(s.target(kind, false));
    process.stderr.write(`  ${s.label}: ${m.errors} errors; a request now answers ${why ?? "200"}\n`);
  }
  if (s.proc) {
    m.rssPeak = peak;
    m.cpuUs = cpuMicros(pids()) - cpu0;
  }
  return m;
}

const tag = (s: Subject, shape: string) => `${shape}-${s.id}`;

export const serial: Shape = {
  id: "serial",
  title: "one request at a time, 0 ms fake",
  kind: "zero",
  run: (s, ctx) =>
    observed(s, async () => {
      const t = s.target("zero", false);
      const r = await runWrk(t, wrkScript(t, ctx.dir, tag(s, "serial")), 1, ctx.d.serialS);
      return { p50: r.p50, p90: r.p90, p99: r.p99, rps: r.rps, requests: r.requests, errors: r.errors };
    }),
};

export const c50: Shape = {
  id: "c50",
  title: "50 concurrent, 0 ms fake",
  kind: "zero",
  async run(s, ctx) {
    const m = await observed(s, async () => {
      const t = s.target("zero", false);
      const r = await runWrk(t, wrkScript(t, ctx.dir, tag(s, "c50")), 50, ctx.d.c50S);
      return { rps: r.rps, requests: r.requests, p50: r.p50, p99: r.p99, errors: r.errors };
    });
    if (m.cpuUs !== undefined && m.requests) m.cpuUsPerReq = m.cpuUs / m.requests;
    return m;
  },
};

export const rate400: Shape = {
  id: "rate",
  title: "fixed 400 req/s, 50 ms fake",
  kind: "slow",
  run: (s, ctx) =>
    observed(s, async () => {
      const t = s.target("slow", false);
      const spec: RateSpec = { url: t.url, headers: t.headers, body: t.body, rps: 400, seconds: ctx.d.rateS };
      const r = await runClient<RateResult>("rate.ts", spec, ctx, tag(s, "rate"));
      if (r.firstError) process.stderr.write(`  ${s.id} rate: ${r.errors} errors, first: ${r.firstError}\n`);
      return { p50: r.p50, p90: r.p90, p99: r.p99, errors: r.errors, achievedRps: r.achievedRps };
    }),
};

export function streams(n: number, rampMs: number): Shape {
  return {
    id: `stream${n}`,
    title: `${n} concurrent streams, ${STREAM_CHUNKS} chunks ${PACE_MS} ms apart`,
    kind: "paced",
    run: (s, ctx) =>
      observed(s, async () => {
        const t = s.target("paced", true);
        const spec: StreamSpec = {
          url: t.url,
          headers: t.headers,
          body: t.body,
          n,
          rampMs,
          textMarker: TEXT_EVENT[t.api],
          endMarker: END_EVENT[t.api],
          expectChunks: STREAM_CHUNKS,
          timeoutMs: rampMs + STREAM_CHUNKS * PACE_MS * 4 + 10_000,
        };
        const r = await runClient<StreamResult>("streams.ts", spec, ctx, tag(s, `stream${n}`));
        if (r.firstError) process.stderr.write(`  ${s.id} stream${n}: ${r.failed} failed, first: ${r.firstError}\n`);
        return {
          ttfbP50: r.ttfbP50,
          ttfbP90: r.ttfbP90,
          ttfbP99: r.ttfbP99,
          gapP50: r.gapP50,
          gapP99: r.gapP99,
          failed: r.failed,
          lostChunks: r.lostChunks,
          completed: r.completed,
        };
      }, "paced").then((m) => {
        if (m.cpuUs !== undefined) m.cpuUsPerChunk = m.cpuUs / (n * (STREAM_CHUNKS + 4));
        return m;
      }),
  };
}
