import type { Durations } from "./shapes.ts";

export interface BenchOptions {
  quick: boolean;
  rounds: number;
  d: Durations;
  /** seconds of 50-concurrent load per subject before the rounds */
  warmS: number;
  /** Concurrent stream counts. */
  streams: number[];
  scaleSizes: number[];
  scaleRounds: number;
  workerRounds: number;
  skip: Set<string>;
  /** Run `bun src/main.ts` instead of the compiled binary. */
  source: boolean;
  build: boolean;
  out?: string;
  updateDocs: boolean;
  /** a second gateway binary measured beside the current one (before/after of a change) */
  baseline?: string;
  /** Limits the bench keys carry (`budget`, `tpm`), so every call is reserved and settled. */
  keyLimits: string[];
  /** Redis the gateways share (budgets, rate limits and reservations counted there). */
  redisUrl?: string;
  /** nice value for every process of the run (negative needs root): less noise from other work on a shared machine */
  nice: number;
  /** `agent`: only the coding-agent shapes and 50 concurrent small body (the issue-15 figures) */
  only?: "agent";
  /** rounds of the coding-agent shapes: many short cells, so that a burst of other work on the machine lands in few of them */
  agentRounds: number;
  /** seconds of one-request-at-a-time load per cell of the coding-agent shapes */
  agentS: number;
}

export const HELP = `Usage: bun scripts/bench.ts [--quick] [options]   (npm run bench -- [options])

  --quick            2 rounds, short runs, config scale at 2 and 1,000 entries (about 5 minutes)
  --only agent       only the coding-agent shapes (Claude Code and Codex requests from 10 KB to 2 MB)
                     and 50 concurrent small body, for direct, bare Bun, nginx and litellm-rust
                     (about 7 minutes; with --quick about 1.5)
  --rounds N         rounds of the interleaved main matrix (default 5; at least 5 for figures you quote)
  --skip LIST        comma list of: nginx, portkey, translate, streams, rate, agent, scale, workers, sinks, dbscale, db
                     (db: no Postgres; the gateway then runs on the master key alone)
  --source           run the gateway as \`bun src/main.ts\` instead of the compiled dist/litellm-rust
  --no-build         use dist/litellm-rust as it is (default: rebuild it first)
  --out DIR          where logs and results.json go (default bench-out/<time>)
  --baseline BIN     also measure another gateway binary (e.g. a build of main) beside this one
  --key-limits LIST  the virtual keys get limits: comma list of budget (max_budget), tpm (tpm_limit);
                     every call then reserves and settles
  --redis URL        the gateways share this Redis (e.g. redis://127.0.0.1:6379)
  --nice N           run every process at this nice value (e.g. -10, as root) so other work on a
                     shared machine disturbs the figures less
  --agent-rounds N   rounds of the coding-agent shapes (default 10; --quick 2)
  --agent-seconds S  seconds per cell of the coding-agent shapes (default 0.75; --quick 0.5)
  --update-docs      write the tables into docs/benchmarks.md and the charts into docs/
  -h, --help         this text

Needs: taskset (util-linux), wrk (apt-get install -y wrk), node + npm for Portkey (installed by the
script into .bench/portkey), nginx (apt-get install -y nginx; skipped with a note when absent),
Postgres at 127.0.0.1:5432 as user postgres (or BENCH_DATABASE_ADMIN_URL) for the database parts.`;

export function parseOptions(argv: string[]): BenchOptions | undefined {
  const quick = argv.includes("--quick");
  const o: BenchOptions = {
    quick,
    rounds: quick ? 2 : 5,
    d: quick ? { serialS: 1, c50S: 1, rateS: 2 } : { serialS: 2, c50S: 3, rateS: 4 },
    warmS: quick ? 2 : 5,
    streams: [200, 1000],
    scaleSizes: quick ? [2, 1000] : [2, 10, 100, 1000],
    scaleRounds: quick ? 2 : 3,
    workerRounds: quick ? 2 : 3,
    skip: new Set(),
    source: false,
    build: true,
    updateDocs: false,
    keyLimits: [],
    nice: 0,
    agentRounds: quick ? 2 : 10,
    agentS: quick ? 0.5 : 0.75,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case "--quick":
        break;
      case "--rounds":
        o.rounds = Math.max(1, Number(next()));
        break;
      case "--skip":
        for (const s of next().split(",")) o.skip.add(s.trim());
        break;
      case "--source":
        o.source = true;
        break;
      case "--no-build":
        o.build = false;
        break;
      case "--out":
        o.out = next();
        break;
      case "--baseline":
        o.baseline = next();
        break;
      case "--key-limits":
        o.keyLimits = next().split(",").map((x) => x.trim());
        break;
      case "--redis":
        o.redisUrl = next();
        break;
      case "--nice":
        o.nice = Number(next());
        break;
      case "--only": {
        const v = next();
        if (v !== "agent") throw new Error(`--only takes "agent", not ${v}`);
        o.only = v;
        for (const x of ["portkey", "translate", "streams", "rate", "scale", "workers", "sinks", "dbscale"]) o.skip.add(x);
        break;
      }
      case "--agent-rounds":
        o.agentRounds = Math.max(1, Number(next()));
        break;
      case "--agent-seconds":
        o.agentS = Number(next());
        break;
      case "--update-docs":
        o.updateDocs = true;
        break;
      case "-h":
      case "--help":
        return undefined;
      default:
        throw new Error(`unknown option ${a}\n\n${HELP}`);
    }
  }
  return o;
}
