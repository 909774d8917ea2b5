import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { LOAD_CPU, spawnPinned, waitHttp, type Proc } from "./proc.ts";
import { table, times } from "./report.ts";
import { Results } from "./results.ts";
import { median } from "./stats.ts";
import { serial, c50, type ShapeCtx } from "./shapes.ts";
import { freePort, litellmConfig, litellmSubjects, startLitellm, type Fakes, type GatewayCommand, type Subject } from "./subjects.ts";
import type { Target } from "./targets.ts";

const BUN = process.execPath;
const DEAD = "http://127.0.0.1:9";
/** A Claude Code-sized prompt: the logs carry it whole (S3, GCS, Datadog, webhook payloads, Langfuse input, span attributes). */
const LARGE_PROMPT_BYTES = 256 * 1024;

/** Every logging callback and Slack alerting, all pointed at `endpoint`, as LiteLLM users configure them. */
export function withEverySink(base: string, endpoint: string): string {
  const c = parse(base) as Record<string, Record<string, unknown>>;
  c.litellm_settings = {
    ...(c.litellm_settings ?? {}),
    callbacks: ["otel", "langfuse", "s3_v2", "gcs_bucket", "datadog", "generic_api"],
    s3_callback_params: { s3_bucket_name: "bench-logs", s3_endpoint_url: endpoint, s3_aws_access_key_id: "AKIABENCH", s3_aws_secret_access_key: "bench-secret" },
  };
  c.general_settings = { ...(c.general_settings ?? {}), alerting: ["slack"] };
  c.environment_variables = {
    OTEL_EXPORTER: "otlp_http",
    OTEL_ENDPOINT: endpoint,
    LANGFUSE_PUBLIC_KEY: "pk-bench",
    LANGFUSE_SECRET_KEY: "sk-bench",
    LANGFUSE_HOST: endpoint,
    GCS_BUCKET_NAME: "bench-logs",
    STORAGE_EMULATOR_HOST: endpoint,
    DD_API_KEY: "dd-bench",
    DD_SITE: "datadoghq.com",
    DD_BASE_URL: endpoint,
    GENERIC_LOGGER_ENDPOINT: endpoint,
    SLACK_WEBHOOK_URL: endpoint,
  };
  return stringify(c);
}

export function largeBody(t: Target): Target {
  const body = JSON.parse(t.body) as { messages: Array<{ role: string; content: string }> };
  body.messages.unshift({ role: "user", content: "x".repeat(LARGE_PROMPT_BYTES) });
  return { ...t, body: JSON.stringify(body) };
}

interface Variant {
  id: string;
  label: string;
  subject?: Subject;
  endpoint?: string;
  gw?: GatewayCommand;
  /** The variant without callbacks its ratios divide by (the same binary's). */
  off?: string;
}

/**
 * The cost of the logging callbacks on the request path: the gateway with no callback, with every
 * callback and Slack alerting on (to a backend answering at once), and with every one of them
 * down (connection refused) or stalled (never answering). One request at a time (added p50/p99
 * over direct) with the bench's small prompt and a 256 KB one, and 50 concurrent (req/s). The
 * "÷ no callbacks" columns of the serial rows are the median over rounds of each round's ratio.
 */
export async function sinkOverhead(opts: { rounds: number; fakes: Fakes; direct: Subject; gw: GatewayCommand; baseline?: GatewayCommand; only?: string[]; ctx: ShapeCtx; logDir: string; log: (s: string) => void }): Promise<string> {
  const procs: Proc[] = [];
  const server = async (name: string, stall: boolean) => {
    const port = freePort();
    const proc = spawnPinned(name, [BUN, join(import.meta.dir, "sink-server.ts"), String(port), ...(stall ? ["--stall"] : [])], { cpu: LOAD_CPU, logDir: opts.logDir });
    procs.push(proc);
    await waitHttp(proc, `http://127.0.0.1:${port}/__count`);
    return `http://127.0.0.1:${port}`;
  };
  const wanted = (id: string) => id === "off" || !opts.only || opts.only.includes(id);
  const variants: Variant[] = [
    { id: "off", label: "no callbacks" },
    ...(wanted("on") ? [{ id: "on", label: "every callback + Slack alerting", endpoint: await server("sinks", false) }] : []),
    ...(wanted("down") ? [{ id: "down", label: "every one down (connection refused)", endpoint: DEAD }] : []),
    ...(wanted("stalled") ? [{ id: "stalled", label: "every one stalled (never answers)", endpoint: await server("sinks-stalled", true) }] : []),
  ];
  // With a baseline binary every variant runs twice, interleaved in the same rounds: its rows are labelled "baseline:".
  if (opts.baseline) variants.push(...variants.map((v) => ({ ...v, id: `base-${v.id}`, label: `baseline: ${v.label}`, gw: opts.baseline, off: "base-off" })));
  const base = litellmConfig(opts.fakes);
  const large = (s: Subject): Subject => ({ ...s, target: (k, st) => largeBody(s.target(k, st)) });
  const warm = { ...opts.ctx, d: { ...opts.ctx.d, serialS: 1 } };
  const tags = [["small", (s: Subject) => s], ["large", large]] as const;
  let running: Proc | undefined;
  try {
    const r = new Results();
    for (const [, wrap] of tags) await serial.run(wrap(opts.direct), warm);
    // One gateway runs at a time, started afresh every round and warmed: a gateway left running would
    // go on logging (its idle-priority worker behind by hundreds of calls) on the core the next one is
    // measured on, and one process's luck (its memory layout) would weigh on every round.
    for (let round = 1; round <= opts.rounds; round++) {
      for (const v of variants) {
        const path = join(opts.ctx.dir, `sinks-${v.id}.yaml`);
        writeFileSync(path, v.endpoint ? withEverySink(base, v.endpoint) : base);
        const { proc, port } = await startLitellm(`sinks-${v.id}-r${round}`, v.gw ?? opts.gw, path, opts.logDir);
        running = proc;
        const subject: Subject = { ...litellmSubjects(proc, port)[0]!, id: "litellm" };
        for (const [, wrap] of tags) await serial.run(wrap(subject), warm);
        for (const [tag, wrap] of tags) {
          r.add(round, `serial-${tag}`, `direct:${v.id}`, await serial.run(wrap(opts.direct), opts.ctx));
          r.add(round, `serial-${tag}`, v.id, await serial.run(wrap(subject), opts.ctx));
        }
        r.add(round, "c50", v.id, await c50.run(subject, opts.ctx));
        await proc.stop(2000);
        running = undefined;
      }
      opts.log(`sinks round ${round}/${opts.rounds}: p50 added small/large ${variants.map((v) => `${v.id} ${tags.map(([tag]) => (added(r, tag, v.id) / 1000).toFixed(3)).join("/")}ms`).join(", ")}`);
    }
    // Each round's own ratio (each gateway against the direct calls made beside it), then the median over rounds.
    const ratio = (tag: string, id: string, off: string) => {
      const o = addedByRound(r, tag, off);
      return median(addedByRound(r, tag, id).map((x, i) => x / o[i]!));
    };
    const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;
    return table(
      ["gateway", "added p50 (small)", "÷ no callbacks", "added p99 (small)", "added p50 (256 KB prompt)", "÷ no callbacks", "req/s, 50 concurrent", "÷ no callbacks"],
      variants.map((v) => {
        const off = v.off ?? "off";
        return [
          v.label,
          ms(added(r, "small", v.id)),
          v.id === off ? "" : times(ratio("small", v.id, off)),
          ms(added(r, "small", v.id, "p99")),
          ms(added(r, "large", v.id)),
          v.id === off ? "" : times(ratio("large", v.id, off)),
          String(Math.round(r.med("c50", v.id, "rps"))),
          v.id === off ? "" : times(r.med("c50", v.id, "rps") / r.med("c50", off, "rps")),
        ];
      }),
    );
  } finally {
    await running?.stop(2000);
    await Promise.all(procs.map((p) => p.stop(2000)));
  }
}

/** A variant's added latency in each round: its p50 (or p99) less that of the direct calls made beside it. */
function addedByRound(r: Results, tag: string, id: string, p = "p50"): number[] {
  const direct = r.values(`serial-${tag}`, `direct:${id}`, p);
  return r.values(`serial-${tag}`, id, p).map((x, i) => x - direct[i]!);
}

const added = (r: Results, tag: string, id: string, p = "p50") => median(addedByRound(r, tag, id, p));

/**
 * `bun scripts/bench/sinks.ts [--source] [--rounds N] [--baseline BIN] [--only on,down,stalled]`: this part alone (the full run
 * includes it); `--baseline` measures another binary (e.g. a build of main) in the same rounds; `--only` keeps those variants (and no callbacks).
 */
if (import.meta.main) {
  const { mkdirSync } = await import("node:fs");
  const { startFakes, directSubject, ROOT } = await import("./subjects.ts");
  const { stopAll } = await import("./proc.ts");
  const args = process.argv.slice(2);
  const rounds = Number(args[args.indexOf("--rounds") + 1]) || 3;
  const gw: GatewayCommand = args.includes("--source")
    ? { cmd: [BUN, join(ROOT, "src/main.ts")], label: "bun src/main.ts" }
    : { cmd: [join(ROOT, "dist/litellm-rust")], label: "dist/litellm-rust" };
  const dir = join(ROOT, "bench-out", `sinks-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`);
  const logDir = join(dir, "logs");
  mkdirSync(logDir, { recursive: true });
  Bun.spawnSync(["taskset", "-acp", LOAD_CPU, String(process.pid)], { stdout: "ignore" });
  try {
    const fakes = await startFakes(logDir);
    const baseline: GatewayCommand | undefined = args.includes("--baseline") ? { cmd: [args[args.indexOf("--baseline") + 1]!], label: args[args.indexOf("--baseline") + 1]! } : undefined;
    const only = args.includes("--only") ? args[args.indexOf("--only") + 1]!.split(",") : undefined;
    const md = await sinkOverhead({ rounds, fakes, direct: directSubject(fakes), gw, baseline, only, ctx: { dir, d: { serialS: 2, c50S: 3, rateS: 4 } }, logDir, log: (s) => process.stderr.write(`${s}\n`) });
    console.log(`gateway: ${gw.label}${baseline ? ` (baseline: ${baseline.label})` : ""}, ${rounds} rounds, load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}\n\n${md}`);
  } finally {
    await stopAll();
  }
}
