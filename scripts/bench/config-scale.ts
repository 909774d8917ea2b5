import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { chartPng, COLORS } from "./chart.ts";
import { rssMiB, type Proc } from "./proc.ts";
import { ms, mib, table } from "./report.ts";
import { Results } from "./results.ts";
import { c50, serial, type ShapeCtx } from "./shapes.ts";
import { MASTER_KEY, startLitellm, type ScenarioOpts, type Subject } from "./subjects.ts";
import { requestBody } from "./targets.ts";

/**
 * A config of `n` model entries, one in five a wildcard. `w/*` is the shortest pattern, so a name
 * it matches is tried against every other pattern first: the worst case for wildcard lookup.
 */
function scaleConfig(n: number, fakePort: number): string {
  const wildcards = Math.max(1, Math.floor(n / 5));
  const exact = n - wildcards;
  const apiBase = `http://127.0.0.1:${fakePort}/v1`;
  const list: object[] = [];
  for (let i = 0; i < exact; i++) list.push({ model_name: `model-${i}`, litellm_params: { model: "openai/gpt-bench", api_base: apiBase, api_key: "sk-up" } });
  for (let i = 1; i < wildcards; i++) list.push({ model_name: `team-${String(i).padStart(4, "0")}/*`, litellm_params: { model: "openai/*", api_base: apiBase, api_key: "sk-up" } });
  list.push({ model_name: "w/*", litellm_params: { model: "openai/*", api_base: apiBase, api_key: "sk-up" } });
  return stringify({ model_list: list, router_settings: { num_retries: 0 }, general_settings: { master_key: MASTER_KEY } });
}

function gatewaySubject(id: string, label: string, proc: Proc, port: number, model: string): Subject {
  return {
    id: id as Subject["id"],
    label,
    api: "chat",
    proc,
    target: (_kind, stream) => ({
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
      body: requestBody("chat", model, stream),
      api: "chat",
    }),
  };
}

export interface ScaleOutcome {
  markdown: string;
  png: Uint8Array;
}

/** Added latency (exact name, worst-case wildcard) and idle RSS as the config grows. */
export async function configScale(opts: ScenarioOpts & { sizes: number[] }): Promise<ScaleOutcome> {
  const { sizes, fakes, ctx } = opts;
  const r = new Results();
  const started: Array<{ n: number; proc: Proc; exact: Subject; wild: Subject; idle: number }> = [];
  try {
    for (const n of sizes) {
      const cfg = join(ctx.dir, `scale-${n}.yaml`);
      writeFileSync(cfg, scaleConfig(n, fakes.zero.port));
      const { proc, port } = await startLitellm(`scale-${n}`, opts.gw, cfg, opts.logDir);
      const exactModel = `model-${n - Math.max(1, Math.floor(n / 5)) - 1}`;
      started.push({
        n,
        proc,
        exact: gatewaySubject(`exact-${n}`, `${n} entries, exact name`, proc, port, exactModel),
        wild: gatewaySubject(`wild-${n}`, `${n} entries, wildcard`, proc, port, "w/gpt-bench"),
        idle: 0,
      });
    }
    await Bun.sleep(1000);
    for (const s of started) s.idle = rssMiB(s.proc.pids());
    for (const s of started) {
      await c50.run(s.wild, { ...ctx, d: { ...ctx.d, c50S: 2 } });
      await serial.run(s.exact, { ...ctx, d: { ...ctx.d, serialS: 1 } });
    }
    for (let round = 1; round <= opts.rounds; round++) {
      r.add(round, "serial", "direct", await serial.run(opts.direct, ctx));
      for (const s of started) {
        for (const subj of [s.exact, s.wild]) {
          const m = await serial.run(subj, ctx);
          r.add(round, "serial", subj.id, m);
          opts.log(`scale round ${round}/${opts.rounds} ${subj.label.padEnd(26)} p50 ${ms(m.p50!)}`);
        }
      }
    }
  } finally {
    await Promise.all(started.map((s) => s.proc.stop()));
  }
  const rows = started.map((s) => [
    s.n.toLocaleString("en-US"),
    ms(r.added("serial", s.exact.id, "p50")),
    ms(r.added("serial", s.wild.id, "p50")),
    ms(r.added("serial", s.wild.id, "p99")),
    mib(s.idle),
  ]);
  const markdown = table(["model entries", "added p50, exact name", "added p50, wildcard (worst case)", "added p99, wildcard", "RSS idle"], rows);
  const xTicks = started.map((s) => s.n);
  const png = chartPng([
    {
      title: "Added p50 latency vs config size",
      xLabel: "model entries in config.yaml",
      yLabel: "added p50 (us)",
      xTicks,
      series: [
        { name: "exact model name", color: COLORS[0]!, points: started.map((s) => [s.n, r.added("serial", s.exact.id, "p50")]) },
        { name: "wildcard, matched last", color: COLORS[1]!, points: started.map((s) => [s.n, r.added("serial", s.wild.id, "p50")]) },
      ],
    },
    {
      title: "Idle memory vs config size",
      xLabel: "model entries in config.yaml",
      yLabel: "RSS idle (MB)",
      xTicks,
      series: [{ name: "RSS idle", color: COLORS[2]!, points: started.map((s) => [s.n, s.idle]) }],
    },
  ]);
  return { markdown, png };
}
