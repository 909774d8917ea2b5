/**
 * Where the gateway's CPU goes per call with every logging callback on: CPU time (from each
 * thread's schedstat, nanosecond resolution) and minor page faults per call, per thread (the
 * request thread, the logging worker, the rest), over serial calls carrying a 256 KB prompt, the
 * gateway pinned to one core as in `sinks.ts`. The window runs until every sink has delivered
 * (with `--fast-flush` the sinks' flush intervals are shortened, which makes batches smaller than
 * the defaults do).
 *   bun scripts/bench/sink-cpu.ts [--calls N] [--warm N] [--off] [--fast-flush] [--cpu-prof DIR] [--env K=V]... [--bin PATH]...
 * Each `--bin` (or the source tree when none) is measured in turn.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOAD_CPU, spawnPinned, stopAll, waitHttp } from "./proc.ts";
import { largeBody, withEverySink } from "./sinks.ts";
import { freePort, litellmConfig, litellmSubjects, MASTER_KEY, ROOT, startFakes, startLitellm, type GatewayCommand } from "./subjects.ts";

const BUN = process.execPath;
const args = process.argv.slice(2);
const calls = Number(args[args.indexOf("--calls") + 1]) || 200;
const off = args.includes("--off");
/** Calls before the measured ones: enough, by default, for the logging ring (64 MB) to have been written through once. */
const warm = args.includes("--warm") ? Number(args[args.indexOf("--warm") + 1]) : 300;
/** `--env K=V`: environment for the gateway (allocator options, say). */
const extraEnv = Object.fromEntries(args.flatMap((a, i) => (a === "--env" ? [args[i + 1]!.split(/=(.*)/s).slice(0, 2) as [string, string]] : [])));
const bins = args.flatMap((a, i) => (a === "--bin" ? [args[i + 1]!] : []));
const prof = args.includes("--cpu-prof") ? ["--cpu-prof", "--cpu-prof-dir", args[args.indexOf("--cpu-prof") + 1]!] : [];
const gws: GatewayCommand[] = bins.length ? bins.map((b) => ({ cmd: [b], label: b })) : [{ cmd: [BUN, ...prof, join(ROOT, "src/main.ts")], label: "bun src/main.ts" }];
/** Every sink sends within a second of a call. */
const fast = args.includes("--fast-flush");
const FAST_FLUSH: Record<string, string> = { GCS_FLUSH_INTERVAL: "0.5", LANGFUSE_FLUSH_INTERVAL: "0.5", DEFAULT_FLUSH_INTERVAL_SECONDS: "0.5", DEFAULT_S3_FLUSH_INTERVAL_SECONDS: "0.5", OTEL_BSP_SCHEDULE_DELAY: "500" };

interface Thread {
  name: string;
  ns: number;
  faults: number;
}

function threads(pid: number): Map<number, Thread> {
  const out = new Map<number, Thread>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      out.set(Number(tid), { name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), ns, faults: Number(f[7]) });
    } catch {
      /* exited */
    }
  }
  return out;
}

const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

const dir = join(ROOT, "bench-out", `sink-cpu-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`);
const logDir = join(dir, "logs");
mkdirSync(logDir, { recursive: true });
Bun.spawnSync(["taskset", "-acp", LOAD_CPU, String(process.pid)], { stdout: "ignore" });
try {
  const fakes = await startFakes(logDir);
  const sinkPort = freePort();
  const server = spawnPinned("sinks", [BUN, join(import.meta.dir, "sink-server.ts"), String(sinkPort)], { cpu: LOAD_CPU, logDir });
  const endpoint = `http://127.0.0.1:${sinkPort}`;
  await waitHttp(server, `${endpoint}/__count`);
  const received = async () => ((await (await fetch(`${endpoint}/__count`)).json()) as { received: number }).received;
  const config = join(dir, "gateway.yaml");
  const base = litellmConfig(fakes);
  writeFileSync(config, off ? base : withEverySink(base, endpoint));
  for (const gw of gws) {
    const { proc, port } = await startLitellm(`gw-${gws.indexOf(gw)}`, { ...gw, env: { ...gw.env, ...extraEnv, ...(fast ? FAST_FLUSH : {}) } }, config, logDir);
    const t = largeBody(litellmSubjects(proc, port)[0]!.target("zero", false));
    const call = async () => {
      const res = await fetch(t.url, { method: "POST", headers: t.headers, body: t.body });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < warm; i++) await call();
    // Without --fast-flush, GCS sends 20 s after a batch's first call (the longest default).
    const settle = async () => {
      if (!fast) await Bun.sleep(21_000);
      let last = -1;
      for (;;) {
        await Bun.sleep(1500);
        const n = await received();
        if (n === last) return;
        last = n;
      }
    };
    await settle();
    const before = threads(proc.pid);
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await call();
    const wall = performance.now() - t0;
    const during = threads(proc.pid);
    await settle();
    const after = threads(proc.pid);
    // Per call: CPU µs and faults while the calls ran, then over the whole window (deliveries included).
    const rows: Array<[string, number, number, number, number]> = [];
    for (const [tid, a] of after) {
      const b = before.get(tid) ?? { ns: 0, faults: 0 };
      const d = during.get(tid) ?? a;
      rows.push([`${tid} ${a.name}`, (d.ns - b.ns) / 1000 / calls, (a.ns - b.ns) / 1000 / calls, (d.faults - b.faults) / calls, (a.faults - b.faults) / calls]);
    }
    rows.sort((x, y) => y[2] - x[2]);
    console.log(`\n${gw.label}${off ? " (no callbacks)" : ""}: ${calls} calls, ${((wall * 1000) / calls).toFixed(0)} µs per call wall, RSS ${rss(proc.pid).toFixed(0)} MB, load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
    console.log("per call                     CPU µs (calls)   (all)   faults (calls)   (all)");
    const line = (name: string, r: number[]) => console.log(`${name.padEnd(28)} ${r[0]!.toFixed(0).padStart(12)} ${r[1]!.toFixed(0).padStart(8)} ${r[2]!.toFixed(1).padStart(14)} ${r[3]!.toFixed(1).padStart(8)}`);
    for (const [name, ...r] of rows.filter((x) => x[2] > 0.5 || x[4] > 0.05)) line(name, r);
    line("total", [1, 2, 3, 4].map((i) => rows.reduce((n, r) => n + (r[i] as number), 0)));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).text();
    const dropped = metrics.split("\n").filter((l) => l.startsWith("litellm_rust_callback_events_dropped_total{"));
    console.log(`dropped since start (${warm + calls} calls): ${dropped.length ? dropped.join(", ") : "none"}`);
    await proc.stop(2000);
  }
} finally {
  await stopAll();
}
