/**
 * Two gateway builds on the same requests, one request at a time, alternating A B / B A, so that
 * whatever else the machine does falls on both alike: the median of the per-pair latency
 * differences, and each gateway's CPU per request. Both share one fake upstream, one fresh
 * database and (with `--redis`) one Redis; each calls with its own virtual key carrying the
 * limits of `--key-limits` (budget, tpm, rpm; `--baseline-key-limits` gives the baseline's key others,
 * e.g. one build against itself with and without limits: what the limits cost). `--journal off`
 * / `--baseline-journal off` run a side without the spend journal (`LITELLM_RUST_SPEND_JOURNAL=off`),
 * e.g. one build against itself with and without it: what the journal costs. Each pair also calls
 * the fake upstream directly, so the difference is also shown against what a gateway adds.
 *
 * Usage: bun scripts/bench/paired.ts --baseline BIN [--gateway BIN] [--pairs N] [--key-limits LIST]
 *        [--baseline-key-limits LIST] [--journal on|off] [--baseline-journal on|off] [--redis URL]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBenchDb, dropAll } from "./database.ts";
import { cpuMicros, LOAD_CPU, stopAll } from "./proc.ts";
import { median } from "./stats.ts";
import { litellmConfig, MASTER_KEY, ROOT, startFakes, startLitellm } from "./subjects.ts";
import { requestBody } from "./targets.ts";

const argv = process.argv.slice(2);
const opt = (name: string, d?: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : d);
const BASELINE = opt("--baseline") ?? "";
if (!BASELINE) throw new Error("--baseline BIN is required");
const GATEWAY = opt("--gateway") ?? join(ROOT, "dist/litellm-rust");
const PAIRS = Number(opt("--pairs", "3000"));
const limitsOf = (v: string | undefined) => (v ?? "").split(",").filter(Boolean);
const LIMITS = limitsOf(opt("--key-limits"));
const BASE_LIMITS = argv.includes("--baseline-key-limits") ? limitsOf(opt("--baseline-key-limits")) : LIMITS;
const REDIS = opt("--redis");
const JOURNAL = opt("--journal", "on")!;
const BASE_JOURNAL = opt("--baseline-journal", JOURNAL)!;
const journalEnv = (v: string) => (v === "off" ? { LITELLM_RUST_SPEND_JOURNAL: "off" } : undefined);

const dir = join(tmpdir(), `paired-${process.pid}`);
mkdirSync(dir, { recursive: true });

async function key(port: number, alias: string, limits: string[]): Promise<string> {
  const body = { key_alias: alias, ...(limits.includes("budget") ? { max_budget: 1e9 } : {}), ...(limits.includes("tpm") ? { tpm_limit: 1e12 } : {}), ...(limits.includes("rpm") ? { rpm_limit: 1e9 } : {}) };
  const r = await fetch(`http://127.0.0.1:${port}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER_KEY}` }, body: JSON.stringify(body) });
  const j = (await r.json()) as { key?: string };
  if (!j.key) throw new Error(`/key/generate answered ${r.status}`);
  return j.key;
}

async function main(): Promise<void> {
  Bun.spawnSync(["taskset", "-acp", LOAD_CPU, String(process.pid)], { stdout: "ignore" });
  const fakes = await startFakes(dir);
  const db = await createBenchDb("paired");
  if ("note" in db) throw new Error(db.note);
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, litellmConfig(fakes, db.url, REDIS));
  // Both on the same core (the benchmark's proxy core), the client and the fake on the other.
  const a = await startLitellm("this-build", { cmd: [GATEWAY], label: GATEWAY, env: journalEnv(JOURNAL) }, configPath, dir);
  const b = await startLitellm("baseline", { cmd: [BASELINE], label: BASELINE, env: journalEnv(BASE_JOURNAL) }, configPath, dir);
  const body = requestBody("chat", "bench-zero", false);
  const send = async (port: number, k: string) => {
    const t0 = performance.now();
    const r = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${k}`, "content-type": "application/json" }, body });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`status ${r.status}`);
    return (performance.now() - t0) * 1000;
  };
  const [ka, kb] = [await key(a.port, "paired-a", LIMITS), await key(b.port, "paired-b", BASE_LIMITS)];
  for (let i = 0; i < 500; i++) await Promise.all([send(a.port, ka), send(b.port, kb)]);
  const la: number[] = [];
  const lb: number[] = [];
  const cpu0 = [cpuMicros(a.proc.pids()), cpuMicros(b.proc.pids())];
  const direct: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    direct.push(await send(fakes.zero.port, "direct"));
    if (i % 2) {
      lb.push(await send(b.port, kb));
      la.push(await send(a.port, ka));
    } else {
      la.push(await send(a.port, ka));
      lb.push(await send(b.port, kb));
    }
  }
  const cpuA = (cpuMicros(a.proc.pids()) - cpu0[0]!) / PAIRS;
  const cpuB = (cpuMicros(b.proc.pids()) - cpu0[1]!) / PAIRS;
  const f = (x: number) => x.toFixed(1);
  const diffs = la.map((x, i) => x - lb[i]!);
  console.log(`key limits: ${LIMITS.join("+") || "none"} (baseline: ${BASE_LIMITS.join("+") || "none"}); journal ${JOURNAL} (baseline: ${BASE_JOURNAL})${REDIS ? ", Redis" : ""}; ${PAIRS} pairs; load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);
  console.log(`| | p50 µs | CPU µs/request |\n| --- | --- | --- |\n| this build | ${f(median(la))} | ${f(cpuA)} |\n| baseline | ${f(median(lb))} | ${f(cpuB)} |`);
  const added = median(lb) - median(direct);
  console.log(`median of paired differences (this build − baseline): ${f(median(diffs))} µs; the fake called directly: ${f(median(direct))} µs p50, so the baseline adds ${f(added)} µs and the difference is ${((median(diffs) / added) * 100).toFixed(1)} % of that`);
}

try {
  await main();
} finally {
  await stopAll();
  await dropAll();
}
