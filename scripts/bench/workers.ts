import { rssMiB, type Proc } from "./proc.ts";
import { mib, num, table, times } from "./report.ts";
import { Results } from "./results.ts";
import type { ShapeCtx } from "./shapes.ts";
import { litellmSubjects, startLitellm, type GatewayCommand } from "./subjects.ts";
import { runWrk, wrkScript } from "./wrk.ts";

/**
 * `--num_workers 1` vs `2`, 50 concurrent connections. Nothing is pinned here: two workers need
 * both cores, which they share with wrk and the fake, so this shows what a second process buys on
 * this 2-core machine, not a clean 2× ceiling.
 */
export async function workerScaling(opts: {
  rounds: number;
  gw: GatewayCommand;
  configPath: string;
  ctx: ShapeCtx;
  logDir: string;
  log: (s: string) => void;
}): Promise<string> {
  const r = new Results();
  const counts = [1, 2];
  const started: Array<{ n: number; proc: Proc; port: number; idle: number }> = [];
  try {
    for (const n of counts) {
      const { proc, port } = await startLitellm(`workers-${n}`, opts.gw, opts.configPath, opts.logDir, ["--num_workers", String(n)], undefined);
      started.push({ n, proc, port, idle: 0 });
    }
    await Bun.sleep(1000);
    for (const s of started) s.idle = rssMiB(s.proc.pids());
    for (let round = 0; round <= opts.rounds; round++) {
      for (const s of started) {
        const t = litellmSubjects(s.proc, s.port)[0]!.target("zero", false);
        const res = await runWrk(t, wrkScript(t, opts.ctx.dir, `workers-${s.n}`), 50, round === 0 ? 3 : opts.ctx.d.c50S, undefined);
        if (round === 0) continue;
        r.add(round, "c50", `w${s.n}`, { rps: res.rps, p50: res.p50, p99: res.p99, errors: res.errors });
        opts.log(`workers round ${round}/${opts.rounds} --num_workers ${s.n}: ${num(res.rps)} req/s`);
      }
    }
  } finally {
    await Promise.all(started.map((s) => s.proc.stop()));
  }
  return table(
    ["--num_workers", "req/s (50 concurrent)", "÷ 1 worker", "p50", "p99", "errors", "RSS idle (all processes)"],
    started.map((s) => [
      String(s.n),
      num(r.med("c50", `w${s.n}`, "rps")),
      s.n === 1 ? "" : times(r.ratio("c50", `w${s.n}`, "w1", "rps")),
      `${(r.med("c50", `w${s.n}`, "p50") / 1000).toFixed(2)} ms`,
      `${(r.med("c50", `w${s.n}`, "p99") / 1000).toFixed(2)} ms`,
      num(r.sum("c50", `w${s.n}`, "errors")),
      mib(s.idle),
    ]),
  );
}
